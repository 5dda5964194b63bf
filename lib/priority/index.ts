import { DateTime } from 'luxon';
import { readSupport } from '../contract/reader';
import { InputError } from '../errors';
import type { BusinessCalendar } from './business-hours';
import type { FiredRule, Level, PriorityConfig, PriorityInput } from './rules';
import { decidePriority } from './rules';
import type { SlaPolicy, SlaResult } from './sla';
import { computeSla, matchPolicy } from './sla';

export * from './business-hours';
export * from './rules';
export * from './sla';

export interface PrioritizeOptions {
	priority: PriorityConfig;
	policies: SlaPolicy[];
	calendar: BusinessCalendar;
	/** The Customer Tier value the node read from the item. */
	customerTier?: unknown;
	/** The Previous Contacts value the node read from the item. */
	previousContacts?: unknown;
	/** Options → SLA Clock Start: overrides support.email.receivedAt when set. */
	clockStart?: unknown;
	now?: Date;
}

/** What the node writes to `support.priority`. */
export interface SupportPriority {
	level: Level;
	reasons: string[];
	rules: FiredRule[];
	customerTier?: string;
	/** Earlier contacts counted for the Repeat Contact rules (the Support Escalation reads this too). */
	previousContacts: number;
	/** The sender matched a VIP Senders rule (the Support Escalation reads this). */
	vip: boolean;
	sla: SlaResult & { clockStart: 'receivedAt' | 'option' | 'now' };
}

export function prioritize(support: unknown, options: PrioritizeOptions): SupportPriority {
	const input = readInput(support, options);
	const decision = decidePriority(input, options.priority);
	const reasons = [...decision.reasons];

	const clock = clockStart(support, options);
	if (clock.reason) reasons.push(clock.reason);

	const { policy, reason } = matchPolicy(options.policies, {
		level: decision.level,
		category: input.classification.category,
		categories: input.classification.categories,
		customerTier: input.customerTier,
		senderAddress: input.email?.from?.address?.toLowerCase(),
	});
	reasons.push(reason);
	const sla = computeSla(policy, decision.level, clock.start, options.calendar);
	return {
		level: decision.level,
		reasons,
		rules: decision.rules,
		...(input.customerTier ? { customerTier: input.customerTier } : {}),
		previousContacts: decision.contacts,
		vip: decision.vip,
		sla: { ...sla, clockStart: clock.source },
	};
}

const FIX_CLASSIFICATION =
	'Or set support.classification (category, urgency low|normal|high|critical, sentiment {label, score}) with an Edit Fields (Set) node.';

function readInput(support: unknown, options: PrioritizeOptions): PriorityInput {
	const read = readSupport(
		{ support },
		{
			required: ['classification'],
			optional: ['email'],
			// A hand-made classification (Set node) may carry only a category or only an urgency.
			needs: { classification: [], email: [] },
			hints: { classification: FIX_CLASSIFICATION },
		},
	);
	const c = read.classification;
	if (c.category === undefined && c.urgency === undefined) {
		throw new InputError(
			'support.classification has neither a category nor an urgency',
			`Put a Support Classifier before this node. ${FIX_CLASSIFICATION}`,
		);
	}
	const e = read.email;
	return {
		email: e && {
			from: e.from && { name: e.from.name, address: e.from.address },
			subject: e.subject,
			text: e.text ?? e.fullText,
			autoSubmitted: e.autoSubmitted === true,
			autoSubmittedReason: e.autoSubmittedReason,
			inReplyTo: e.inReplyTo,
			references: e.references,
		},
		classification: {
			category: c.category,
			categories: c.categories,
			urgency: c.urgency,
			sentiment: c.sentiment && { label: c.sentiment.label, score: c.sentiment.score },
		},
		customerTier: readTier(options.customerTier),
		previousContacts: readContacts(options.previousContacts),
	};
}

function readTier(value: unknown): string | undefined {
	if (value === undefined || value === null) return undefined;
	if (typeof value === 'string' || typeof value === 'number')
		return String(value).trim() || undefined;
	throw new InputError(
		`Customer Tier gave ${describe(value)}, not a text`,
		'Point Customer Tier at a text field, e.g. {{ $json.customer.tier }}, or leave it empty.',
	);
}

function readContacts(value: unknown): number {
	if (value === undefined || value === null || value === '') return 0;
	if (Array.isArray(value)) return value.length;
	const n = typeof value === 'number' ? value : Number(String(value).trim());
	if (!Number.isFinite(n) || n < 0) {
		throw new InputError(
			`Previous Contacts gave ${describe(value)}, not a count`,
			'Point Previous Contacts at a number (or a list, whose length is counted), e.g. {{ $json.customer.openTickets }}, or set it to 0.',
		);
	}
	return n;
}

function clockStart(
	support: unknown,
	options: PrioritizeOptions,
): { start: DateTime; source: 'receivedAt' | 'option' | 'now'; reason?: string } {
	if (
		options.clockStart !== undefined &&
		options.clockStart !== null &&
		options.clockStart !== ''
	) {
		const start = parseInstant(options.clockStart);
		if (!start) {
			throw new InputError(
				`SLA Clock Start gave ${describe(options.clockStart)}, not a date and time`,
				'Give an ISO 8601 time with a zone, e.g. 2026-11-24T10:00:00Z, or clear Options → SLA Clock Start to use support.email.receivedAt.',
			);
		}
		return {
			start,
			source: 'option',
			reason: `SLA clock starts at ${start.toISO()} (SLA Clock Start option)`,
		};
	}
	const email = isObject(support) && isObject(support.email) ? support.email : undefined;
	const received = email?.receivedAt;
	const now = DateTime.fromJSDate(options.now ?? new Date());
	if (received === undefined || received === null || received === '') {
		return {
			start: now,
			source: 'now',
			reason: email
				? 'support.email.receivedAt is missing: the SLA clock starts now'
				: 'The item has no support.email: the SLA clock starts now, and the sender and keyword rules had nothing to read',
		};
	}
	const start = parseInstant(received);
	if (!start) {
		throw new InputError(
			`support.email.receivedAt is ${describe(received)}, not a date and time`,
			'Give it an ISO 8601 time such as 2026-11-24T10:00:00Z (Support Email → Normalize and the Support Inbox Trigger write one), or set Options → SLA Clock Start.',
		);
	}
	return { start, source: 'receivedAt' };
}

function parseInstant(value: unknown): DateTime | undefined {
	if (value instanceof Date)
		return Number.isNaN(value.getTime()) ? undefined : DateTime.fromJSDate(value);
	if (DateTime.isDateTime(value)) return value.isValid ? value : undefined;
	if (typeof value === 'number' && Number.isFinite(value)) return DateTime.fromMillis(value);
	if (typeof value !== 'string') return undefined;
	const iso = DateTime.fromISO(value.trim(), { setZone: true });
	if (iso.isValid) return iso;
	const rfc = DateTime.fromRFC2822(value.trim(), { setZone: true });
	return rfc.isValid ? rfc : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
	if (value === undefined) return 'missing';
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	if (typeof value === 'object') return 'an object';
	return JSON.stringify(value);
}
