import { InputError } from '../errors';

/**
 * Priority rules: each rule that fires proposes a level; the highest proposal wins, the default level
 * applies when none fired, and auto-submitted mail (auto-replies, bounces, lists) is capped. Pure
 * functions over the item's `support.email` / `support.classification` and two values the node reads
 * from the item (customer tier, previous contacts).
 */

export const LEVELS = ['low', 'normal', 'high', 'urgent'] as const;
export type Level = (typeof LEVELS)[number];
export const URGENCIES = ['low', 'normal', 'high', 'critical'] as const;
export type Urgency = (typeof URGENCIES)[number];

export const LEVEL_NAMES: Record<Level, string> = {
	urgent: 'Urgent',
	high: 'High',
	normal: 'Normal',
	low: 'Low',
};

export function rank(level: Level): number {
	return LEVELS.indexOf(level);
}

export function isLevel(value: unknown): value is Level {
	return typeof value === 'string' && (LEVELS as readonly string[]).includes(value);
}

/** What the rules read from an item. */
export interface PriorityInput {
	email?: {
		from?: { name?: string; address?: string };
		subject?: string;
		text?: string;
		autoSubmitted?: boolean;
		autoSubmittedReason?: string;
		inReplyTo?: string;
		references?: string[];
	};
	classification: {
		category?: string;
		categories?: string[];
		sentiment?: { label?: string; score?: number };
		urgency?: Urgency;
	};
	/** The customer's tier, from a field the user names; empty when unknown. */
	customerTier?: string;
	/** Earlier contacts from this customer, from a field the user names. */
	previousContacts?: number;
}

export type Rule =
	| { type: 'urgency'; mapping: Partial<Record<Urgency, Level | 'none'>> }
	| { type: 'sender'; senders: string[]; level: Level }
	| {
			type: 'keywords';
			keywords: string[];
			lookIn: 'subjectAndText' | 'subject' | 'text';
			level: Level;
	  }
	| { type: 'category'; categories: string[]; level: Level }
	| { type: 'sentiment'; threshold: number; level: Level }
	| { type: 'tier'; tiers: string[]; level: Level }
	| { type: 'repeatContact'; minContacts: number; countThreadReplies: boolean; level: Level };

export interface PriorityConfig {
	rules: Rule[];
	defaultLevel: Level;
	/** Auto-submitted mail never goes above this level; 'none' for no cap. */
	autoSubmittedCap: Level | 'none';
}

export interface FiredRule {
	rule: Rule['type'];
	level: Level;
	reason: string;
}

export interface PriorityResult {
	level: Level;
	reasons: string[];
	rules: FiredRule[];
	/** The sender is matched by a VIP Senders rule (whatever its level). */
	vip: boolean;
	/** Earlier contacts counted for the repeat-contact rules. */
	contacts: number;
}

export function decidePriority(input: PriorityInput, config: PriorityConfig): PriorityResult {
	const fired: FiredRule[] = [];
	let vip = false;
	const contacts = countContacts(input, config.rules);
	for (const rule of config.rules) {
		const hit = evaluate(rule, input, contacts);
		if (!hit) continue;
		if (rule.type === 'sender') vip = true;
		fired.push({ rule: rule.type, level: hit.level, reason: hit.reason });
	}
	const reasons = fired.map((f) => `${f.reason} → ${LEVEL_NAMES[f.level]}`);
	let level: Level = config.defaultLevel;
	if (fired.length) {
		level = fired.reduce<Level>((best, f) => (rank(f.level) > rank(best) ? f.level : best), 'low');
		const winners = fired.filter((f) => f.level === level).length;
		if (fired.length > 1)
			reasons.push(
				`Highest level of the rules that fired: ${LEVEL_NAMES[level]}${winners > 1 ? ` (${winners} rules)` : ''}`,
			);
	} else {
		reasons.push(`No rule fired: Default Priority ${LEVEL_NAMES[level]}`);
	}
	const cap = config.autoSubmittedCap;
	if (input.email?.autoSubmitted && cap !== 'none' && rank(level) > rank(cap)) {
		const why = input.email.autoSubmittedReason ? ` (${input.email.autoSubmittedReason})` : '';
		reasons.push(
			`Auto-submitted mail${why} is capped at ${LEVEL_NAMES[cap]}: lowered from ${LEVEL_NAMES[level]}`,
		);
		level = cap;
	}
	return { level, reasons, rules: fired, vip, contacts };
}

function evaluate(
	rule: Rule,
	input: PriorityInput,
	contacts: number,
): { level: Level; reason: string } | undefined {
	const { email, classification } = input;
	switch (rule.type) {
		case 'urgency': {
			const urgency = classification.urgency;
			if (!urgency) return undefined;
			const level = rule.mapping[urgency];
			if (!level || level === 'none') return undefined;
			return { level, reason: `Classifier urgency "${urgency}"` };
		}
		case 'sender': {
			const address = email?.from?.address?.trim().toLowerCase();
			if (!address) return undefined;
			const match = rule.senders.find((s) => senderMatches(s, address));
			if (!match) return undefined;
			return { level: rule.level, reason: `VIP sender ${address} (matches "${match}")` };
		}
		case 'keywords': {
			const where =
				rule.lookIn === 'subject'
					? [email?.subject]
					: rule.lookIn === 'text'
						? [email?.text]
						: [email?.subject, email?.text];
			const haystack = where.filter((t): t is string => typeof t === 'string').join('\n');
			if (!haystack) return undefined;
			const found = rule.keywords.filter((k) => keywordPattern(k).test(haystack));
			if (!found.length) return undefined;
			const place = rule.lookIn === 'subjectAndText' ? 'subject or text' : rule.lookIn;
			return {
				level: rule.level,
				reason: `Keyword${found.length > 1 ? 's' : ''} ${found.map((k) => `"${k}"`).join(', ')} in the ${place}`,
			};
		}
		case 'category': {
			const labels = [classification.category, ...(classification.categories ?? [])]
				.filter((c): c is string => typeof c === 'string')
				.map((c) => c.toLowerCase());
			const match = rule.categories.find((c) => labels.includes(c.toLowerCase()));
			if (!match) return undefined;
			return { level: rule.level, reason: `Category "${match}"` };
		}
		case 'sentiment': {
			const score = classification.sentiment?.score;
			if (typeof score !== 'number' || !Number.isFinite(score) || score > rule.threshold)
				return undefined;
			return {
				level: rule.level,
				reason: `Negative sentiment (score ${round(score)} ≤ ${rule.threshold})`,
			};
		}
		case 'tier': {
			const tier = input.customerTier?.trim().toLowerCase();
			if (!tier) return undefined;
			const match = rule.tiers.find((t) => t.trim().toLowerCase() === tier);
			if (!match) return undefined;
			return { level: rule.level, reason: `Customer tier "${input.customerTier!.trim()}"` };
		}
		case 'repeatContact': {
			if (contacts < rule.minContacts) return undefined;
			return {
				level: rule.level,
				reason: `Repeat contact: ${contacts} earlier contact${contacts === 1 ? '' : 's'} (at least ${rule.minContacts})`,
			};
		}
	}
}

/** Earlier contacts: the node's Previous Contacts value, plus one when the mail is a reply in a thread. */
function countContacts(input: PriorityInput, rules: Rule[]): number {
	const base = Math.max(0, Math.floor(input.previousContacts ?? 0));
	const countThread = rules.some((r) => r.type === 'repeatContact' && r.countThreadReplies);
	return base + (countThread && isThreadReply(input.email) ? 1 : 0);
}

export function isThreadReply(email: PriorityInput['email']): boolean {
	if (!email) return false;
	return Boolean(email.inReplyTo?.trim()) || (email.references?.length ?? 0) > 0;
}

/**
 * A VIP entry matches a full address (ceo@acme.com, case-insensitive), or a domain with its
 * subdomains (acme.com, @acme.com, *.acme.com).
 */
export function senderMatches(entry: string, address: string): boolean {
	const e = entry.trim().toLowerCase();
	if (!e) return false;
	const a = address.trim().toLowerCase();
	if (e.includes('@') && !e.startsWith('@')) return a === e;
	const domain = e.replace(/^\*?\.?@?/, '').replace(/^\*\./, '');
	const addressDomain = a.slice(a.lastIndexOf('@') + 1);
	return addressDomain === domain || addressDomain.endsWith(`.${domain}`);
}

const patternCache = new Map<string, RegExp>();

/**
 * A keyword or phrase matched case-insensitively on word boundaries in any script ("down" does not
 * match "download"); `/…/` is a regular expression.
 */
export function keywordPattern(keyword: string): RegExp {
	let pattern = patternCache.get(keyword);
	if (pattern) return pattern;
	const regex = /^\/(.+)\/([a-z]*)$/s.exec(keyword);
	if (regex) {
		try {
			pattern = new RegExp(regex[1], regex[2].includes('i') ? regex[2] : `${regex[2]}i`);
		} catch (error) {
			throw new InputError(
				`The keyword ${keyword} is not a valid regular expression: ${(error as Error).message}`,
				'Fix it in Rules → Keywords, or write it without the surrounding slashes to match it as plain text.',
			);
		}
	} else {
		const escaped = keyword
			.trim()
			.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
			.replace(/\s+/g, '\\s+');
		pattern = new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'iu');
	}
	patternCache.set(keyword, pattern);
	return pattern;
}

/** Splits a list the user typed (commas or new lines) or gave as an array by expression. */
export function splitList(value: unknown): string[] {
	if (value === undefined || value === null) return [];
	if (Array.isArray(value)) return value.flatMap(splitList);
	const text = String(value);
	// A regular expression may contain commas: keep /…/ entries whole when they sit on their own line.
	return text
		.split(/\n/)
		.flatMap((line) => (/^\s*\/.+\/[a-z]*\s*$/.test(line) ? [line] : line.split(',')))
		.map((s) => s.trim())
		.filter(Boolean);
}

function round(n: number): number {
	return Math.round(n * 100) / 100;
}
