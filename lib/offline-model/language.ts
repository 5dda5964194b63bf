/**
 * Language detection with `tinyld` (MIT, pure JavaScript, no dependencies, CommonJS build for Node,
 * ~60 languages, about 0.1 ms per message). Returns ISO 639-1 codes.
 */

interface TinyLd {
	detectAll(text: string, options?: { only?: string[] }): Array<{ lang: string; accuracy: number }>;
}

// tinyld's package.json only has an `exports` map, which TypeScript's "node" resolution does not
// read for types; the runtime require resolves its CommonJS build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tinyld = require('tinyld') as TinyLd;

export interface LanguageOptions {
	/** Only consider these ISO 639-1 codes (e.g. the languages the team answers in). */
	only?: string[];
	/** Returned when the text is too short or unclear (default 'en'). */
	fallback?: string;
}

export interface LanguageResult {
	language: string;
	/** tinyld's score for the winner (0..1); 0 when the fallback was used. */
	confidence: number;
	candidates: Array<{ language: string; confidence: number }>;
}

const NOISE = /(?:https?:\/\/|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|[#\d][\d\s.,:/#-]*/g;

export function detectLanguage(text: string, options: LanguageOptions = {}): LanguageResult {
	const fallback = options.fallback ?? 'en';
	const sample = text.slice(0, 1500).replace(NOISE, ' ').replace(/\s+/g, ' ').trim();
	if (sample.replace(/[^\p{L}]/gu, '').length < 3) {
		return { language: fallback, confidence: 0, candidates: [] };
	}
	const detected = tinyld.detectAll(sample, options.only?.length ? { only: options.only } : {});
	const candidates = detected
		.slice(0, 3)
		.map(({ lang, accuracy }) => ({ language: lang, confidence: round(accuracy) }));
	if (candidates.length === 0 || !candidates[0].language) {
		return { language: fallback, confidence: 0, candidates };
	}
	return { language: candidates[0].language, confidence: candidates[0].confidence, candidates };
}

function round(value: number): number {
	return Math.round(value * 1000) / 1000;
}
