/**
 * Hybrid retrieval: the lexical ranking (MiniSearch over language-aware stems) and the embeddings
 * ranking (cosine similarity to each document's best chunk) fused by reciprocal-rank fusion
 * (Cormack, Clarke & Büttcher 2009): each answer (an article with all its language versions, or a
 * past reply) scores the sum over the two rankings of 1 / (RRF_K + rank). RRF needs no score
 * calibration between the two lists, and an answer both rankings find beats one only one finds.
 *
 * The answer confidence stays honest: the confidence model (calibration.ts) is fitted on lexical
 * features only, so an entry's `score` is its lexical calibrated probability, and an entry only the
 * embeddings found scores 0. When the fused first entry has no lexical support, `support.answer`
 * abstains (no offline auto-answer), with the reason.
 */
import { detectLanguage } from '../offline-model/language';
import type { KnowledgeBase, KnowledgeHit } from './base';
import type { KnowledgeDoc } from './documents';
import type {
	EmailQuery,
	KnowledgeSearchOptions,
	SupportAnswer,
	SupportKnowledgeEntry,
} from './search';
import {
	answerFor,
	answerKey,
	emailQueryText,
	focusedSearch,
	focusReason,
	knowledgeEntry,
} from './search';

/** The usual RRF constant: ranks below the first few count for little, and no list dominates. */
export const RRF_K = 60;
/** How deep each ranking is read before fusing. */
export const HYBRID_CANDIDATES = 20;

/** Reciprocal-rank fusion of rankings: every key with its fused score, best first (ties: first list's order). */
export function reciprocalRankFusion(
	rankings: string[][],
	k = RRF_K,
): Array<{ key: string; score: number; ranks: Array<number | undefined> }> {
	const fused = new Map<string, { score: number; ranks: Array<number | undefined> }>();
	for (const [list, ranking] of rankings.entries())
		for (const [rank, key] of ranking.entries()) {
			let entry = fused.get(key);
			if (!entry) {
				entry = { score: 0, ranks: rankings.map(() => undefined) };
				fused.set(key, entry);
			}
			if (entry.ranks[list] !== undefined) continue;
			entry.ranks[list] = rank + 1;
			entry.score += 1 / (k + rank + 1);
		}
	const order = (ranks: Array<number | undefined>) =>
		ranks.map((r) => r ?? Number.POSITIVE_INFINITY);
	return [...fused]
		.map(([key, value]) => ({ key, ...value }))
		.sort((a, b) => {
			if (b.score !== a.score) return b.score - a.score;
			const ra = order(a.ranks);
			const rb = order(b.ranks);
			for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
			return 0;
		});
}

function languageOf(query: string, language?: string): string {
	return (language?.trim().toLowerCase() || detectLanguage(query).language).slice(0, 2);
}

/**
 * `support.knowledge` and `support.answer` for one email from both rankings. Needs the email's
 * embedding from the model the knowledge base's vectors were made with (base.vectors.model).
 */
export function hybridSearchForEmail(
	base: KnowledgeBase,
	email: EmailQuery,
	queryVector: ArrayLike<number>,
	options: KnowledgeSearchOptions = {},
): { knowledge: SupportKnowledgeEntry[]; answer: SupportAnswer } {
	const query = emailQueryText(email);
	const language = languageOf(query, email.language);
	const sources = options.sources;
	const lexical: KnowledgeHit[] = focusedSearch(base, query, {
		language,
		limit: HYBRID_CANDIDATES,
		sources,
		postingBudget: options.postingBudget,
	});
	const lexicalByKey = new Map<string, KnowledgeHit>();
	for (const hit of lexical) {
		const key = answerKey(hit.doc);
		if (!lexicalByKey.has(key)) lexicalByKey.set(key, hit);
	}

	// Embeddings: the best chunk per document, then the best document per answer.
	const vectorDocs = new Map<string, { doc: KnowledgeDoc; similarity: number }>();
	const vectors = base.vectors;
	if (vectors?.size) {
		const scanned = vectors.similarities(
			queryVector,
			(key, hash) => {
				const doc = base.get(key);
				return !!doc && doc.hash === hash && (!sources || sources.includes(doc.source));
			},
			HYBRID_CANDIDATES * 4,
		);
		for (const { key, similarity } of scanned) {
			const doc = base.get(key)!;
			const group = answerKey(doc);
			if (!vectorDocs.has(group)) vectorDocs.set(group, { doc, similarity });
			if (vectorDocs.size >= HYBRID_CANDIDATES) break;
		}
	}

	const fused = reciprocalRankFusion([[...lexicalByKey.keys()], [...vectorDocs.keys()]]);
	const knowledge = fused.slice(0, options.limit ?? 3).map(({ key }) => {
		const hit = lexicalByKey.get(key);
		const vector = vectorDocs.get(key);
		const doc = hit?.doc ?? servedVersion(base, vector!.doc, language);
		const entry: SupportKnowledgeEntry = {
			...knowledgeEntry(doc, hit?.probability ?? 0, options.maxSnippetChars),
			retrieval: 'hybrid',
		};
		if (vector) entry.similarity = Math.round(vector.similarity * 1000) / 1000;
		return entry;
	});
	const answer = answerFor(base, knowledge, options.abstainBelow);
	const top = fused[0];
	if (top && !lexicalByKey.has(top.key)) {
		const first = knowledge[0];
		return {
			knowledge,
			answer: {
				...answer,
				confidence: 0,
				abstained: true,
				reasons: [
					`the best match ("${first.title ?? first.id}") was found by the embeddings only (similarity ${first.similarity}); the answer confidence is calibrated on lexical evidence, so it is not answered automatically`,
				],
			},
		};
	}
	if (top && answer.reasons.length)
		answer.reasons[0] += `; hybrid retrieval: lexical rank ${top.ranks[0]}, embeddings rank ${top.ranks[1] ?? 'none'}`;
	const focus = top && focusReason(lexicalByKey.get(top.key));
	if (focus) answer.reasons.push(focus);
	return { knowledge, answer };
}

/** The article version in the wanted language, when the article has one. */
function servedVersion(base: KnowledgeBase, doc: KnowledgeDoc, language: string): KnowledgeDoc {
	if (doc.source !== 'article' || doc.language === language) return doc;
	return base.get(`article:${doc.articleId}:${language}`) ?? doc;
}
