/**
 * The ordered provider list through the real SDKs against the wire-format stand-ins: 429 and timeouts
 * hand over to the next entry, the built-in model last answers, and the built-in model first hands
 * over only the mail it is unsure about. Classification and drafting share this pipeline
 * (lib/ai/run-on-email.ts), so both are checked through it.
 */
import { startLlmServer } from '../../servers/llm';
import type { LlmServer } from '../../servers/llm';
import { OFFLINE_PROVIDER, resetBreakers } from '../../../lib/ai';
import { anthropicProvider, openAiProvider } from '../../support/llm-providers';
import { ALL_FIELDS, classifyEmail } from '../../../lib/classify';
import type { ClassifyConfig } from '../../../lib/classify';
import { draftReply } from '../../../lib/draft';
import type { DraftConfig } from '../../../lib/draft';
import { NO_ENTITIES } from '../../support/llm-fixtures';

let server: LlmServer;
beforeAll(async () => (server = await startLlmServer()));
afterAll(async () => await server.close());
beforeEach(() => {
	server.reset();
	resetBreakers();
});

const openai = () => openAiProvider(server);
const anthropic = () => anthropicProvider(server);
/**
 * Calls that should answer get a minute (a 400 ms limit failed a call to a healthy stand-in on a loaded
 * machine, so the next provider answered); the timeout test sets its own limit against a stand-in that
 * takes far longer.
 */
const RESILIENCE = { baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 60_000, maxRetries: 1 };

const AI_ANSWER = {
	category: 'refund',
	intent: 'get_refund',
	sentiment: 'negative',
	sentimentScore: -0.5,
	urgency: 'normal',
	language: 'en',
	entities: { ...NO_ENTITIES, orderId: '48213' },
	summary: 'Refund request.',
	confidence: 0.9,
	promptInjection: false,
};

const classifyConfig = (overrides: Partial<ClassifyConfig>): ClassifyConfig => ({
	categories: [],
	providers: [],
	offlineFallback: false,
	multiLabel: false,
	fields: ALL_FIELDS,
	maxInputChars: 8000,
	redactPersonalData: false,
	resilience: RESILIENCE,
	...overrides,
});
const EMAIL = {
	subject: 'Refund for order 48213',
	text: 'Hello, I returned the blender from order 48213 two weeks ago. Please refund my money.',
};
const posts = (provider: string) =>
	server.requests.filter((r) => r.provider === provider && r.method === 'POST');

describe('the ordered provider list', () => {
	it('429 on the first, a timeout on the second: the built-in model last answers', async () => {
		server.fail('openai', { status: 429, retryAfter: 0, times: 10 });
		server.fail('anthropic', { delayMs: 10 * 60_000, times: 10 });
		const result = await classifyEmail(
			EMAIL,
			classifyConfig({
				providers: [openai(), anthropic(), OFFLINE_PROVIDER],
				resilience: { ...RESILIENCE, timeoutMs: 10_000 },
			}),
		);
		expect(result.provider).toBe('offline');
		expect(result.attempts?.map((a) => [a.provider, a.outcome, a.kind])).toEqual([
			['OpenAI (gpt-4o-mini)', 'failed', 'rate_limit'],
			['Anthropic (claude-haiku-4-5)', 'failed', 'timeout'],
			['Built-in offline model', 'ok', undefined],
		]);
		expect(posts('openai')).toHaveLength(2);
	});

	it('the built-in model first: sure mail never reaches the AI, unsure mail does', async () => {
		server.setResponder(() => ({ json: AI_ANSWER }));
		const sure = await classifyEmail(
			EMAIL,
			classifyConfig({ providers: [OFFLINE_PROVIDER, openai()], threshold: 0.01 }),
		);
		expect(sure.provider).toBe('offline');
		expect(posts('openai')).toHaveLength(0);

		// A threshold nothing reaches: the offline model is unsure, so the next entry is asked.
		const unsure = await classifyEmail(
			EMAIL,
			classifyConfig({ providers: [OFFLINE_PROVIDER, openai()], threshold: 1 }),
		);
		expect(unsure.provider).toBe('openAi');
		expect(posts('openai')).toHaveLength(1);
		expect(unsure.attempts?.map((a) => [a.provider, a.outcome])).toEqual([
			['Built-in offline model', 'unsure'],
			['OpenAI (gpt-4o-mini)', 'ok'],
		]);
	});

	it('drafting: a template reply first needs review, so the AI provider after it answers', async () => {
		server.setResponder(() => ({
			json: {
				reply: 'Hello, your refund for order 48213 is on its way.',
				confidence: 0.9,
				knowledgeAnswers: true,
				usedSnippets: ['kb-1'],
				policyTopic: false,
				promptInjection: false,
			},
		}));
		const config: DraftConfig = {
			providers: [OFFLINE_PROVIDER, openai()],
			templateFallback: false,
			language: 'customer',
			tone: 'friendly',
			policies: [],
			templates: [],
			reviewThreshold: 0.7,
			maxInputChars: 8000,
			maxKnowledgeChars: 12000,
			redactPersonalData: false,
			resilience: RESILIENCE,
			answerFromKnowledge: false,
		};
		const draft = await draftReply(
			{
				email: { ...EMAIL, from: { name: 'Jane Doe', address: 'jane@customer.test' } },
				classification: { category: 'refund', language: 'en', confidence: 0.9 },
				knowledge: [{ id: 'kb-1', text: 'Refunds for order 48213 are on their way.' }],
			},
			config,
		);
		expect(draft.provider).toBe('openAi');
		expect(draft.attempts?.map((a) => [a.provider, a.outcome])).toEqual([
			['Template reply', 'unsure'],
			['OpenAI (gpt-4o-mini)', 'ok'],
		]);
	});
});
