/**
 * The item contract of DESIGN.md section 2: what every node of this package reads and writes under
 * `item.json.support`. Nodes never need each other, only these fields.
 */

export interface EmailAddress {
	/** The display name as reviewers are shown it (text-direction controls removed). */
	name: string;
	address: string;
	/** The display name as it came, when `name` had to be made safe to show. */
	originalName?: string;
}

/** One sign that the message imitates another sender (lib/email/spoofing.ts). */
export interface SpoofSignal {
	code: 'bidi_control' | 'lookalike_domain' | 'address_in_display_name' | 'reply_to_other_domain';
	/** A sentence a reviewer understands. */
	message: string;
}

/** Why a message could not be read: it still reaches the workflow, with this and its raw headers. */
export interface ReadError {
	message: string;
	hint?: string;
}

export interface AttachmentInfo {
	filename: string;
	contentType: string;
	size: number;
	contentId?: string;
	inline?: boolean;
}

export type AutoSubmittedReason = 'auto-replied' | 'bounce' | 'list' | 'bulk' | 'no-reply';

export type EmailProvider = 'mime' | 'imap' | 'gmail' | 'webhook';

export interface SupportEmail {
	messageId: string;
	/** True when the mail had no Message-ID and `messageId` was derived from its content (stable). */
	messageIdGenerated?: boolean;
	/** Provider thread id (Gmail), otherwise the root Message-ID of the References chain. */
	threadId?: string;
	inReplyTo?: string;
	references: string[];
	from: EmailAddress;
	replyTo?: EmailAddress;
	to: EmailAddress[];
	cc: EmailAddress[];
	subject: string;
	/** The subject as it came, when `subject` had to be made safe to show (text-direction controls). */
	originalSubject?: string;
	/** The customer's new words: quoted history, forwarded headers and signature removed. */
	text: string;
	/** The whole body as text (HTML converted when there is no text part). */
	fullText: string;
	html?: string;
	/** Text in HTML elements a reader never sees (display:none, hidden): kept apart for injection checks. */
	hiddenText?: string;
	receivedAt: string;
	language?: string;
	attachments: AttachmentInfo[];
	autoSubmitted: boolean;
	autoSubmittedReason?: AutoSubmittedReason;
	provider: EmailProvider;
	mailbox?: string;
	uid?: number;
	/** Provider-side id (Gmail message id) when the mail came from a provider API. */
	providerMessageId?: string;
	labels?: string[];
	/** Decoded size of the source in bytes, when the raw source was available. */
	size?: number;
	/** What the normaliser had to guess, repair or cut, in words a canvas user can act on. */
	warnings?: string[];
	/**
	 * Signs of a spoofed sender: always set by this package's normaliser (empty when none); optional in
	 * the type because items written by an older version lack it.
	 */
	spoofSignals?: SpoofSignal[];
	/**
	 * Set when the message could not be read (or was over the size limit): the item still reaches
	 * the workflow so that a person sees it, with what was readable and `rawHeaders`.
	 */
	readError?: ReadError;
	/** The message's header block as received (at most 64 KB), when it could not be read. */
	rawHeaders?: string;
}
