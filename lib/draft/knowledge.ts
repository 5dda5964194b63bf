import { InputError } from '../errors';

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

/** Reads a dot path (`support.knowledge`, `kb.results`) from an item's JSON. */
export function readPath(json: unknown, path: string): unknown {
	let value: unknown = json;
	for (const key of path.split('.').filter(Boolean)) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

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
