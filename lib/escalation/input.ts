import { InputError } from '../errors';

/** What the Escalation rules read from `item.json.support` (DESIGN.md section 2), checked. */
export interface EscalationInput {
	email: {
		from: string;
		subject: string;
		text: string;
		hiddenText?: string;
		autoSubmitted: boolean;
		autoSubmittedReason?: string;
		references: string[];
	};
	classification: {
		category: string;
		confidence: number;
		unsure?: boolean;
		sentimentScore?: number;
		sentimentLabel?: string;
		urgency?: string;
		injectionSignals: string[];
	};
	priority?: {
		level?: string;
		firstResponseDue?: Date;
		resolutionDue?: Date;
	};
	draft?: {
		text: string;
		confidence?: number;
		needsReview: boolean;
		reasons: string[];
	};
	/** Earlier contacts about this matter, when an upstream node counted them. */
	previousContacts?: number;
	/** An upstream flag (CRM lookup, Set node) saying the customer is a VIP. */
	vip?: boolean;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

const EMAIL_FIX =
	'Put the Support Inbox Trigger or "Support Email → Normalize" at the start of the workflow, and keep the "support" field on the items (a Set node must keep the other fields).';
const CLASSIFICATION_FIX =
	'Put the Support Classifier before this node (it writes support.classification), and keep the "support" field on the items.';
const DRAFT_FIX =
	'Put the Support Reply Drafter before this node (it writes support.draft), or turn off "Require Draft" to decide without one (then nothing is sent automatically).';

/**
 * Reads and checks the fields the rules need. A missing or malformed field is an InputError whose
 * hint names the node that writes it.
 */
export function readEscalationInput(json: Json, requireDraft: boolean): EscalationInput {
	const support = json.support;
	if (!isObject(support)) {
		throw new InputError('The item has no "support" field', `${EMAIL_FIX} ${CLASSIFICATION_FIX}`);
	}
	const email = support.email;
	if (!isObject(email)) throw new InputError('The item has no support.email', EMAIL_FIX);
	const classification = support.classification;
	if (!isObject(classification))
		throw new InputError('The item has no support.classification', CLASSIFICATION_FIX);

	const confidence = classification.confidence;
	if (
		typeof confidence !== 'number' ||
		!Number.isFinite(confidence) ||
		confidence < 0 ||
		confidence > 1
	)
		throw new InputError(
			`support.classification.confidence must be a number from 0 to 1 (it is ${JSON.stringify(confidence)})`,
			CLASSIFICATION_FIX,
		);
	if (typeof classification.category !== 'string' || !classification.category)
		throw new InputError('support.classification.category is missing', CLASSIFICATION_FIX);

	const from = isObject(email.from) ? String(email.from.address ?? '') : String(email.from ?? '');
	const sentiment = classification.sentiment;
	const injection = classification.promptInjection;
	const input: EscalationInput = {
		email: {
			from: from.trim().toLowerCase(),
			subject: String(email.subject ?? ''),
			text: String(email.text ?? '') || String(email.fullText ?? ''),
			hiddenText: typeof email.hiddenText === 'string' ? email.hiddenText : undefined,
			autoSubmitted: email.autoSubmitted === true,
			autoSubmittedReason:
				typeof email.autoSubmittedReason === 'string' ? email.autoSubmittedReason : undefined,
			references: Array.isArray(email.references) ? email.references.map(String) : [],
		},
		classification: {
			category: classification.category,
			confidence,
			unsure: classification.unsure === true,
			sentimentScore:
				isObject(sentiment) && typeof sentiment.score === 'number' ? sentiment.score : undefined,
			sentimentLabel:
				isObject(sentiment) && typeof sentiment.label === 'string' ? sentiment.label : undefined,
			urgency: typeof classification.urgency === 'string' ? classification.urgency : undefined,
			injectionSignals: injectionSignals(injection),
		},
	};

	const priority = support.priority;
	if (priority !== undefined && priority !== null) {
		if (!isObject(priority))
			throw new InputError(
				'support.priority must be an object { level, reasons, sla }',
				'Put the Support Priority Router before this node, or remove what overwrote support.priority.',
			);
		const sla = isObject(priority.sla) ? priority.sla : {};
		input.priority = {
			level: typeof priority.level === 'string' ? priority.level : undefined,
			firstResponseDue: dateField(sla.firstResponseDue, 'support.priority.sla.firstResponseDue'),
			resolutionDue: dateField(sla.resolutionDue, 'support.priority.sla.resolutionDue'),
		};
	}

	const draft = support.draft;
	if (draft === undefined || draft === null) {
		if (requireDraft) throw new InputError('The item has no support.draft', DRAFT_FIX);
	} else {
		if (!isObject(draft) || typeof draft.text !== 'string')
			throw new InputError('support.draft has no text', DRAFT_FIX);
		if (
			draft.confidence !== undefined &&
			(typeof draft.confidence !== 'number' || draft.confidence < 0 || draft.confidence > 1)
		)
			throw new InputError(
				`support.draft.confidence must be a number from 0 to 1 (it is ${JSON.stringify(draft.confidence)})`,
				DRAFT_FIX,
			);
		input.draft = {
			text: draft.text,
			confidence: typeof draft.confidence === 'number' ? draft.confidence : undefined,
			needsReview: draft.needsReview === true,
			reasons: Array.isArray(draft.reasons) ? draft.reasons.map(String) : [],
		};
	}

	const customer = isObject(support.customer) ? support.customer : {};
	const contacts = customer.previousContacts ?? support.previousContacts;
	if (typeof contacts === 'number' && Number.isFinite(contacts)) input.previousContacts = contacts;
	if (customer.vip === true || support.vip === true) input.vip = true;
	return input;
}

function injectionSignals(value: unknown): string[] {
	if (value === true) return ['classifier-flagged'];
	if (!isObject(value)) return [];
	const signals = Array.isArray(value.signals) ? value.signals.map(String) : [];
	if (value.suspected === true && signals.length === 0) return ['classifier-flagged'];
	return signals;
}

function dateField(value: unknown, name: string): Date | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const date = new Date(value as string);
	if (Number.isNaN(date.getTime()))
		throw new InputError(
			`${name} is not a date (${JSON.stringify(value)})`,
			'Give an ISO 8601 time such as 2026-01-31T09:00:00Z; the Support Priority Router writes it that way.',
		);
	return date;
}
