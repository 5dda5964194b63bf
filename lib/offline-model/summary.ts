/**
 * Extractive summary: the first sentence that says something (greetings, pleasantries and
 * one-word lines skipped), cut at a word boundary.
 */

const GREETING =
	/^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings|to whom it may concern|hallo|guten (?:morgen|tag|abend)|sehr geehrte[rs]?|liebe[rs]?|moin|servus|bonjour|bonsoir|salut|madame|monsieur|cher|chère|hola|buenos días|buenas (?:tardes|noches)|estimad[oa]s?|querid[oa]s?)(?![\p{L}])/iu;
const PLEASANTRY =
	/^(?:i hope (?:this|you|all)|hope (?:this|you|all)|thanks? (?:you )?(?:in advance|for your (?:help|time))|many thanks|thank you|ich hoffe|vielen dank|danke|j'espère|merci|espero que|gracias|muchas gracias)(?![\p{L}])/iu;
const SIGN_OFF =
	/^(?:(?:kind|best|warm) regards|regards|cheers|sincerely|yours|mit freundlichen grüßen|viele grüße|beste grüße|cordialement|bien à vous|saludos|atentamente|un saludo)(?![\p{L}])/iu;

export interface SummaryOptions {
	/** Longest summary in characters (default 200). */
	maxLength?: number;
	/** Used when the body has no meaningful sentence. */
	subject?: string;
}

export function splitSentences(text: string): string[] {
	return text
		.replace(/\r\n?/g, '\n')
		.split(/\n+|(?<=[.!?…])\s+(?=[\p{Lu}\p{N}¿¡"'(])/u)
		.map((sentence) => sentence.replace(/\s+/g, ' ').trim())
		.filter(Boolean);
}

function meaningful(sentence: string): boolean {
	const wordCount = (sentence.match(/[\p{L}\p{N}]+/gu) ?? []).length;
	if (wordCount < 3) return false;
	if (SIGN_OFF.test(sentence)) return false;
	if (GREETING.test(sentence) && wordCount <= 6) return false;
	if (PLEASANTRY.test(sentence) && wordCount <= 12) return false;
	return true;
}

/** "Hi John, my order..." -> "My order..." */
function stripGreeting(sentence: string): string {
	const match = sentence.match(GREETING);
	if (!match) return sentence;
	const rest = sentence.slice(match[0].length).replace(/^[^,!:\n]{0,40}[,!:]\s*/u, '');
	if (
		rest === sentence.slice(match[0].length) ||
		(rest.match(/[\p{L}\p{N}]+/gu) ?? []).length < 2
	) {
		return sentence;
	}
	return rest.charAt(0).toUpperCase() + rest.slice(1);
}

export function truncate(text: string, maxLength: number): string {
	if (text.length <= maxLength) return text;
	const cut = text.slice(0, maxLength - 1);
	const space = cut.lastIndexOf(' ');
	return `${(space > maxLength * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '')}…`;
}

export function summarize(text: string, options: SummaryOptions = {}): string {
	const maxLength = options.maxLength ?? 200;
	const sentences = splitSentences(text.slice(0, 10000));
	let chosen = sentences.find(meaningful);
	if (!chosen) {
		// A greeting glued to a short request ("Hi Anna, where is my order?").
		chosen = sentences
			.filter((sentence) => GREETING.test(sentence))
			.map(stripGreeting)
			.find((sentence) => !GREETING.test(sentence));
	}
	if (!chosen) chosen = options.subject?.trim() || sentences[0] || '';
	return truncate(stripGreeting(chosen), maxLength);
}
