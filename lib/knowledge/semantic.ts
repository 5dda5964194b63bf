/**
 * The semantic check (English): the lexical answer confidence (calibration.ts) re-scored with what
 * the words alone cannot see, whether the email *means* what the chosen answer is about.
 *
 * The email (whole, and each of its first sentences) and the best two answers' own texts (a past
 * reply's customer message; an article's title and its first sentences) are turned into sentence
 * vectors by the package's offline English sentence encoder (Universal Sentence Encoder lite,
 * lib/offline-model/sentence-encoder.ts), and a small logistic model over four inputs gives the
 * new confidence: the lexical confidence's logit,
 * the cosine similarity of the email to the best answer's closest text, how far that leads the
 * runner-up's, and whether the answer is a past reply. The model (semantic.json) is fitted by
 * `npm run eval:answers -- --semantic --fit` on the calibration halves of the public sets and
 * shifted so that the one auto-answer threshold (calibration.json) keeps precision >= 98% with it.
 *
 * Only English email whose lexical confidence is at least SEMANTIC_FLOOR is checked: the encoder
 * reads English, and an answer below the floor abstains anyway. Everything else keeps its lexical
 * confidence; an encoder that cannot load leaves the lexical confidence with the reason.
 */
import { detectLanguage } from '../offline-model/language';
import { encodeSentences } from '../offline-model/sentence-encoder';
import type { KnowledgeBase, KnowledgeHit } from './base';
import type { KnowledgeDoc } from './documents';
import type {
	EmailQuery,
	KnowledgeSearchOptions,
	SupportAnswer,
	SupportKnowledgeEntry,
} from './search';
import { answerFor, emailQueryText, focusReason, lexicalSearch } from './search';
import semanticModel from './semantic.json';

export interface SemanticModel {
	/** The inputs, in order (SEMANTIC_INPUTS). */
	features: string[];
	weights: number[];
	bias: number;
	fittedOn: string;
}

export const SEMANTIC_INPUTS = [
	'lexicalLogit',
	'similarity',
	'similarityMargin',
	'isReply',
] as const;
export const DEFAULT_SEMANTIC_MODEL = semanticModel as SemanticModel;

/** Answers whose lexical confidence is below this are not checked (they abstain by default anyway). */
export const SEMANTIC_FLOOR = 0.5;
/** Texts of an article compared with the email: its title and up to this many sentences or lines. */
export const ARTICLE_PIECES = 8;
const PIECE_CHARS = 300;
/** Vectors of answers' texts kept between emails (by document key and content hash). */
const CACHE_DOCS = 2000;

const docVectors = new Map<string, Float32Array[]>();

/** The texts of an answer the email is compared with: what the answer is about. */
export function answerTexts(doc: KnowledgeDoc): string[] {
	if (doc.source === 'reply') return [doc.question || doc.title].filter((t) => t.trim());
	return [doc.title, ...sentences(doc.text)].filter((t) => t.trim());
}

/** Up to ARTICLE_PIECES sentences or lines of three words or more (list markers and headings' # dropped). */
function sentences(text: string): string[] {
	return text
		.split(/\n+|(?<=[.!?])\s+/)
		.map((p) => p.replace(/^[\s\-*#>]+/, '').trim())
		.filter((p) => /\p{L}{2,}/u.test(p) && p.split(/\s+/).length >= 3)
		.slice(0, ARTICLE_PIECES)
		.map((p) => p.slice(0, PIECE_CHARS));
}

/**
 * The texts of an email compared with the answers: the whole query, then its own sentences (a mail
 * of several sentences asks in one of them; greetings and sign-offs are mostly under three words).
 * A one-sentence question is that sentence alone.
 */
export function queryTexts(queryText: string): string[] {
	const whole = queryText.trim();
	const own = sentences(whole).filter((p) => p !== whole);
	return [whole, ...own];
}

/** Sentence vectors of texts, in order (the package's encoder; the eval passes one with its own cache). */
export type SentenceEncoder = (texts: readonly string[]) => Promise<Float32Array[]>;

async function vectorsOf(doc: KnowledgeDoc, encode: SentenceEncoder): Promise<Float32Array[]> {
	const key = `${doc.key}\u0000${doc.hash}`;
	const cached = docVectors.get(key);
	if (cached) {
		// Most recently used last: the oldest entry is the first one dropped.
		docVectors.delete(key);
		docVectors.set(key, cached);
		return cached;
	}
	const vectors = await encode(answerTexts(doc));
	docVectors.set(key, vectors);
	if (docVectors.size > CACHE_DOCS) docVectors.delete(docVectors.keys().next().value!);
	return vectors;
}

export function cosine(a: Float32Array, b: Float32Array): number {
	let dot = 0;
	let na = 0;
	let nb = 0;
	for (let i = 0; i < a.length; i++) {
		dot += a[i] * b[i];
		na += a[i] * a[i];
		nb += b[i] * b[i];
	}
	return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** The highest similarity between any of the email's texts and any of the answer's. */
function closest(query: Float32Array[], vectors: Float32Array[]): number {
	let best = 0;
	for (const q of query) for (const v of vectors) best = Math.max(best, cosine(q, v));
	return best;
}

export interface SemanticInputs {
	lexicalProbability: number;
	similarity: number;
	similarityMargin: number;
	isReply: boolean;
}

/** The model's inputs, in SEMANTIC_INPUTS order. */
export function semanticVector(inputs: SemanticInputs): number[] {
	const p = Math.min(1 - 1e-6, Math.max(1e-6, inputs.lexicalProbability));
	return [
		Math.log(p / (1 - p)),
		inputs.similarity,
		inputs.similarityMargin,
		inputs.isReply ? 1 : 0,
	];
}

export function semanticProbability(
	inputs: SemanticInputs,
	model: SemanticModel = DEFAULT_SEMANTIC_MODEL,
): number {
	const x = semanticVector(inputs);
	let z = model.bias;
	for (let i = 0; i < x.length; i++) z += (model.weights[i] ?? 0) * x[i];
	return 1 / (1 + Math.exp(-z));
}

/** The similarity inputs of the best answer, against the runner-up (another answer group). */
export async function semanticInputs(
	queryText: string,
	best: KnowledgeHit,
	runnerUp: KnowledgeHit | undefined,
	encode: SentenceEncoder = encodeSentences,
): Promise<SemanticInputs> {
	const query = await encode(queryTexts(queryText));
	const similarity = closest(query, await vectorsOf(best.doc, encode));
	const other = runnerUp ? closest(query, await vectorsOf(runnerUp.doc, encode)) : 0;
	return {
		lexicalProbability: best.probability,
		similarity,
		similarityMargin: similarity - other,
		isReply: best.doc.source === 'reply',
	};
}

/** Whether the semantic check reads this email: English (as given, or detected). */
export function semanticLanguage(email: EmailQuery, query = emailQueryText(email)): boolean {
	const language = email.language ?? detectLanguage(query).language;
	return language === 'en';
}

/**
 * searchForEmail with the semantic check: the best entry's score (and so the answer's confidence)
 * is the semantic model's probability, and the entry carries `similarity`.
 */
export async function semanticSearchForEmail(
	base: KnowledgeBase,
	email: EmailQuery,
	options: KnowledgeSearchOptions = {},
	model: SemanticModel = DEFAULT_SEMANTIC_MODEL,
): Promise<{ knowledge: SupportKnowledgeEntry[]; answer: SupportAnswer }> {
	// Two hits at least: the best answer is compared with the runner-up.
	const { query, hits, knowledge } = lexicalSearch(base, email, options, 2);
	let note: string | undefined;
	if (hits[0] && hits[0].probability >= SEMANTIC_FLOOR && knowledge[0]) {
		if (!semanticLanguage(email, query))
			note = 'semantic check skipped: it reads English mail only';
		else
			try {
				const inputs = await semanticInputs(query, hits[0], hits[1]);
				const p = semanticProbability(inputs, model);
				knowledge[0].score = Math.round(p * 1000) / 1000;
				knowledge[0].similarity = Math.round(inputs.similarity * 1000) / 1000;
				note = `semantic check: similarity ${knowledge[0].similarity} to the best answer (runner-up ${Math.round((inputs.similarity - inputs.similarityMargin) * 1000) / 1000}), lexical confidence ${Math.round(hits[0].probability * 1000) / 1000}`;
			} catch (error) {
				note = `semantic check unavailable (lexical confidence kept): ${error instanceof Error ? error.message : String(error)}`;
			}
	}
	const answer = answerFor(base, knowledge, options.abstainBelow);
	const focus = focusReason(hits[0]);
	if (focus) answer.reasons.push(focus);
	if (note) answer.reasons.push(note);
	return { knowledge, answer };
}
