import { startLlmServer } from '../../servers/llm';
import type { LlmServer } from '../../servers/llm';
import {
	AllProvidersFailedError,
	createAnthropicProvider,
	createOpenAiCompatibleProvider,
	resetBreakers,
	runStructured,
} from '../../../lib/ai';
import type { AiProvider, ResilienceOptions } from '../../../lib/ai';

const SCHEMA = {
	type: 'object',
	additionalProperties: false,
	required: ['category', 'confidence'],
	properties: {
		category: { type: 'string', enum: ['refund', 'delivery'] },
		confidence: { type: 'number', minimum: 0, maximum: 1 },
	},
};
const REQUEST = {
	system: 'Classify.',
	user: 'Where is my parcel?',
	schema: SCHEMA,
	schemaName: 'classification',
	maxOutputTokens: 200,
};
/** Short backoff; a minute for calls that should answer (the timeout test sets its own limit). */
const FAST: Partial<ResilienceOptions> = {
	baseDelayMs: 20,
	maxDelayMs: 200,
	timeoutMs: 60_000,
	maxRetries: 3,
	breakerThreshold: 5,
};

let server: LlmServer;
beforeAll(async () => {
	server = await startLlmServer({ azureDeployments: { 'support-gpt': 'gpt-4o-mini' } });
});
afterAll(async () => await server.close());
beforeEach(() => {
	server.reset();
	server.setResponder(() => ({ json: { category: 'delivery', confidence: 0.91 } }));
	resetBreakers();
});

const openai = (timeoutMs?: number): AiProvider =>
	createOpenAiCompatibleProvider({
		kind: 'openAi',
		model: 'gpt-4o-mini',
		apiKey: server.apiKeys.openai,
		baseURL: server.openaiBaseUrl,
		timeoutMs,
	});
const azure = (): AiProvider =>
	createOpenAiCompatibleProvider({
		kind: 'azureOpenAi',
		model: 'support-gpt',
		apiKey: server.apiKeys.azure,
		azure: { endpoint: server.azureEndpoint, apiVersion: '2024-10-21', deployment: 'support-gpt' },
	});
const anthropic = (): AiProvider =>
	createAnthropicProvider({
		model: 'claude-3-5-haiku-latest',
		apiKey: server.apiKeys.anthropic,
		baseURL: server.anthropicBaseUrl,
	});

const calls = (provider: string) =>
	server.requests.filter((r) => r.provider === provider && r.method === 'POST');

describe('provider layer through the real SDKs', () => {
	it.each([
		['openai', openai],
		['azure', azure],
		['anthropic', anthropic],
	])('%s: structured answer validated, usage and model recorded', async (name, make) => {
		const result = await runStructured<{ category: string }>([make()], REQUEST, {
			resilience: FAST,
		});
		expect(result.value).toEqual({ category: 'delivery', confidence: 0.91 });
		expect(result.usage.inputTokens).toBeGreaterThan(0);
		expect(result.usage.outputTokens).toBeGreaterThan(0);
		expect(result.model).toBeTruthy();
		expect(result.attempts).toEqual([expect.objectContaining({ outcome: 'ok', retries: 0 })]);
		const [request] = calls(name);
		if (name === 'anthropic') {
			expect(request.body.tool_choice).toEqual({ type: 'tool', name: 'classification' });
			expect(request.headers['anthropic-version']).toBeTruthy();
		} else {
			expect(request.body.response_format.type).toBe('json_schema');
			expect(request.body.response_format.json_schema.strict).toBe(true);
		}
		if (name === 'azure') {
			expect(request.path).toBe('/openai/deployments/support-gpt/chat/completions');
			expect(request.headers['api-key']).toBe(server.apiKeys.azure);
		}
	});

	it('429 with Retry-After: waits at least that long, then succeeds', async () => {
		server.fail('openai', { status: 429, retryAfter: 1 });
		const result = await runStructured([openai()], REQUEST, { resilience: FAST });
		const [first, second] = calls('openai');
		expect(second.time - first.time).toBeGreaterThanOrEqual(1000);
		expect(result.attempts[0]).toMatchObject({ outcome: 'ok', retries: 1 });
	});

	it('500 twice: retried with backoff, then succeeds', async () => {
		server.fail('openai', { status: 500, times: 2 });
		const result = await runStructured([openai()], REQUEST, { resilience: FAST });
		expect(calls('openai')).toHaveLength(3);
		expect(result.attempts[0].retries).toBe(2);
	});

	it('Anthropic 529 overloaded is retried', async () => {
		server.fail('anthropic', { status: 529 });
		const result = await runStructured([anthropic()], REQUEST, { resilience: FAST });
		expect(calls('anthropic').map((r) => r.status)).toEqual([529, 200]);
		expect(result.value).toMatchObject({ category: 'delivery' });
	});

	it('a reply slower than the timeout counts as a timeout and is retried', async () => {
		server.fail('openai', { delayMs: 1_500 });
		const result = await runStructured([openai()], REQUEST, {
			resilience: { ...FAST, timeoutMs: 500 },
		});
		expect(result.attempts[0].retries).toBe(1);
		expect(calls('openai')).toHaveLength(2);
	});

	it('malformed JSON gets one repair try that tells the model what was wrong', async () => {
		server.fail('openai', { malformedJson: 'content' });
		const result = await runStructured([openai()], REQUEST, { resilience: FAST });
		expect(result.attempts[0].outcome).toBe('repaired');
		const repair = calls('openai')[1].body.messages.at(-1).content as string;
		expect(repair).toMatch(/not valid JSON/);
	});

	it('an answer that breaks the schema twice moves on to the next provider', async () => {
		server.fail('openai', { schemaViolation: true, times: 2 });
		const result = await runStructured([openai(), anthropic()], REQUEST, { resilience: FAST });
		expect(result.provider.kind).toBe('anthropic');
		expect(result.attempts.map((a) => a.outcome)).toEqual(['invalid', 'ok']);
		expect(result.attempts[0].error).toMatch(/does not match the schema/);
		expect(result.usage.inputTokens).toBeGreaterThan(calls('anthropic')[0] ? 0 : Infinity);
	});

	it('a refusal moves on to the next provider without a repair try', async () => {
		server.fail('openai', { refusal: true });
		const result = await runStructured([openai(), azure()], REQUEST, { resilience: FAST });
		expect(result.attempts.map((a) => a.outcome)).toEqual(['refused', 'ok']);
		expect(calls('openai')).toHaveLength(1);
	});

	it('a wrong key fails at once (no retry) and the chain moves on', async () => {
		const wrong = createOpenAiCompatibleProvider({
			kind: 'openAi',
			model: 'gpt-4o-mini',
			apiKey: 'sk-wrong',
			baseURL: server.openaiBaseUrl,
		});
		const result = await runStructured([wrong, anthropic()], REQUEST, { resilience: FAST });
		expect(result.attempts[0]).toMatchObject({ outcome: 'failed', kind: 'auth', retries: 0 });
	});

	it('the breaker opens after repeated failures, skips the provider, then half-opens', async () => {
		const breaker = { ...FAST, maxRetries: 0, breakerThreshold: 2, breakerHalfOpenAfterMs: 300 };
		server.fail('openai', { status: 500, times: 2 });
		for (let i = 0; i < 2; i++)
			await runStructured([openai(), anthropic()], REQUEST, { resilience: breaker });
		const skipped = await runStructured([openai(), anthropic()], REQUEST, { resilience: breaker });
		expect(skipped.attempts[0]).toMatchObject({ outcome: 'skipped', kind: 'circuit_open' });
		expect(calls('openai')).toHaveLength(2);
		await new Promise((r) => setTimeout(r, 350));
		const halfOpen = await runStructured([openai(), anthropic()], REQUEST, { resilience: breaker });
		expect(halfOpen.provider.kind).toBe('openAi');
		expect(calls('openai')).toHaveLength(3);
	});

	it('when every provider fails, the error lists each attempt', async () => {
		server.fail('openai', { status: 500, times: 10 });
		server.fail('anthropic', { status: 401, times: 10 });
		const failure = runStructured([openai(), anthropic()], REQUEST, {
			resilience: { ...FAST, maxRetries: 1 },
		});
		await expect(failure).rejects.toBeInstanceOf(AllProvidersFailedError);
		await expect(
			runStructured([openai(), anthropic()], REQUEST, { resilience: { ...FAST, maxRetries: 1 } }),
		).rejects.toThrow(/OpenAI \(gpt-4o-mini\) \(failed: .*\); Anthropic .*\(failed/);
	});
});
