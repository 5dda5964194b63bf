/**
 * The package's programmatic entry point (`main`): the library behind the nodes, for a script, a
 * service or an n8n Code node. n8n itself never loads this file (it reads the `n8n` section of
 * package.json), so nothing here runs inside n8n unless you require it.
 *
 *   const { normalizeEmail, classifyOffline, decideEscalation } = require('n8n-nodes-support-email');
 *
 * The functions are the ones the nodes call; the `*Email` / `decideEscalation` helpers fill in the
 * nodes' defaults so a caller passes only what differs. README: "Use from code".
 */
import { BusinessCalendar, type CalendarConfig } from './lib/priority/business-hours';
import { prioritize, type PrioritizeOptions, type SupportPriority } from './lib/priority';
import type { PriorityConfig } from './lib/priority/rules';
import { draftReply, type Draft, type DraftConfig, type DraftInput } from './lib/draft';
import {
	decide,
	DEFAULT_CONFIG,
	type Decision,
	type EscalationConfig,
} from './lib/escalation/rules';
import { readEscalationInput } from './lib/escalation/input';
import { withAnswerRule } from './lib/escalation/answer-rule';
import { normalizeInput, type NormalizeOptions } from './lib/email/normalize';
import type { SupportEmail } from './lib/email/types';

// ------------------------------------------------------------------------------------------------
// Normalise

export type { SupportEmail, EmailAddress, AttachmentInfo, EmailProvider } from './lib/email/types';
export type { NormalizeOptions, NormalizeInput, NormalizeSource } from './lib/email/normalize';
export { normalizeInput } from './lib/email/normalize';
export { InputError } from './lib/errors';

/** What `normalizeEmail` takes besides the message; the node's Options. */
export type NormalizeEmailOptions = Partial<
	Pick<NormalizeOptions, 'includeHtml' | 'stripQuotes' | 'mailbox' | 'maxBytes' | 'provider'>
>;

/**
 * One email into the `support.email` shape, as "Support Email → Normalize" does: raw RFC 822
 * source (a Buffer, or text / base64 / base64url), or an object in the shape n8n's Gmail, Gmail
 * Trigger or Email Trigger (IMAP) nodes output. Throws an InputError (with a `hint`) for anything
 * else.
 */
export async function normalizeEmail(
	message: string | Buffer | Record<string, unknown>,
	options: NormalizeEmailOptions = {},
): Promise<SupportEmail> {
	const common = { stripQuotes: true, ...options };
	if (Buffer.isBuffer(message)) {
		return await normalizeInput(
			{
				json: {},
				binaryNames: ['message'],
				binaryInfo: () => ({ mimeType: 'message/rfc822', bytes: message.length }),
				readBinary: async () => message,
			},
			{ ...common, source: 'binary', binaryPropertyName: 'message' },
		);
	}
	if (typeof message === 'string') {
		return await normalizeInput(
			{
				json: { raw: message },
				binaryNames: [],
				binaryInfo: () => undefined,
				readBinary: noBinary,
			},
			{ ...common, source: 'field', rawField: 'raw' },
		);
	}
	return await normalizeInput(
		{ json: message, binaryNames: [], binaryInfo: () => undefined, readBinary: noBinary },
		{ ...common, source: 'n8n' },
	);
}

async function noBinary(name: string): Promise<Buffer> {
	throw new Error(`no binary property "${name}": pass the raw message as a Buffer instead`);
}

// ------------------------------------------------------------------------------------------------
// Classify: the built-in offline model (no network, no key), and its parts

export {
	classifyOffline,
	trainClassifier,
	OfflineClassifier,
	getDefaultClassifier,
	detectLanguage,
	analyzeSentiment,
	detectUrgency,
	extractEntities,
	summarize,
} from './lib/offline-model';
export type {
	ClassifyOfflineOptions,
	OfflineClassification,
	TrainingExample,
	TrainClassifierOptions,
	Prediction,
	SerializedModel,
} from './lib/offline-model';

// ------------------------------------------------------------------------------------------------
// Priority and SLA

export {
	prioritize,
	BusinessCalendar,
	DEFAULT_POLICY,
	DEFAULT_TARGETS,
	LEVELS,
} from './lib/priority';
export type {
	PrioritizeOptions,
	SupportPriority,
	PriorityConfig,
	Rule as PriorityRule,
	SlaPolicy,
	CalendarConfig,
	OpeningHours,
	Level as PriorityLevel,
} from './lib/priority';

/** The Support Priority Router's rules as dropped on the canvas. */
export const DEFAULT_PRIORITY_CONFIG: PriorityConfig = {
	rules: [
		{ type: 'urgency', mapping: { critical: 'urgent', high: 'high', normal: 'none', low: 'low' } },
		{
			type: 'keywords',
			keywords: [
				'outage',
				'down for everyone',
				'hacked',
				'data breach',
				'fraud',
				'chargeback',
				'unauthorized charge',
				'lawyer',
				'legal action',
			],
			lookIn: 'subjectAndText',
			level: 'high',
		},
		{ type: 'sentiment', threshold: -0.6, level: 'high' },
		{ type: 'category', categories: ['newsletter'], level: 'low' },
		{ type: 'repeatContact', minContacts: 3, countThreadReplies: true, level: 'high' },
	],
	defaultLevel: 'normal',
	autoSubmittedCap: 'low',
};

/** The node's default business hours: Monday to Friday, 09:00 to 17:00. */
export const DEFAULT_CALENDAR: CalendarConfig = {
	timeZone: 'UTC',
	hours: [{ day: 'weekdays', start: '09:00', end: '17:00' }],
};

/**
 * `support.priority` for a `support` object (`{ email, classification }`), with the Priority
 * Router's defaults for whatever `options` leaves out.
 */
export function prioritizeEmail(
	support: { email?: unknown; classification?: unknown; [field: string]: unknown },
	options: Partial<Omit<PrioritizeOptions, 'calendar'>> & {
		calendar?: BusinessCalendar | CalendarConfig;
	} = {},
): SupportPriority {
	const calendar =
		options.calendar instanceof BusinessCalendar
			? options.calendar
			: new BusinessCalendar(options.calendar ?? DEFAULT_CALENDAR);
	return prioritize(support, {
		...options,
		priority: options.priority ?? DEFAULT_PRIORITY_CONFIG,
		policies: options.policies ?? [],
		calendar,
	});
}

// ------------------------------------------------------------------------------------------------
// Drafting

export { draftReply, TEMPLATE_MODEL } from './lib/draft';
export type { Draft, DraftConfig, DraftInput, KnowledgeSnippet, Tone } from './lib/draft';
export { createOpenAiCompatibleProvider, createAnthropicProvider } from './lib/ai';
export type { AiProvider } from './lib/ai';

/** The Support Reply Drafter's defaults: no AI provider, so the built-in templates answer. */
export const DEFAULT_DRAFT_CONFIG: DraftConfig = {
	providers: [],
	templateFallback: true,
	language: 'customer',
	tone: 'friendly',
	policies: [],
	templates: [],
	reviewThreshold: 0.7,
	minClassificationConfidence: 0.7,
	maxInputChars: 8000,
	maxKnowledgeChars: 12000,
	maxOutputTokens: 1000,
	redactPersonalData: false,
};

/**
 * `support.draft` for a `support` object with `email`, `classification` and optionally `knowledge`.
 * Without `providers` the reply comes from the built-in templates and is marked `needsReview`.
 */
export async function draftEmailReply(
	support: {
		email: DraftInput['email'];
		classification: DraftInput['classification'];
		knowledge?: DraftInput['knowledge'];
	},
	config: Partial<DraftConfig> = {},
): Promise<Draft> {
	return await draftReply(
		{
			email: support.email,
			classification: support.classification,
			knowledge: support.knowledge ?? [],
		},
		{ ...DEFAULT_DRAFT_CONFIG, ...config },
	);
}

// ------------------------------------------------------------------------------------------------
// Escalation decisions

export { decide, readEscalationInput } from './lib/escalation';
export { DEFAULT_CONFIG as DEFAULT_ESCALATION_CONFIG } from './lib/escalation/rules';
export type {
	Decision,
	EscalationConfig,
	EscalationAction,
	EscalationInput,
} from './lib/escalation';

/**
 * `support.decision` for a `support` object as the nodes leave it (email, classification, and the
 * draft when there is one): auto_send, human_review or escalate, with one reason per rule that
 * fired. Auto-send needs `allowAutoSend: true`, as on the node. Throws an InputError naming the
 * node that should have written a missing field.
 */
export function decideEscalation(
	support: Record<string, unknown>,
	config: Partial<EscalationConfig> & { requireDraft?: boolean } = {},
	now = new Date(),
): Decision {
	const { requireDraft = false, ...rules } = config;
	return withAnswerRule(
		decide(readEscalationInput({ support }, requireDraft), { ...DEFAULT_CONFIG, ...rules }, now),
		{ support },
	);
}

// ------------------------------------------------------------------------------------------------
// Knowledge: a help centre and past replies, searched offline (the Support Knowledge node)

export {
	KnowledgeBase,
	articleFromInput,
	articleFromFile,
	conversationFromInput,
	demoKnowledgeBase,
	loadKnowledgeBase,
	searchForEmail,
} from './lib/knowledge';
export type {
	ArticleInput,
	ConversationInput,
	KnowledgeDoc,
	SupportAnswer,
	SupportKnowledgeEntry,
} from './lib/knowledge';
export { AUTO_ANSWER_THRESHOLD } from './lib/escalation/answer-rule';
