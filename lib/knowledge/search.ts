/**
 * From an email to `support.knowledge` and `support.answer` (DESIGN.md section 2): the best
 * knowledge for the email, each entry scored with the calibrated probability that it answers the
 * email, and the answer decision (confidence, citation, or why it abstained).
 */
import type { KnowledgeBase, KnowledgeHit } from './base';
import type { KnowledgeDoc, KnowledgeSource } from './documents';
import { customerMessageBody } from './documents';

/** One entry of `support.knowledge`. */
export interface SupportKnowledgeEntry {
	id: string;
	title?: string;
	text: string;
	url?: string;
	/** The calibrated probability that this entry answers the email (0..1). */
	score: number;
	source: KnowledgeSource;
	language?: string;
	/**
	 * How the entry was found: `lexical` (the offline index alone) or `hybrid` (lexical and
	 * embeddings fused, when an embeddings sub-node is connected; see hybrid.ts).
	 */
	retrieval?: 'lexical' | 'hybrid';
	/**
	 * Cosine similarity of the email to the entry: hybrid search, the embeddings sub-node's vectors
	 * to the entry's best chunk; the semantic check (semantic.ts, best entry only), the offline
	 * sentence encoder's to the entry's closest own text.
	 */
	similarity?: number;
}

/** `support.answer`. */
export interface SupportAnswer {
	confidence: number;
	citations: Array<{ id: string; title?: string; url?: string }>;
	abstained: boolean;
	reasons: string[];
}

export interface EmailQuery {
	subject?: string;
	text: string;
	language?: string;
}

export interface KnowledgeSearchOptions {
	limit?: number;
	sources?: KnowledgeSource[];
	/** Below this the answer abstains (default 0.5). */
	abstainBelow?: number;
	/** Longest snippet text (default 1500 characters). */
	maxSnippetChars?: number;
	/** See SearchOptions.postingBudget. */
	postingBudget?: number;
}

export const DEFAULT_ABSTAIN_BELOW = 0.5;

/** The text searched for an email: its subject and text, without the greeting line and sign-off. */
export function emailQueryText(email: EmailQuery): string {
	return `${email.subject ?? ''}\n${customerMessageBody(email.text)}`.slice(0, 8000);
}

/**
 * The lexical search for one email: the text searched (emailQueryText), the hits (at least `minHits`
 * deep, for a caller that compares the best with the next) and the first `options.limit` of them as
 * `support.knowledge` entries.
 */
export function lexicalSearch(
	base: KnowledgeBase,
	email: EmailQuery,
	options: KnowledgeSearchOptions = {},
	minHits = 0,
): { query: string; hits: KnowledgeHit[]; knowledge: SupportKnowledgeEntry[] } {
	const limit = options.limit ?? 3;
	const query = emailQueryText(email);
	const hits = base.search(query, {
		language: email.language,
		limit: Math.max(minHits, limit),
		sources: options.sources,
		postingBudget: options.postingBudget,
	});
	const knowledge = hits.slice(0, limit).map((hit) => ({
		...knowledgeEntry(hit.doc, hit.probability, options.maxSnippetChars),
		retrieval: 'lexical' as const,
	}));
	return { query, hits, knowledge };
}

/** Searches the knowledge for one email. */
export function searchForEmail(
	base: KnowledgeBase,
	email: EmailQuery,
	options: KnowledgeSearchOptions = {},
): { knowledge: SupportKnowledgeEntry[]; answer: SupportAnswer } {
	const { knowledge } = lexicalSearch(base, email, options);
	return { knowledge, answer: answerFor(base, knowledge, options.abstainBelow) };
}

/** One `support.knowledge` entry for a document, scored with `probability`. */
export function knowledgeEntry(
	doc: KnowledgeDoc,
	probability: number,
	maxSnippetChars = 1500,
): SupportKnowledgeEntry {
	const entry: SupportKnowledgeEntry = {
		id: doc.source === 'article' ? doc.articleId : doc.key,
		title: doc.title,
		text: clipText(doc.text, maxSnippetChars),
		score: Math.round(probability * 1000) / 1000,
		source: doc.source,
		language: doc.language,
	};
	if (doc.url) entry.url = doc.url;
	return entry;
}

/** `support.answer` from the first entry: its score is the confidence; below `abstainBelow` it abstains. */
export function answerFor(
	base: KnowledgeBase,
	knowledge: SupportKnowledgeEntry[],
	abstainBelow?: number,
): SupportAnswer {
	const top = knowledge[0];
	const floor = abstainBelow ?? DEFAULT_ABSTAIN_BELOW;
	if (!top)
		return {
			confidence: 0,
			citations: [],
			abstained: true,
			reasons: [
				base.size ? 'nothing in the knowledge matches this email' : 'the knowledge base is empty',
			],
		};
	const citation = {
		id: top.id,
		...(top.title ? { title: top.title } : {}),
		...(top.url ? { url: top.url } : {}),
	};
	const abstained = top.score < floor;
	return {
		confidence: top.score,
		citations: [citation],
		abstained,
		reasons: abstained
			? [
					`the best match ("${top.title ?? top.id}") answers with confidence ${top.score} < ${floor}`,
				]
			: [`answered by ${top.source} "${top.title ?? top.id}" (confidence ${top.score})`],
	};
}

/** Text up to `max` characters, cut after the last whole paragraph or sentence that fits. */
export function clipText(text: string, max: number): string {
	const clean = text
		.replace(/\r\n?/g, '\n')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
	if (clean.length <= max) return clean;
	const head = clean.slice(0, max);
	const paragraph = head.lastIndexOf('\n\n');
	if (paragraph > max / 3) return head.slice(0, paragraph).trim();
	const sentence = Math.max(head.lastIndexOf('. '), head.lastIndexOf('.\n'));
	return sentence > max / 3 ? head.slice(0, sentence + 1).trim() : `${head.trim()}…`;
}
