import { readPath } from '../contract/path';
import { InputError } from '../errors';
import { buildSupportEmail } from './build';
import { fromN8nEmailJson, looksLikeN8nEmail } from './from-n8n';
import { parseMime } from './parse-mime';
import { detectSpoofing, safeAddress } from './spoofing';
import type { EmailProvider, SupportEmail } from './types';

export type NormalizeSource = 'auto' | 'field' | 'binary' | 'n8n';

/** What the normaliser may read of an n8n item (kept abstract so it is testable without n8n). */
export interface NormalizeInput {
	json: Record<string, unknown>;
	binaryNames: string[];
	binaryInfo: (
		name: string,
	) =>
		| { mimeType?: string; fileName?: string; fileSize?: string | number; bytes?: number }
		| undefined;
	readBinary: (name: string) => Promise<Buffer>;
}

export interface NormalizeOptions {
	source: NormalizeSource;
	rawField?: string;
	binaryPropertyName?: string;
	includeHtml?: boolean;
	stripQuotes?: boolean;
	mailbox?: string;
	maxBytes?: number;
	provider?: EmailProvider;
}

const RAW_FIELD_CANDIDATES = ['raw', 'mime', 'eml', 'source', 'rawMessage'];

export async function normalizeInput(
	input: NormalizeInput,
	options: NormalizeOptions,
): Promise<SupportEmail> {
	const context = {
		includeHtml: options.includeHtml,
		stripQuotes: options.stripQuotes,
		mailbox: options.mailbox,
	};

	switch (options.source) {
		case 'field': {
			const field = options.rawField ?? 'raw';
			const value = readPath(input.json, field);
			if (value === undefined) {
				throw new InputError(
					`The item has no field "${field}"`,
					`Set "Field Name" to the field that holds the raw message. The item's fields are: ${Object.keys(input.json).join(', ') || '(none)'}.`,
				);
			}
			return await fromRaw(rawToBuffer(value, field), options.provider ?? 'mime', options, context);
		}
		case 'binary': {
			const name = options.binaryPropertyName ?? 'data';
			return await fromRaw(
				await input.readBinary(name),
				options.provider ?? 'mime',
				options,
				context,
			);
		}
		case 'n8n': {
			if (!looksLikeN8nEmail(input.json)) {
				throw new InputError(
					'The item does not look like the output of an n8n Gmail, Gmail Trigger or Email Trigger (IMAP) node',
					'Connect one of those nodes before this one, or choose "Raw MIME in a Field" / "Raw MIME in a Binary Property" as Input.',
				);
			}
			return await fromN8n(input, context);
		}
		default:
			return await autoDetect(input, options, context);
	}
}

/** What the node passes down to reading: HTML kept, quotes stripped, the mailbox it came from. */
interface ReadContext {
	includeHtml?: boolean;
	stripQuotes?: boolean;
	mailbox?: string;
}

/**
 * `support.email` already on the item (the Support Inbox Trigger's output, or an earlier Normalize):
 * it is passed on as it is, never parsed again (which would lose `provider`, `uid`, `mailbox`, and
 * with "Include Raw Message" would read the raw binary as new mail). Fields a newer normaliser
 * adds (spoofing signals, display names safe to show) are filled in when missing.
 */
export function existingSupportEmail(json: Record<string, unknown>): SupportEmail | undefined {
	const support = json.support;
	if (!support || typeof support !== 'object') return undefined;
	const email = (support as { email?: unknown }).email;
	if (!email || typeof email !== 'object') return undefined;
	const candidate = email as Partial<SupportEmail>;
	if (
		typeof candidate.messageId !== 'string' ||
		!candidate.from ||
		typeof candidate.from.address !== 'string' ||
		typeof candidate.text !== 'string'
	)
		return undefined;
	const existing = candidate as SupportEmail;
	if (Array.isArray(existing.spoofSignals)) return existing;
	return {
		...existing,
		from: safeAddress(existing.from),
		...(existing.replyTo ? { replyTo: safeAddress(existing.replyTo) } : {}),
		spoofSignals: detectSpoofing({
			from: existing.from,
			replyTo: existing.replyTo,
			subject: existing.subject,
			recipients: [...(existing.to ?? []), ...(existing.cc ?? [])].map((a) => a.address),
		}),
	};
}

async function autoDetect(
	input: NormalizeInput,
	options: NormalizeOptions,
	context: ReadContext,
): Promise<SupportEmail> {
	const existing = existingSupportEmail(input.json);
	if (existing) return existing;
	if (looksLikeN8nEmail(input.json)) return await fromN8n(input, context);

	for (const field of RAW_FIELD_CANDIDATES) {
		const value = input.json[field];
		if (typeof value === 'string' && value.length > 0) {
			return await fromRaw(rawToBuffer(value, field), options.provider ?? 'mime', options, context);
		}
	}
	const binaryName = pickMessageBinary(input);
	if (binaryName)
		return await fromRaw(
			await input.readBinary(binaryName),
			options.provider ?? 'mime',
			options,
			context,
		);

	throw new InputError(
		'No email found on the item: it is not the output of an n8n Gmail / Email Trigger node, has no "raw" field and no .eml binary',
		`Choose the Input explicitly ("Raw MIME in a Field" or "Raw MIME in a Binary Property") and name the field. The item has fields: ${Object.keys(input.json).join(', ') || '(none)'}; binary: ${input.binaryNames.join(', ') || '(none)'}.`,
	);
}

async function fromN8n(input: NormalizeInput, context: ReadContext): Promise<SupportEmail> {
	const mapped = fromN8nEmailJson(
		input.json,
		input.binaryNames.map((name) => ({ name, ...input.binaryInfo(name) })),
	);
	return buildSupportEmail(mapped.parsed, {
		...mapped.context,
		...context,
		mailbox: context.mailbox ?? mapped.context.mailbox,
	});
}

async function fromRaw(
	raw: Buffer,
	provider: EmailProvider,
	options: NormalizeOptions,
	context: ReadContext,
): Promise<SupportEmail> {
	const parsed = await parseMime(raw, { maxBytes: options.maxBytes });
	return buildSupportEmail(parsed, { provider, ...context });
}

function pickMessageBinary(input: NormalizeInput): string | undefined {
	for (const name of input.binaryNames) {
		const info = input.binaryInfo(name);
		if (info?.mimeType === 'message/rfc822' || /\.eml$/i.test(info?.fileName ?? '')) return name;
	}
	return input.binaryNames.includes('data') ? 'data' : undefined;
}

/** Raw MIME as text, or base64 / base64url of it (Gmail's "raw" format, n8n's IMAP raw output). */
export function rawToBuffer(value: unknown, field: string): Buffer {
	if (Buffer.isBuffer(value)) return value;
	if (typeof value !== 'string') {
		throw new InputError(
			`The field "${field}" holds ${Array.isArray(value) ? 'a list' : typeof value}, not the raw message text`,
			'Point "Field Name" at a field with the RFC 822 source as text or base64.',
		);
	}
	const compact = value.replace(/\s+/g, '');
	if (compact.length >= 16 && !value.includes(':') && /^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) {
		const decoded = Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
		if (decoded.length > 0) return decoded;
	}
	return Buffer.from(value, 'utf8');
}
