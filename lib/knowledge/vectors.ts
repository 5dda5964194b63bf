/**
 * The embeddings of a knowledge base: per document (article language version or past reply) one
 * unit-length vector per chunk, all from one embeddings model, kept as Float32Array (4 bytes a
 * value) and written into the knowledge file as base64 of the little-endian float32 values. A
 * document's vectors carry the hash of the text they were made from, so a changed document is
 * embedded again and an unchanged one never is.
 */
import { InputError } from '../errors';
import type { KnowledgeDoc } from './documents';

/** Longest vector accepted (OpenAI's text-embedding-3-large has 3072). */
export const MAX_DIMENSIONS = 4096;
/**
 * Most values (vectors x dimensions) one knowledge base holds: 64 MiB as Float32 (about 86 MiB
 * in the file), e.g. 10,900 chunks of 1536 dimensions or 43,600 of 384. Keeps the index file well
 * under its size limit (store.ts MAX_INDEX_BYTES) and the search's scan short.
 */
export const MAX_VECTOR_VALUES = 16 * 1024 * 1024;
/** An article is embedded in chunks of at most this many characters (paragraphs kept whole when they fit). */
export const CHUNK_CHARS = 1500;
/** Most chunks embedded per document: the start of a long article (where the answer usually is). */
export const MAX_CHUNKS_PER_DOC = 8;

export interface DocVectors {
	/** Hash of the document the vectors were made from (KnowledgeDoc.hash). */
	hash: string;
	/** `chunks x dimensions` values, each row of unit length. */
	rows: Float32Array;
}

export interface SerializedVectors {
	/** The embeddings model's identity (embeddings.ts embedderIdentity). */
	model: string;
	dimensions: number;
	/** [key, hash, base64 of the rows' float32 values (little-endian)] */
	entries: Array<[string, string, string]>;
}

export class VectorIndex {
	private readonly entries = new Map<string, DocVectors>();
	private values = 0;

	constructor(
		readonly model: string,
		readonly dimensions: number,
	) {
		if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS)
			throw new InputError(
				`Embeddings of ${dimensions} dimensions are not supported (at most ${MAX_DIMENSIONS})`,
				'Use an embeddings model with fewer dimensions (e.g. OpenAI text-embedding-3-small, or set its Dimensions option).',
			);
	}

	/** Documents with vectors. */
	get size(): number {
		return this.entries.size;
	}

	/** Values held (vectors x dimensions). */
	get valueCount(): number {
		return this.values;
	}

	get(key: string): DocVectors | undefined {
		return this.entries.get(key);
	}

	/** Whether the document's current text has vectors. */
	covers(doc: KnowledgeDoc): boolean {
		return this.entries.get(doc.key)?.hash === doc.hash;
	}

	/** Stores a document's vectors (one per chunk), normalised to unit length. */
	set(key: string, hash: string, vectors: ArrayLike<number>[]): void {
		if (vectors.length === 0) throw new InputError(`No vectors for ${key}`);
		const rows = new Float32Array(vectors.length * this.dimensions);
		for (const [i, vector] of vectors.entries()) {
			if (vector.length !== this.dimensions)
				throw new InputError(
					`An embedding has ${vector.length} dimensions where the knowledge base's have ${this.dimensions}`,
					'The embeddings model changed its output size: connect the model the knowledge base was built with, or add the articles again with the new one.',
				);
			let norm = 0;
			for (let k = 0; k < vector.length; k++) {
				const v = vector[k];
				if (typeof v !== 'number' || !Number.isFinite(v))
					throw new InputError(
						`An embedding of ${key} holds a value that is not a finite number`,
						'Check the embeddings model (the service answered with broken vectors).',
					);
				norm += v * v;
			}
			const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
			for (let k = 0; k < vector.length; k++) rows[i * this.dimensions + k] = vector[k] * scale;
		}
		const old = this.entries.get(key)?.rows.length ?? 0;
		const total = this.values - old + rows.length;
		if (total > MAX_VECTOR_VALUES) throw tooManyValues(total, this.dimensions);
		this.entries.set(key, { hash, rows });
		this.values = total;
	}

	delete(key: string): boolean {
		const entry = this.entries.get(key);
		if (!entry) return false;
		this.values -= entry.rows.length;
		return this.entries.delete(key);
	}

	/**
	 * Cosine similarity of the query to each document (its best chunk), for the documents `accept`
	 * lets through, best first, at most `limit`.
	 */
	similarities(
		query: ArrayLike<number>,
		accept: (key: string, hash: string) => boolean,
		limit: number,
	): Array<{ key: string; similarity: number }> {
		const dims = this.dimensions;
		if (query.length !== dims)
			throw new InputError(
				`The query embedding has ${query.length} dimensions where the knowledge base's have ${dims}`,
				'Connect the embeddings model the knowledge base was built with, or add the articles again with this one.',
			);
		let norm = 0;
		for (let k = 0; k < dims; k++) norm += query[k] * query[k];
		const q = new Float32Array(dims);
		const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
		for (let k = 0; k < dims; k++) q[k] = query[k] * scale;
		// The best `limit` so far, best first (a short sorted list: no sort of every document).
		const out: Array<{ key: string; similarity: number }> = [];
		if (limit < 1) return out;
		for (const [key, { hash, rows }] of this.entries) {
			let best = -Infinity;
			for (let offset = 0; offset < rows.length; offset += dims) {
				let dot = 0;
				for (let k = 0; k < dims; k++) dot += rows[offset + k] * q[k];
				if (dot > best) best = dot;
			}
			if (out.length === limit && best <= out[limit - 1].similarity) continue;
			if (!accept(key, hash)) continue;
			let at = out.length;
			while (at > 0 && out[at - 1].similarity < best) at--;
			out.splice(at, 0, { key, similarity: best });
			if (out.length > limit) out.pop();
		}
		return out;
	}

	toJSON(): SerializedVectors {
		return {
			model: this.model,
			dimensions: this.dimensions,
			entries: [...this.entries].map(([key, { hash, rows }]) => [
				key,
				hash,
				Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength).toString('base64'),
			]),
		};
	}

	static fromJSON(data: SerializedVectors): VectorIndex {
		if (
			!data ||
			typeof data.model !== 'string' ||
			typeof data.dimensions !== 'number' ||
			!Array.isArray(data.entries)
		)
			throw new InputError(
				'The knowledge file holds embeddings in a form this package cannot read',
				'Add the articles again with the embeddings connected (the vectors are rebuilt).',
			);
		const index = new VectorIndex(data.model, data.dimensions);
		for (const entry of data.entries) {
			const [key, hash, base64] = Array.isArray(entry) ? entry : [];
			const bytes = Buffer.from(typeof base64 === 'string' ? base64 : '', 'base64');
			if (
				typeof key !== 'string' ||
				typeof hash !== 'string' ||
				bytes.length === 0 ||
				bytes.length % (4 * data.dimensions) !== 0
			)
				throw new InputError(
					`The knowledge file's embeddings of ${String(key)} are damaged`,
					'Add the articles again with the embeddings connected (the vectors are rebuilt).',
				);
			// Copied into its own buffer: a Float32Array needs 4-byte alignment.
			const rows = new Float32Array(
				bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
			);
			index.values += rows.length;
			if (index.values > MAX_VECTOR_VALUES) throw tooManyValues(index.values, data.dimensions);
			index.entries.set(key, { hash, rows });
		}
		return index;
	}
}

function tooManyValues(values: number, dimensions: number): InputError {
	return new InputError(
		`The knowledge base's embeddings would hold ${Math.ceil(values / dimensions)} vectors of ${dimensions} dimensions (${Math.round((values * 4) / 1048576)} MiB), over the ${(MAX_VECTOR_VALUES * 4) / 1048576} MiB limit`,
		'Use an embeddings model with fewer dimensions (e.g. text-embedding-3-small with Dimensions 512), split the knowledge into several knowledge bases, or search it without embeddings.',
	);
}

/**
 * What is embedded of a document: an article's title with each chunk of its text; a past reply's
 * subject with the customer's message (what a new email will resemble), as the lexical index does.
 */
export function embeddingTexts(doc: KnowledgeDoc): string[] {
	if (doc.source === 'reply')
		return [`${doc.title}\n\n${doc.question ?? ''}`.trim().slice(0, CHUNK_CHARS * 2)];
	return chunkText(doc.text).map((chunk) => `${doc.title}\n\n${chunk}`.trim());
}

/** Text in chunks of at most CHUNK_CHARS characters, cut between paragraphs, then sentences, then words. */
export function chunkText(text: string): string[] {
	const paragraphs = text
		.replace(/\r\n?/g, '\n')
		.split(/\n\s*\n/)
		.map((p) => p.trim())
		.filter(Boolean);
	const pieces: string[] = [];
	for (const paragraph of paragraphs) {
		if (paragraph.length <= CHUNK_CHARS) {
			pieces.push(paragraph);
			continue;
		}
		let rest = paragraph;
		while (rest.length > CHUNK_CHARS) {
			const head = rest.slice(0, CHUNK_CHARS);
			let cut = Math.max(head.lastIndexOf('. '), head.lastIndexOf('\n'));
			if (cut < CHUNK_CHARS / 3) cut = head.lastIndexOf(' ');
			if (cut < CHUNK_CHARS / 3) cut = CHUNK_CHARS - 1;
			pieces.push(rest.slice(0, cut + 1).trim());
			rest = rest.slice(cut + 1).trim();
		}
		if (rest) pieces.push(rest);
	}
	const chunks: string[] = [];
	for (const piece of pieces) {
		const last = chunks.length - 1;
		if (last >= 0 && chunks[last].length + 2 + piece.length <= CHUNK_CHARS)
			chunks[last] = `${chunks[last]}\n\n${piece}`;
		else if (chunks.length < MAX_CHUNKS_PER_DOC) chunks.push(piece);
		else break;
	}
	return chunks.length ? chunks : [''];
}
