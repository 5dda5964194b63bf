/**
 * Text to sparse TF-IDF vectors: word unigrams + bigrams and character n-grams inside word
 * boundaries (like scikit-learn's `char_wb`), each n-gram identified by a 32-bit hash so a model
 * stores 4 bytes per feature instead of the n-gram's text.
 */

export interface FeatureOptions {
	/** Longest word n-gram (1 = unigrams only, 2 = unigrams + bigrams). */
	wordNgramMax: number;
	/** Shortest and longest character n-gram taken inside each space-padded word; 0 turns them off. */
	charNgramMin: number;
	charNgramMax: number;
	/** Relative weights of the word block and the character block (each block is L2-normalised). */
	wordWeight: number;
	charWeight: number;
	/** Longer input is cut: classification needs the opening of a message, not all of it. */
	maxInputChars: number;
	/**
	 * Whether n-grams the model does not know still count towards a vector's norm (default true). On
	 * (a model without an out-of-scope label), unfamiliar text gets small scores and a low confidence;
	 * off, greetings, names and signatures in a real e-mail do not water the request down.
	 */
	unknownInNorm?: boolean;
}

export const DEFAULT_FEATURE_OPTIONS: FeatureOptions = {
	wordNgramMax: 2,
	charNgramMin: 3,
	charNgramMax: 5,
	wordWeight: 1,
	charWeight: 1,
	maxInputChars: 4000,
};

export interface SparseVector {
	indices: Int32Array;
	values: Float32Array;
}

export interface RawFeatures {
	/** n-gram hash -> term count, for the word block and the character block. */
	word: Map<number, number>;
	char: Map<number, number>;
}

const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;
const EMAIL_PATTERN = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
const TOKEN_PATTERN = /[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu;
const COMBINING_MARKS = /[\u0300-\u036f]/g;
const LONG_NUMBER = /0{5,}/g;

/** Lower case, accents folded, digits folded to 0, URLs and addresses replaced by placeholders. */
export function normalizeForFeatures(text: string, maxInputChars: number): string {
	return text
		.slice(0, maxInputChars)
		.replace(URL_PATTERN, ' zurlz ')
		.replace(EMAIL_PATTERN, ' zemailz ')
		.normalize('NFKD')
		.replace(COMBINING_MARKS, '')
		.toLowerCase()
		.replace(/\d/g, '0')
		.replace(LONG_NUMBER, '00000');
}

export function tokenizeNormalized(normalized: string): string[] {
	return normalized.match(TOKEN_PATTERN) ?? [];
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SEED_WORD = 0x1b873593;
const SEED_BIGRAM = 0x5bd1e995;
const SEED_CHAR = 0x27d4eb2f;

function fnvString(seed: number, text: string, start: number, end: number): number {
	let hash = (FNV_OFFSET ^ seed) >>> 0;
	for (let i = start; i < end; i++) {
		hash ^= text.charCodeAt(i);
		hash = Math.imul(hash, FNV_PRIME);
	}
	return hash;
}

/** murmur3's finaliser: spreads FNV's weak low bits. */
function finalize(value: number): number {
	let h = value >>> 0;
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	h ^= h >>> 16;
	return h >>> 0;
}

function increment(map: Map<number, number>, key: number): void {
	map.set(key, (map.get(key) ?? 0) + 1);
}

export function extractRawFeatures(text: string, options: FeatureOptions): RawFeatures {
	const tokens = tokenizeNormalized(normalizeForFeatures(text, options.maxInputChars));
	const word = new Map<number, number>();
	const char = new Map<number, number>();
	const tokenHashes: number[] = [];
	for (const token of tokens) {
		const hash = fnvString(SEED_WORD, token, 0, token.length);
		tokenHashes.push(hash);
		increment(word, finalize(hash));
	}
	if (options.wordNgramMax >= 2) {
		for (let i = 1; i < tokenHashes.length; i++) {
			const combined = Math.imul(tokenHashes[i - 1] ^ SEED_BIGRAM, FNV_PRIME) ^ tokenHashes[i];
			increment(word, finalize(Math.imul(combined, 0x9e3779b1)));
		}
	}
	if (options.charNgramMin > 0) {
		for (const token of tokens) {
			const padded = ` ${token} `;
			for (let n = options.charNgramMin; n <= options.charNgramMax; n++) {
				if (n > padded.length) break;
				for (let start = 0; start + n <= padded.length; start++) {
					increment(char, finalize(fnvString(SEED_CHAR, padded, start, start + n)));
				}
			}
		}
	}
	return { word, char };
}

/**
 * The feature space of one model: which n-gram hashes it knows and their inverse document
 * frequencies. Unknown n-grams still count towards a vector's norm (at the highest idf), so a text
 * made mostly of unknown words gets a short vector, small scores and a low confidence: that is what
 * lets "this is not about anything I know" come out as "unsure".
 */
export class Vocabulary {
	readonly index: Map<number, number>;

	constructor(
		readonly hashes: Uint32Array,
		readonly idf: Float32Array,
		readonly unknownIdf: number,
	) {
		this.index = new Map();
		hashes.forEach((hash, position) => this.index.set(hash, position));
	}

	get size(): number {
		return this.hashes.length;
	}

	static build(documents: RawFeatures[], minDocumentFrequency: number): Vocabulary {
		const documentFrequency = new Map<number, number>();
		for (const doc of documents) {
			for (const key of doc.word.keys()) increment(documentFrequency, key);
			for (const key of doc.char.keys()) increment(documentFrequency, key);
		}
		const kept: number[] = [];
		for (const [hash, df] of documentFrequency) if (df >= minDocumentFrequency) kept.push(hash);
		kept.sort((a, b) => a - b);
		const n = documents.length;
		const idf = new Float32Array(kept.length);
		kept.forEach((hash, position) => {
			idf[position] = Math.log((1 + n) / (1 + (documentFrequency.get(hash) as number))) + 1;
		});
		return new Vocabulary(Uint32Array.from(kept), idf, Math.log(1 + n) + 1);
	}

	/** A vocabulary restricted to the given feature positions (kept in their original order). */
	subset(positions: Int32Array): Vocabulary {
		const hashes = new Uint32Array(positions.length);
		const idf = new Float32Array(positions.length);
		positions.forEach((position, i) => {
			hashes[i] = this.hashes[position];
			idf[i] = this.idf[position];
		});
		return new Vocabulary(hashes, idf, this.unknownIdf);
	}

	vectorize(raw: RawFeatures, options: FeatureOptions): SparseVector {
		const indices: number[] = [];
		const values: number[] = [];
		const blocks: Array<[Map<number, number>, number]> = [
			[raw.word, options.wordWeight],
			[raw.char, options.charWeight],
		];
		let weightNorm = 0;
		for (const [counts, weight] of blocks) if (counts.size > 0) weightNorm += weight * weight;
		weightNorm = Math.sqrt(weightNorm);
		for (const [counts, weight] of blocks) {
			if (counts.size === 0 || weight === 0) continue;
			const start = indices.length;
			let squares = 0;
			for (const [hash, count] of counts) {
				const position = this.index.get(hash);
				const tf = 1 + Math.log(count);
				if (position === undefined && options.unknownInNorm === false) continue;
				const value = tf * (position === undefined ? this.unknownIdf : this.idf[position]);
				squares += value * value;
				if (position !== undefined) {
					indices.push(position);
					values.push(value);
				}
			}
			if (squares === 0) continue;
			const scale = weight / weightNorm / Math.sqrt(squares);
			for (let i = start; i < values.length; i++) values[i] *= scale;
		}
		return { indices: Int32Array.from(indices), values: Float32Array.from(values) };
	}
}
