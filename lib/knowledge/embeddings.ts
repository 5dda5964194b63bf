/**
 * Embeddings from an n8n embeddings sub-node (Embeddings OpenAI, Ollama, Azure OpenAI, ...): the
 * LangChain `Embeddings` interface (`embedDocuments`, `embedQuery`), duck-typed so the package
 * needs no LangChain dependency. Every call is bounded in time, every answer is checked (one
 * vector per text, one dimension, finite numbers), and a failure names the embeddings node.
 */
import { InputError } from '../errors';
import { withinTime } from '../time-limit';
import type { KnowledgeBase } from './base';
import type { KnowledgeDoc } from './documents';
import { embeddingTexts, MAX_VECTOR_VALUES, VectorIndex } from './vectors';

/** The part of LangChain's `Embeddings` the knowledge base uses. */
export interface Embedder {
	embedDocuments(texts: string[]): Promise<unknown>;
	embedQuery(text: string): Promise<unknown>;
}

export function isEmbedder(value: unknown): value is Embedder {
	return (
		!!value &&
		typeof value === 'object' &&
		typeof (value as Embedder).embedDocuments === 'function' &&
		typeof (value as Embedder).embedQuery === 'function'
	);
}

export interface EmbedOptions {
	/** The embeddings node's name, for error messages. */
	nodeName: string;
	/** Longest wait for one call (one batch, or one query). */
	timeoutMs: number;
	/** Texts per embedDocuments call (default 64). */
	batchSize?: number;
}

/** Longest query text embedded (the subject and the start of the customer's message). */
export const MAX_QUERY_CHARS = 2000;
export const DEFAULT_BATCH_SIZE = 64;

/**
 * Which model the vectors come from: the LangChain class and its model (or deployment) name and
 * requested dimensions, read from the sub-node's object. Vectors of another identity are never
 * compared with these: a knowledge base is embedded again when the model changes.
 */
export function embedderIdentity(embedder: Embedder): string {
	const fields = embedder as unknown as Record<string, unknown>;
	const kind =
		(typeof fields.constructor === 'function' && fields.constructor.name) || 'Embeddings';
	const model = ['model', 'modelName', 'deploymentName', 'azureOpenAIApiDeploymentName', 'modelId']
		.map((name) => fields[name])
		.find((value): value is string => typeof value === 'string' && value.trim() !== '');
	const dimensions = typeof fields.dimensions === 'number' ? `/${fields.dimensions}` : '';
	return `${kind}:${model ?? 'default'}${dimensions}`;
}

/** A call to the embeddings node, bounded in time; errors say which node failed and what to do. */
async function bounded<T>(work: () => Promise<T>, options: EmbedOptions, what: string): Promise<T> {
	return await withinTime(
		async () => {
			try {
				return await work();
			} catch (error) {
				throw new InputError(
					`The embeddings node "${options.nodeName}" failed (${what}): ${(error as Error)?.message ?? String(error)}`,
					'Check its credential, model and service; with Options > On Embeddings Failure set to lexical, the knowledge is searched without embeddings meanwhile.',
				);
			}
		},
		options.timeoutMs,
		() =>
			new InputError(
				`The embeddings node "${options.nodeName}" did not answer within ${options.timeoutMs / 1000} s (${what})`,
				'Check the embeddings service behind it, or raise Options > Embeddings Timeout.',
			),
	);
}

function vectorList(raw: unknown, count: number, options: EmbedOptions): ArrayLike<number>[] {
	const ok =
		Array.isArray(raw) &&
		raw.length === count &&
		raw.every((v) => Array.isArray(v) || v instanceof Float32Array || v instanceof Float64Array);
	if (!ok)
		throw new InputError(
			`The embeddings node "${options.nodeName}" answered ${Array.isArray(raw) ? `${raw.length} vectors for ${count} texts` : 'with something other than a list of vectors'}`,
			'Connect an embeddings sub-node (for example "Embeddings OpenAI") to the Embeddings input.',
		);
	return raw as ArrayLike<number>[];
}

/** The query's vector. */
export async function embedQueryText(
	embedder: Embedder,
	text: string,
	options: EmbedOptions,
): Promise<ArrayLike<number>> {
	const raw = await bounded(
		() => embedder.embedQuery(text.slice(0, MAX_QUERY_CHARS)),
		options,
		'embedding the email',
	);
	const [vector] = vectorList([raw], 1, options);
	if (vector.length === 0 || !Array.prototype.every.call(vector, (v) => Number.isFinite(v)))
		throw new InputError(
			`The embeddings node "${options.nodeName}" answered with an empty or broken vector for the email`,
			'Check the embeddings model and service.',
		);
	return vector;
}

/** Documents whose current text has no vectors of this model yet (new, changed, or another model). */
export function documentsToEmbed(
	base: KnowledgeBase,
	model: string,
	incoming: Iterable<KnowledgeDoc> = [],
): KnowledgeDoc[] {
	const vectors = base.vectors?.model === model ? base.vectors : undefined;
	const pending = new Map<string, KnowledgeDoc>();
	for (const doc of incoming) if (!vectors?.covers(doc)) pending.set(doc.key, doc);
	for (const doc of base.documents())
		if (!pending.has(doc.key) && !vectors?.covers(doc)) {
			// A document the incoming ones replace is embedded in its new version only.
			pending.set(doc.key, doc);
		}
	for (const doc of incoming) if (vectors?.covers(doc)) pending.delete(doc.key);
	return [...pending.values()];
}

export interface EmbeddedDocs {
	model: string;
	dimensions: number;
	/** key -> the hash embedded and one vector per chunk */
	vectors: Map<string, { hash: string; rows: ArrayLike<number>[] }>;
	/** Calls made to the embeddings node. */
	calls: number;
}

/** Embeds documents' chunks in batches (each call bounded in time). */
export async function embedDocuments(
	embedder: Embedder,
	model: string,
	docs: KnowledgeDoc[],
	options: EmbedOptions,
): Promise<EmbeddedDocs> {
	const jobs = docs.map((doc) => ({ doc, texts: embeddingTexts(doc) }));
	const texts = jobs.flatMap((job) => job.texts);
	const result: EmbeddedDocs = { model, dimensions: 0, vectors: new Map(), calls: 0 };
	const all: ArrayLike<number>[] = [];
	const batch = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
	for (let start = 0; start < texts.length; start += batch) {
		const slice = texts.slice(start, start + batch);
		const raw = await bounded(
			() => embedder.embedDocuments(slice),
			options,
			`embedding ${slice.length} of ${texts.length} knowledge chunks`,
		);
		result.calls++;
		const vectors = vectorList(raw, slice.length, options);
		if (result.dimensions === 0) {
			result.dimensions = vectors[0]?.length ?? 0;
			// Checks the size before embedding the rest: the dimension and the limit are known now.
			new VectorIndex(model, result.dimensions);
			if (texts.length * result.dimensions > MAX_VECTOR_VALUES)
				throw new InputError(
					`${texts.length} knowledge chunks of ${result.dimensions} dimensions would be over the embeddings limit (${(MAX_VECTOR_VALUES * 4) / 1048576} MiB)`,
					'Use an embeddings model with fewer dimensions (e.g. text-embedding-3-small with Dimensions 512), or split the knowledge into several knowledge bases.',
				);
		}
		all.push(...vectors);
	}
	let offset = 0;
	for (const job of jobs) {
		result.vectors.set(job.doc.key, {
			hash: job.doc.hash,
			rows: all.slice(offset, offset + job.texts.length),
		});
		offset += job.texts.length;
	}
	return result;
}

/**
 * Puts embedded vectors into the knowledge base: a new vector index when the model (or its
 * dimension) changed, else the existing one. Vectors of a document whose text changed since it was
 * embedded are left out (the next update embeds it). Returns how many documents got vectors.
 */
export function applyVectors(base: KnowledgeBase, embedded: EmbeddedDocs): number {
	if (embedded.vectors.size === 0) return 0;
	if (base.vectors?.model !== embedded.model || base.vectors.dimensions !== embedded.dimensions)
		base.vectors = new VectorIndex(embedded.model, embedded.dimensions);
	let stored = 0;
	for (const [key, { hash, rows }] of embedded.vectors) {
		if (base.get(key)?.hash !== hash) continue;
		base.vectors.set(key, hash, rows);
		stored++;
	}
	return stored;
}
