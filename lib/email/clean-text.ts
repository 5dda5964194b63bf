import EmailReplyParser from 'email-reply-parser';
import { splitHtml, tidyText } from './html';

export interface BodyText {
	text: string;
	fullText: string;
	hiddenText?: string;
	warnings: string[];
}

export interface CleanTextOptions {
	/** Remove quoted history and signatures from `text` (default true). */
	stripQuotes?: boolean;
}

/**
 * Bounds on the text kept and analysed, so a 20 MB body costs no more than a long one. Quote
 * stripping costs about 1 s per MB and every node after this one runs its checks on `text`.
 * - `maxFullTextChars`: `fullText` keeps at most this much of the body;
 * - `maxTextChars`: the new words (`text`) are looked for in this prefix, so `text` is at most this
 *   long: downstream regexes (injection, topics) then cost a fraction of a second whatever came in;
 * - `maxHiddenTextChars`: hidden HTML text kept for injection checks.
 */
export const TEXT_LIMITS = {
	maxFullTextChars: 1024 * 1024,
	maxTextChars: 100 * 1024,
	maxHiddenTextChars: 20 * 1024,
};

/**
 * Turns a message body into the customer's new words (`text`) and the whole body (`fullText`).
 * The text/plain part is preferred; HTML is used when there is none (and for hidden text, which
 * injection checks need). Quotes and signatures are recognised by email-reply-parser (Gmail /
 * Outlook / Apple headers in several languages, "Sent from my iPhone", the `-- ` separator); HTML
 * quote containers are removed before conversion. Everything is bounded (TEXT_LIMITS, HTML_LIMITS)
 * and each cut is said in a warning.
 */
export function extractBodyText(
	plain: string | undefined,
	html: string | undefined,
	options: CleanTextOptions = {},
): BodyText {
	const stripQuotes = options.stripQuotes !== false;
	const warnings: string[] = [];
	const plainText = plain !== undefined ? boundedTidy(plain, 'text', warnings) : '';
	// With a text/plain part, the HTML is read only for the text it hides from the reader.
	const htmlParts = html ? splitHtml(html, undefined, !!plainText) : undefined;

	let fullText: string;
	let candidate: string;
	if (plainText) {
		fullText = plainText;
		candidate = plainText;
		// The HTML was read for hidden text only; its cuts matter less, but say so.
		if (htmlParts?.warnings.length)
			warnings.push(...htmlParts.warnings.map((w) => `${w} (The text/plain part was used.)`));
	} else if (htmlParts) {
		warnings.push(...htmlParts.warnings);
		fullText = boundedTidy(htmlParts.fullText, 'HTML', warnings);
		candidate = htmlParts.newText;
	} else {
		fullText = '';
		candidate = '';
	}

	if (candidate.length > TEXT_LIMITS.maxTextChars) {
		candidate = candidate.slice(0, TEXT_LIMITS.maxTextChars);
		warnings.push(
			`The message text is longer than ${kChars(TEXT_LIMITS.maxTextChars)}: the new words were looked for in its first ${kChars(TEXT_LIMITS.maxTextChars)} only, and support.email.text holds at most that much (the whole body is in fullText, up to its own limit).`,
		);
	}
	let text = stripQuotes ? stripReplyHistory(candidate) : candidate;
	if (!text && fullText) {
		// A forward with no comment, or a body that is all quote: the history is the request.
		text = fullText.slice(0, TEXT_LIMITS.maxTextChars);
		warnings.push('No new text above the quoted part; the full text is used as the message text.');
	}
	if (!fullText) warnings.push('The message has an empty body.');

	let hiddenText = htmlParts?.hiddenText || undefined;
	if (hiddenText && hiddenText.length > TEXT_LIMITS.maxHiddenTextChars) {
		hiddenText = hiddenText.slice(0, TEXT_LIMITS.maxHiddenTextChars);
		warnings.push(
			`The HTML hides more than ${kChars(TEXT_LIMITS.maxHiddenTextChars)} of text from the reader; only the first ${kChars(TEXT_LIMITS.maxHiddenTextChars)} are kept in hiddenText.`,
		);
	}
	return { text, fullText, hiddenText, warnings };
}

/** Cuts before tidying, so a huge body is never copied whole by the tidy regexes. */
function boundedTidy(body: string, what: string, warnings: string[]): string {
	const max = TEXT_LIMITS.maxFullTextChars;
	if (body.length <= max) return tidyText(body);
	warnings.push(
		`The ${what} body is ${mChars(body.length)}; support.email.fullText keeps its first ${mChars(max)} (the raw message has the rest).`,
	);
	return tidyText(body.slice(0, max));
}

export function stripReplyHistory(text: string): string {
	if (!text.trim()) return '';
	const visible = new EmailReplyParser().read(text).getVisibleText();
	return tidyText(visible);
}

function kChars(count: number): string {
	return `${Math.round(count / 1024)} K characters`;
}

function mChars(count: number): string {
	return `${(count / (1024 * 1024)).toFixed(1)} M characters`;
}
