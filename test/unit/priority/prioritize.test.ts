import { BusinessCalendar, DEFAULT_TARGETS, matchPolicy, prioritize } from '../../../lib/priority';
import type { PrioritizeOptions, SlaPolicy } from '../../../lib/priority';
import { InputError } from '../../../lib/errors';

const calendar = new BusinessCalendar({
	timeZone: 'Europe/Berlin',
	hours: [{ day: 'weekdays', start: '09:00', end: '17:00' }],
	holidays: 'DE-BY',
});

const STANDARD: SlaPolicy = { name: 'Standard', hours: 'business', targets: DEFAULT_TARGETS };

function options(extra: Partial<PrioritizeOptions> = {}): PrioritizeOptions {
	return {
		priority: {
			rules: [
				{
					type: 'urgency',
					mapping: { critical: 'urgent', high: 'high', normal: 'none', low: 'low' },
				},
				{ type: 'tier', tiers: ['enterprise'], level: 'high' },
			],
			defaultLevel: 'normal',
			autoSubmittedCap: 'low',
		},
		policies: [STANDARD],
		calendar,
		now: new Date('2026-11-24T12:00:00Z'),
		...extra,
	};
}

function support(extra: Record<string, unknown> = {}) {
	return {
		email: {
			from: { address: 'ann@example.com' },
			subject: 'Broken',
			text: 'It broke.',
			// Friday 20 November 2026, 19:30 in Berlin
			receivedAt: '2026-11-20T18:30:00.000Z',
		},
		classification: {
			category: 'refund',
			urgency: 'high',
			sentiment: { label: 'negative', score: -0.4 },
		},
		...extra,
	};
}

function inputError(fn: () => unknown): InputError {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(InputError);
		return error as InputError;
	}
	throw new Error('expected an InputError');
}

describe('prioritize: priority and SLA due times', () => {
	it('a Friday-evening ticket gets due times on Monday in business hours', () => {
		const result = prioritize(support(), options());
		expect(result.level).toBe('high');
		expect(result.sla).toEqual({
			policy: 'Standard',
			businessHours: true,
			timeZone: 'Europe/Berlin',
			startedAt: '2026-11-20T19:30:00+01:00',
			clockStart: 'receivedAt',
			firstResponseMinutes: 240,
			resolutionMinutes: 1440,
			// high: 4h → Monday 13:00; 24h = three 8-hour days → Wednesday 17:00
			firstResponseDue: '2026-11-23T13:00:00+01:00',
			resolutionDue: '2026-11-25T17:00:00+01:00',
		});
		expect(result.reasons).toEqual([
			'Classifier urgency "high" → High',
			'SLA policy "Standard" (#1, no conditions)',
		]);
	});

	it('calendar hours count around the clock', () => {
		const policy: SlaPolicy = { ...STANDARD, name: '24/7', hours: 'calendar' };
		const result = prioritize(support(), options({ policies: [policy] }));
		expect(result.sla.businessHours).toBe(false);
		expect(result.sla.firstResponseDue).toBe('2026-11-20T23:30:00+01:00');
		expect(result.sla.resolutionDue).toBe('2026-11-21T19:30:00+01:00');
	});

	it('SLA policies are matched in order: the first whose conditions hold wins', () => {
		const vip: SlaPolicy = {
			name: 'Enterprise',
			hours: 'calendar',
			customerTiers: ['enterprise'],
			targets: { ...DEFAULT_TARGETS, high: { firstResponse: 30, resolution: 120 } },
		};
		const refunds: SlaPolicy = {
			name: 'Refunds',
			hours: 'business',
			categories: ['refund'],
			targets: { ...DEFAULT_TARGETS, high: { firstResponse: 120, resolution: 600 } },
		};
		const policies = [vip, refunds, STANDARD];
		const enterprise = prioritize(support(), options({ policies, customerTier: 'Enterprise' }));
		expect(enterprise.sla.policy).toBe('Enterprise');
		expect(enterprise.sla.firstResponseDue).toBe('2026-11-20T20:00:00+01:00');
		expect(enterprise.reasons).toContain('SLA policy "Enterprise" (#1, customer tier enterprise)');
		const refund = prioritize(support(), options({ policies }));
		expect(refund.sla.policy).toBe('Refunds');
		expect(refund.sla.firstResponseDue).toBe('2026-11-23T11:00:00+01:00');
		expect(refund.reasons).toContain('SLA policy "Refunds" (#2, category refund)');
		// the same policies in another order: Standard (no conditions) shadows the rest
		expect(prioritize(support(), options({ policies: [STANDARD, vip, refunds] })).sla.policy).toBe(
			'Standard',
		);
	});

	it('policy conditions: priority levels, senders and a custom condition', () => {
		const urgentOnly: SlaPolicy = { ...STANDARD, name: 'Urgent desk', levels: ['urgent'] };
		const partner: SlaPolicy = { ...STANDARD, name: 'Partner', senders: ['example.com'] };
		const off: SlaPolicy = { ...STANDARD, name: 'Off', condition: false };
		expect(
			matchPolicy([urgentOnly, partner], { level: 'high', senderAddress: 'a@example.com' }),
		).toMatchObject({
			policy: { name: 'Partner' },
			reason: 'SLA policy "Partner" (#2, sender example.com)',
		});
		expect(matchPolicy([urgentOnly, off], { level: 'high' }).reason).toMatch(
			/^No SLA policy matched: the default targets apply/,
		);
		expect(matchPolicy([urgentOnly], { level: 'urgent' }).policy.name).toBe('Urgent desk');
	});

	it('no policy matched: the default targets, and the reasons say so', () => {
		const refundsOnly: SlaPolicy = { ...STANDARD, name: 'Payments', categories: ['payment'] };
		const result = prioritize(support(), options({ policies: [refundsOnly] }));
		expect(result.sla.policy).toBe('Default');
		expect(result.sla.firstResponseMinutes).toBe(240);
		expect(result.reasons.at(-1)).toMatch(/^No SLA policy matched/);
	});

	it('no receivedAt: the clock starts now, and the reasons say so', () => {
		const item = support();
		delete (item.email as Record<string, unknown>).receivedAt;
		const result = prioritize(item, options());
		expect(result.sla.clockStart).toBe('now');
		expect(result.sla.startedAt).toBe('2026-11-24T13:00:00+01:00');
		expect(result.sla.firstResponseDue).toBe('2026-11-24T17:00:00+01:00');
		expect(result.reasons).toContain(
			'support.email.receivedAt is missing: the SLA clock starts now',
		);
		const noEmail = prioritize(
			{ classification: { category: 'order', urgency: 'low' } },
			options(),
		);
		expect(noEmail.level).toBe('low');
		expect(noEmail.reasons.join('\n')).toContain(
			'The item has no support.email: the SLA clock starts now',
		);
	});

	it('the SLA Clock Start option overrides receivedAt', () => {
		const result = prioritize(support(), options({ clockStart: '2026-11-23T08:00:00Z' }));
		expect(result.sla.clockStart).toBe('option');
		expect(result.sla.firstResponseDue).toBe('2026-11-23T13:00:00+01:00');
	});

	it('customer tier and previous contacts from the node fields', () => {
		const result = prioritize(
			support({ classification: { category: 'order', urgency: 'normal' } }),
			options({ customerTier: 'enterprise', previousContacts: ['t1', 't2'] }),
		);
		expect(result.level).toBe('high');
		expect(result.customerTier).toBe('enterprise');
		expect(result.previousContacts).toBe(2);
	});
});

describe('prioritize: bad upstream items', () => {
	it('missing support.classification names the fix', () => {
		for (const bad of [undefined, {}, { email: support().email }]) {
			const error = inputError(() => prioritize(bad, options()));
			expect(error.message).toMatch(
				/support\.classification is missing: put a Support Classifier before this node$/,
			);
			expect(error.hint).toMatch(/^Put a Support Classifier before this node/);
		}
	});

	it('a classification of the wrong shape says which field', () => {
		expect(inputError(() => prioritize({ classification: 'refund' }, options())).message).toBe(
			'support.classification must be an object (it is "refund")',
		);
		const urgency = inputError(() =>
			prioritize({ classification: { category: 'order', urgency: 'asap' } }, options()),
		);
		expect(urgency.message).toBe(
			'support.classification.urgency must be one of "low", "normal", "high", "critical" (it is "asap")',
		);
		expect(
			inputError(() =>
				prioritize(
					{ classification: { category: 'order', sentiment: { score: 'bad' } } },
					options(),
				),
			).message,
		).toBe('support.classification.sentiment.score must be a number (it is "bad")');
		expect(inputError(() => prioritize({ classification: {} }, options())).message).toBe(
			'support.classification has neither a category nor an urgency',
		);
	});

	it('a receivedAt that is not a date, and bad field values, say what to give', () => {
		const item = support();
		(item.email as Record<string, unknown>).receivedAt = 'yesterday';
		const error = inputError(() => prioritize(item, options()));
		expect(error.message).toBe('support.email.receivedAt is "yesterday", not a date and time');
		expect(error.hint).toContain('ISO 8601');
		expect(
			inputError(() => prioritize(support(), options({ previousContacts: 'many' }))).message,
		).toBe('Previous Contacts gave "many", not a count');
		expect(inputError(() => prioritize(support(), options({ clockStart: 'soon' }))).hint).toContain(
			'SLA Clock Start',
		);
	});
});
