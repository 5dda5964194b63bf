import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { EmailAddress, SupportEmail } from '../email/types';

/** Put on every message this package sends, so our own trigger never takes our own mail as new. */
export const SENT_BY_US_HEADER = 'X-Support-Email';

export interface OutgoingAttachment {
	filename: string;
	contentType: string;
	content: Buffer;
}

export interface OutgoingMessage {
	from: EmailAddress;
	to: EmailAddress[];
	cc?: EmailAddress[];
	bcc?: EmailAddress[];
	replyTo?: EmailAddress;
	subject: string;
	text?: string;
	html?: string;
	messageId: string;
	inReplyTo?: string;
	references?: string[];
	/** RFC 3834: an automatic reply carries `Auto-Submitted: auto-replied`. */
	automatic?: boolean;
	/** Gmail thread to put the message in. */
	threadId?: string;
	headers?: Record<string, string>;
	attachments?: OutgoingAttachment[];
	date?: Date;
}

export interface Threading {
	subject: string;
	inReplyTo?: string;
	references: string[];
	threadId?: string;
	warnings: string[];
}

const REPLY_PREFIX = /^\s*(re|aw|sv|vs|antw|odp|ref|res|r|wg)\s*(\[\d+\])?\s*:/i;
/** Keep the References header short (RFC 5322 3.6.4 allows trimming; keep the root and the tail). */
const MAX_REFERENCES = 20;

/** "Re: " once: a subject that already starts with a reply prefix (any common language) is kept. */
export function replySubject(subject: string): string {
	const trimmed = subject.trim();
	if (!trimmed) return 'Re:';
	return REPLY_PREFIX.test(trimmed) ? trimmed : `Re: ${trimmed}`;
}

/**
 * Threading headers of a reply (DESIGN.md section 4): In-Reply-To = the parent's Message-ID,
 * References = the parent's References + its Message-ID, subject "Re:" once, Gmail thread id.
 */
export function replyThreading(parent: SupportEmail): Threading {
	const warnings: string[] = [];
	const references = [...parent.references];
	let inReplyTo: string | undefined;
	if (parent.messageIdGenerated) {
		warnings.push(
			'The inbound message had no Message-ID, so the reply carries no In-Reply-To; mail clients thread it by subject.',
		);
	} else {
		inReplyTo = parent.messageId;
		if (!references.includes(parent.messageId)) references.push(parent.messageId);
	}
	const trimmed =
		references.length > MAX_REFERENCES
			? [references[0], ...references.slice(references.length - (MAX_REFERENCES - 1))]
			: references;
	const threading: Threading = {
		subject: replySubject(parent.subject),
		references: trimmed,
		warnings,
	};
	if (inReplyTo) threading.inReplyTo = inReplyTo;
	if (parent.provider === 'gmail' && parent.threadId && !parent.threadId.startsWith('<'))
		threading.threadId = parent.threadId;
	return threading;
}

export function newMessageId(fromAddress: string): string {
	const domain = /@([^@>\s]+)$/.exec(fromAddress)?.[1] ?? 'support-email.invalid';
	return `<${randomUUID()}@${domain}>`;
}

export function formatAddress(address: EmailAddress): string {
	if (!address.name) return address.address;
	const name = /[",;<>@()[\]:\\]/.test(address.name)
		? `"${address.name.replace(/["\\]/g, '\\$&')}"`
		: address.name;
	return `${name} <${address.address}>`;
}

/** Headers every provider sends the same way. */
/** Headers for a provider API that builds the MIME itself (SendGrid, Brevo): ours plus threading. */
export function apiHeaders(
	message: OutgoingMessage,
	messageIdHeader: 'Message-ID' | 'Message-Id',
): Record<string, string> {
	const headers = extraHeaders(message);
	headers[messageIdHeader] = message.messageId;
	if (message.inReplyTo) headers['In-Reply-To'] = message.inReplyTo;
	if (message.references?.length) headers.References = message.references.join(' ');
	return headers;
}

interface ApiAddress {
	email: string;
	name?: string;
}

/** Sender and recipients of a message, each address in the shape `one` gives it (empty lists left out). */
function addressesAs<T>(message: OutgoingMessage, one: (address: EmailAddress) => T) {
	return {
		from: one(message.from),
		to: message.to.map(one),
		cc: message.cc?.length ? message.cc.map(one) : undefined,
		bcc: message.bcc?.length ? message.bcc.map(one) : undefined,
		replyTo: message.replyTo ? one(message.replyTo) : undefined,
	};
}

/** Sender and recipients in the `{ email, name }` shape of the SendGrid and Brevo APIs. */
export function apiAddresses(message: OutgoingMessage) {
	return addressesAs(message, (a): ApiAddress => ({ email: a.address, name: a.name || undefined }));
}

export function extraHeaders(message: OutgoingMessage): Record<string, string> {
	const headers: Record<string, string> = {
		[SENT_BY_US_HEADER]: 'sent',
		...(message.headers ?? {}),
	};
	if (message.automatic) {
		headers['Auto-Submitted'] = 'auto-replied';
		// Ask other robots not to answer our robot (Microsoft Exchange honours this one).
		headers['X-Auto-Response-Suppress'] = 'All';
	}
	return headers;
}

/** nodemailer's message options for a message (used by SMTP and to build raw MIME). */
export function nodemailerMessage(message: OutgoingMessage) {
	return {
		...addressesAs(message, formatAddress),
		subject: message.subject,
		text: message.text,
		html: message.html,
		messageId: message.messageId,
		inReplyTo: message.inReplyTo,
		references: message.references?.length ? message.references : undefined,
		date: message.date ?? new Date(),
		headers: extraHeaders(message),
		attachments: message.attachments?.map((a) => ({
			filename: a.filename,
			contentType: a.contentType,
			content: a.content,
		})),
	};
}

/** The RFC 5322 source of a message (Gmail's `raw`, IMAP APPEND to Drafts). */
export async function buildMime(message: OutgoingMessage): Promise<Buffer> {
	const composer = new MailComposer(nodemailerMessage(message));
	return await new Promise<Buffer>((resolve, reject) => {
		composer.compile().build((error, output) => (error ? reject(error) : resolve(output)));
	});
}
