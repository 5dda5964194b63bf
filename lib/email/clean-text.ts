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
 * Turns a message body into the customer's new words (`text`) and the whole body (`fullText`).
 * The text/plain part is preferred; HTML is used when there is none. Quotes and signatures are
 * recognised by email-reply-parser (Gmail / Outlook / Apple headers in several languages, "Sent from
 * my iPhone", the `-- ` separator); HTML quote containers are removed before conversion.
 */
export function extractBodyText(
	plain: string | undefined,
	html: string | undefined,
	options: CleanTextOptions = {},
): BodyText {
	const stripQuotes = options.stripQuotes !== false;
	const warnings: string[] = [];
	const htmlParts = html ? splitHtml(html) : undefined;
	const plainText = plain !== undefined ? tidyText(plain) : '';

	let fullText: string;
	let candidate: string;
	if (plainText) {
		fullText = plainText;
		candidate = plainText;
	} else if (htmlParts) {
		fullText = htmlParts.fullText;
		candidate = htmlParts.newText;
	} else {
		fullText = '';
		candidate = '';
	}

	let text = stripQuotes ? stripReplyHistory(candidate) : candidate;
	if (!text && fullText) {
		// A forward with no comment, or a body that is all quote: the history is the request.
		text = fullText;
		warnings.push('No new text above the quoted part; the full text is used as the message text.');
	}
	if (!fullText) warnings.push('The message has an empty body.');

	const hiddenText = htmlParts?.hiddenText || undefined;
	return { text, fullText, hiddenText, warnings };
}

export function stripReplyHistory(text: string): string {
	if (!text.trim()) return '';
	const visible = new EmailReplyParser().read(text).getVisibleText();
	return tidyText(visible);
}
