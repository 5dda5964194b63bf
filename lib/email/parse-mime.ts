import { MailParser, parseAddressHeader } from 'mailparser';
import type { AddressObject, EmailAddress as MpAddress, HeaderLines, Headers } from 'mailparser';
import { InputError } from '../errors';
import type { HeaderLookup } from './auto-submitted';
import type { AttachmentInfo, EmailAddress } from './types';

/** A message with its headers and bodies decoded, whatever it came from (raw MIME or an n8n node). */
export interface ParsedMessage {
	header: HeaderLookup;
	contentType?: string;
	messageId?: string;
	inReplyTo?: string;
	references: string[];
	from?: EmailAddress;
	replyTo?: EmailAddress;
	to: EmailAddress[];
	cc: EmailAddress[];
	subject: string;
	date?: Date;
	text?: string;
	html?: string;
	attachments: AttachmentInfo[];
	size?: number;
	warnings: string[];
}

/** Headers that any real message has at least one of. A source with none of them is not an email. */
const MESSAGE_HEADERS = [
	'from',
	'to',
	'subject',
	'date',
	'message-id',
	'received',
	'mime-version',
	'return-path',
	'sender',
	'delivered-to',
];
const HEADER_SNIFF_BYTES = 64 * 1024;

export interface ParseMimeOptions {
	/** Largest source accepted, in bytes. Larger input is refused before parsing. */
	maxBytes?: number;
}

/**
 * Parses RFC 5322 / MIME source with mailparser's streaming parser. Attachment bodies are counted and
 * discarded as they stream past, so a large attachment costs its size once, not three times.
 */
export async function parseMime(
	input: Buffer,
	options: ParseMimeOptions = {},
): Promise<ParsedMessage> {
	let source = input;
	if (source.length === 0) {
		throw new InputError(
			'The raw email is empty (0 bytes)',
			'Pass the full RFC 822 / MIME source of the message, headers included.',
		);
	}
	if (options.maxBytes !== undefined && source.length > options.maxBytes) {
		throw new InputError(
			`The email is ${formatBytes(source.length)}, over the limit of ${formatBytes(options.maxBytes)}`,
			'Raise "Max Email Size" in the node options, or filter out oversized mail before this node.',
		);
	}
	const repaired = withoutHeaderNuls(source);
	source = repaired.source;
	assertLooksLikeEmail(source);

	const parser = new MailParser({
		// Our own HTML path keeps hidden text and quoted history apart; mailparser's would merge them.
		skipHtmlToText: true,
		skipImageLinks: true,
		skipTextToHtml: true,
		keepDeliveryStatus: true,
	});
	let headers: Headers = new Map();
	let headerLines: HeaderLines = [];
	let text: string | undefined;
	let html: string | undefined;
	const attachments: AttachmentInfo[] = [];
	const pending: Array<Promise<void>> = [];

	await new Promise<void>((resolve, reject) => {
		parser.on('headers', (h: Headers) => (headers = h));
		parser.on('headerLines', (lines: HeaderLines) => (headerLines = lines));
		parser.on('data', (data) => {
			if (data.type === 'text') {
				if (typeof data.text === 'string') text = data.text;
				if (typeof data.html === 'string') html = data.html;
				return;
			}
			const info: AttachmentInfo = {
				filename: data.filename ?? defaultFilename(data.contentType),
				contentType: data.contentType,
				size: 0,
			};
			if (data.cid) info.contentId = data.cid;
			if (data.contentDisposition === 'inline' || (data.related && data.cid)) info.inline = true;
			attachments.push(info);
			pending.push(
				new Promise<void>((done, fail) => {
					data.content.on('data', (chunk: Buffer) => (info.size += chunk.length));
					data.content.on('end', () => {
						data.release?.();
						done();
					});
					data.content.on('error', fail);
				}),
			);
		});
		parser.on('error', (error: Error) => reject(explainParserError(error)));
		parser.on('end', () => resolve());
		parser.end(source);
	});
	await Promise.all(pending);

	const header = headerLookup(headerLines);
	const warnings: string[] = [...repaired.warnings];
	const contentType = header('content-type')[0];
	const structure = checkMultipart(source, contentType);
	warnings.push(...structure.warnings);
	if (structure.lostBody && text === undefined && html === undefined && attachments.length === 0) {
		// mailparser found no part: the customer's words are in the body as it came.
		text = rawBody(source);
		warnings.push(structure.lostBody);
	}
	// mailparser silently substitutes the current time for a Date it cannot read; read it ourselves.
	const rawDate = header('date')[0];
	let date = rawDate ? parseDate(rawDate) : undefined;
	if (rawDate && !date)
		warnings.push(
			`The Date header "${rawDate}" could not be read; the time of the first Received header is used.`,
		);
	if (!date) date = dateFromReceived(header('received'));

	const from = firstAddress(headers.get('from'));
	if (!from)
		warnings.push(
			header('from').length
				? `The From header "${header('from')[0]}" has no readable address.`
				: 'The message has no From header.',
		);

	return {
		header,
		contentType,
		messageId: messageIdOf(headers.get('message-id')),
		inReplyTo: messageIdOf(headers.get('in-reply-to')),
		references: referencesOf(headers.get('references')),
		from,
		replyTo: firstAddress(headers.get('reply-to')),
		to: addresses(headers.get('to')),
		cc: addresses(headers.get('cc')),
		subject: typeof headers.get('subject') === 'string' ? (headers.get('subject') as string) : '',
		date,
		text,
		html,
		attachments,
		size: source.length,
		warnings,
	};
}

/** Where the header block ends (the first blank line), or -1 within the first HEADER_SNIFF_BYTES. */
function headerEnd(source: Buffer): number {
	const head = source.subarray(0, HEADER_SNIFF_BYTES).toString('latin1');
	const match = /\r?\n\r?\n/.exec(head);
	return match ? match.index + match[0].length : -1;
}

/**
 * A NUL byte in a header (a broken mailer, or a trick to hide a header from filters) is removed,
 * so the headers around it are still read; the body is left as it is.
 */
function withoutHeaderNuls(source: Buffer): { source: Buffer; warnings: string[] } {
	const end = headerEnd(source);
	const headerBlock = source.subarray(
		0,
		end === -1 ? Math.min(source.length, HEADER_SNIFF_BYTES) : end,
	);
	if (!headerBlock.includes(0)) return { source, warnings: [] };
	const kept = Buffer.from(headerBlock.filter((byte) => byte !== 0));
	const count = headerBlock.length - kept.length;
	return {
		source: Buffer.concat([kept, source.subarray(headerBlock.length)]),
		warnings: [
			`The message headers contained ${count} NUL byte${count === 1 ? '' : 's'} (not allowed in mail); ${count === 1 ? 'it was' : 'they were'} removed to read the headers.`,
		],
	};
}

/** Boundaries checked for a closing delimiter: enough for any real message, bounded for a hostile one. */
const MAX_BOUNDARIES_CHECKED = 20;

/**
 * What mailparser does not say about a multipart message: a boundary that is missing or never
 * appears (mailparser then finds no part at all and the body would be lost), and a multipart that
 * is never closed (the message was cut off, parts may be missing).
 */
function checkMultipart(
	source: Buffer,
	contentType: string | undefined,
): { warnings: string[]; lostBody?: string } {
	const warnings: string[] = [];
	if (!contentType || !/^\s*multipart\//i.test(contentType)) return { warnings };
	const type = /^\s*(multipart\/[^\s;]*)/i.exec(contentType)![1].toLowerCase();
	const root = boundaryOf(contentType);
	if (!root)
		return {
			warnings,
			lostBody: `The message says it is ${type} but names no boundary, so its parts cannot be told apart; the body is shown as it came (raw MIME text).`,
		};
	const bodyStart = Math.max(0, headerEnd(source));
	if (source.indexOf(`--${root}`, bodyStart, 'latin1') === -1)
		return {
			warnings,
			lostBody: `The message says it is ${type} with the boundary "${root}", which never appears in it; the body is shown as it came (raw MIME text).`,
		};
	const boundaries = [root];
	const text = source.toString('latin1');
	const header = /content-type:[ \t]*multipart\/[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/gi;
	header.lastIndex = bodyStart;
	for (
		let match = header.exec(text);
		match && boundaries.length < MAX_BOUNDARIES_CHECKED;
		match = header.exec(text)
	) {
		const boundary = boundaryOf(match[0]);
		if (boundary && !boundaries.includes(boundary)) boundaries.push(boundary);
	}
	const unclosed = boundaries.filter(
		(boundary) =>
			source.indexOf(`--${boundary}`, bodyStart, 'latin1') !== -1 &&
			source.indexOf(`--${boundary}--`, bodyStart, 'latin1') === -1,
	);
	if (unclosed.length)
		warnings.push(
			`The message ends before its multipart structure is closed (no closing "--${unclosed[0]}--"): it was probably cut off on the way, and parts or attachments after the cut are missing.`,
		);
	return { warnings };
}

function boundaryOf(contentType: string): string | undefined {
	const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;()"]+))/i.exec(contentType);
	const boundary = (match?.[1] ?? match?.[2])?.trim();
	return boundary || undefined;
}

/** The body after the headers as text: UTF-8 when it is valid UTF-8, else Latin-1. */
function rawBody(source: Buffer): string {
	const body = source.subarray(Math.max(0, headerEnd(source)));
	try {
		return new TextDecoder('utf-8', { fatal: true }).decode(body);
	} catch {
		return body.toString('latin1');
	}
}

/** mailsplit's limits, with what they mean and what to do. */
function explainParserError(error: Error): Error {
	const code = (error as Error & { code?: string }).code;
	if (code === 'EMAXLEN' && /child nodes/i.test(error.message))
		return new InputError(
			'The message has more MIME parts than the reader accepts (1,000)',
			'No real email has that many parts: it is malformed or built to overload mail software. Check it by hand (the raw message is kept when "Include Raw Message" is on).',
		);
	if (code === 'EMAXLEN' && /header size/i.test(error.message))
		return new InputError(
			'A header block of the message is over 1 MB, more than the reader accepts',
			'Real headers are a few KB: the message is malformed or built to overload mail software. Check it by hand (the raw message is kept when "Include Raw Message" is on).',
		);
	return error;
}

function assertLooksLikeEmail(source: Buffer): void {
	const head = source.subarray(0, HEADER_SNIFF_BYTES).toString('latin1');
	const end = head.search(/\r?\n\r?\n/);
	const headerBlock = end === -1 ? head : head.slice(0, end);
	const names = new Set<string>();
	for (const line of headerBlock.split(/\r?\n/)) {
		const match = /^([!-9;-~]+)[ \t]*:/.exec(line);
		if (match) names.add(match[1].toLowerCase());
	}
	const binary = headerBlock.includes('\u0000');
	if (
		/^\s*--[^\r\n]{6,}\r?\n\s*content-type\s*:/i.test(head) &&
		!names.has('from') &&
		!names.has('message-id')
	) {
		throw new InputError(
			'The input is a MIME body without the message headers (no From, Subject or Message-ID)',
			'n8n\'s Email Trigger (IMAP) with Format "RAW" drops the headers. Set its Format to "Resolved", or use the Support Inbox Trigger.',
		);
	}
	if (binary || !MESSAGE_HEADERS.some((name) => names.has(name))) {
		throw new InputError(
			'The input is not an email message: no From, To, Subject, Date or Message-ID header was found at its start',
			'Pass the raw RFC 822 / MIME source (an .eml file or an IMAP/Gmail "raw" message), not a JSON document, attachment or other file.',
		);
	}
}

export function headerLookup(lines: HeaderLines): HeaderLookup {
	const byName = new Map<string, string[]>();
	for (const { key, line } of lines) {
		const colon = line.indexOf(':');
		const value = (colon === -1 ? '' : line.slice(colon + 1)).replace(/\r?\n[ \t]+/g, ' ').trim();
		const list = byName.get(key.toLowerCase()) ?? [];
		list.push(value);
		byName.set(key.toLowerCase(), list);
	}
	return (name) => byName.get(name.toLowerCase()) ?? [];
}

export function toAddress(entry: MpAddress | undefined): EmailAddress | undefined {
	if (!entry) return undefined;
	if (entry.group?.length) return toAddress(entry.group[0]);
	const address = (entry.address ?? '').trim();
	if (!address) return undefined;
	return { name: (entry.name ?? '').trim(), address: address.toLowerCase() };
}

function firstAddress(value: unknown): EmailAddress | undefined {
	return addresses(value)[0];
}

export function addresses(value: unknown): EmailAddress[] {
	const objects = (Array.isArray(value) ? value : value ? [value] : []) as AddressObject[];
	const result: EmailAddress[] = [];
	for (const object of objects) {
		for (const entry of object.value ?? []) {
			const members = entry.group?.length ? entry.group : [entry];
			for (const member of members) {
				const address = toAddress(member);
				if (address) result.push(address);
			}
		}
	}
	return result;
}

export function messageIdOf(value: unknown): string | undefined {
	if (typeof value !== 'string') return undefined;
	const match = /<[^<>\s]+>/.exec(value);
	if (match) return match[0];
	const bare = value.trim().split(/\s+/)[0];
	return bare ? `<${bare.replace(/^<|>$/g, '')}>` : undefined;
}

export function referencesOf(value: unknown): string[] {
	const raw = Array.isArray(value) ? value.join(' ') : typeof value === 'string' ? value : '';
	return raw.match(/<[^<>\s]+>/g) ?? [];
}

/** RFC 5322 dates (with an optional trailing comment such as "(UTC)"), as JavaScript reads them. */
export function parseDate(value: string): Date | undefined {
	const date = new Date(value.replace(/\([^)]*\)\s*$/, '').trim());
	const year = date.getUTCFullYear();
	return Number.isNaN(date.getTime()) || year < 1970 || year > 9999 ? undefined : date;
}

function dateFromReceived(received: string[]): Date | undefined {
	for (const line of received) {
		const stamp = line.slice(line.lastIndexOf(';') + 1).trim();
		const date = parseDate(stamp);
		if (line.includes(';') && date) return date;
	}
	return undefined;
}

function defaultFilename(contentType: string): string {
	if (contentType === 'message/rfc822') return 'message.eml';
	if (contentType === 'message/delivery-status') return 'delivery-status.txt';
	if (contentType === 'text/rfc822-headers') return 'headers.txt';
	return 'attachment';
}

export function formatBytes(bytes: number): string {
	if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
	if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
	return `${bytes} bytes`;
}

/**
 * An address list as written in a header or typed by a user (`"Doe, John" <john@x.com>; jane@y.com`),
 * read with mailparser's RFC 5322 parser: quoted names may hold commas, RFC 2047 words are decoded,
 * groups are flattened.
 */
export function parseAddressList(value: string | undefined): EmailAddress[] {
	if (!value?.trim()) return [];
	return addresses(parseAddressHeader(value));
}
