import OpenAI, { AzureOpenAI } from 'openai';

import { type LlmServer, sameRealmFetch, startLlmServer } from '../../servers/llm';
import { classificationSchema, refundEmail, validator } from '../../support/llm-fixtures';

let server: LlmServer;

beforeAll(async () => {
	server = await startLlmServer({ azureDeployments: { 'support-mini': 'gpt-4o-mini-2024-07-18' } });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const API_VERSION = '2024-10-21';

function azure(options: Partial<ConstructorParameters<typeof AzureOpenAI>[0]> = {}): AzureOpenAI {
	return new AzureOpenAI({
		endpoint: server.azureEndpoint,
		apiKey: 'azure-test-key',
		apiVersion: API_VERSION,
		deployment: 'support-mini',
		maxRetries: 0,
		...options,
	});
}

const messages = [{ role: 'user' as const, content: refundEmail }];

describe('Azure OpenAI through the real SDK (AzureOpenAI)', () => {
	test('deployment path, api-version query and api-key header; a structured answer validates', async () => {
		const completion = await azure().chat.completions.create({
			model: 'ignored-when-deployment-is-set',
			messages,
			response_format: {
				type: 'json_schema',
				json_schema: { name: 'classification', strict: true, schema: classificationSchema },
			},
		});
		const recorded = server.requests[0];
		expect(recorded).toMatchObject({
			provider: 'azure',
			method: 'POST',
			path: '/openai/deployments/support-mini/chat/completions',
			query: { 'api-version': API_VERSION },
		});
		expect(recorded.headers['api-key']).toBe('azure-test-key');
		expect(recorded.headers.authorization).toBeUndefined();

		expect(completion.model).toBe('gpt-4o-mini-2024-07-18');
		expect(
			validator(classificationSchema)(JSON.parse(completion.choices[0].message.content!)),
		).toBe(true);
		const raw = completion as any;
		expect(raw.prompt_filter_results[0]).toMatchObject({ prompt_index: 0 });
		expect(raw.choices[0].content_filter_results.hate).toEqual({
			filtered: false,
			severity: 'safe',
		});
	});

	test('without a fixed deployment the SDK puts the model in the path', async () => {
		await azure({ deployment: undefined }).chat.completions.create({
			model: 'support-mini',
			messages,
		});
		expect(server.requests[0].path).toBe('/openai/deployments/support-mini/chat/completions');
	});

	test('the wrong key: AuthenticationError with Azure body {code: "401"}', async () => {
		const error = await azure({ apiKey: 'nope' })
			.chat.completions.create({ model: 'x', messages })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
		expect((error as any).code).toBe('401');
		expect((error as Error).message).toMatch(/^401 Access denied due to invalid subscription key/);
	});

	test('an unknown deployment: NotFoundError DeploymentNotFound', async () => {
		const error = await azure({ deployment: 'gpt-5-nope' })
			.chat.completions.create({ model: 'x', messages })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OpenAI.NotFoundError);
		expect((error as any).code).toBe('DeploymentNotFound');
	});

	test('a missing api-version: 404 Resource not found, as Azure answers', async () => {
		const res = await fetch(
			`${server.azureEndpoint}/openai/deployments/support-mini/chat/completions`,
			{
				method: 'POST',
				headers: { 'api-key': 'azure-test-key', 'content-type': 'application/json' },
				body: JSON.stringify({ messages }),
			},
		);
		expect(res.status).toBe(404);
		expect(await res.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });
	});

	test('credential test: GET /openai/models?api-version with api-key', async () => {
		const url = `${server.azureEndpoint}/openai/models?api-version=${API_VERSION}`;
		const ok = await fetch(url, { headers: { 'api-key': 'azure-test-key' } });
		expect(ok.status).toBe(200);
		const body: any = await ok.json();
		expect(body.object).toBe('list');
		expect(body.data[0]).toMatchObject({ id: 'gpt-4o-mini-2024-07-18', object: 'model' });
		const bad = await fetch(url, { headers: { 'api-key': 'wrong' } });
		expect(bad.status).toBe(401);
	});

	test('the legacy deployments listing exists only for api-version 2022-12-01', async () => {
		const headers = { 'api-key': 'azure-test-key' };
		const old = await fetch(`${server.azureEndpoint}/openai/deployments?api-version=2022-12-01`, {
			headers,
		});
		expect(((await old.json()) as any).data[0]).toMatchObject({
			id: 'support-mini',
			object: 'deployment',
		});
		const current = await fetch(
			`${server.azureEndpoint}/openai/deployments?api-version=${API_VERSION}`,
			{ headers },
		);
		expect(current.status).toBe(404);
	});

	test('429: RateLimitError with retry-after and the Azure message', async () => {
		server.fail('azure', { status: 429, retryAfter: 3 });
		const error = await azure()
			.chat.completions.create({ model: 'x', messages })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OpenAI.RateLimitError);
		const e = error as any;
		expect(e.headers.get('retry-after')).toBe('3');
		expect(e.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
		expect(e.code).toBe('429');
		expect(e.message).toMatch(
			/API version 2024-10-21 have exceeded token rate limit.*retry after 3 seconds/,
		);
	});

	test('429 then retries: the SDK honours retry-after', async () => {
		server.fail('azure', { status: 429, retryAfter: 1 });
		await azure({ maxRetries: 1 }).chat.completions.create({ model: 'x', messages });
		expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
		expect(server.requests[1].time - server.requests[0].answeredAt!).toBeGreaterThanOrEqual(1000);
	});

	test('faults are per provider: an OpenAI fault does not touch Azure', async () => {
		server.fail('openai', { status: 500 });
		const completion = await azure().chat.completions.create({ model: 'x', messages });
		expect(completion.object).toBe('chat.completion');
		expect(server.pendingFaults('openai')).toBe(1);
	});

	test('500, refusal, timeout', async () => {
		server.fail('azure', { status: 500 });
		await expect(azure().chat.completions.create({ model: 'x', messages })).rejects.toBeInstanceOf(
			OpenAI.InternalServerError,
		);
		server.fail('azure', { refusal: true });
		const refused = await azure().chat.completions.create({ model: 'x', messages });
		expect(refused.choices[0].message).toMatchObject({
			content: null,
			refusal: expect.any(String),
		});
		server.fail('azure', { delayMs: 3000 });
		await expect(
			azure({ timeout: 200, fetch: sameRealmFetch }).chat.completions.create({
				model: 'x',
				messages,
			}),
		).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
	});

	test('the v1 API (/openai/v1) with the plain OpenAI client and the key as bearer', async () => {
		const client = new OpenAI({
			baseURL: `${server.azureEndpoint}/openai/v1`,
			apiKey: 'azure-test-key',
			maxRetries: 0,
		});
		const completion = await client.chat.completions.create({ model: 'support-mini', messages });
		expect(completion.model).toBe('gpt-4o-mini-2024-07-18');
		expect(server.requests[0]).toMatchObject({
			provider: 'azure',
			path: '/openai/v1/chat/completions',
		});
		const missing = await client.chat.completions
			.create({ model: 'no-such-deployment', messages })
			.catch((e: unknown) => e);
		expect((missing as any).code).toBe('DeploymentNotFound');
	});
});
