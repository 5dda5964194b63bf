import { DateTime } from 'luxon';
import { InputError } from '../errors';
import type { BusinessCalendar } from './business-hours';
import type { Level } from './rules';
import { LEVELS, senderMatches } from './rules';

/**
 * SLA policies in the style of the big help desks: an ordered list, the first policy whose
 * conditions all hold applies; per priority a first-response and a resolution target, counted in
 * business hours (the node's calendar) or calendar hours.
 */

export interface Targets {
	/** minutes */
	firstResponse: number;
	/** minutes */
	resolution: number;
}

export interface SlaPolicy {
	name: string;
	/** Empty lists match anything; all given conditions must hold. */
	categories?: string[];
	customerTiers?: string[];
	senders?: string[];
	/** Only for these priority levels (empty: any). */
	levels?: Level[];
	/** A custom condition the node evaluated per item (an expression); undefined = true. */
	condition?: boolean;
	hours: 'business' | 'calendar';
	targets: Record<Level, Targets>;
}

export const DEFAULT_TARGETS: Record<Level, Targets> = {
	urgent: { firstResponse: 60, resolution: 4 * 60 },
	high: { firstResponse: 4 * 60, resolution: 24 * 60 },
	normal: { firstResponse: 8 * 60, resolution: 48 * 60 },
	low: { firstResponse: 24 * 60, resolution: 120 * 60 },
};

export const DEFAULT_POLICY: SlaPolicy = {
	name: 'Default',
	hours: 'business',
	targets: DEFAULT_TARGETS,
};

export interface SlaSubject {
	level: Level;
	category?: string;
	categories?: string[];
	customerTier?: string;
	senderAddress?: string;
}

export interface SlaResult {
	policy: string;
	businessHours: boolean;
	timeZone: string;
	startedAt: string;
	firstResponseMinutes: number;
	resolutionMinutes: number;
	firstResponseDue: string;
	resolutionDue: string;
}

/** The first policy whose conditions hold, with a sentence saying why; the default when none does. */
export function matchPolicy(
	policies: SlaPolicy[],
	subject: SlaSubject,
): { policy: SlaPolicy; reason: string } {
	for (const [index, policy] of policies.entries()) {
		const why = policyMatches(policy, subject);
		if (why) {
			return {
				policy,
				reason: `SLA policy "${policy.name}" (#${index + 1}${why.length ? `, ${why.join(', ')}` : ', no conditions'})`,
			};
		}
	}
	return {
		policy: DEFAULT_POLICY,
		reason: policies.length
			? `No SLA policy matched: the default targets apply (${describeTargets(DEFAULT_TARGETS, 'business')})`
			: `No SLA policies set: the default targets apply (${describeTargets(DEFAULT_TARGETS, 'business')})`,
	};
}

/** The conditions that held (empty when the policy has none), or undefined when one failed. */
function policyMatches(policy: SlaPolicy, subject: SlaSubject): string[] | undefined {
	const why: string[] = [];
	if (policy.levels?.length) {
		if (!policy.levels.includes(subject.level)) return undefined;
		why.push(`priority ${subject.level}`);
	}
	if (policy.categories?.length) {
		const labels = [subject.category, ...(subject.categories ?? [])]
			.filter((c): c is string => Boolean(c))
			.map((c) => c.toLowerCase());
		const match = policy.categories.find((c) => labels.includes(c.toLowerCase()));
		if (!match) return undefined;
		why.push(`category ${match}`);
	}
	if (policy.customerTiers?.length) {
		const tier = subject.customerTier?.trim().toLowerCase();
		const match = tier && policy.customerTiers.find((t) => t.trim().toLowerCase() === tier);
		if (!match) return undefined;
		why.push(`customer tier ${match}`);
	}
	if (policy.senders?.length) {
		const address = subject.senderAddress;
		const match = address && policy.senders.find((s) => senderMatches(s, address));
		if (!match) return undefined;
		why.push(`sender ${match}`);
	}
	if (policy.condition === false) return undefined;
	return why;
}

export function computeSla(
	policy: SlaPolicy,
	level: Level,
	start: DateTime,
	calendar: BusinessCalendar,
): SlaResult {
	const targets = policy.targets[level];
	for (const [name, minutes] of Object.entries(targets)) {
		if (!Number.isFinite(minutes) || minutes < 0) {
			throw new InputError(
				`The ${name === 'firstResponse' ? 'first-response' : 'resolution'} target for ${level} in SLA policy "${policy.name}" is ${minutes}`,
				'Set SLA targets to zero or more hours.',
			);
		}
	}
	const business = policy.hours === 'business';
	const zoned = start.setZone(calendar.timeZone);
	const due = (minutes: number) =>
		business
			? calendar.addBusinessMinutes(zoned, minutes)
			: zoned.plus({ milliseconds: Math.round(minutes * 60_000) });
	return {
		policy: policy.name,
		businessHours: business,
		timeZone: calendar.timeZone,
		startedAt: iso(zoned),
		firstResponseMinutes: targets.firstResponse,
		resolutionMinutes: targets.resolution,
		firstResponseDue: iso(due(targets.firstResponse)),
		resolutionDue: iso(due(targets.resolution)),
	};
}

function iso(value: DateTime): string {
	return value.toISO({ suppressMilliseconds: true }) ?? value.toUTC().toString();
}

export function describeTargets(
	targets: Record<Level, Targets>,
	hours: 'business' | 'calendar',
): string {
	const h = (m: number) => `${Math.round((m / 60) * 100) / 100}h`;
	return `${[...LEVELS]
		.reverse()
		.map((l) => `${l} ${h(targets[l].firstResponse)}/${h(targets[l].resolution)}`)
		.join(', ')} ${hours} hours`;
}
