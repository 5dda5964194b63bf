import { startLlmServer } from '../servers/llm';
import type { LlmServer } from '../servers/llm';
import type { Workflow, WorkflowNode } from '../harness/n8n';
import { NODE_PREFIX, sharedN8n } from '../harness/shared';
import { NO_ENTITIES } from '../support/llm-fixtures';

/** The built-in taxonomy's outputs, in order, then Unsure. */
const OUTPUTS = [
	'account',
	'order',
	'refund',
	'delivery',
	'invoice',
	'feedback',
	'payment',
	'contact',
	'shipping_address',
	'cancellation_fee',
	'newsletter',
	'Unsure',
];

const EMAILS = [
	{
		subject: 'Refund please',
		text: 'Hi, the blender I ordered (order #48213) arrived broken. I would like my money back.',
	},
	{
		subject: 'Where is my parcel?',
		text: 'My package was supposed to arrive on Monday and the tracking has not moved since. Can you check?',
	},
	{ subject: 'Newsletter', text: 'Please stop sending me your newsletter, I want to unsubscribe.' },
	{
		subject: 'Cannot log in',
		text: 'I forgot my password and cannot sign in to my account. Can you help me reset it?',
	},
	{
		subject: 'Cake',
		text: 'Preheat the oven to 180 degrees, mix flour, sugar and eggs, bake for 25 minutes.',
	},
];

function raw(subject: string, text: string, index: number): string {
	return [
		`From: Customer ${index} <customer${index}@example.test>`,
		'To: support@acme.test',
		`Subject: ${subject}`,
		`Message-ID: <classify-${index}@example.test>`,
		'Date: Tue, 24 Nov 2026 10:00:00 +0000',
		'Content-Type: text/plain; charset=utf-8',
		'',
		text,
	].join('\r\n');
}

const normalize: WorkflowNode = {
	name: 'Normalize',
	type: `${NODE_PREFIX}.supportEmail`,
	typeVersion: 1,
	parameters: { operation: 'normalize', source: 'field', rawField: 'raw' },
};

function classifierWorkflow(
	parameters: Record<string, unknown>,
	extra: Partial<WorkflowNode> = {},
): Workflow {
	return {
		nodes: [
			normalize,
			{
				name: 'Classifier',
				type: `${NODE_PREFIX}.supportClassifier`,
				typeVersion: 1,
				parameters,
				...extra,
			},
		],
		connections: { Normalize: { main: [[{ node: 'Classifier', type: 'main', index: 0 }]] } },
	};
}

/** Which output each input item came out of, by the subject it carries. */
function routing(
	run: Awaited<ReturnType<ReturnType<typeof sharedN8n>['execute']>>,
	outputs: string[],
): Record<string, string> {
	const where: Record<string, string> = {};
	outputs.forEach((name, index) => {
		for (const item of run.output('Classifier', index))
			where[item.json.support.email.subject] = name;
	});
	return where;
}

describe('Support Classifier in real n8n', () => {
	const n8n = sharedN8n();
	let llm: LlmServer;
	beforeAll(async () => (llm = await startLlmServer()));
	afterAll(async () => await llm.close());
	beforeEach(() => llm.reset());

	it('with no credentials: the offline model classifies and routes by category, Unsure for the rest', async () => {
		const run = await n8n.execute(
			classifierWorkflow({}),
			EMAILS.map((e, i) => ({ raw: raw(e.subject, e.text, i) })),
		);
		expect(run.status).toBe('success');
		expect(run.runsOf('Classifier')[0].data?.main).toHaveLength(OUTPUTS.length);
		expect(routing(run, OUTPUTS)).toEqual({
			'Refund please': 'refund',
			'Where is my parcel?': 'delivery',
			Newsletter: 'newsletter',
			'Cannot log in': 'account',
			Cake: 'Unsure',
		});
		const refund = run.output('Classifier', 2)[0];
		expect(refund.pairedItem).toEqual({ item: 0 });
		expect(refund.json.support.classification).toMatchObject({
			category: 'refund',
			provider: 'offline',
			usage: { inputTokens: 0, outputTokens: 0 },
			language: 'en',
			entities: { orderId: '48213' },
			unsure: false,
			routedTo: ['refund'],
		});
		expect(refund.json.support.email.messageId).toBe('<classify-0@example.test>');
		expect(llm.requests).toHaveLength(0);
	});

	it("learns the team's own categories from examples on the node", async () => {
		const categories = {
			category: [
				{
					name: 'Warranty',
					examples:
						'my device stopped working after two months\nis the repair covered by warranty\nthe screen broke, is this under guarantee',
				},
				{
					name: 'Wholesale',
					examples:
						'we want to order 500 units for our shops\ndo you offer bulk pricing for resellers\nreseller discount for large orders',
				},
			],
		};
		const run = await n8n.execute(classifierWorkflow({ categories }), [
			{ raw: raw('Bulk order', 'Our chain of shops would like bulk pricing for 300 units.', 1) },
			{
				raw: raw(
					'Broken',
					'The screen stopped working after a month. Is that covered by the warranty?',
					2,
				),
			},
		]);
		expect(run.status).toBe('success');
		expect(routing(run, ['Warranty', 'Wholesale', 'Unsure'])).toEqual({
			'Bulk order': 'Wholesale',
			Broken: 'Warranty',
		});
	});

	it("uses an n8n chat model sub-node on the Model input (n8n's own OpenAI Chat Model)", async () => {
		llm.setResponder(() => ({
			json: {
				category: 'delivery',
				intent: 'track_parcel',
				sentiment: 'negative',
				sentimentScore: -0.4,
				urgency: 'normal',
				language: 'en',
				entities: NO_ENTITIES,
				summary: 'Parcel is late.',
				confidence: 0.88,
				promptInjection: false,
			},
		}));
		const credential = await n8n.createCredential('openAiApi', {
			apiKey: llm.apiKeys.openai,
			url: llm.openaiBaseUrl,
			header: false,
		});
		const workflow = classifierWorkflow({});
		workflow.nodes.push({
			name: 'OpenAI Chat Model',
			type: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
			typeVersion: 1.2,
			parameters: { model: { __rl: true, mode: 'id', value: 'gpt-4o-mini' }, options: {} },
			credentials: { openAiApi: credential },
		});
		workflow.connections['OpenAI Chat Model'] = {
			ai_languageModel: [[{ node: 'Classifier', type: 'ai_languageModel', index: 0 }]],
		};
		const run = await n8n.execute(workflow, [{ raw: raw(EMAILS[1].subject, EMAILS[1].text, 1) }]);
		expect(run.status).toBe('success');
		const [item] = run.output('Classifier', 3);
		expect(item.json.support.classification).toMatchObject({
			category: 'delivery',
			provider: 'connectedModel',
			intent: 'track_parcel',
			confidence: 0.88,
		});
		expect(item.json.support.classification.usage.inputTokens).toBeGreaterThan(0);
		const calls = llm.requests.filter((r) => r.path === '/v1/chat/completions');
		expect(calls).toHaveLength(1);
		expect(JSON.stringify(calls[0].body.messages)).toContain('<<<EMAIL-');
	});

	it('OpenAI through our credential: a 429 is retried; when the provider stays down the offline model answers', async () => {
		llm.setResponder(() => ({
			json: {
				category: 'refund',
				intent: 'get_refund',
				sentiment: 'negative',
				sentimentScore: -0.5,
				urgency: 'high',
				language: 'en',
				entities: { ...NO_ENTITIES, orderId: '48213', product: 'blender' },
				summary: 'Refund for a broken blender.',
				confidence: 0.95,
				promptInjection: false,
			},
		}));
		const credential = await n8n.createCredential('supportEmailOpenAiApi', {
			apiKey: llm.apiKeys.openai,
			url: llm.openaiBaseUrl,
			organizationId: '',
		});
		const parameters = {
			providers: ['openAi'],
			openAiModel: 'gpt-4o-mini',
			options: { maxRetries: 2 },
		};
		const credentials = { supportEmailOpenAiApi: credential };

		llm.fail('openai', { status: 429, retryAfter: 1 });
		const retried = await n8n.execute(classifierWorkflow(parameters, { credentials }), [
			{ raw: raw(EMAILS[0].subject, EMAILS[0].text, 0) },
		]);
		expect(retried.status).toBe('success');
		const [first] = retried.output('Classifier', 2);
		expect(first.json.support.classification).toMatchObject({
			provider: 'openAi',
			category: 'refund',
		});
		expect(first.json.support.classification.attempts).toBeUndefined();
		const posts = llm.requests.filter((r) => r.method === 'POST');
		expect(posts.map((r) => r.status)).toEqual([429, 200]);
		expect(posts[1].time - posts[0].time).toBeGreaterThanOrEqual(1000);

		llm.reset();
		llm.fail('openai', { status: 500, times: 100 });
		const down = await n8n.execute(classifierWorkflow(parameters, { credentials }), [
			{ raw: raw(EMAILS[0].subject, EMAILS[0].text, 0) },
		]);
		expect(down.status).toBe('success');
		const all = OUTPUTS.flatMap((_, index) => down.output('Classifier', index));
		expect(all).toHaveLength(1);
		expect(all[0].json.support.classification.provider).toBe('offline');
		expect(all[0].json.support.classification.attempts[0]).toMatchObject({
			outcome: 'failed',
			kind: 'server',
			retries: 2,
		});
	});

	it('at its defaults reads German, Spanish and Dutch mail; an IT ticket goes to Unsure, also with Single Output (version 2 by default)', async () => {
		const mails = [
			{
				subject: 'Rückerstattung fehlt',
				text: 'Hallo, ich habe die Jacke vor drei Wochen zurückgeschickt und warte immer noch auf mein Geld.\nGruß, Jana',
			},
			{
				subject: 'Mi pedido no llega',
				text: 'Hola, el paquete lleva una semana en tránsito y el seguimiento no cambia. ¿Dónde está?',
			},
			{
				subject: 'Factuur',
				text: 'Goedemiddag, kunnen jullie de factuur van mijn laatste bestelling nog een keer mailen?',
			},
			{
				subject: 'VPN',
				text: 'Hi IT team, the VPN client on my laptop fails since the Windows update and I cannot reach the file server.',
			},
		];
		const items = mails.map((mail, index) => ({ raw: raw(mail.subject, mail.text, 40 + index) }));
		const perCategory = await n8n.execute(classifierWorkflow({}), items);
		expect(perCategory.status).toBe('success');
		expect(routing(perCategory, OUTPUTS)).toEqual({
			'Rückerstattung fehlt': 'refund',
			'Mi pedido no llega': 'delivery',
			Factuur: 'invoice',
			VPN: 'Unsure',
		});
		const single = await n8n.execute(classifierWorkflow({ routing: 'single' }), items);
		expect(single.status).toBe('success');
		expect(routing(single, ['Classified', 'Unsure'])).toEqual({
			'Rückerstattung fehlt': 'Classified',
			'Mi pedido no llega': 'Classified',
			Factuur: 'Classified',
			VPN: 'Unsure',
		});
		const [unsure] = single.output('Classifier', 1);
		expect(unsure.json.support.classification).toMatchObject({
			unsure: true,
			routedTo: ['Unsure'],
			provider: 'offline',
		});
		const languages = single
			.output('Classifier', 0)
			.map((item) => item.json.support.classification.language);
		expect(languages).toEqual(['de', 'es', 'nl']);

		// Version 2 as n8n saves a node dropped on the canvas (defaults left out): Single Output.
		const dropped = await n8n.execute(classifierWorkflow({}, { typeVersion: 2 }), items);
		expect(dropped.status).toBe('success');
		expect(dropped.runsOf('Classifier')[0].data?.main).toHaveLength(2);
		expect(routing(dropped, ['Classified', 'Unsure'])).toEqual(
			routing(single, ['Classified', 'Unsure']),
		);
	});

	it("Training Examples extend the built-in taxonomy; an example's unknown label is an error naming it", async () => {
		const trainingExamples = JSON.stringify([
			{ text: 'the voucher code from the flyer does not reduce the price', label: 'payment' },
			{ text: 'my discount code is rejected at checkout', label: 'payment' },
			{ text: 'Gutscheincode wird an der Kasse nicht angenommen', label: 'payment' },
		]);
		const run = await n8n.execute(classifierWorkflow({ options: { trainingExamples } }), [
			{
				raw: raw('Code', 'Hello, the voucher code from your flyer does not reduce the price.', 50),
			},
			{
				raw: raw(
					'Password',
					'I forgot my password and the reset email never arrives. Please help me log in.',
					51,
				),
			},
		]);
		expect(run.status).toBe('success');
		// The built-in categories are still known (a password mail is still "account").
		expect(routing(run, OUTPUTS)).toEqual({ Code: 'payment', Password: 'account' });

		const unknown = JSON.stringify([
			{ text: 'is the repair covered by warranty', label: 'warranty' },
			{ text: 'where is my parcel', label: 'delivery' },
		]);
		const failed = await n8n.execute(
			classifierWorkflow({ options: { trainingExamples: unknown } }),
			[{ raw: raw('Broken', 'My kettle broke after a week.', 52) }],
		);
		expect(failed.status).toBe('error');
		expect(failed.nodeError('Classifier')?.message).toMatch(/"warranty"/);
		expect(failed.nodeError('Classifier')?.description).toMatch(/Add the missing categories/);
	});

	it("categories of the team's own learn with the sentence encoder inside n8n (version 2), and without it when switched off or in version 1", async () => {
		const examples: Array<[string, string]> = [
			['Where is my parcel?', 'Parcels'],
			['My package has not arrived yet', 'Parcels'],
			['The order is late, it should be here by now', 'Parcels'],
			['Tracking shows no movement for days', 'Parcels'],
			['I want my money back', 'Money back'],
			['Please refund my purchase', 'Money back'],
			['Can I get a refund for this?', 'Money back'],
			['Reimburse me please', 'Money back'],
			['I cannot log in', 'Login help'],
			['Reset my password', 'Login help'],
			['My login is blocked', 'Login help'],
			['I forgot my password', 'Login help'],
		];
		const parameters = (options: Record<string, unknown>) => ({
			categories: {
				category: ['Parcels', 'Money back', 'Login help'].map((name) => ({ name })),
			},
			options: {
				trainingExamples: JSON.stringify(examples.map(([text, label]) => ({ text, label }))),
				...options,
			},
		});
		const mails = [
			{ raw: raw('Courier', 'The courier never showed up with the box.', 60) },
			{ raw: raw('Paid', 'Give back what I paid, please.', 61) },
		];
		const classifications = (run: Awaited<ReturnType<typeof n8n.execute>>) =>
			Object.fromEntries(
				[0, 1, 2, 3].flatMap((index) =>
					run
						.output('Classifier', index)
						.map((item) => [item.json.support.email.subject, item.json.support.classification]),
				),
			);
		// The option is version 2's (on by default); version 1 nodes keep the word model alone.
		const v2 = { typeVersion: 2 };
		const on = await n8n.execute(classifierWorkflow(parameters({}), v2), mails);
		expect(on.status).toBe('success');
		const withEncoder = classifications(on);
		expect(withEncoder.Courier).toMatchObject({
			category: 'Parcels',
			model: 'offline/custom+use-lite-en',
		});
		expect(withEncoder.Paid).toMatchObject({ category: 'Money back' });
		const off = await n8n.execute(
			classifierWorkflow(parameters({ sentenceEncoder: false }), v2),
			mails,
		);
		expect(off.status).toBe('success');
		expect(classifications(off).Courier.model).toBe('offline/custom');
		const v1 = await n8n.execute(classifierWorkflow(parameters({})), mails);
		expect(v1.status).toBe('success');
		expect(classifications(v1).Courier.model).toBe('offline/custom');
	});

	it('an item without support.email: a clear error, or an error item on Unsure under Continue on Fail', async () => {
		const classifierOnly: Workflow = {
			nodes: [
				{
					name: 'Classifier',
					type: `${NODE_PREFIX}.supportClassifier`,
					typeVersion: 1,
					parameters: {},
				},
			],
			connections: {},
		};
		const failed = await n8n.execute(classifierOnly, [{ body: 'hello' }]);
		expect(failed.status).toBe('error');
		expect(failed.nodeError('Classifier')?.message).toMatch(
			/support\.email is missing: put the Support Inbox Trigger/,
		);
		expect(failed.nodeError('Classifier')?.description).toMatch(/Support Email → Normalize/);

		classifierOnly.nodes[0].onError = 'continueRegularOutput';
		const continued = await n8n.execute(classifierOnly, [{ body: 'hello' }]);
		expect(continued.status).toBe('success');
		const [item] = continued.output('Classifier', OUTPUTS.length - 1);
		expect(item.json).toMatchObject({
			body: 'hello',
			error: expect.stringMatching(/support\.email is missing: put the Support Inbox Trigger/),
		});
	});
});
