/**
 * The item contract of DESIGN.md section 2: what every node of this package reads and writes under
 * `item.json.support`. Nodes never need each other, only these fields.
 */

export interface EmailAddress {
	name: string;
	address: string;
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
	/** What the normaliser had to guess or repair, in words a canvas user can act on. */
	warnings?: string[];
}
