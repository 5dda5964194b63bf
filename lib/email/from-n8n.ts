import type { AddressObject } from 'mailparser';
import type { HeaderLookup } from './auto-submitted';
import { htmlToText } from './html';
import type { BuildContext } from './build';
import type { ParsedMessage } from './parse-mime';
import { addresses, messageIdOf, parseAddressList, referencesOf } from './parse-mime';
import type { AttachmentInfo, EmailAddress, EmailProvider } from './types';

type Json = Record<string, unknown>;

export interface BinaryDescriptor {
	name: string;
	mimeType?: string;
	fileName?: string;
	fileSize?: string | number;
	/** Exact size in bytes (n8n 2.x binary metadata). */
	bytes?: number;
}

export interface N8nMapping {
	parsed: ParsedMessage;
	context: BuildContext & { provider: EmailProvider };
}

/**
 * Recognises the item shapes of n8n's own mail nodes:
 * - Gmail / Gmail Trigger with "Simplify" off, Email Trigger (IMAP) "resolved": mailparser output
 *   (`from` as an address object, `text`, `html`, `headers`);
 * - Gmail / Gmail Trigger with "Simplify" on: top-level `From`, `Subject`, ..., and only a `snippet`;
 * - Email Trigger (IMAP) "simple": `textPlain`, `textHtml` and header fields;
 * - Email Trigger (IMAP) "raw": the source in `raw`.
 */
export function looksLikeN8nEmail(json: Json): boolean {
	return shapeOf(json) !== undefined;
}

type Shape = 'mailparser' | 'gmailSimple' | 'imapSimple';

function shapeOf(json: Json): Shape | undefined {
	const hasBody = 'text' in json || 'html' in json || 'textAsHtml' in json;
	if (
		hasBody &&
		(isAddressObject(json.from) || (typeof json.headers === 'object' && json.headers !== null))
	) {
		return 'mailparser';
	}
	if (('textPlain' in json || 'textHtml' in json) && typeof json.metadata === 'object')
		return 'imapSimple';
	if (typeof json.snippet === 'string' && typeof json.threadId === 'string') return 'gmailSimple';
	return undefined;
}

export function fromN8nEmailJson(json: Json, binaries: BinaryDescriptor[]): N8nMapping {
	const shape = shapeOf(json);
	const gmail = typeof json.threadId === 'string' && typeof json.id === 'string';
	const attributes = (json.attributes ?? {}) as Json;
	const context: N8nMapping['context'] = {
		provider: gmail ? 'gmail' : 'imap',
		threadId: gmail ? (json.threadId as string) : undefined,
		providerMessageId: gmail ? (json.id as string) : undefined,
		labels: labelsOf(json),
		receivedAt: internalDate(json.internalDate),
		uid: typeof attributes.uid === 'number' ? attributes.uid : undefined,
	};
	if (shape === 'mailparser') return { parsed: fromMailparserJson(json, binaries), context };
	if (shape === 'imapSimple') return { parsed: fromImapSimple(json, binaries), context };
	return { parsed: fromGmailSimple(json), context };
}

function fromMailparserJson(json: Json, binaries: BinaryDescriptor[]): ParsedMessage {
	const header = headersFromObject(json.headers);
	return {
		header,
		contentType: header('content-type')[0],
		messageId: messageIdOf(json.messageId) ?? messageIdOf(header('message-id')[0]),
		inReplyTo: messageIdOf(json.inReplyTo) ?? messageIdOf(header('in-reply-to')[0]),
		references: referencesOf(json.references ?? header('references')[0]),
		from: addressField(json.from)[0],
		replyTo: addressField(json.replyTo)[0],
		to: addressField(json.to),
		cc: addressField(json.cc),
		subject: stringOr(json.subject),
		date: dateOf(json.date),
		text: typeof json.text === 'string' ? json.text : undefined,
		html: typeof json.html === 'string' ? json.html : undefined,
		attachments: attachmentsFrom(json.attachments, binaries),
		warnings: [],
	};
}

/** The fields of a message that come from its headers alone (nodes that hand over headers, not MIME). */
function fromHeaders(
	header: HeaderLookup,
): Pick<
	ParsedMessage,
	| 'header'
	| 'messageId'
	| 'inReplyTo'
	| 'references'
	| 'from'
	| 'replyTo'
	| 'to'
	| 'cc'
	| 'subject'
	| 'date'
> {
	return {
		header,
		messageId: messageIdOf(header('message-id')[0]),
		inReplyTo: messageIdOf(header('in-reply-to')[0]),
		references: referencesOf(header('references')[0]),
		from: parseAddressList(header('from')[0])[0],
		replyTo: parseAddressList(header('reply-to')[0])[0],
		to: parseAddressList(header('to')[0]),
		cc: parseAddressList(header('cc')[0]),
		subject: header('subject')[0] ?? '',
		date: dateOf(header('date')[0]),
	};
}

function fromImapSimple(json: Json, binaries: BinaryDescriptor[]): ParsedMessage {
	// Email Trigger (IMAP) "simple": from / to / cc / subject / date at the top level, the rest in `metadata`.
	const topLevel: Json = {};
	for (const name of ['from', 'to', 'cc', 'subject', 'date', 'reply-to'])
		if (typeof json[name] === 'string') topLevel[name] = json[name];
	const header = headersFromObject({ ...(json.metadata as Json), ...topLevel });
	return {
		...fromHeaders(header),
		contentType: header('content-type')[0],
		text: typeof json.textPlain === 'string' ? json.textPlain : undefined,
		html: typeof json.textHtml === 'string' ? json.textHtml : undefined,
		attachments: attachmentsFrom(undefined, binaries),
		warnings: [],
	};
}

function fromGmailSimple(json: Json): ParsedMessage {
	const header = headersFromObject(undefined, json);
	return {
		...fromHeaders(header),
		contentType: undefined,
		text: typeof json.snippet === 'string' ? htmlToText(json.snippet) : undefined,
		html: undefined,
		attachments: [],
		warnings: [
			'The Gmail node ran with "Simplify" on, which returns only a short snippet of the body. Turn "Simplify" off on the Gmail node to classify and answer the whole message.',
		],
	};
}

/**
 * Header lookup over an object of headers, whatever the node made of them: `{ key: 'Key: value' }`
 * (n8n Gmail), `{ key: value }`, or top-level `From` / `Subject` fields (Gmail simplified).
 */
function headersFromObject(headers: unknown, topLevel?: Json): HeaderLookup {
	const byName = new Map<string, string[]>();
	const add = (key: string, value: unknown) => {
		const values = Array.isArray(value) ? value : [value];
		for (const v of values) {
			if (v === undefined || v === null || typeof v === 'object') continue;
			let text = String(v);
			const prefix = `${key}:`;
			if (text.toLowerCase().startsWith(prefix.toLowerCase())) text = text.slice(prefix.length);
			const list = byName.get(key.toLowerCase()) ?? [];
			list.push(text.replace(/\r?\n[ \t]+/g, ' ').trim());
			byName.set(key.toLowerCase(), list);
		}
	};
	if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
		for (const [key, value] of Object.entries(headers as Json)) add(key, value);
	}
	if (Array.isArray(headers)) {
		for (const entry of headers as Array<{
			key?: string;
			name?: string;
			line?: string;
			value?: string;
		}>) {
			const key = entry.key ?? entry.name;
			if (key) add(key, entry.line ?? entry.value);
		}
	}
	if (topLevel) {
		for (const [key, value] of Object.entries(topLevel)) {
			if (/^[A-Z][A-Za-z-]*$/.test(key) && !byName.has(key.toLowerCase())) add(key, value);
		}
	}
	return (name) => byName.get(name.toLowerCase()) ?? [];
}

function addressField(value: unknown): EmailAddress[] {
	if (isAddressObject(value) || (Array.isArray(value) && value.every(isAddressObject)))
		return addresses(value);
	if (typeof value === 'string') return parseAddressList(value);
	return [];
}

function isAddressObject(value: unknown): value is AddressObject {
	return (
		typeof value === 'object' && value !== null && Array.isArray((value as AddressObject).value)
	);
}

function attachmentsFrom(value: unknown, binaries: BinaryDescriptor[]): AttachmentInfo[] {
	if (Array.isArray(value) && value.length > 0) {
		return value.map((a: Json) => ({
			filename: stringOr(a.filename, 'attachment'),
			contentType: stringOr(a.contentType, 'application/octet-stream'),
			size: typeof a.size === 'number' ? a.size : 0,
		}));
	}
	// n8n's mail nodes put each attachment in its own binary property (attachment_0, ...).
	return binaries.map((b) => ({
		filename: b.fileName ?? b.name,
		contentType: b.mimeType ?? 'application/octet-stream',
		size: typeof b.bytes === 'number' ? b.bytes : binarySize(b.fileSize),
	}));
}

function binarySize(size: string | number | undefined): number {
	if (typeof size === 'number') return size;
	const match = /^([\d.]+)\s*(B|kB|KB|MB|GB)?$/i.exec(size ?? '');
	if (!match) return 0;
	const factor =
		{ b: 1, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3 }[(match[2] ?? 'b').toLowerCase()] ?? 1;
	return Math.round(Number(match[1]) * factor);
}

function labelsOf(json: Json): string[] | undefined {
	const ids = json.labelIds;
	if (Array.isArray(ids)) return ids.map(String);
	const labels = json.labels;
	if (Array.isArray(labels))
		return labels.map((l) =>
			typeof l === 'object' && l ? String((l as Json).name ?? (l as Json).id) : String(l),
		);
	return undefined;
}

function internalDate(value: unknown): Date | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const date = new Date(
		typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : (value as string | number),
	);
	return Number.isNaN(date.getTime()) ? undefined : date;
}

function dateOf(value: unknown): Date | undefined {
	if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
	if (typeof value !== 'string' && typeof value !== 'number') return undefined;
	const date = new Date(value);
	return Number.isNaN(date.getTime()) ? undefined : date;
}

function stringOr(value: unknown, fallback = ''): string {
	return typeof value === 'string' ? value : fallback;
}
