import type { Workflow, WorkflowNode } from '../harness/n8n';
import { NODE_PREFIX, sharedN8n } from '../harness/shared';

const OUTPUTS = ['Urgent', 'High', 'Normal', 'Low'];
const ROUTER = 'Priority Router';

function routerWorkflow(
	parameters: Record<string, unknown>,
	extra: Partial<WorkflowNode> = {},
	settings?: Record<string, unknown>,
): Workflow {
	return {
		nodes: [
			{
				name: ROUTER,
				type: `${NODE_PREFIX}.supportPriorityRouter`,
				typeVersion: 1,
				parameters,
				...extra,
			},
		],
		connections: {},
		...(settings ? { settings } : {}),
	};
}

/** A hand-made item as the Support Classifier would leave it. */
function ticket(
	id: string,
	classification: Record<string, unknown>,
	email: Record<string, unknown> = {},
	extra: Record<string, unknown> = {},
) {
	return {
		id,
		...extra,
		support: {
			email: {
				messageId: `<${id}@example.test>`,
				references: [],
				from: { name: 'Customer', address: `${id}@example.test` },
				subject: `Ticket ${id}`,
				text: 'Hello, I have a question.',
				// Friday 20 November 2026, 18:30 UTC
				receivedAt: '2026-11-20T18:30:00.000Z',
				autoSubmitted: false,
				...email,
			},
			classification: {
				category: 'order',
				sentiment: { label: 'neutral', score: 0 },
				urgency: 'normal',
				confidence: 0.9,
				...classification,
			},
		},
	};
}

type Run = Awaited<ReturnType<ReturnType<typeof sharedN8n>['execute']>>;

/** Output name -> ids of the items on it. */
function routed(run: Run): Record<string, string[]> {
	return Object.fromEntries(
		OUTPUTS.map((name, index) => [name, run.output(ROUTER, index).map((i) => i.json.id)]),
	);
}

function item(run: Run, id: string) {
	for (const index of OUTPUTS.keys()) {
		const found = run.output(ROUTER, index).find((i) => i.json.id === id);
		if (found) return found;
	}
	throw new Error(`item ${id} is on no output`);
}

describe('Support Priority Router in real n8n', () => {
	const n8n = sharedN8n();

	it('as dropped on the canvas: the default rules, four outputs, due times in the workflow time zone', async () => {
		const run = await n8n.execute(routerWorkflow({}, {}, { timezone: 'Europe/Berlin' }), [
			ticket('critical', { urgency: 'critical' }),
			ticket('high', { urgency: 'high' }),
			ticket('plain', {}),
			ticket('newsletter', { category: 'newsletter' }),
			ticket('angry', { sentiment: { label: 'negative', score: -0.85 } }),
			ticket('chargeback', {}, { text: 'I will file a Chargeback with my bank.' }),
			ticket(
				'autoreply',
				{ urgency: 'critical' },
				{ autoSubmitted: true, autoSubmittedReason: 'auto-replied' },
			),
		]);
		expect(run.status).toBe('success');
		expect(run.runsOf(ROUTER)[0].data?.main).toHaveLength(4);
		expect(routed(run)).toEqual({
			Urgent: ['critical'],
			High: ['high', 'angry', 'chargeback'],
			Normal: ['plain'],
			Low: ['newsletter', 'autoreply'],
		});

		const critical = item(run, 'critical');
		expect(critical.pairedItem).toEqual({ item: 0 });
		expect(critical.json.support.email.messageId).toBe('<critical@example.test>');
		expect(critical.json.support.classification.urgency).toBe('critical');
		// Friday 19:30 in Berlin, Mon–Fri 09:00–17:00: urgent 1h → Monday 10:00, 4h → Monday 13:00
		expect(critical.json.support.priority).toEqual({
			level: 'urgent',
			reasons: [
				'Classifier urgency "critical" → Urgent',
				'SLA policy "Standard" (#1, no conditions)',
			],
			rules: [{ rule: 'urgency', level: 'urgent', reason: 'Classifier urgency "critical"' }],
			previousContacts: 0,
			vip: false,
			sla: {
				policy: 'Standard',
				businessHours: true,
				timeZone: 'Europe/Berlin',
				startedAt: '2026-11-20T19:30:00+01:00',
				clockStart: 'receivedAt',
				firstResponseMinutes: 60,
				resolutionMinutes: 240,
				firstResponseDue: '2026-11-23T10:00:00+01:00',
				resolutionDue: '2026-11-23T13:00:00+01:00',
			},
		});
		const plain = item(run, 'plain').json.support.priority;
		expect(plain.reasons[0]).toBe('No rule fired: Default Priority Normal');
		expect(plain.sla.firstResponseDue).toBe('2026-11-23T17:00:00+01:00');
		expect(plain.sla.resolutionDue).toBe('2026-11-30T17:00:00+01:00');
		expect(item(run, 'angry').json.support.priority.reasons[0]).toBe(
			'Negative sentiment (score -0.85 ≤ -0.6) → High',
		);
		expect(item(run, 'chargeback').json.support.priority.reasons[0]).toBe(
			'Keyword "chargeback" in the subject or text → High',
		);
		expect(item(run, 'newsletter').json.support.priority.reasons[0]).toBe(
			'Category "newsletter" → Low',
		);
		expect(item(run, 'autoreply').json.support.priority.reasons).toContain(
			'Auto-submitted mail (auto-replied) is capped at Low: lowered from Urgent',
		);
	});

	it("the ops team's rules: VIP senders, customer tier and repeat contact from item fields, SLA policies in order, holidays", async () => {
		const parameters = {
			rules: {
				urgency: [{ critical: 'urgent', high: 'high', normal: 'none', low: 'low' }],
				sender: [{ senders: 'ceo@bigcorp.test\npartner.test', level: 'urgent' }],
				tier: [{ tiers: 'enterprise, premium', level: 'high' }],
				repeatContact: [{ minContacts: 3, countThreadReplies: true, level: 'high' }],
				category: [{ categories: 'refund', level: 'normal' }],
			},
			customerTier: '={{ $json.customer.tier }}',
			previousContacts: '={{ $json.customer.openTickets }}',
			slaPolicies: {
				policy: [
					{
						name: 'Enterprise 24/7',
						hours: 'calendar',
						customerTiers: 'enterprise',
						urgentFirstResponse: 0.5,
						urgentResolution: 2,
						highFirstResponse: 1,
						highResolution: 8,
					},
					{ name: 'Refunds', categories: 'refund', highFirstResponse: 2 },
					{ name: 'Standard' },
				],
			},
			timeZone: 'Europe/Berlin',
			weeklyHours: { hours: [{ day: 'weekdays', start: '09:00', end: '17:00' }] },
			holidays: 'DE-BY',
			holidayTypes: ['public', 'bank'],
			customHolidays: { day: [{ date: '2026-11-23', name: 'Team offsite' }] },
		};
		const none = { tier: 'free', openTickets: [] };
		const run = await n8n.execute(routerWorkflow(parameters), [
			ticket('vip', {}, { from: { address: 'CEO@bigcorp.test' } }, { customer: none }),
			ticket('enterprise', {}, {}, { customer: { tier: 'Enterprise', openTickets: [] } }),
			ticket(
				'repeat',
				{ category: 'refund' },
				{ inReplyTo: '<earlier@example.test>' },
				{
					customer: { tier: 'free', openTickets: ['T-1', 'T-2'] },
				},
			),
			ticket('refund', { category: 'refund', urgency: 'high' }, {}, { customer: none }),
			ticket(
				'xmas',
				{},
				// Thursday 24 December 2026, 13:00 in Berlin: a bank holiday from 14:00
				{ receivedAt: '2026-12-24T12:00:00Z' },
				{ customer: none },
			),
		]);
		expect(run.status).toBe('success');
		expect(routed(run)).toEqual({
			Urgent: ['vip'],
			High: ['enterprise', 'repeat', 'refund'],
			Normal: ['xmas'],
			Low: [],
		});

		const vip = item(run, 'vip').json.support.priority;
		expect(vip.reasons[0]).toBe(
			'VIP sender ceo@bigcorp.test (matches "ceo@bigcorp.test") → Urgent',
		);
		expect(vip.sla.policy).toBe('Standard');
		// Monday 23 November is the team offsite: Friday evening → Tuesday 10:00
		expect(vip.sla.firstResponseDue).toBe('2026-11-24T10:00:00+01:00');

		const enterprise = item(run, 'enterprise').json.support.priority;
		expect(enterprise.customerTier).toBe('Enterprise');
		expect(enterprise.reasons).toEqual([
			'Customer tier "Enterprise" → High',
			'SLA policy "Enterprise 24/7" (#1, customer tier enterprise)',
		]);
		expect(enterprise.sla).toMatchObject({
			policy: 'Enterprise 24/7',
			businessHours: false,
			firstResponseMinutes: 60,
			firstResponseDue: '2026-11-20T20:30:00+01:00',
			resolutionDue: '2026-11-21T03:30:00+01:00',
		});

		const repeat = item(run, 'repeat').json.support.priority;
		expect(repeat.previousContacts).toBe(3);
		expect(repeat.reasons).toContain('Repeat contact: 3 earlier contacts (at least 3) → High');
		expect(repeat.sla.policy).toBe('Refunds');
		// Refunds policy: high 2 business hours; Monday is closed → Tuesday 11:00
		expect(repeat.sla.firstResponseDue).toBe('2026-11-24T11:00:00+01:00');

		const xmas = item(run, 'xmas').json.support.priority;
		// normal 8h: 1h until 14:00, 25/26 December and the weekend closed, Monday 28th 09:00 + 7h
		expect(xmas.sla.firstResponseDue).toBe('2026-12-28T16:00:00+01:00');
	});

	it('an item without support.classification: a clear error, or the Normal output with error under Continue on Fail', async () => {
		const bad = { id: 'bad', support: { email: ticket('x', {}).support.email } };
		const failed = await n8n.execute(routerWorkflow({}), [bad]);
		expect(failed.status).toBe('error');
		expect(failed.nodeError(ROUTER)?.message).toBe(
			'support.classification is missing: put a Support Classifier before this node',
		);
		expect(failed.nodeError(ROUTER)?.description).toMatch(
			/^Put a Support Classifier before this node/,
		);

		const continued = await n8n.execute(routerWorkflow({}, { onError: 'continueRegularOutput' }), [
			bad,
			ticket('good', { urgency: 'critical' }),
		]);
		expect(continued.status).toBe('success');
		expect(routed(continued)).toEqual({ Urgent: ['good'], High: [], Normal: ['bad'], Low: [] });
		const [errorItem] = continued.output(ROUTER, 2);
		expect(errorItem.pairedItem).toEqual({ item: 0 });
		expect(errorItem.json.error).toBe(
			'support.classification is missing: put a Support Classifier before this node',
		);
		expect(errorItem.json.errorDescription).toMatch(/Support Classifier/);
		expect(errorItem.json.support.priority).toBeUndefined();

		// "Continue (using error output)": n8n moves the error item to its error output
		const errorOutput = await n8n.execute(routerWorkflow({}, { onError: 'continueErrorOutput' }), [
			bad,
			ticket('good', { urgency: 'critical' }),
		]);
		expect(errorOutput.status).toBe('success');
		expect(errorOutput.output(ROUTER, 0).map((i) => i.json.id)).toEqual(['good']);
		expect(errorOutput.output(ROUTER, 2)).toEqual([]);
		// n8n writes {error} as the error output's json (its normalizeNodeErrors) and keeps pairedItem
		const [moved] = errorOutput.output(ROUTER, 4);
		expect(moved.json.error).toBe(
			'support.classification is missing: put a Support Classifier before this node',
		);
		expect(moved.pairedItem).toEqual({ item: 0 });
	});

	it('bad values: an invalid time zone, an unknown urgency and an unknown holiday country name the fix', async () => {
		const zone = await n8n.execute(routerWorkflow({ timeZone: 'Europe/Berln' }), [ticket('a', {})]);
		expect(zone.status).toBe('error');
		expect(zone.nodeError(ROUTER)?.message).toBe('"Europe/Berln" is not a valid time zone');
		expect(zone.nodeError(ROUTER)?.description).toMatch(
			/^Set Business Hours: Time Zone to an IANA time zone name such as Europe\/Berlin/,
		);

		const workflowZone = await n8n.execute(routerWorkflow({}, {}, { timezone: 'Mars/Olympus' }), [
			ticket('a', {}),
		]);
		expect(workflowZone.status).toBe('error');
		expect(workflowZone.nodeError(ROUTER)?.message).toBe('"Mars/Olympus" is not a valid time zone');
		expect(workflowZone.nodeError(ROUTER)?.description).toMatch(
			/Business Hours: Time Zone \(it is empty, so the workflow’s time zone was used: fix it in Workflow Settings/,
		);

		const urgency = await n8n.execute(routerWorkflow({}), [ticket('a', { urgency: 'asap' })]);
		expect(urgency.nodeError(ROUTER)?.message).toBe(
			'support.classification.urgency must be one of "low", "normal", "high", "critical" (it is "asap")',
		);

		const country = await n8n.execute(routerWorkflow({ holidays: 'XX' }), [ticket('a', {})]);
		expect(country.nodeError(ROUTER)?.message).toBe(
			'"XX" is not a country known to the holiday calendar',
		);
		expect(country.nodeError(ROUTER)?.description).toMatch(/Business Hours: Holidays \(Country\)/);

		const received = await n8n.execute(routerWorkflow({}), [
			ticket('a', {}, { receivedAt: 'last tuesday' }),
		]);
		expect(received.nodeError(ROUTER)?.message).toBe(
			'support.email.receivedAt is "last tuesday", not a date and time',
		);
	});

	it('version 2: Business Hours in one collection, Customer Tier and Previous Contacts under Options, one output', async () => {
		const v2 = (parameters: Record<string, unknown>) =>
			routerWorkflow(parameters, { typeVersion: 2 });
		const parameters = {
			rules: { tier: [{ tiers: 'enterprise', level: 'high' }] },
			businessHours: {
				timeZone: 'Europe/Berlin',
				weeklyHours: { hours: [{ day: 'weekdays', start: '09:00', end: '17:00' }] },
				holidays: 'DE-BY',
				customHolidays: { day: [{ date: '2026-11-23', name: 'Team offsite' }] },
			},
			options: {
				customerTier: '={{ $json.customer.tier }}',
				previousContacts: '={{ $json.customer.openTickets }}',
				singleOutput: true,
			},
		};
		const run = await n8n.execute(v2(parameters), [
			ticket('plain', {}, {}, { customer: { tier: 'free', openTickets: [] } }),
			ticket('enterprise', {}, {}, { customer: { tier: 'Enterprise', openTickets: ['T-1'] } }),
		]);
		expect(run.nodeError(ROUTER)?.message).toBeUndefined();
		const out = run.output(ROUTER, 0);
		expect(out.map((i) => [i.json.id, i.json.support.priority.level])).toEqual([
			['plain', 'normal'],
			['enterprise', 'high'],
		]);
		expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		const enterprise = out[1].json.support.priority;
		expect(enterprise.customerTier).toBe('Enterprise');
		expect(enterprise.previousContacts).toBe(1);
		// normal 8 business hours from Friday 19:30 Berlin; Monday 23rd closed → Tuesday 17:00
		expect(out[0].json.support.priority.sla.firstResponseDue).toBe('2026-11-24T17:00:00+01:00');

		// Nothing set: Monday to Friday 09:00-17:00; four outputs as in version 1.
		const bare = await n8n.execute(v2({}), [ticket('a', {})]);
		expect(routed(bare)).toEqual({ Urgent: [], High: [], Normal: ['a'], Low: [] });

		const zone = await n8n.execute(v2({ businessHours: { timeZone: 'Europe/Berln' } }), [
			ticket('a', {}),
		]);
		expect(zone.nodeError(ROUTER)?.description).toMatch(/^Set Business Hours > Time Zone to/);
	});
});
