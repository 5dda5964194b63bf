/**
 * Past replies from mail: the team's own answers as they sit in a mailbox export (EML files, an mbox)
 * or in the support mailbox's Sent folder. A sent reply holds both halves of a resolved conversation:
 * the team's answer (the new text) and, quoted below it, the customer's message it answered. Mail that
 * is not a reply, or that does not quote what it answers, gives no conversation (and says why).
 */
import EmailReplyParser from 'email-reply-parser';
import type { ImapFlow } from 'imapflow';
import { stripReplyHistory } from '../email/clean-text';
import { normalizeInput } from '../email/normalize';
import type { SupportEmail } from '../email/types';
import { InputError } from '../errors';
import type { ConversationInput, KnowledgeDoc } from '../knowledge/documents';
import { conversationFromInput } from '../knowledge/documents';
import type { ImapSmtpCredentials } from './credentials';
import { connectImap } from './imap';

export const PAST_REPLY_LIMITS = {
	/** Largest single message read (bigger ones are skipped, with the reason). */
	maxMessageBytes: 5 * 1024 * 1024,
	/** Most messages read from one mbox file or one Sent folder run. */
	maxMessages: 20_000,
	/** Largest mbox file read. */
	maxMboxBytes: 200 * 1024 * 1024,
};

export type PastReply =
	| { conversation: ConversationInput; skipped?: undefined }
	| { conversation?: undefined; skipped: string };

/**
 * The messages of an mbox file (mboxo / mboxrd: each starts with a `From ` line at the start of a
 * line; `>From ` lines in bodies lose one `>`). A file that does not start with `From ` is one message.
 */
export function splitMbox(file: Buffer): Buffer[] {
	if (file.length > PAST_REPLY_LIMITS.maxMboxBytes)
		throw new InputError(
			`The mbox file is ${Math.round(file.length / 1048576)} MB, more than ${PAST_REPLY_LIMITS.maxMboxBytes / 1048576} MB`,
			'Split the export into smaller files (for example one per year), or read the Sent folder over IMAP instead.',
		);
	// latin1 keeps every byte as one character, so slicing and re-encoding gives the bytes back.
	const text = file.toString('latin1');
	if (!text.startsWith('From ')) return [file];
	const starts: number[] = [];
	const separator = /(^|\n)From [^\n]*\n/g;
	let match: RegExpExecArray | null;
	while ((match = separator.exec(text))) {
		starts.push(match.index + match[1].length, separator.lastIndex);
		if (starts.length / 2 > PAST_REPLY_LIMITS.maxMessages) break;
	}
	const messages: Buffer[] = [];
	for (let i = 0; i < starts.length; i += 2) {
		const bodyStart = starts[i + 1];
		const end = i + 2 < starts.length ? starts[i + 2] : text.length;
		if (messages.length >= PAST_REPLY_LIMITS.maxMessages) break;
		const message = text.slice(bodyStart, end).replace(/^>(>*From )/gm, '$1');
		messages.push(Buffer.from(message, 'latin1'));
	}
	return messages;
}

const REPLY_SUBJECT = /^\s*((re|aw|sv|vs|antw|rif|r|res|ref|odp|wg)\s*(\[\d+\])?\s*:\s*)+/i;
/** The line a mail client puts above the quote: "On Mon, 3 Jun 2024 Jane <jane@x> wrote:" in several languages. */
const QUOTE_HEADER =
	/(wrote|schrieb|a écrit|a ecrit|escribió|escribio|ha scritto|schreef|escreveu|skrev|kirjoitti|napisał)\s*:\s*$/i;
const OUTLOOK_HEADER =
	/^(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original)\s*-{2,}|(from|von|de|da|van|sent|gesendet|envoyé|enviado|inviato|verzonden|to|an|à|para|a|aan|cc|subject|betreff|objet|asunto|oggetto|onderwerp|assunto|date|datum|fecha|data)\s*:.*)$/i;

/** The customer's message quoted in a reply: one quote level, without the quote header. */
export function quotedMessage(fullText: string): string {
	const fragments = new EmailReplyParser().read(fullText).getFragments();
	const quoted = fragments
		.filter((fragment) => fragment.isQuoted())
		.map((fragment) => fragment.getContent())
		.join('\n');
	if (!quoted.trim()) return '';
	const lines = quoted.replace(/\r\n?/g, '\n').split('\n');
	const marked = lines.filter((line) => /^\s*>/.test(line));
	let body: string[];
	if (marked.length > 0) {
		// "> " quoting: the first level is the customer's mail; deeper levels are older history.
		body = lines
			.filter((line) => /^\s*>(?!\s*>)/.test(line))
			.map((line) => line.replace(/^\s*>\s?/, ''));
	} else {
		// Outlook style: a header block, then the message unindented.
		let start = 0;
		while (
			start < lines.length &&
			(OUTLOOK_HEADER.test(lines[start].trim()) || !lines[start].trim())
		)
			start++;
		body = lines.slice(start);
	}
	const text = body.filter((line) => !QUOTE_HEADER.test(line.trim())).join('\n');
	return stripReplyHistory(text);
}

function isReply(email: SupportEmail): boolean {
	return (
		!!email.inReplyTo || email.references.length > 0 || REPLY_SUBJECT.test(email.subject ?? '')
	);
}

/** One sent reply (RFC 822 source) as a past conversation, or why it is none. */
export async function pastReplyFromMime(raw: Buffer): Promise<PastReply> {
	if (raw.length > PAST_REPLY_LIMITS.maxMessageBytes)
		return { skipped: `larger than ${PAST_REPLY_LIMITS.maxMessageBytes / 1048576} MB` };
	let email: SupportEmail;
	try {
		email = await normalizeInput(
			{
				json: {},
				binaryNames: ['message'],
				binaryInfo: () => ({ mimeType: 'message/rfc822', bytes: raw.length }),
				readBinary: async () => raw,
			},
			{ source: 'binary', binaryPropertyName: 'message', stripQuotes: true },
		);
	} catch (error) {
		return { skipped: `not a readable message (${(error as Error).message})` };
	}
	if (!isReply(email)) return { skipped: 'not a reply (no In-Reply-To, References or "Re:")' };
	const reply = (email.text ?? '').trim();
	const customerMessage = quotedMessage(email.fullText ?? '');
	if (!customerMessage) return { skipped: 'the reply does not quote the message it answers' };
	if (!reply || reply === customerMessage) return { skipped: 'no reply text above the quote' };
	return {
		conversation: {
			id: email.messageId || undefined,
			subject: (email.subject ?? '').replace(REPLY_SUBJECT, '').trim(),
			customerMessage,
			reply,
		},
	};
}

/** Every message of an mbox export (or one .eml file), each as a past conversation or why it is none. */
export async function pastRepliesFromFile(file: Buffer): Promise<PastReply[]> {
	const replies: PastReply[] = [];
	for (const message of splitMbox(file)) replies.push(await pastReplyFromMime(message));
	return replies;
}

/** The knowledge documents of past replies, and how many were skipped for each reason. */
export function pastReplyDocuments(replies: PastReply[]): {
	docs: KnowledgeDoc[];
	skipped: Record<string, number>;
} {
	const docs: KnowledgeDoc[] = [];
	const skipped: Record<string, number> = {};
	for (const reply of replies) {
		let reason = reply.skipped;
		if (reply.conversation) {
			try {
				docs.push(conversationFromInput(reply.conversation));
				continue;
			} catch (error) {
				reason = (error as Error).message;
			}
		}
		reason ??= 'unreadable';
		skipped[reason] = (skipped[reason] ?? 0) + 1;
	}
	return { docs, skipped };
}

export interface SentFolderOptions {
	/** The folder to read; default: the one the server marks \Sent, else "Sent". */
	mailbox?: string;
	/** Only mail sent on or after this date. */
	since?: Date;
	/** The newest this many messages (at most PAST_REPLY_LIMITS.maxMessages). */
	limit?: number;
}

export interface SentFolderResult {
	mailbox: string;
	replies: PastReply[];
}

/** The replies in the support mailbox's Sent folder, newest last. */
export async function readSentFolder(
	credentials: ImapSmtpCredentials,
	options: SentFolderOptions = {},
): Promise<SentFolderResult> {
	const client = await connectImap(credentials, { disableAutoIdle: true });
	try {
		const mailbox = options.mailbox?.trim() || (await sentMailbox(client));
		let lock;
		try {
			lock = await client.getMailboxLock(mailbox, { readOnly: true });
		} catch {
			throw new InputError(
				`The mailbox has no folder "${mailbox}"`,
				'Set Sent Folder to the folder your sent mail is in (for Gmail: "[Gmail]/Sent Mail").',
			);
		}
		try {
			const found = await client.search(options.since ? { since: options.since } : { all: true }, {
				uid: true,
			});
			const limit = Math.min(options.limit ?? 1000, PAST_REPLY_LIMITS.maxMessages);
			const uids = (found || []).sort((a, b) => a - b).slice(-limit);
			const replies: PastReply[] = [];
			if (uids.length === 0) return { mailbox, replies };
			for await (const message of client.fetch(
				uids.join(','),
				{ uid: true, size: true, source: { maxLength: PAST_REPLY_LIMITS.maxMessageBytes } },
				{ uid: true },
			)) {
				if ((message.size ?? 0) > PAST_REPLY_LIMITS.maxMessageBytes || !message.source) {
					replies.push({
						skipped: `larger than ${PAST_REPLY_LIMITS.maxMessageBytes / 1048576} MB`,
					});
					continue;
				}
				replies.push(await pastReplyFromMime(message.source));
			}
			return { mailbox, replies };
		} finally {
			lock.release();
		}
	} finally {
		await client.logout().catch(() => client.close());
	}
}

async function sentMailbox(client: ImapFlow): Promise<string> {
	const folders = await client.list();
	const sent = folders.find((folder) => folder.specialUse === '\\Sent');
	if (sent) return sent.path;
	const named = folders.find((folder) =>
		/^(sent|sent items|sent messages|gesendet|envoyés)$/i.test(folder.name),
	);
	if (named) return named.path;
	throw new InputError(
		'The mailbox has no folder marked as Sent',
		`Set Sent Folder to the folder your sent mail is in. The folders are: ${folders
			.map((folder) => folder.path)
			.slice(0, 30)
			.join(', ')}.`,
	);
}
