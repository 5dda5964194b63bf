import { readSupport } from '../contract';

/**
 * What the Escalation rules look at, taken from `item.json.support` through the contract reader
 * (lib/contract): the reader checks the fields, this only picks what the rules compare.
 */
export interface EscalationInput {
	email: {
		from: string;
		subject: string;
		text: string;
		hiddenText?: string;
		autoSubmitted: boolean;
		autoSubmittedReason?: string;
		references: string[];
		/** Set by the normaliser when the message could not be read: what went wrong. */
		readError?: string;
	};
	classification: {
		category: string;
		confidence: number;
		/** The Support Classifier's verdict (below its Confidence Threshold). */
		unsure: boolean;
		/** The threshold the Classifier used, when it wrote it. */
		unsureBelow?: number;
		sentimentScore?: number;
		sentimentLabel?: string;
		urgency?: string;
		injectionSignals: string[];
	};
	priority?: {
		level?: string;
		firstResponseDue?: Date;
		resolutionDue?: Date;
		/** Earlier contacts the Priority Router counted. */
		previousContacts?: number;
		/**
		 * The Priority Router's rules that fired, by type (`sender` = VIP Senders, `repeatContact`,
		 * `sentiment`), each with the Router's reason: the Escalation acts on them and has no
		 * thresholds or lists of its own for these.
		 */
		fired: Partial<Record<string, string>>;
		vip: boolean;
	};
	draft?: {
		text: string;
		confidence?: number;
		needsReview: boolean;
		reasons: string[];
	};
	/** Support Escalation version 1 only: what old workflows gave outside the contract. */
	legacy?: { previousContacts?: number; vip?: boolean };
}

const DRAFT_HINT =
	'Or turn off "Require Draft" to decide without one (then nothing is sent automatically).';

/** Reads an item for the rules. A missing or malformed field is a ContractError naming its writer. */
export function readEscalationInput(
	json: Record<string, unknown>,
	requireDraft: boolean,
	version = 2,
): EscalationInput {
	const support = readSupport(json, {
		required: requireDraft
			? (['email', 'classification', 'draft'] as const)
			: (['email', 'classification'] as const),
		optional: ['priority', 'draft'],
		needs: { classification: ['category', 'confidence'], draft: ['text'], email: [], priority: [] },
		hints: { draft: DRAFT_HINT },
	});
	const { email, classification } = support;
	const priority = support.priority;
	const draft = support.draft;
	const input: EscalationInput = {
		email: {
			from: String(email.from?.address ?? '')
				.trim()
				.toLowerCase(),
			subject: email.subject ?? '',
			text: email.text || email.fullText || '',
			hiddenText: email.hiddenText,
			autoSubmitted: email.autoSubmitted === true,
			autoSubmittedReason: email.autoSubmittedReason,
			references: email.references ?? [],
			readError: email.readError ? email.readError.message : undefined,
		},
		classification: {
			category: classification.category,
			confidence: classification.confidence,
			unsure: classification.unsure === true,
			unsureBelow: classification.unsureBelow,
			sentimentScore: classification.sentiment?.score,
			sentimentLabel: classification.sentiment?.label,
			urgency: classification.urgency,
			injectionSignals: injectionSignals(classification.promptInjection),
		},
	};
	if (priority) {
		const fired: Partial<Record<string, string>> = {};
		for (const rule of priority.rules ?? []) fired[rule.rule] ??= rule.reason;
		input.priority = {
			level: priority.level,
			firstResponseDue: date(priority.sla?.firstResponseDue),
			resolutionDue: date(priority.sla?.resolutionDue),
			previousContacts: priority.previousContacts,
			fired,
			vip: priority.vip === true || fired.sender !== undefined,
		};
	}
	if (draft)
		input.draft = {
			text: draft.text,
			confidence: draft.confidence,
			needsReview: draft.needsReview === true,
			reasons: (draft.reasons ?? []).map(String),
		};
	if (version < 2) {
		// Version 1 read these from fields no node of this package writes; kept for old workflows.
		const raw = support.raw;
		const customer = isObject(raw.customer) ? raw.customer : {};
		const contacts = customer.previousContacts ?? raw.previousContacts;
		input.legacy = {
			previousContacts:
				typeof contacts === 'number' && Number.isFinite(contacts)
					? contacts
					: input.priority?.previousContacts,
			vip: customer.vip === true || raw.vip === true,
		};
	}
	return input;
}

function injectionSignals(value: unknown): string[] {
	if (value === true) return ['classifier-flagged'];
	if (!isObject(value)) return [];
	const signals = Array.isArray(value.signals) ? value.signals.map(String) : [];
	if (value.suspected === true && signals.length === 0) return ['classifier-flagged'];
	return signals;
}

/** The schema checked it is a non-empty text; the Priority Router writes ISO 8601. */
function date(value: string | undefined): Date | undefined {
	if (!value) return undefined;
	const parsed = new Date(value);
	return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
