/**
 * The knowledge base: documents plus a MiniSearch (BM25) index over their language-aware terms.
 * One index holds every language; a hit on any language version of an article is served in the
 * customer's language when the article has it. Search returns each hit's retrieval features and
 * the calibrated probability that it answers the query.
 */
import MiniSearch from 'minisearch';
import type { Options as MiniSearchOptions } from 'minisearch';
import { detectLanguage } from '../offline-model/language';
import type { CalibrationModel, Features } from './calibration';
import { DEFAULT_CALIBRATION, probability } from './calibration';
import type { KnowledgeDoc, KnowledgeSource } from './documents';
import { terms } from './text';
import type { SerializedVectors } from './vectors';
import { VectorIndex } from './vectors';

interface IndexedDoc {
	key: string;
	title: string;
	body: string;
}

const MINISEARCH_OPTIONS: MiniSearchOptions<IndexedDoc> = {
	idField: 'key',
	fields: ['title', 'body'],
	storeFields: [],
	tokenize: (text) => text.split(' '),
	processTerm: (term) => term || null,
	autoVacuum: false,
	searchOptions: { boost: { title: 2 }, combineWith: 'OR', prefix: false, fuzzy: false },
};

export interface UpsertResult {
	added: number;
	updated: number;
	unchanged: number;
}

export interface SearchOptions {
	/** The customer's language (ISO 639-1); detected from the text when missing. */
	language?: string;
	/** Most snippets returned (default 3). */
	limit?: number;
	/** Which documents to search (default both). */
	sources?: KnowledgeSource[];
	/** Leave out hits below this probability (default 0). */
	minProbability?: number;
	/**
	 * Most postings one search scores (default DEFAULT_POSTING_BUDGET; Infinity scores every query term,
	 * slower on large bases). The confidence model is fitted with the default.
	 */
	postingBudget?: number;
}

export interface KnowledgeHit {
	doc: KnowledgeDoc;
	/** BM25 score of the matched document. */
	score: number;
	features: Features;
	/** Calibrated probability that this document answers the query. */
	probability: number;
	/**
	 * The sentence of the query that raised `probability` (focusedSearch in search.ts): searched alone it
	 * found this same answer, more surely than the whole query did.
	 */
	focus?: string;
}

export interface SerializedKnowledgeBase {
	format: 'n8n-nodes-support-email/knowledge';
	version: 1;
	docs: KnowledgeDoc[];
	df: Record<string, number>;
	index: ReturnType<MiniSearch['toJSON']>;
	/** Embeddings of the documents (only when an embeddings sub-node was connected; see vectors.ts). */
	vectors?: SerializedVectors;
}

const CANDIDATES = 12;
const MAX_QUERY_TERMS = 48;
/**
 * Most postings (documents per query term, summed) one search scores with MiniSearch: the rarest
 * query terms go in first; terms found in a large share of a big knowledge base (which add little to
 * the ranking) are left out of the scoring once the budget is spent, but still count in the features.
 * Small knowledge bases (a few thousand documents) are searched with every term.
 */
export const DEFAULT_POSTING_BUDGET = 1000;
/** However common, the rarest few query terms are always searched. */
const MIN_SEARCH_TERMS = 1;
/** With terms left out, this many of MiniSearch's best are rescored with every query term. */
const RESCORE_POOL = 100;

/** Sorted distinct term ids. */
function has(ids: Uint32Array, id: number): boolean {
	let lo = 0;
	let hi = ids.length - 1;
	while (lo <= hi) {
		const mid = (lo + hi) >>> 1;
		const value = ids[mid];
		if (value === id) return true;
		if (value < id) lo = mid + 1;
		else hi = mid - 1;
	}
	return false;
}

/** What one index query found for a search (KnowledgeBase.retrieve). */
interface Retrieved {
	language: string;
	queryTerms: string[];
	/** Query terms left out of the index query (the posting budget): they still rank the pool. */
	left: string[];
	/** The index's matches, best first. */
	matches: Array<{ id: string; score: number }>;
}

export class KnowledgeBase {
	private readonly docs = new Map<string, KnowledgeDoc>();
	private readonly df = new Map<string, number>();
	private readonly termCache = new Map<string, Set<string>>();
	/** Every indexed term gets a number, so each document's terms are a small sorted Uint32Array. */
	private readonly termIds = new Map<string, number>();
	/** Per document: the ids of its indexed terms (title and body), and of its own terms (a reply's customer message, an article's title). */
	private readonly docTerms = new Map<string, { all: Uint32Array; own: string[] }>();
	private index: MiniSearch<IndexedDoc>;
	/** How many of the documents are past replies (the rest are articles). */
	private replyCount = 0;
	/** The documents' embeddings, one model per knowledge base (lib/knowledge/embeddings.ts fills it). */
	vectors: VectorIndex | undefined;

	constructor(private readonly calibration: CalibrationModel = DEFAULT_CALIBRATION) {
		this.index = new MiniSearch<IndexedDoc>(MINISEARCH_OPTIONS);
	}

	get size(): number {
		return this.docs.size;
	}

	get autoAnswerThreshold(): number {
		return this.calibration.autoAnswerThreshold;
	}

	documents(): KnowledgeDoc[] {
		return [...this.docs.values()];
	}

	get(key: string): KnowledgeDoc | undefined {
		return this.docs.get(key);
	}

	/** Adds new documents and replaces changed ones; a document whose hash is unchanged is left alone. */
	upsert(docs: Iterable<KnowledgeDoc>): UpsertResult {
		const result: UpsertResult = { added: 0, updated: 0, unchanged: 0 };
		for (const doc of docs) {
			const existing = this.docs.get(doc.key);
			if (existing?.hash === doc.hash) {
				result.unchanged++;
				continue;
			}
			if (existing) {
				this.removeOne(existing);
				result.updated++;
			} else result.added++;
			this.addOne(doc);
		}
		return result;
	}

	/** Removes documents by key; returns how many were there. */
	remove(keys: Iterable<string>): number {
		let removed = 0;
		for (const key of keys) {
			const doc = this.docs.get(key);
			if (!doc) continue;
			this.removeOne(doc);
			removed++;
		}
		return removed;
	}

	private indexed(doc: KnowledgeDoc): IndexedDoc {
		const body = doc.source === 'reply' ? (doc.question ?? '') : doc.text;
		return {
			key: doc.key,
			title: terms(doc.title, doc.language).join(' '),
			body: terms(body, doc.language).join(' '),
		};
	}

	private addOne(doc: KnowledgeDoc): void {
		const indexed = this.indexed(doc);
		this.docs.set(doc.key, doc);
		if (doc.source === 'reply') this.replyCount++;
		this.index.add(indexed);
		const distinct = new Set(`${indexed.title} ${indexed.body}`.split(' ').filter(Boolean));
		for (const term of distinct) this.df.set(term, (this.df.get(term) ?? 0) + 1);
		this.remember(doc, distinct, indexed.title);
	}

	/** What a search needs of a document: computed when it is indexed, or on first use after loading. */
	private termsOf(doc: KnowledgeDoc): { all: Uint32Array; own: string[] } {
		let entry = this.docTerms.get(doc.key);
		if (!entry) {
			const indexed = this.indexed(doc);
			entry = this.remember(
				doc,
				new Set(`${indexed.title} ${indexed.body}`.split(' ').filter(Boolean)),
				indexed.title,
			);
		}
		return entry;
	}

	/** Precomputes what a search needs of a document (its term ids, its own terms). */
	private remember(
		doc: KnowledgeDoc,
		distinct: Iterable<string>,
		indexedTitle: string,
	): { all: Uint32Array; own: string[] } {
		const ids: number[] = [];
		for (const term of distinct) {
			let id = this.termIds.get(term);
			if (id === undefined) {
				id = this.termIds.size;
				this.termIds.set(term, id);
			}
			ids.push(id);
		}
		const own =
			doc.source === 'reply'
				? [...new Set(terms(`${doc.title}\n${doc.question ?? ''}`, doc.language))]
				: [...new Set(indexedTitle.split(' ').filter(Boolean))];
		const entry = { all: Uint32Array.from(ids).sort(), own };
		this.docTerms.set(doc.key, entry);
		return entry;
	}

	private removeOne(doc: KnowledgeDoc): void {
		const indexed = this.indexed(doc);
		this.index.remove(indexed);
		this.docs.delete(doc.key);
		if (doc.source === 'reply') this.replyCount--;
		this.termCache.delete(doc.key);
		this.docTerms.delete(doc.key);
		this.vectors?.delete(doc.key);
		for (const term of new Set(`${indexed.title} ${indexed.body}`.split(' ').filter(Boolean))) {
			const count = (this.df.get(term) ?? 1) - 1;
			if (count > 0) this.df.set(term, count);
			else this.df.delete(term);
		}
	}

	/** MiniSearch's BM25 idf of a term. */
	private bm25Idf(term: string): number {
		const df = this.df.get(term) ?? 0;
		return Math.log(1 + (this.docs.size - df + 0.5) / (df + 0.5));
	}

	private idf(term: string): number {
		const n = this.docs.size;
		return Math.log(1 + (n + 1) / ((this.df.get(term) ?? 0) + 0.5));
	}

	private textTerms(doc: KnowledgeDoc): Set<string> {
		let set = this.termCache.get(doc.key);
		if (!set) {
			set = new Set(terms(doc.text, doc.language));
			if (this.termCache.size > 5000) this.termCache.clear();
			this.termCache.set(doc.key, set);
		}
		return set;
	}

	/**
	 * The documents that best answer a query, one per article (in the wanted language where the
	 * article has it), each with its calibrated probability, most probable first.
	 *
	 * With articles and past replies, the articles are also searched on their own: an article that
	 * clears the auto-answer threshold there keeps that probability, so past replies never take away
	 * an answer the help centre alone gives. (Near-duplicate past replies crowd an article's margin and
	 * agreement: with past replies added, the public sets' share auto-answered fell from 8.6% to 1.0%
	 * and from 6.9% to 3.7%; see eval:answers.) The one ranking of both sources stands when its best
	 * answer is an article that clears the threshold already, and below the threshold: there it puts
	 * the right answer first more often than the articles alone do.
	 */
	search(query: string, options: SearchOptions = {}): KnowledgeHit[] {
		const limit = options.limit ?? 3;
		const found = this.retrieve(query, options);
		if (!found) return [];
		const hits = this.rank(found, found.matches, options);
		const threshold = this.calibration.autoAnswerThreshold;
		if (
			options.sources ||
			this.replyCount === 0 ||
			this.replyCount === this.docs.size ||
			(hits[0]?.doc.source === 'article' && hits[0].probability >= threshold)
		)
			return hits.slice(0, limit);
		// The articles on their own: the same matches (one index query), ranked without the replies.
		const articles = found.matches.filter((m) => this.docs.get(m.id)!.source === 'article');
		const [article] = this.rank(found, articles, { ...options, limit: 1 });
		if (!article || article.probability < threshold) return hits.slice(0, limit);
		return [
			article,
			...hits.filter(
				(hit) => !(hit.doc.source === 'article' && hit.doc.articleId === article.doc.articleId),
			),
		].slice(0, limit);
	}

	/** The query's terms and the index's matches for them, best first (one index query). */
	private retrieve(query: string, options: SearchOptions): Retrieved | undefined {
		const language = (
			options.language?.trim().toLowerCase() || detectLanguage(query).language
		).slice(0, 2);
		// Long mail: the first distinct terms carry the question; more only slow the search down.
		const queryTerms = [...new Set(terms(query, language))].slice(0, MAX_QUERY_TERMS);
		if (queryTerms.length === 0 || this.docs.size === 0) return undefined;
		const sources = options.sources;
		// The rarest terms first, as many as the posting budget allows (see DEFAULT_POSTING_BUDGET).
		const known = queryTerms
			.filter((t) => this.df.has(t))
			.sort((a, b) => this.df.get(a)! - this.df.get(b)!);
		const searched: string[] = [];
		const budget = options.postingBudget ?? DEFAULT_POSTING_BUDGET;
		let postings = 0;
		for (const term of known) {
			const df = this.df.get(term)!;
			if (searched.length >= MIN_SEARCH_TERMS && postings + df > budget) break;
			searched.push(term);
			postings += df;
		}
		if (searched.length === 0) return undefined;
		const matches = this.index.search(searched.join(' '), {
			filter: sources ? (r) => sources.includes(this.docs.get(r.id)!.source) : undefined,
		}) as Array<{ id: string; score: number }>;
		return { language, queryTerms, left: known.slice(searched.length), matches };
	}

	/** The matches' answers, one per article or group of past replies, with their probabilities. */
	private rank(
		found: Retrieved,
		matches: Array<{ id: string; score: number }>,
		options: SearchOptions,
	): KnowledgeHit[] {
		const { language, queryTerms, left } = found;
		let raw = matches
			.slice(0, left.length ? RESCORE_POOL : CANDIDATES)
			.map((r) => ({ id: r.id, score: r.score }));
		if (raw.length === 0) return [];
		// Term ids after termsOf: a base loaded from file numbers its terms on first use.
		const termsOfRaw = (list: typeof raw) =>
			list.map((r) => this.termsOf(this.docs.get(r.id)!).all);
		if (left.length) {
			// The common terms left out of the scoring still rank the pool: each one a document has adds
			// what BM25+ gives a single occurrence at average length (idf x 1.5 with MiniSearch's defaults).
			const pool = termsOfRaw(raw);
			const leftIds = left.map((t) => this.termIds.get(t));
			const leftWeights = left.map((t) => 1.5 * this.bm25Idf(t));
			raw = raw
				.map((r, k) => {
					let extra = 0;
					for (let i = 0; i < left.length; i++)
						if (leftIds[i] !== undefined && has(pool[k], leftIds[i]!)) extra += leftWeights[i];
					return { id: r.id, score: r.score + extra };
				})
				.sort((a, b) => b.score - a.score)
				.slice(0, CANDIDATES);
		}

		const idfs = new Map(queryTerms.map((t) => [t, this.idf(t)]));
		const idfTotal = [...idfs.values()].reduce((a, b) => a + b, 0);
		const docTerms = termsOfRaw(raw);
		const queryIds = queryTerms.map((t) => this.termIds.get(t));
		const candidates = raw.map((r, k) => ({
			doc: this.docs.get(r.id)!,
			score: r.score,
			matched: queryTerms.filter(
				(_, i) => queryIds[i] !== undefined && has(docTerms[k], queryIds[i]!),
			),
		}));
		// Answer groups: the language versions of one article are one answer; past replies that say the
		// same thing (most of their words shared) are one answer too.
		const groups: string[] = [];
		for (const [i, c] of candidates.entries()) {
			let group = `${c.doc.source}:${c.doc.articleId}`;
			if (c.doc.source === 'reply') {
				const mine = this.textTerms(c.doc);
				for (let j = 0; j < i; j++) {
					const other = candidates[j].doc;
					if (other.source === 'reply' && jaccard(mine, this.textTerms(other)) >= 0.5) {
						group = groups[j];
						break;
					}
				}
			}
			groups.push(group);
		}
		const total = candidates.reduce((a, c) => a + c.score, 0);
		const bestOf = new Map<string, number>();
		for (const [i, c] of candidates.entries())
			bestOf.set(groups[i], Math.max(bestOf.get(groups[i]) ?? 0, c.score));

		// Per candidate: which query terms it has, and their share of the query's idf mass.
		const matchedSets = candidates.map((c) => new Set(c.matched));
		const weightedOf = matchedSets.map(
			(set) => [...set].reduce((a, t) => a + (idfs.get(t) ?? 0), 0) / (idfTotal || 1),
		);
		let maxIdf = 0;
		for (const v of idfs.values()) if (v > maxIdf) maxIdf = v;

		// One representative per answer group (its best-scored candidate), with how much of what the
		// document is about the query covers: a past customer message, or an article's title.
		const reps: Array<{ i: number; own: number; docCoverage: number }> = [];
		const seen = new Set<string>();
		for (const [i, c] of candidates.entries()) {
			if (seen.has(groups[i])) continue;
			seen.add(groups[i]);
			const matched = matchedSets[i];
			let ownTotal = 0;
			let ownMatched = 0;
			for (const t of this.termsOf(c.doc).own) {
				const weight = this.idf(t);
				ownTotal += weight;
				if (matched.has(t)) ownMatched += weight;
			}
			reps.push({
				i,
				own: ownTotal + idfTotal > 0 ? (2 * ownMatched) / (ownTotal + idfTotal) : 0,
				docCoverage: ownTotal > 0 ? ownMatched / ownTotal : 0,
			});
		}

		const hits: KnowledgeHit[] = [];
		for (const rep of reps) {
			const { i } = rep;
			const c = candidates[i];
			const group = groups[i];
			let otherBest = 0;
			for (const [g, s] of bestOf) if (g !== group && s > otherBest) otherBest = s;
			const matched = matchedSets[i];
			let otherCoverage = 0;
			let votes = 0;
			for (let j = 0; j < candidates.length; j++)
				if (groups[j] === group) votes++;
				else if (weightedOf[j] > otherCoverage) otherCoverage = weightedOf[j];
			// The best other answer's match on what it is about: neighbouring answers that match the
			// question as well as this one make it a guess between them.
			let otherOwn = 0;
			let otherDocCoverage = 0;
			for (const other of reps)
				if (other !== rep) {
					if (other.own > otherOwn) otherOwn = other.own;
					if (other.docCoverage > otherDocCoverage) otherDocCoverage = other.docCoverage;
				}
			let missing = 0;
			for (const [t, v] of idfs) if (!matched.has(t) && v > missing) missing = v;
			const groupMass = candidates.reduce((a, o, j) => a + (groups[j] === group ? o.score : 0), 0);
			const served = this.servedVersion(c.doc, language);
			const features: Features = {
				weightedCoverage: weightedOf[i],
				coverage: matched.size / queryTerms.length,
				margin: Math.max(-1, (c.score - otherBest) / c.score),
				docCoverage: rep.docCoverage,
				queryLength: Math.log1p(queryTerms.length) / 3,
				isReply: c.doc.source === 'reply' ? 1 : 0,
				agreement: total > 0 ? groupMass / total : 0,
				languageMatch: served.language === language ? 1 : 0,
				coverageMargin: weightedOf[i] - otherCoverage,
				missingRare: maxIdf > 0 ? missing / maxIdf : 0,
				vote: votes / candidates.length,
				ownOverlap: rep.own,
				ownMargin: rep.own - otherOwn,
				docCoverageMargin: rep.docCoverage - otherDocCoverage,
			};
			const p = probability(features, this.calibration);
			if (p < (options.minProbability ?? 0)) continue;
			hits.push({ doc: served, score: c.score, features, probability: p });
		}
		hits.sort((a, b) => b.probability - a.probability || b.score - a.score);
		return hits.slice(0, options.limit ?? 3);
	}

	/** The article version in the wanted language, when the article has one. */
	private servedVersion(doc: KnowledgeDoc, language: string): KnowledgeDoc {
		if (doc.source !== 'article' || doc.language === language) return doc;
		return this.docs.get(`article:${doc.articleId}:${language}`) ?? doc;
	}

	/** The article ids and the languages each is written in. */
	articles(): Map<string, string[]> {
		const out = new Map<string, string[]>();
		for (const doc of this.docs.values())
			if (doc.source === 'article')
				out.set(doc.articleId, [...(out.get(doc.articleId) ?? []), doc.language]);
		return out;
	}

	toJSON(): SerializedKnowledgeBase {
		return {
			format: 'n8n-nodes-support-email/knowledge',
			version: 1,
			docs: [...this.docs.values()],
			df: Object.fromEntries(this.df),
			index: this.index.toJSON(),
			...(this.vectors?.size ? { vectors: this.vectors.toJSON() } : {}),
		};
	}

	static fromJSON(data: SerializedKnowledgeBase, calibration?: CalibrationModel): KnowledgeBase {
		const base = new KnowledgeBase(calibration);
		for (const doc of data.docs) {
			base.docs.set(doc.key, doc);
			if (doc.source === 'reply') base.replyCount++;
		}
		for (const [term, count] of Object.entries(data.df)) base.df.set(term, count);
		base.index = MiniSearch.loadJS<IndexedDoc>(data.index, MINISEARCH_OPTIONS);
		if (data.vectors) base.vectors = VectorIndex.fromJSON(data.vectors);

		return base;
	}
}

function jaccard(a: Set<string>, b: Set<string>): number {
	if (a.size === 0 && b.size === 0) return 1;
	let shared = 0;
	for (const t of a) if (b.has(t)) shared++;
	return shared / (a.size + b.size - shared);
}
