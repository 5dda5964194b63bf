import { InputError } from '../errors';
import { withinTime } from '../time-limit';

/** One piece of knowledge the reply may use (from a help-centre search, a FAQ table, ...). */
export interface KnowledgeSnippet {
	/** Given, or `S1`, `S2`, ... in list order. The model cites snippets by this id. */
	id: string;
	title?: string;
	text: string;
	url?: string;
	/** Retrieval score (the Support Knowledge node: the calibrated probability that it answers the email). */
	score?: number;
	source?: 'article' | 'reply';
	/** ISO 639-1 language of the text. */
	language?: string;
}

export const DEFAULT_KNOWLEDGE_FIELD = 'support.knowledge';

const SHAPE_HINT =
	'Give a list of snippets like [{"title": "Refunds", "text": "Refunds are paid within 14 days.", "url": "https://help.example.com/refunds"}] (text required; title, url and id optional), or an empty list when there is no knowledge.';

export { readPath } from '../contract/path';

/**
 * The knowledge on an item. Missing at the default field, null or an empty list: no knowledge (the
 * draft is then marked for review). A field the user named that is missing, or any value that is
 * not a list of snippets, is an error that says what to change.
 */
export function parseKnowledge(
	value: unknown,
	field: string,
	options: { explicitField?: boolean } = {},
): KnowledgeSnippet[] {
	if (value === undefined && options.explicitField) {
		throw new InputError(
			`The knowledge field "${field}" is not on the item`,
			`Check the Knowledge Field name (a dot path such as support.knowledge), or have the step before this node set it to an empty list [] when it found nothing. ${SHAPE_HINT}`,
		);
	}
	if (value === undefined || value === null) return [];
	if (typeof value === 'string' && value.trim() === '') return [];
	if (!Array.isArray(value)) {
		throw new InputError(
			`The knowledge field "${field}" holds ${describe(value)}, not a list of snippets`,
			SHAPE_HINT,
		);
	}
	const used = new Set<string>();
	const snippets = value.map((entry, index) => {
		if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
			throw new InputError(
				`Knowledge snippet ${index + 1} in "${field}" is ${describe(entry)}, not an object`,
				SHAPE_HINT,
			);
		}
		const record = entry as Record<string, unknown>;
		if (typeof record.text !== 'string' || !record.text.trim()) {
			throw new InputError(
				`Knowledge snippet ${index + 1} in "${field}" has no "text"`,
				`Every snippet needs its text in a "text" field. ${SHAPE_HINT}`,
			);
		}
		for (const key of ['title', 'url'] as const) {
			if (record[key] !== undefined && record[key] !== null && typeof record[key] !== 'string') {
				throw new InputError(
					`Knowledge snippet ${index + 1} in "${field}" has a "${key}" that is ${describe(record[key])}, not text`,
					SHAPE_HINT,
				);
			}
		}
		let id =
			typeof record.id === 'string' || typeof record.id === 'number'
				? String(record.id).trim()
				: '';
		if (!id || used.has(id)) id = `S${index + 1}`;
		used.add(id);
		return {
			id,
			text: record.text.trim(),
			...(typeof record.title === 'string' && record.title.trim()
				? { title: record.title.trim() }
				: {}),
			...(typeof record.url === 'string' && record.url.trim() ? { url: record.url.trim() } : {}),
			...(typeof record.score === 'number' && Number.isFinite(record.score)
				? { score: record.score }
				: {}),
			...(record.source === 'article' || record.source === 'reply'
				? { source: record.source as 'article' | 'reply' }
				: {}),
			...(typeof record.language === 'string' && /^[a-z]{2}$/i.test(record.language.trim())
				? { language: record.language.trim().toLowerCase() }
				: {}),
		};
	});
	return snippets;
}

function describe(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	if (typeof value === 'string') return `the text ${JSON.stringify(value.slice(0, 40))}`;
	if (typeof value === 'object') return 'an object';
	return `a ${typeof value}`;
}

/** What a LangChain retriever (n8n's retriever and vector store sub-nodes) returns per document. */
interface RetrievedDocument {
	pageContent?: unknown;
	metadata?: Record<string, unknown>;
}

/** The part of a LangChain retriever the drafter uses (duck-typed: no LangChain dependency). */
export interface Retriever {
	invoke(query: string): Promise<unknown>;
}

export function isRetriever(value: unknown): value is Retriever {
	return (
		!!value &&
		typeof value === 'object' &&
		typeof (value as { invoke?: unknown }).invoke === 'function'
	);
}

/** Longest query sent to a retriever (subject and the start of the customer's text). */
export const MAX_RETRIEVER_QUERY_CHARS = 2000;

/**
 * Snippets from a retriever for one email: each document's `pageContent` as the text, its metadata's
 * id / title / url (or `source`, when it is a link) kept for the citation. Scores from a retriever are
 * not calibrated, so answers resting on them always go to review.
 */
export async function retrieveKnowledge(
	retriever: Retriever,
	query: string,
	maxSnippets = 5,
	timeoutMs = 60_000,
): Promise<KnowledgeSnippet[]> {
	const documents: unknown = await withinTime(
		async () => await retriever.invoke(query.slice(0, MAX_RETRIEVER_QUERY_CHARS)),
		timeoutMs,
		() =>
			new InputError(
				`The connected retriever did not answer within ${Math.round(timeoutMs / 1000)} s`,
				'Check the vector store behind the Retriever input (and its embeddings service), or raise Options > Timeout.',
			),
	);
	if (!Array.isArray(documents))
		throw new InputError(
			'The connected retriever returned something other than a list of documents',
			'Connect one of n8n\'s retriever sub-nodes (for example "Vector Store Retriever") to the Retriever input.',
		);
	const snippets: KnowledgeSnippet[] = [];
	for (const [index, entry] of (documents as RetrievedDocument[]).entries()) {
		if (snippets.length >= maxSnippets) break;
		const text = typeof entry?.pageContent === 'string' ? entry.pageContent.trim() : '';
		if (!text) continue;
		const meta = entry.metadata ?? {};
		const pick = (key: string) =>
			typeof meta[key] === 'string' && (meta[key] as string).trim()
				? (meta[key] as string).trim()
				: undefined;
		const link = [pick('url'), pick('source')].find((v) => v && /^https?:\/\//i.test(v));
		const id = pick('id') ?? (typeof meta.id === 'number' ? String(meta.id) : `R${index + 1}`);
		const language = pick('language');
		snippets.push({
			id,
			text: text.slice(0, 20_000),
			...(pick('title') ? { title: pick('title') } : {}),
			...(link ? { url: link } : {}),
			...(language && /^[a-z]{2}$/i.test(language) ? { language: language.toLowerCase() } : {}),
		});
	}
	return snippets;
}
