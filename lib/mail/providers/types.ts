export interface SendResult {
	provider: 'smtp' | 'sendgrid' | 'brevo' | 'gmail' | 'imap';
	/** The Message-ID header of the sent message. */
	messageId: string;
	/** The provider's own id (SendGrid X-Message-Id, Brevo messageId, Gmail message id). */
	providerMessageId: string;
	threadId?: string;
	sentAt: string;
	accepted?: string[];
	rejected?: string[];
	/** Drafts: where the draft was stored. */
	draftId?: string;
	mailbox?: string;
}
