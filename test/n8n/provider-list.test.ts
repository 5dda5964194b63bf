/**
 * The ordered Providers list of Support Classifier 2 and Support Reply Drafter 3 in real n8n, against
 * the OpenAI wire-format stand-in: the defaults need no credential, the built-in model first hands on
 * only what it is unsure of, an AI service first falls back to the built-in model below it, and a
 * listed service without a credential is an error that says what to set.
 */
import { startLlmServer } from '../servers/llm';
import type { LlmServer } from '../servers/llm';
import type { Workflow, WorkflowNode } from '../harness/n8n';
import { NODE_PREFIX, sharedN8n } from '../harness/shared';
import { NO_ENTITIES } from '../support/llm-fixtures';

const MAILS = [
	{
		subject: 'Refund please',
		text: 'Hi, the blender I ordered (order #48213) arrived broken. I would like my money back.',
	},
	{
		subject: 'Cake',
		text: 'Preheat the oven to 180 degrees, mix flour, sugar and eggs, bake for 25 minutes.',
	},
];
const items = MAILS.map((mail, index) => ({
	raw: [
		`From: Customer ${index} <customer${index}@example.test>`,
		'To: support@acme.test',
		`Subject: ${mail.subject}`,
		`Message-ID: <list-${index}@example.test>`,
		'Date: Tue, 24 Nov 2026 10:00:00 +0000',
		'Content-Type: text/plain; charset=utf-8',
		'',
		mail.text,
	].join('\r\n'),
}));

const AI_ANSWER = {
	category: 'feedback',
	intent: 'share_recipe',
	sentiment: 'neutral',
	sentimentScore: 0,
	urgency: 'low',
	language: 'en',
	entities: NO_ENTITIES,
	summary: 'A cake recipe.',
	confidence: 0.8,
	promptInjection: false,
};

function chain(classifier: Record<string, unknown>, extra: Partial<WorkflowNode> = {}): Workflow {
	return {
		nodes: [
			{
				name: 'Normalize',
				type: `${NODE_PREFIX}.supportEmail`,
				typeVersion: 1,
				parameters: { operation: 'normalize', source: 'field', rawField: 'raw' },
			},
			{
				name: 'Classifier',
				type: `${NODE_PREFIX}.supportClassifier`,
				typeVersion: 2,
				parameters: { routing: 'single', options: { unsureOutput: false }, ...classifier },
				...extra,
			},
		],
		connections: { Normalize: { main: [[{ node: 'Classifier', type: 'main', index: 0 }]] } },
	};
}

describe('the ordered Providers list in real n8n', () => {
	const n8n = sharedN8n();
	let llm: LlmServer;
	let credential: { id: string; name: string };
	beforeAll(async () => {
		llm = await startLlmServer();
		credential = await n8n.createCredential('supportEmailOpenAiApi', {
			apiKey: llm.apiKeys.openai,
			url: llm.openaiBaseUrl,
			organizationId: '',
		});
	});
	afterAll(async () => await llm.close());
	beforeEach(() => llm.reset());

	it('Classifier 2 at its defaults: the built-in model, no credential, no call', async () => {
		const run = await n8n.execute(chain({}), items);
		expect(run.status).toBe('success');
		const out = run.output('Classifier', 0);
		expect(out.map((item) => item.json.support.classification.provider)).toEqual([
			'offline',
			'offline',
		]);
		expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(llm.requests).toHaveLength(0);
	});

	it('built-in model first: the mail it is sure of stays offline, the rest goes to OpenAI', async () => {
		llm.setResponder(() => ({ json: AI_ANSWER }));
		const run = await n8n.execute(
			chain(
				{
					providers: {
						provider: [{ kind: 'offline' }, { kind: 'openAi', openAiModel: 'gpt-4o-mini' }],
					},
				},
				{ credentials: { supportEmailOpenAiApi: credential } },
			),
			items,
		);
		expect(run.status).toBe('success');
		const [refund, cake] = run
			.output('Classifier', 0)
			.map((item) => item.json.support.classification);
		expect(refund).toMatchObject({ provider: 'offline', category: 'refund' });
		expect(cake).toMatchObject({ provider: 'openAi', category: 'feedback' });
		expect(cake.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['unsure', 'ok']);
		expect(llm.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
	});

	it('OpenAI first and down: the built-in model below it answers, the item says why', async () => {
		llm.fail('openai', { status: 500, times: 100 });
		const run = await n8n.execute(
			chain(
				{
					providers: { provider: [{ kind: 'openAi' }, { kind: 'offline' }] },
					options: { unsureOutput: false, maxRetries: 0 },
				},
				{ credentials: { supportEmailOpenAiApi: credential } },
			),
			items.slice(0, 1),
		);
		expect(run.status).toBe('success');
		const [item] = run.output('Classifier', 0);
		expect(item.json.support.classification.provider).toBe('offline');
		expect(item.json.support.classification.attempts[0]).toMatchObject({
			outcome: 'failed',
			kind: 'server',
		});
	});

	it('a listed service without a credential: an error naming it', async () => {
		const run = await n8n.execute(
			chain({ providers: { provider: [{ kind: 'anthropic' }, { kind: 'offline' }] } }),
			items.slice(0, 1),
		);
		expect(run.status).toBe('error');
		expect(run.nodeError('Classifier')?.message).toBe(
			'Anthropic is in Providers but has no credential',
		);
	});

	it('Reply Drafter 3: OpenAI first writes the reply; with OpenAI down the template below it does', async () => {
		llm.setResponder(() => ({
			json: {
				reply: 'Hello,\n\nWe are sorry about the blender and are looking into it.\n\nBest regards,',
				usedSnippets: [],
				knowledgeAnswers: false,
				policyTopic: false,
				promptInjection: false,
				confidence: 0.9,
			},
		}));
		const workflow = chain({});
		workflow.nodes.push({
			name: 'Drafter',
			type: `${NODE_PREFIX}.supportReplyDrafter`,
			typeVersion: 3,
			parameters: {
				companyName: 'Acme Shop',
				providers: { provider: [{ kind: 'openAi' }, { kind: 'offline' }] },
				options: { maxRetries: 0 },
			},
			credentials: { supportEmailOpenAiApi: credential },
		});
		workflow.connections.Classifier = { main: [[{ node: 'Drafter', type: 'main', index: 0 }]] };
		const answered = await n8n.execute(workflow, items.slice(0, 1));
		expect(answered.status).toBe('success');
		expect(answered.output('Drafter', 0)[0].json.support.draft).toMatchObject({
			provider: 'openAi',
			model: expect.any(String),
		});

		llm.reset();
		llm.fail('openai', { status: 500, times: 100 });
		const down = await n8n.execute(workflow, items.slice(0, 1));
		expect(down.status).toBe('success');
		const draft = down.output('Drafter', 0)[0].json.support.draft;
		expect(draft).toMatchObject({ provider: 'template', needsReview: true });
		expect(draft.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'ok']);
	});
});
