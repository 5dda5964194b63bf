/**
 * Text folding before the deterministic checks match anything, so that the tricks a person reads
 * straight through do not hide words from a regex: fullwidth and mathematical letters (NFKC),
 * Cyrillic / Greek letters that look Latin, zero-width and bidi characters, Unicode "tag" characters
 * (invisible ASCII), leetspeak digits, letters spaced out ("i g n o r e") and markdown emphasis.
 *
 * Every check reads a bounded window of the mail (head and tail), so a large mail costs no more
 * than a small one; all patterns run on these views have bounded gaps and no nested quantifiers.
 */

/** Characters of a text the checks read: the first HEAD and the last TAIL. */
export const SCAN_HEAD_CHARS = 24_000;
export const SCAN_TAIL_CHARS = 8_000;

export interface FoldedText {
	/** NFKC, lower case, invisible characters removed, tag characters decoded: for every script. */
	plain: string;
	/** `plain` with lookalike letters, leetspeak and spaced-out letters folded to Latin. */
	skeleton: string;
	/** Whether the input was longer than the window and only its head and tail were read. */
	cut: boolean;
	/** Invisible or direction-changing characters that were removed (a sign of obfuscation). */
	invisibleCount: number;
}

/** The head and tail of a long text (the part the checks read). */
export function scanWindow(text: string): { text: string; cut: boolean } {
	if (text.length <= SCAN_HEAD_CHARS + SCAN_TAIL_CHARS) return { text, cut: false };
	return {
		text: `${text.slice(0, SCAN_HEAD_CHARS)}\n${text.slice(text.length - SCAN_TAIL_CHARS)}`,
		cut: true,
	};
}

/** Zero-width, joiner, soft hyphen, word joiner, BOM, variation selectors, Mongolian vowel separator. */
const INVISIBLE =
	/[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u2060-\u2064\u206A-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]/g;
/** Bidi embeddings, overrides and isolates. */
export const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
/** Unicode tag characters (U+E0000..U+E007F): invisible, but each maps to an ASCII character. */
const TAGS = /[\u{E0000}-\u{E007F}]/gu;

/**
 * Letters from other scripts that are drawn like Latin letters (a subset of Unicode's
 * confusables.txt for the letters that matter in words; digits and punctuation are folded below).
 */
const CONFUSABLES: Record<string, string> = {
	// Cyrillic
	а: 'a',
	в: 'b',
	е: 'e',
	ё: 'e',
	з: '3',
	к: 'k',
	м: 'm',
	н: 'h',
	о: 'o',
	р: 'p',
	с: 'c',
	т: 't',
	у: 'y',
	х: 'x',
	ѕ: 's',
	і: 'i',
	ї: 'i',
	ј: 'j',
	һ: 'h',
	ԁ: 'd',
	ԛ: 'q',
	ԝ: 'w',
	ӏ: 'l',
	ɡ: 'g',
	ү: 'y',
	ҽ: 'e',
	ո: 'n',
	ս: 'u',
	ց: 'g',
	օ: 'o',
	հ: 'h',
	// Greek
	α: 'a',
	β: 'b',
	γ: 'y',
	ε: 'e',
	ζ: 'z',
	η: 'n',
	ι: 'i',
	κ: 'k',
	ν: 'v',
	ο: 'o',
	ρ: 'p',
	τ: 't',
	υ: 'u',
	χ: 'x',
	ω: 'w',
	ϲ: 'c',
	ϳ: 'j',
	// Latin lookalikes NFKC keeps
	ı: 'i',
	ȷ: 'j',
	ł: 'l',
	ɑ: 'a',
	ɩ: 'i',
	ʀ: 'r',
	ʏ: 'y',
	ᴀ: 'a',
	ᴄ: 'c',
	ᴅ: 'd',
	ᴇ: 'e',
	ᴋ: 'k',
	ᴍ: 'm',
	ᴏ: 'o',
	ᴘ: 'p',
	ᴛ: 't',
	ᴜ: 'u',
	ᴠ: 'v',
	ᴡ: 'w',
	ᴢ: 'z',
	ꜱ: 's',
	ß: 'ss',
};
const CONFUSABLE_CLASS = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'g');

/** Digits and signs used as letters inside a word ("1gn0re", "p@yment", "$end"). */
const LEET: Record<string, string> = {
	'0': 'o',
	'1': 'i',
	'3': 'e',
	'4': 'a',
	'5': 's',
	'7': 't',
	'@': 'a',
	$: 's',
	'!': 'i',
	'|': 'l',
};
/** A run of letters and leet characters that contains at least one letter and one leet character. */
const LEET_WORD =
	/(?=[\p{L}0-9@$!|]{0,39}\p{L})(?=[\p{L}0-9@$!|]{0,39}[0-9@$!|])[\p{L}0-9@$!|]{2,40}/gu;
/** Four or more single letters, each followed by the same kind of separator: "i g n o r e", "i.g.n.o.r.e". */
const SPACED_LETTERS = /(?<![\p{L}\p{N}])\p{L}(?:[ .\-_*·•,/|]{1,2}\p{L}(?![\p{L}\p{N}])){3,}/gu;

function decodeTags(text: string): string {
	return text.replace(TAGS, (ch) => {
		const code = (ch.codePointAt(0) ?? 0) - 0xe0000;
		return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : '';
	});
}

/** Invisible characters removed, tag characters decoded, NFKC; case kept (for base64). */
export function visibleText(text: string): string {
	return decodeTags(text).replace(INVISIBLE, '').replace(BIDI_CONTROLS, '').normalize('NFKC');
}

/** NFKC, lower case, invisible characters removed: the view every script is matched on. */
export function plainView(text: string): { text: string; removed: number } {
	let removed = 0;
	const count = () => {
		removed++;
		return '';
	};
	const visible = decodeTags(text).replace(INVISIBLE, count).replace(BIDI_CONTROLS, count);
	const plain = visible
		.normalize('NFKC')
		.toLowerCase()
		.replace(/[\t\f\v \u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+/g, ' ')
		.replace(/[‘’‛′`´]/g, "'")
		.replace(/[“”„‟″]/g, '"');
	return { text: plain, removed };
}

/** `plain` with lookalike letters, leetspeak, spaced-out letters and markdown emphasis folded. */
export function skeletonView(plain: string): string {
	return plain
		.replace(CONFUSABLE_CLASS, (ch) => CONFUSABLES[ch] ?? ch)
		.replace(/[*_~]+(?=\p{L})|(?<=\p{L})[*_~]+/gu, '')
		.replace(SPACED_LETTERS, (run) => run.replace(/[^\p{L}]/gu, ''))
		.replace(LEET_WORD, (word) => word.replace(/[0-9@$!|]/g, (ch) => LEET[ch] ?? ch))
		.normalize('NFD')
		.replace(/(?<=[a-z])\p{M}+/gu, '')
		.normalize('NFC');
}

/** Both views of (the scan window of) a text. */
export function foldText(text: string): FoldedText {
	const window = scanWindow(text);
	const plain = plainView(window.text);
	return {
		plain: plain.text,
		skeleton: skeletonView(plain.text),
		cut: window.cut,
		invisibleCount: plain.removed,
	};
}

/**
 * `\b` and `\w` in a JavaScript regex see "é", "ö" or "д" as non-word characters. In the guard
 * patterns both are Unicode-aware (letters and digits of any script); CJK patterns use no `\b`.
 */
const EDGE = '(?:(?<![\\p{L}\\p{N}_])(?=[\\p{L}\\p{N}_])|(?<=[\\p{L}\\p{N}_])(?![\\p{L}\\p{N}_]))';
export function unicodeWords(pattern: RegExp): RegExp {
	const source = pattern.source.replace(/\\b/g, EDGE).replace(/\\w/g, '[\\p{L}\\p{N}_]');
	return new RegExp(source, 'iu');
}

/** First match of any pattern on either view: the matched words (shortened) or undefined. */
export function firstMatch(folded: FoldedText, patterns: RegExp[]): string | undefined {
	for (const pattern of patterns) {
		const match = pattern.exec(folded.plain) ?? pattern.exec(folded.skeleton);
		if (match) return match[0].trim().replace(/\s+/g, ' ').slice(0, 80);
	}
	return undefined;
}
