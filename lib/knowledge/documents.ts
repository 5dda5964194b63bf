/**
 * Turning what a team has into knowledge documents: help-centre articles (Markdown, HTML or text;
 * one article in several languages shares an `articleId`) and past resolved conversations (the
 * customer's message and the reply that resolved it). Every document carries a content hash, so
 * re-indexing an unchanged article costs nothing.
 */
import { createHash } from 'node:crypto';
import { htmlToText } from '../email/html';
import { InputError } from '../errors';
import { detectLanguage } from '../offline-model/language';

export type KnowledgeSource = 'article' | 'reply';

/** One stored document: an article in one language, or one past conversation. */
export interface KnowledgeDoc {
	/** Unique in the index: `article:<articleId>:<language>` or `reply:<id>`. */
	key: string;
	source: KnowledgeSource;
	/** Language versions of one article share it; a reply's own id. */
	articleId: string;
	language: string;
	title: string;
	/** Plain text: the article body, or the resolving reply (greeting and sign-off removed). */
	text: string;
	/** The customer's message a past reply answered (replies only). */
	question?: string;
	url?: string;
	hash: string;
}

/** An article as it comes in (item fields, a file, a Data Table row). */
export interface ArticleInput {
	id?: string | number;
	articleId?: string | number;
	title?: string;
	text?: string;
	markdown?: string;
	html?: string;
	url?: string;
	language?: string;
}

/** A past conversation as it comes in. */
export interface ConversationInput {
	id?: string | number;
	subject?: string;
	customerMessage?: string;
	reply?: string;
	language?: string;
	url?: string;
}

const MAX_TEXT_CHARS = 100_000;

export const ARTICLE_SHAPE =
	'An article needs "text" (or "markdown" or "html") and an "id" or "title"; "url", "language" (ISO 639-1) and "articleId" (shared by the language versions of one article) are optional.';
export const CONVERSATION_SHAPE =
	'A past conversation needs "customerMessage" (what the customer wrote) and "reply" (the answer that resolved it); "id", "subject" and "language" are optional.';

export function contentHash(parts: Array<string | undefined>): string {
	const hash = createHash('sha256');
	for (const part of parts) hash.update(`${part ?? ''}\u0000`);
	return hash.digest('hex').slice(0, 24);
}

/** Markdown to plain text: the words a reader sees, links as "text (url)". */
export function markdownToText(markdown: string): string {
	return markdown
		.replace(/^---\n[\s\S]*?\n---\n/, '')
		.replace(/```[\s\S]*?```/g, (block) => block.replace(/```\w*/g, ''))
		.replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
		.replace(/\[([^\]]+)\]\((https?:[^)\s]+)[^)]*\)/g, '$1 ($2)')
		.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
		.replace(/^\s{0,3}#{1,6}\s+/gm, '')
		.replace(/^\s{0,3}>\s?/gm, '')
		.replace(/^\s*[-*+]\s+/gm, '- ')
		.replace(/(\*\*|__)(.+?)\1/g, '$2')
		.replace(/(^|[^\w*])[*_]([^*_\n]+)[*_](?=[^\w*]|$)/g, '$1$2')
		.replace(/`([^`]+)`/g, '$1')
		.replace(/<[^>\n]+>/g, '')
		.replace(/[ \t]+\n/g, '\n')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
}

/** Front matter (`---\nkey: value\n---`) of a Markdown file. */
export function frontMatter(markdown: string): Record<string, string> {
	const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(markdown);
	const out: Record<string, string> = {};
	if (!match) return out;
	for (const line of match[1].split(/\r?\n/)) {
		const pair = /^([A-Za-z_][\w-]*)\s*:\s*(.*)$/.exec(line);
		if (pair) out[pair[1].toLowerCase()] = pair[2].trim().replace(/^["']|["']$/g, '');
	}
	return out;
}

function firstHeading(markdown: string): string | undefined {
	return /^\s{0,3}#\s+(.+)$/m.exec(markdown.replace(/^---\n[\s\S]*?\n---\n/, ''))?.[1]?.trim();
}

function htmlTitle(html: string): string | undefined {
	const match =
		/<title[^>]*>([\s\S]*?)<\/title>/i.exec(html) ?? /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html);
	return match ? htmlToText(match[1]).trim() || undefined : undefined;
}

function normaliseLanguage(value: unknown, text: string): string {
	if (typeof value === 'string' && /^[a-z]{2}(?:[-_][a-z]{2})?$/i.test(value.trim()))
		return value.trim().slice(0, 2).toLowerCase();
	return detectLanguage(text).language;
}

function slug(text: string): string {
	return (
		text
			.toLowerCase()
			.normalize('NFD')
			.replace(/[\u0300-\u036f]/g, '')
			.replace(/[^a-z0-9]+/g, '-')
			.replace(/^-|-$/g, '')
			.slice(0, 80) || 'article'
	);
}

function asText(value: unknown, field: string, shape: string): string | undefined {
	if (value === undefined || value === null) return undefined;
	if (typeof value === 'number') return String(value);
	if (typeof value !== 'string')
		throw new InputError(
			`"${field}" must be text, not ${Array.isArray(value) ? 'a list' : typeof value}`,
			shape,
		);
	return value;
}

/** An article from item fields (or a Data Table row). Throws an InputError naming what to fix. */
export function articleFromInput(input: ArticleInput): KnowledgeDoc {
	const record = input as Record<string, unknown>;
	const markdown = asText(record.markdown, 'markdown', ARTICLE_SHAPE);
	const html = asText(record.html, 'html', ARTICLE_SHAPE);
	const rawText = asText(record.text ?? record.body ?? record.content, 'text', ARTICLE_SHAPE);
	let text = '';
	let title = asText(record.title, 'title', ARTICLE_SHAPE)?.trim();
	if (markdown?.trim()) {
		const meta = frontMatter(markdown);
		title ||= meta.title || firstHeading(markdown);
		let body = markdownToText(markdown);
		if (title && body.startsWith(title)) body = body.slice(title.length).trim();
		text = body;
	} else if (html?.trim()) {
		title ||= htmlTitle(html);
		text = htmlToText(html.replace(/<title[^>]*>[\s\S]*?<\/title>/i, ''));
		if (title && text.startsWith(title)) text = text.slice(title.length).trim();
	} else if (rawText?.trim()) text = rawText.trim();
	if (!text.trim()) throw new InputError('The article has no text', ARTICLE_SHAPE);
	text = text.slice(0, MAX_TEXT_CHARS);
	const given = asText(record.id, 'id', ARTICLE_SHAPE)?.trim();
	const group =
		asText(record.articleId, 'articleId', ARTICLE_SHAPE)?.trim() ||
		given ||
		(title ? slug(title) : undefined);
	if (!group) throw new InputError('The article has neither an id nor a title', ARTICLE_SHAPE);
	const language = normaliseLanguage(record.language, `${title ?? ''}\n${text}`);
	const url = asText(record.url, 'url', ARTICLE_SHAPE)?.trim() || undefined;
	const doc: KnowledgeDoc = {
		key: `article:${group}:${language}`,
		source: 'article',
		articleId: group,
		language,
		title: title || group,
		text,
		hash: '',
	};
	if (url) doc.url = url;
	doc.hash = contentHash([doc.title, doc.text, doc.url, doc.language]);
	return doc;
}

/**
 * An article from a file: `refunds.md`, `refunds.de.md` (language from the name), `.html`, `.txt`.
 * Front matter may set id, articleId, title, url and language.
 */
export function articleFromFile(fileName: string, content: string): KnowledgeDoc {
	const base = fileName.replace(/^.*[\\/]/, '');
	const match = /^(.*?)(?:\.([a-z]{2}(?:[-_][A-Za-z]{2})?))?\.(md|markdown|html?|txt|text)$/i.exec(
		base,
	);
	if (!match)
		throw new InputError(
			`"${base}" is not a Markdown, HTML or text file`,
			'Give articles as .md, .html or .txt files (optionally with the language before the extension, e.g. refunds.de.md).',
		);
	const [, name, fileLanguage, extension] = match;
	const ext = extension.toLowerCase();
	const meta = ext.startsWith('m') ? frontMatter(content) : {};
	return articleFromInput({
		articleId: meta.articleid || meta.id || name,
		title: meta.title,
		url: meta.url,
		language: meta.language || meta.lang || fileLanguage,
		...(ext.startsWith('m')
			? { markdown: content }
			: ext.startsWith('htm')
				? { html: content }
				: { text: content }),
	});
}

const GREETING_LINE =
	/^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|hallo|guten tag|liebe[rs]?|sehr geehrte[rs]?|bonjour|salut|madame|monsieur|hola|estimad[oa]|buenos d[ií]as|buenas tardes)\b[^\n]{0,60}\n+/i;
const CLOSING =
	/\n+(?:best|kind|warm)? ?regards,?[\s\S]*$|\n+(?:thanks|thank you|cheers|sincerely|all the best),?\s*\n[\s\S]{0,120}$|\n+mit freundlichen gr(?:ü|ue)(?:ß|ss)en[\s\S]*$|\n+viele gr(?:ü|ue)(?:ß|ss)e[\s\S]*$|\n+cordialement[\s\S]*$|\n+bien (?:à vous|cordialement)[\s\S]*$|\n+(?:un )?saludo[s]?(?: cordiales)?,?[\s\S]*$|\n+atentamente[\s\S]*$/i;

/**
 * A greeting that is a line of its own: the greeting and at most three words (a name, "support
 * team"), then an optional comma. Stricter than GREETING_LINE, which reads an agent's reply: a
 * customer's first line may be "Hi, I cannot log in" and is then the question itself.
 */
const CUSTOMER_GREETING_LINE =
	/^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|hallo|guten tag|liebe[rs]?|sehr geehrte[rs]?|bonjour|salut|madame|monsieur|hola|estimad[oa]s?|buenos d[ií]as|buenas tardes)(?:[ \t]+[^\s,.;:!?]+){0,3}[ \t]*[,!:]?[ \t]*\n+/i;

function withoutGreetingAndClosing(message: string, greeting: RegExp): string {
	// Blank lines collapsed first: CLOSING is tried at every newline, and over a run of thousands of
	// them (a crafted mail) its `\n+` made that quadratic: 32,000 newlines took 14 s.
	let text = message
		.replace(/\r\n?/g, '\n')
		.replace(/\n\s*\n/g, '\n\n')
		.trim();
	text = text.replace(greeting, '');
	text = text.replace(CLOSING, '');
	return text.trim();
}

/** The body of a reply without its greeting line and sign-off, which named another customer and agent. */
export function replyBody(reply: string): string {
	return withoutGreetingAndClosing(reply, GREETING_LINE);
}

/**
 * A customer's email without its greeting line and sign-off ("Hello team," / "Kind regards, Sarah"):
 * words no answer is about, searched they only dilute the match.
 */
export function customerMessageBody(text: string): string {
	return withoutGreetingAndClosing(text, CUSTOMER_GREETING_LINE);
}

/** A past conversation from item fields. */
export function conversationFromInput(input: ConversationInput): KnowledgeDoc {
	const record = input as Record<string, unknown>;
	const question = asText(
		record.customerMessage ?? record.question,
		'customerMessage',
		CONVERSATION_SHAPE,
	)?.trim();
	const reply = asText(record.reply ?? record.answer, 'reply', CONVERSATION_SHAPE)?.trim();
	if (!question)
		throw new InputError('The past conversation has no customer message', CONVERSATION_SHAPE);
	if (!reply) throw new InputError('The past conversation has no reply', CONVERSATION_SHAPE);
	const subject = asText(record.subject, 'subject', CONVERSATION_SHAPE)?.trim() ?? '';
	const body = replyBody(reply).slice(0, MAX_TEXT_CHARS);
	const language = normaliseLanguage(record.language, `${question}\n${body}`);
	const id =
		asText(record.id, 'id', CONVERSATION_SHAPE)?.trim() ||
		contentHash([subject, question, reply]).slice(0, 16);
	const doc: KnowledgeDoc = {
		key: `reply:${id}`,
		source: 'reply',
		articleId: id,
		language,
		title: subject || question.split('\n')[0].slice(0, 80),
		text: body || reply,
		question: question.slice(0, MAX_TEXT_CHARS),
		hash: '',
	};
	const url = asText(record.url, 'url', CONVERSATION_SHAPE)?.trim();
	if (url) doc.url = url;
	doc.hash = contentHash([doc.title, doc.text, doc.question, doc.url, doc.language]);
	return doc;
}
