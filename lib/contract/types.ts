/**
 * The item contract (DESIGN.md section 2): the TypeScript types of every `item.json.support.*` field.
 * Each field's type lives beside the code that writes it and is re-exported here, so a node that
 * reads a field imports it from one place and no shape is defined twice. The JSON schema of the same
 * fields is in `./schema`, the reader every node uses in `./reader`.
 */
import type { Classification } from '../classify';
import type { Draft } from '../draft';
import type { SupportEmail } from '../email/types';
import type { Decision } from '../escalation/rules';
import type { SupportPriority } from '../priority';
import type { SupportAnswer, SupportKnowledgeEntry } from '../knowledge/search';

export type {
	AttachmentInfo,
	AutoSubmittedReason,
	EmailAddress,
	EmailProvider,
	SupportEmail,
} from '../email/types';
export type { Classification as SupportClassification } from '../classify';
export type { SupportPriority } from '../priority';
export type { Draft as SupportDraft, Citation } from '../draft';
export type { SupportAnswer, SupportKnowledgeEntry } from '../knowledge/search';

/** `support.decision`: what the Support Escalation decided, plus who approved it when a person did. */
export type SupportDecision = Pick<Decision, 'action' | 'reasons'> &
	Partial<Pick<Decision, 'rules' | 'decidedAt'>> & {
		approvedBy?: string;
		approvedAt?: string;
	};

/** `support.sent` (Send Reply / Send New) and `support.draftSaved` (Create Draft): what went out. */
export interface SupportSent {
	provider: string;
	/** The Message-ID header of the sent message. */
	messageId: string;
	/** The provider's own id (SendGrid X-Message-Id, Brevo messageId, Gmail message id). */
	providerMessageId: string;
	sentAt: string;
	threadId?: string;
	draftId?: string;
	mailbox?: string;
	warnings?: string[];
}

/** Every field of `item.json.support`, by name. */
export interface SupportFields {
	email: SupportEmail;
	classification: Classification;
	priority: SupportPriority;
	draft: Draft;
	decision: SupportDecision;
	sent: SupportSent;
	draftSaved: SupportSent;
	knowledge: SupportKnowledgeEntry[];
	answer: SupportAnswer;
}

export type SupportField = keyof SupportFields;

/** `item.json.support` as a whole: the fields above, any of them missing, plus the user's own. */
export type Support = Partial<SupportFields> & Record<string, unknown>;
