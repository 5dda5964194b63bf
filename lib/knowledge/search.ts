/**
 * From an email to `support.knowledge` and `support.answer` (DESIGN.md section 2): the best
 * knowledge for the email, each entry scored with the calibrated probability that it answers the
 * email, and the answer decision (confidence, citation, or why it abstained).
 */
import { detectLanguage } from '../offline-model/language';
import type { KnowledgeBase, KnowledgeHit, SearchOptions } from './base';
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

/** Most sentences of one email searched on their own (the first ones: where customers ask). */
const MAX_FOCUS_SENTENCES = 6;
/** A sentence is searched on its own only with at least this many words. */
const MIN_FOCUS_WORDS = 3;
/**
 * A sentence whose own best answer is another one, at least this probable, is a second question: the
 * mail's confidence stays the whole text's.
 */
const OTHER_QUESTION = DEFAULT_ABSTAIN_BELOW;

const logit = (p: number) => {
	const q = Math.min(1 - 1e-9, Math.max(1e-9, p));
	return Math.log(q / (1 - q));
};

/**
 * About the highest confidence one sentence gets (a demo article's own title searched: 0.998). Half-way
 * in log-odds to it from below focusFloor() stays below the auto-answer threshold.
 */
const SENTENCE_CEILING = 0.998;

/**
 * Below this whole-text confidence the sentences are not searched: raised half-way to a sentence's
 * confidence it could not reach the base's auto-answer threshold (0.65 for the default 0.968), and each
 * sentence search costs about as much as the whole text's.
 */
export function focusFloor(threshold: number): number {
	return 1 / (1 + Math.exp(-(2 * logit(threshold) - logit(SENTENCE_CEILING))));
}

/**
 * The sentences of a searched text (its subject line, then the body's sentences), each long enough to
 * be searched on its own.
 */
export function querySentences(query: string): string[] {
	const out: string[] = [];
	for (const line of query.split('\n')) {
		for (const part of line.split(/(?<=[.!?。])\s+/)) {
			const sentence = part.trim();
			if (sentence.split(/\s+/).filter((w) => /\p{L}/u.test(w)).length < MIN_FOCUS_WORDS) continue;
			out.push(sentence);
			if (out.length >= MAX_FOCUS_SENTENCES) return out;
		}
	}
	return out;
}

/** What one answer is: an article (all its language versions) or a past reply. */
export function answerKey(doc: KnowledgeDoc): string {
	return doc.source === 'article' ? `article:${doc.articleId}` : doc.key;
}

/**
 * Searches an email's text as a whole and sentence by sentence. A mail says more than its question (a
 * greeting, what happened, why they write): words that match nothing pull the whole text's confidence
 * down. When one sentence searched alone finds the same best answer as the whole text, with a higher
 * confidence, the best answer's confidence becomes the mean of the two in log-odds: the sentence asks
 * what the answer answers, and the whole mail has to agree. The rest of a mail can change what it
 * asks ("Why was I charged a cancellation fee? That's ridiculous": the fee article matches the
 * subject alone at 0.98), so the sentence's own confidence alone is not taken (measured on
 * hand-written mail: see the README, Support Knowledge). A mail that asks two things ("When will I
 * get my refund? I also forgot my password.") keeps the whole text's confidence: when another
 * sentence finds another answer with a probability of OTHER_QUESTION or more, nothing is raised.
 */
export function focusedSearch(
	base: KnowledgeBase,
	query: string,
	options: SearchOptions = {},
): KnowledgeHit[] {
	const language = options.language?.trim() || detectLanguage(query).language;
	const hits = base.search(query, { ...options, language });
	const top = hits[0];
	if (!top || top.probability < focusFloor(base.autoAnswerThreshold)) return hits;
	const sentences = querySentences(query);
	if (sentences.length < 2) return hits;
	const key = answerKey(top.doc);
	let best: KnowledgeHit | undefined;
	let focus = '';
	for (const sentence of sentences) {
		const found = base.search(sentence, { ...options, language, limit: 1, minProbability: 0 })[0];
		if (!found) continue;
		// Another sentence that another answer answers: the mail asks more than the best answer says.
		if (answerKey(found.doc) !== key) {
			if (found.probability >= OTHER_QUESTION) return hits;
		} else if (found.probability > (best?.probability ?? top.probability)) {
			best = found;
			focus = sentence;
		}
	}
	if (!best) return hits;
	const probability = 1 / (1 + Math.exp(-(logit(best.probability) + logit(top.probability)) / 2));
	return [{ ...top, probability, focus }, ...hits.slice(1)];
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
	const hits = focusedSearch(base, query, {
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
	const { hits, knowledge } = lexicalSearch(base, email, options);
	const answer = answerFor(base, knowledge, options.abstainBelow);
	const focus = focusReason(hits[0]);
	if (focus) answer.reasons.push(focus);
	return { knowledge, answer };
}

/** The reason line for a best hit whose confidence one sentence of the mail raised (focusedSearch). */
export function focusReason(hit: KnowledgeHit | undefined): string | undefined {
	return hit?.focus
		? `the sentence "${clipText(hit.focus, 120)}" asks what it answers (searched alone and with the whole mail)`
		: undefined;
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
