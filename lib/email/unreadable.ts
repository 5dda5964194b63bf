/**
 * Mail that cannot be read still reaches the workflow (issue 14: no mail lost in silence): an item
 * with `readError`, the raw header block and whatever the headers say (sender, subject, Message-ID),
 * so a person sees it and can open the original.
 */
import { createHash } from 'node:crypto';
import { parseAddressHeader } from 'mailparser';
import { addresses, messageIdOf, parseDate, referencesOf } from './parse-mime';
import { detectSpoofing, safeAddress, withoutBidiControls } from './spoofing';
import type { EmailProvider, ReadError, SupportEmail } from './types';

/** The most of the header block kept on the item. */
export const MAX_RAW_HEADERS = 64 * 1024;

export interface UnreadableContext {
	provider: EmailProvider;
	mailbox?: string;
	uid?: number;
	providerMessageId?: string;
	threadId?: string;
	labels?: string[];
	receivedAt?: Date;
	now?: () => Date;
}

/** The header block as text (up to the first blank line, at most MAX_RAW_HEADERS), NULs removed. */
export function rawHeaderBlock(raw: Buffer): string {
	const head = raw
		.subarray(0, MAX_RAW_HEADERS)
		.toString('utf8')
		.replace(/\u0000/g, '');
	const end = /\r?\n\r?\n/.exec(head);
	return end ? head.slice(0, end.index) : head;
}

export function unreadableEmail(
	raw: Buffer | undefined,
	error: ReadError,
	context: UnreadableContext,
): SupportEmail {
	const rawHeaders = raw ? rawHeaderBlock(raw) : '';
	const byName = new Map<string, string>();
	for (const line of rawHeaders.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
		const match = /^([!-9;-~]+)[ \t]*:[ \t]*(.*)$/.exec(line);
		if (match && !byName.has(match[1].toLowerCase()))
			byName.set(match[1].toLowerCase(), match[2].trim());
	}
	const header = (name: string) => byName.get(name);
	const addressList = (name: string) => {
		const value = header(name);
		try {
			return value ? addresses(parseAddressHeader(value)) : [];
		} catch {
			return [];
		}
	};
	const from = addressList('from')[0] ?? { name: '', address: '' };
	const replyTo = addressList('reply-to')[0];
	const to = addressList('to');
	const cc = addressList('cc');
	const subject = (header('subject') ?? '').slice(0, 1000);
	const date = header('date') ? parseDate(header('date')!) : undefined;
	const receivedAt = context.receivedAt ?? date ?? (context.now ?? (() => new Date()))();

	let messageId = messageIdOf(header('message-id'));
	const messageIdGenerated = !messageId;
	if (!messageId) {
		const basis = context.providerMessageId
			? `${context.provider}.${context.providerMessageId}`
			: createHash('sha256')
					.update(raw ?? Buffer.from(`${context.mailbox}\u0000${context.uid}`))
					.digest('hex')
					.slice(0, 32);
		messageId = `<${basis}@unreadable.support-email.invalid>`;
	}

	const email: SupportEmail = {
		messageId,
		references: referencesOf(header('references')),
		from: safeAddress(from),
		to: to.map(safeAddress),
		cc: cc.map(safeAddress),
		subject: withoutBidiControls(subject),
		text: '',
		fullText: '',
		receivedAt: receivedAt.toISOString(),
		attachments: [],
		autoSubmitted: false,
		provider: context.provider,
		spoofSignals: detectSpoofing({
			from,
			replyTo,
			subject,
			recipients: [...to, ...cc].map((a) => a.address),
		}),
		readError: error,
		rawHeaders,
		warnings: [
			`The message could not be read: ${error.message}.${error.hint ? ` ${error.hint}` : ''} It is passed on with its raw headers so that a person can look at it.`,
		],
	};
	if (messageIdGenerated) email.messageIdGenerated = true;
	if (subject !== email.subject) email.originalSubject = subject;
	if (replyTo) email.replyTo = safeAddress(replyTo);
	const inReplyTo = messageIdOf(header('in-reply-to'));
	if (inReplyTo) email.inReplyTo = inReplyTo;
	const threadId = context.threadId ?? email.references[0] ?? inReplyTo;
	if (threadId) email.threadId = threadId;
	if (context.mailbox) email.mailbox = context.mailbox;
	if (context.uid !== undefined) email.uid = context.uid;
	if (context.providerMessageId) email.providerMessageId = context.providerMessageId;
	if (context.labels?.length) email.labels = context.labels;
	if (raw) email.size = raw.length;
	return email;
}

/** An error as the item's readError: the message, and the hint when the error carries one. */
export function readErrorOf(error: unknown): ReadError {
	const e = error as { message?: unknown; hint?: unknown };
	const message = typeof e?.message === 'string' ? e.message : String(error);
	return typeof e?.hint === 'string' && e.hint ? { message, hint: e.hint } : { message };
}
