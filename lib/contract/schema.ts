/**
 * The JSON schema of every `item.json.support.*` field (DESIGN.md section 2), one per field. `required`
 * lists what the writing node always writes; the reader checks the shape of every property that is
 * present, and requires only what the reading node needs (a hand-made item from a Set node may carry
 * less). Extra properties are allowed: nodes add details (reasons, attempts) and users their own data.
 */
import type { SupportField } from './types';

export type JsonSchema = Record<string, unknown>;

const string = { type: 'string' };
const nonEmptyString = { type: 'string', minLength: 1 };
/** A text with a date; what the node that reads it accepts is up to that node. */
const time = { type: 'string', minLength: 1 };
/** What our nodes write: ISO 8601 with a zone. */
const isoTime = {
	type: 'string',
	pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})$',
};
const unit = { type: 'number', minimum: 0, maximum: 1 };
const strings = { type: 'array', items: string };
const address = {
	type: 'object',
	required: ['address'],
	properties: { name: string, address: string },
};
const usage = {
	type: 'object',
	required: ['inputTokens', 'outputTokens'],
	properties: { inputTokens: { type: 'number' }, outputTokens: { type: 'number' } },
};
const citation = {
	type: 'object',
	required: ['id'],
	properties: { id: string, title: string, url: string },
};

const email: JsonSchema = {
	title: 'support.email',
	type: 'object',
	required: [
		'messageId',
		'references',
		'from',
		'to',
		'cc',
		'subject',
		'text',
		'fullText',
		'receivedAt',
		'attachments',
		'autoSubmitted',
		'provider',
	],
	properties: {
		messageId: nonEmptyString,
		threadId: string,
		inReplyTo: string,
		references: strings,
		from: address,
		replyTo: address,
		to: { type: 'array', items: address },
		cc: { type: 'array', items: address },
		subject: string,
		text: string,
		fullText: string,
		html: string,
		hiddenText: string,
		receivedAt: time,
		language: string,
		attachments: {
			type: 'array',
			items: {
				type: 'object',
				required: ['filename', 'contentType', 'size'],
				properties: { filename: string, contentType: string, size: { type: 'number' } },
			},
		},
		autoSubmitted: { type: 'boolean' },
		autoSubmittedReason: string,
		provider: string,
		mailbox: string,
		uid: { type: 'number' },
		/** Set when the message could not be read; the item still reaches the workflow. */
		readError: {
			type: 'object',
			required: ['message'],
			properties: { message: string, hint: string },
		},
		rawHeaders: string,
		/** Signs the sender is not who the From header says (written by the normaliser). */
		spoofSignals: {
			type: 'array',
			items: {
				type: 'object',
				required: ['code', 'message'],
				properties: { code: string, message: string },
			},
		},
	},
};

const classification: JsonSchema = {
	title: 'support.classification',
	type: 'object',
	required: [
		'category',
		'sentiment',
		'urgency',
		'language',
		'entities',
		'summary',
		'confidence',
		'unsure',
		'provider',
		'model',
		'usage',
		'latencyMs',
	],
	properties: {
		category: nonEmptyString,
		categories: strings,
		intent: string,
		sentiment: {
			type: 'object',
			required: ['score'],
			properties: {
				label: { enum: ['negative', 'neutral', 'positive'] },
				score: { type: 'number', minimum: -1, maximum: 1 },
			},
		},
		urgency: { enum: ['low', 'normal', 'high', 'critical'] },
		language: string,
		entities: { type: 'object' },
		summary: string,
		confidence: unit,
		/**
		 * The Classifier's verdict on its own confidence: true when `confidence` is below the node's
		 * Confidence Threshold (`unsureBelow`). The Drafter and the Escalation read this, never a
		 * threshold of their own. A hand-made classification without it counts as sure.
		 */
		unsure: { type: 'boolean' },
		unsureBelow: unit,
		routedTo: strings,
		provider: string,
		model: string,
		usage,
		latencyMs: { type: 'number' },
		promptInjection: {
			type: 'object',
			properties: { suspected: { type: 'boolean' }, signals: strings },
		},
	},
};

const priority: JsonSchema = {
	title: 'support.priority',
	type: 'object',
	required: ['level', 'reasons', 'sla'],
	properties: {
		level: { enum: ['urgent', 'high', 'normal', 'low'] },
		reasons: strings,
		rules: {
			type: 'array',
			items: {
				type: 'object',
				required: ['rule', 'level', 'reason'],
				properties: { rule: string, level: string, reason: string },
			},
		},
		customerTier: string,
		previousContacts: { type: 'number', minimum: 0 },
		vip: { type: 'boolean' },
		sla: {
			type: 'object',
			properties: {
				firstResponseDue: isoTime,
				resolutionDue: isoTime,
				businessHours: { type: 'boolean' },
			},
		},
	},
};

const draft: JsonSchema = {
	title: 'support.draft',
	type: 'object',
	required: [
		'subject',
		'text',
		'language',
		'confidence',
		'needsReview',
		'reasons',
		'provider',
		'model',
		'usage',
	],
	properties: {
		subject: string,
		text: string,
		html: string,
		language: string,
		confidence: unit,
		needsReview: { type: 'boolean' },
		reasons: strings,
		provider: string,
		model: string,
		usage,
		citations: { type: 'array', items: citation },
		autoAnswerThreshold: unit,
	},
};

const decision: JsonSchema = {
	title: 'support.decision',
	type: 'object',
	required: ['action', 'reasons'],
	properties: {
		action: { enum: ['auto_send', 'human_review', 'escalate'] },
		reasons: strings,
		approvedBy: string,
		approvedAt: isoTime,
	},
};

const sent: JsonSchema = {
	title: 'support.sent',
	type: 'object',
	required: ['provider', 'messageId', 'providerMessageId', 'sentAt'],
	properties: {
		provider: string,
		messageId: string,
		providerMessageId: string,
		sentAt: isoTime,
		threadId: string,
		draftId: string,
		mailbox: string,
		warnings: strings,
	},
};

const knowledge: JsonSchema = {
	title: 'support.knowledge',
	type: 'array',
	items: {
		type: 'object',
		required: ['id', 'text', 'score', 'source'],
		properties: {
			id: nonEmptyString,
			title: string,
			text: string,
			url: string,
			score: { type: 'number' },
			source: { enum: ['article', 'reply'] },
			language: string,
			retrieval: { enum: ['lexical', 'hybrid'] },
			similarity: { type: 'number', minimum: -1, maximum: 1 },
		},
	},
};

const answer: JsonSchema = {
	title: 'support.answer',
	type: 'object',
	required: ['confidence', 'citations', 'abstained', 'reasons'],
	properties: {
		confidence: unit,
		citations: { type: 'array', items: citation },
		abstained: { type: 'boolean' },
		reasons: strings,
	},
};

/** The schema of each `support.*` field. */
export const SUPPORT_SCHEMAS: Record<SupportField, JsonSchema> = {
	email,
	classification,
	priority,
	draft,
	decision,
	sent,
	draftSaved: { ...sent, title: 'support.draftSaved' },
	knowledge,
	answer,
};

/** The schema of `item.json.support` as a whole (every field optional). */
export const SUPPORT_SCHEMA: JsonSchema = {
	title: 'support',
	type: 'object',
	properties: SUPPORT_SCHEMAS,
};

/**
 * The node (or step) that writes each field: an error about a missing or broken field says to put
 * this before the node that reads it.
 */
export const WRITERS: Record<SupportField, string> = {
	email: 'the Support Inbox Trigger or "Support Email → Normalize"',
	classification: 'a Support Classifier',
	priority: 'a Support Priority Router',
	draft: 'a Support Reply Drafter',
	decision: 'a Support Escalation',
	sent: '"Support Email → Send Reply" (or Send New)',
	draftSaved: '"Support Email → Create Draft"',
	knowledge: 'the Support Knowledge node (operation Search)',
	answer: 'the Support Knowledge node (operation Search)',
};
