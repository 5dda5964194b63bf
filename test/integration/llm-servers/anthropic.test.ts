import Anthropic from '@anthropic-ai/sdk';

import { type LlmServer, sameRealmFetch, startLlmServer } from '../../servers/llm';
import { classificationSchema, isJson, refundEmail, validator } from '../../support/llm-fixtures';

let server: LlmServer;

beforeAll(async () => {
	server = await startLlmServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function client(options: Partial<ConstructorParameters<typeof Anthropic>[0]> = {}): Anthropic {
	return new Anthropic({
		baseURL: server.anthropicBaseUrl,
		apiKey: 'sk-ant-test',
		maxRetries: 0,
		...options,
	});
}

const base = {
	model: 'claude-haiku-4-5',
	max_tokens: 1024,
	system: 'Classify the support email.',
	messages: [{ role: 'user' as const, content: refundEmail }],
};
const toolRequest = {
	...base,
	tools: [
		{
			name: 'classify',
			description: 'Record the classification',
			input_schema: classificationSchema as unknown as Anthropic.Tool.InputSchema,
		},
	],
	tool_choice: { type: 'tool' as const, name: 'classify' },
};

function toolUse(message: Anthropic.Message): Anthropic.ToolUseBlock | undefined {
	return message.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
}

describe('Anthropic messages through the real SDK', () => {
	test('a text answer has the Message shape, usage and request-id', async () => {
		const { data, response } = await client().messages.create(base).withResponse();
		expect(data).toMatchObject({
			type: 'message',
			role: 'assistant',
			model: 'claude-haiku-4-5',
			stop_reason: 'end_turn',
			stop_sequence: null,
			content: [{ type: 'text', text: expect.stringMatching(/charged twice/) }],
		});
		expect(data.id).toMatch(/^msg_01/);
		const text = (data.content[0] as Anthropic.TextBlock).text;
		expect(data.usage.output_tokens).toBe(Math.ceil(text.length / 4));
		expect(data.usage.input_tokens).toBeGreaterThan(10);
		expect(response.headers.get('request-id')).toMatch(/^req_/);
		const recorded = server.requests[0];
		expect(recorded).toMatchObject({ provider: 'anthropic', path: '/anthropic/v1/messages' });
		expect(recorded.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
		expect(recorded.body.system).toBe(base.system);
	});

	test('a forced tool: tool_use input validates against the input_schema', async () => {
		const message = await client().messages.create(toolRequest);
		expect(message.stop_reason).toBe('tool_use');
		const block = toolUse(message)!;
		expect(block).toMatchObject({ type: 'tool_use', name: 'classify' });
		expect(block.id).toMatch(/^toolu_01/);
		expect(validator(classificationSchema)(block.input)).toBe(true);
		expect((block.input as any).category).toBe('refund');
	});

	test('output_config json_schema: the text block is JSON that validates', async () => {
		const message = await client().messages.create({
			...base,
			output_config: { format: { type: 'json_schema', schema: classificationSchema } },
		});
		const text = (message.content[0] as Anthropic.TextBlock).text;
		expect(validator(classificationSchema)(JSON.parse(text))).toBe(true);
	});

	test('x-api-key (n8n credential, curl) and the SDK bearer key are both accepted', async () => {
		const res = await fetch(`${server.baseUrl}/v1/messages`, {
			method: 'POST',
			headers: {
				'x-api-key': 'sk-ant-test',
				'anthropic-version': '2023-06-01',
				'content-type': 'application/json',
			},
			body: JSON.stringify(base),
		});
		expect(res.status).toBe(200);
		expect(server.requests[0].headers.authorization).toBeUndefined();
		await client().messages.create(base);
		expect(server.requests[1].headers.authorization).toBe('Bearer sk-ant-test');
	});

	test('the wrong key: AuthenticationError with authentication_error', async () => {
		const error = await client({ apiKey: 'sk-ant-wrong' })
			.messages.create(base)
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
		const e = error as InstanceType<typeof Anthropic.AuthenticationError>;
		expect(e.type).toBe('authentication_error');
		expect(e.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
		expect(e.requestID).toMatch(/^req_/);
	});

	test('a missing anthropic-version header: 400 invalid_request_error', async () => {
		const res = await fetch(`${server.anthropicBaseUrl}/v1/messages`, {
			method: 'POST',
			headers: { 'x-api-key': 'sk-ant-test', 'content-type': 'application/json' },
			body: JSON.stringify(base),
		});
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({
			type: 'error',
			error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
			request_id: expect.stringMatching(/^req_/),
		});
	});

	test('a missing max_tokens: BadRequestError', async () => {
		const { max_tokens: _m, ...noMax } = base;
		const error = await client()
			.messages.create(noMax as any)
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(Anthropic.BadRequestError);
		expect((error as any).apiMessage).toBe('max_tokens: Field required');
	});

	test('GET /v1/models for credential tests (n8n sends x-api-key and anthropic-version)', async () => {
		const page = await client().models.list();
		expect(page.data[0]).toMatchObject({ type: 'model', id: expect.stringMatching(/^claude-/) });
		const res = await fetch(`${server.baseUrl}/v1/models`, {
			headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' },
		});
		expect(res.status).toBe(200);
		expect(server.requests[1].provider).toBe('anthropic');
		const bad = await fetch(`${server.baseUrl}/v1/models`, {
			headers: { 'x-api-key': 'wrong', 'anthropic-version': '2023-06-01' },
		});
		expect(bad.status).toBe(401);
	});

	test('429: RateLimitError with retry-after and anthropic-ratelimit headers (SDK retries off)', async () => {
		server.fail('anthropic', { status: 429, retryAfter: 2 });
		const error = await client()
			.messages.create(base)
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(Anthropic.RateLimitError);
		const e = error as InstanceType<typeof Anthropic.RateLimitError>;
		expect(e.headers.get('retry-after')).toBe('2');
		expect(e.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
		expect(e.type).toBe('rate_limit_error');
	});

	test('429 with SDK retries on: the SDK waits retry-after', async () => {
		server.fail('anthropic', { status: 429, retryAfter: 1 });
		const message = await client({ maxRetries: 2 }).messages.create(base);
		expect(message.type).toBe('message');
		expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
		expect(server.requests[1].time - server.requests[0].answeredAt!).toBeGreaterThanOrEqual(1000);
	});

	test('529: OverloadedError with overloaded_error; the SDK retries it when allowed', async () => {
		server.fail('anthropic', { status: 529 });
		const error = await client()
			.messages.create(base)
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(Anthropic.OverloadedError);
		expect(error).toBeInstanceOf(Anthropic.InternalServerError);
		const e = error as InstanceType<typeof Anthropic.OverloadedError>;
		expect(e.status).toBe(529);
		expect(e.type).toBe('overloaded_error');
		expect(e.apiMessage).toBe('Overloaded');

		server.fail('anthropic', { status: 529, times: 2, retryAfterMs: 20 });
		const ok = await client({ maxRetries: 2 }).messages.create(base);
		expect(ok.type).toBe('message');
		expect(server.requests.map((r) => r.status)).toEqual([529, 529, 529, 200]);
	});

	test('500: InternalServerError with api_error', async () => {
		server.fail('anthropic', { status: 500 });
		const error = await client()
			.messages.create(base)
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(Anthropic.InternalServerError);
		expect((error as any).type).toBe('api_error');
	});

	test('malformed JSON: text with broken JSON instead of the tool call, or in the JSON text', async () => {
		server.fail('anthropic', { malformedJson: true });
		const message = await client().messages.create(toolRequest);
		expect(toolUse(message)).toBeUndefined();
		const text = (message.content[0] as Anthropic.TextBlock).text;
		expect(text.startsWith('{"category":')).toBe(true);
		expect(isJson(text)).toBe(false);

		server.fail('anthropic', { malformedJson: true });
		const formatted = await client().messages.create({
			...base,
			output_config: { format: { type: 'json_schema', schema: classificationSchema } },
		});
		expect(isJson((formatted.content[0] as Anthropic.TextBlock).text)).toBe(false);
	});

	test('malformed HTTP body: the SDK fails to parse the 200', async () => {
		server.fail('anthropic', { malformedJson: 'body' });
		const error = await client()
			.messages.create(base)
			.catch((e: unknown) => e);
		expect((error as Error).name).toBe('SyntaxError');
	});

	test('schema violation: the tool input is an object that fails the schema', async () => {
		server.fail('anthropic', { schemaViolation: true });
		const message = await client().messages.create(toolRequest);
		const input = toolUse(message)!.input as any;
		expect(validator(classificationSchema)(input)).toBe(false);
		expect(classificationSchema.properties.category.enum).not.toContain(input.category);
	});

	test('refusal: a declining text block instead of the tool call', async () => {
		server.fail('anthropic', { refusal: true });
		const message = await client().messages.create(toolRequest);
		expect(toolUse(message)).toBeUndefined();
		expect(message.stop_reason).toBe('end_turn');
		expect((message.content[0] as Anthropic.TextBlock).text).toMatch(/can't help/);
	});

	test("refusal as stop_reason 'refusal' with stop_details", async () => {
		server.fail('anthropic', { refusal: 'stop_reason' });
		const message = await client().messages.create(toolRequest);
		expect(message.stop_reason).toBe('refusal');
		expect(message.content).toEqual([]);
		expect(message.stop_details).toEqual({ type: 'refusal', category: null, explanation: null });
	});

	test('a reply slower than the SDK timeout: APIConnectionTimeoutError', async () => {
		server.fail('anthropic', { delayMs: 5000 });
		const error = await client({ timeout: 300, fetch: sameRealmFetch })
			.messages.create(base)
			.catch((e: unknown) => e);
		// The SDK gave up at its timeout: a connection-timeout error, not the answer 5 s later.
		expect(error).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
	});

	test('streaming: the SDK assembles the same tool input', async () => {
		const stream = client().messages.stream(toolRequest);
		const message = await stream.finalMessage();
		expect(message.stop_reason).toBe('tool_use');
		expect(validator(classificationSchema)(toolUse(message)!.input)).toBe(true);
		const plain = await client().messages.create(toolRequest);
		expect(toolUse(message)!.input).toEqual(toolUse(plain)!.input);
	});

	test('streaming text', async () => {
		const stream = client().messages.stream(base);
		const text = await stream.finalText();
		const plain = await client().messages.create(base);
		expect(text).toBe((plain.content[0] as Anthropic.TextBlock).text);
	});

	test('max_tokens cuts the text with stop_reason max_tokens', async () => {
		const message = await client().messages.create({ ...base, max_tokens: 4 });
		expect(message.stop_reason).toBe('max_tokens');
		expect((message.content[0] as Anthropic.TextBlock).text).toHaveLength(16);
		expect(message.usage.output_tokens).toBe(4);
	});

	test('count_tokens uses the same estimate as usage.input_tokens', async () => {
		const counted = await client().messages.countTokens({
			model: base.model,
			system: base.system,
			messages: base.messages,
		});
		const message = await client().messages.create(base);
		expect(counted.input_tokens).toBe(message.usage.input_tokens);
	});
});
