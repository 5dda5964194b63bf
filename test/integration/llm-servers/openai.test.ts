import OpenAI from 'openai';

import { type LlmRequest, type LlmServer, sameRealmFetch, startLlmServer } from '../../servers/llm';
import { classificationSchema, isJson, refundEmail, validator } from '../../support/llm-fixtures';

let server: LlmServer;
const seen: LlmRequest[] = [];

beforeAll(async () => {
	server = await startLlmServer({
		responder: (request) => {
			seen.push(request);
			return undefined;
		},
	});
});
afterAll(() => server.close());
beforeEach(() => {
	server.reset();
	seen.length = 0;
});

function client(options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}): OpenAI {
	return new OpenAI({
		baseURL: server.openaiBaseUrl,
		apiKey: 'sk-test',
		maxRetries: 0,
		...options,
	});
}

const jsonSchemaFormat = {
	type: 'json_schema' as const,
	json_schema: { name: 'classification', strict: true, schema: classificationSchema },
};

const messages = [
	{ role: 'system' as const, content: 'Classify the support email.' },
	{ role: 'user' as const, content: refundEmail },
];

describe('OpenAI chat completions through the real SDK', () => {
	test('a plain answer has the ChatCompletion shape, usage and x-request-id', async () => {
		const { data, response } = await client()
			.chat.completions.create({ model: 'gpt-4o-mini', messages })
			.withResponse();
		expect(data).toMatchObject({
			object: 'chat.completion',
			model: 'gpt-4o-mini',
			choices: [
				{
					index: 0,
					finish_reason: 'stop',
					logprobs: null,
					message: { role: 'assistant', refusal: null },
				},
			],
		});
		expect(data.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
		expect(typeof data.created).toBe('number');
		expect(data.choices[0].message.content).toMatch(/charged twice/);
		const usage = data.usage!;
		expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
		expect(usage.completion_tokens).toBe(Math.ceil(data.choices[0].message.content!.length / 4));
		expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);

		const recorded = server.requests[0];
		expect(recorded).toMatchObject({
			provider: 'openai',
			method: 'POST',
			path: '/v1/chat/completions',
		});
		expect(recorded.headers.authorization).toBe('Bearer sk-test');
		expect(recorded.body.messages).toEqual(messages);
	});

	test('response_format json_schema: the content validates against the schema', async () => {
		const completion = await client().chat.completions.create({
			model: 'gpt-4o-mini',
			messages,
			response_format: jsonSchemaFormat,
		});
		const value = JSON.parse(completion.choices[0].message.content!);
		expect(validator(classificationSchema)(value)).toBe(true);
		expect(value.category).toBe('refund');
		expect(seen[0].structured).toMatchObject({ kind: 'json_schema', name: 'classification' });
	});

	test('a forced function call: arguments validate, finish_reason is stop as OpenAI sends it', async () => {
		const completion = await client().chat.completions.create({
			model: 'gpt-4o-mini',
			messages,
			tools: [
				{
					type: 'function',
					function: { name: 'classify', parameters: classificationSchema, strict: true },
				},
			],
			tool_choice: { type: 'function', function: { name: 'classify' } },
		});
		const choice = completion.choices[0];
		expect(choice.finish_reason).toBe('stop');
		expect(choice.message.content).toBeNull();
		const call = choice.message.tool_calls![0];
		expect(call).toMatchObject({ type: 'function', function: { name: 'classify' } });
		expect(call.id).toMatch(/^call_/);
		if (call.type !== 'function') throw new Error('expected a function call');
		expect(validator(classificationSchema)(JSON.parse(call.function.arguments))).toBe(true);
	});

	test('the wrong key: AuthenticationError with OpenAI invalid_api_key body', async () => {
		const error = await client({ apiKey: 'sk-wrong-key-123456' })
			.chat.completions.create({ model: 'gpt-4o-mini', messages })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
		const e = error as InstanceType<typeof OpenAI.AuthenticationError>;
		expect(e.status).toBe(401);
		expect(e.code).toBe('invalid_api_key');
		expect(e.type).toBe('invalid_request_error');
		expect(e.message).toMatch(/^401 Incorrect API key provided: sk-\*+3456\./);
		await expect(client({ apiKey: 'sk-wrong' }).models.list()).rejects.toBeInstanceOf(
			OpenAI.AuthenticationError,
		);
	});

	test('GET /v1/models for credential tests', async () => {
		const page = await client().models.list();
		expect(page.data.map((m) => m.id)).toContain('gpt-4o-mini');
		expect(page.data[0]).toMatchObject({ object: 'model', owned_by: 'system' });
	});

	test('429: RateLimitError with retry-after and x-ratelimit headers (SDK retries off)', async () => {
		server.fail('openai', { status: 429, retryAfter: 2 });
		const error = await client()
			.chat.completions.create({ model: 'gpt-4o-mini', messages })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OpenAI.RateLimitError);
		const e = error as InstanceType<typeof OpenAI.RateLimitError>;
		expect(e.status).toBe(429);
		expect(e.headers?.get('retry-after')).toBe('2');
		expect(e.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
		expect(e.code).toBe('rate_limit_exceeded');
		expect(e.type).toBe('requests');
		expect(e.error).toMatchObject({
			message: expect.stringMatching(/^Rate limit reached for gpt-4o-mini/),
		});
		expect(server.pendingFaults('openai')).toBe(0);
	});

	test('429 with SDK retries on: the SDK waits retry-after before the second request', async () => {
		server.fail('openai', { status: 429, retryAfter: 1 });
		const completion = await client({ maxRetries: 2 }).chat.completions.create({
			model: 'gpt-4o-mini',
			messages,
		});
		expect(completion.choices[0].message.content).toBeTruthy();
		expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
		const gap = server.requests[1].time - server.requests[0].answeredAt!;
		expect(gap).toBeGreaterThanOrEqual(1000);
		expect(server.requests[1].headers['x-stainless-retry-count']).toBe('1');
	});

	test('retry-after-ms is read before retry-after', async () => {
		server.fail('openai', { status: 429, retryAfter: 30, retryAfterMs: 150 });
		await client({ maxRetries: 1 }).chat.completions.create({ model: 'gpt-4o-mini', messages });
		const gap = server.requests[1].time - server.requests[0].answeredAt!;
		expect(gap).toBeGreaterThanOrEqual(150);
		expect(gap).toBeLessThan(5000);
	});

	test('500 twice, then an answer: InternalServerError without retries, success with them', async () => {
		server.fail('openai', { status: 500 });
		const error = await client()
			.chat.completions.create({ model: 'gpt-4o-mini', messages })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OpenAI.InternalServerError);
		expect((error as any).type).toBe('server_error');

		server.fail('openai', { status: 500, times: 2, retryAfterMs: 10 });
		const ok = await client({ maxRetries: 2 }).chat.completions.create({
			model: 'gpt-4o-mini',
			messages,
		});
		expect(ok.object).toBe('chat.completion');
		expect(server.requests.map((r) => r.status)).toEqual([500, 500, 500, 200]);
	});

	test('malformed JSON content arrives as such (structured request)', async () => {
		server.fail('openai', { malformedJson: true });
		const completion = await client().chat.completions.create({
			model: 'gpt-4o-mini',
			messages,
			response_format: jsonSchemaFormat,
		});
		const content = completion.choices[0].message.content!;
		expect(content.startsWith('{"category":')).toBe(true);
		expect(isJson(content)).toBe(false);
		// and the SDK's own parse() helper rejects it
		server.fail('openai', { malformedJson: true });
		await expect(
			client().chat.completions.parse({
				model: 'gpt-4o-mini',
				messages,
				response_format: jsonSchemaFormat,
			}),
		).rejects.toMatchObject({ name: 'SyntaxError' });
	});

	test('malformed tool arguments arrive as such', async () => {
		server.fail('openai', { malformedJson: true });
		const completion = await client().chat.completions.create({
			model: 'gpt-4o-mini',
			messages,
			tools: [
				{ type: 'function', function: { name: 'classify', parameters: classificationSchema } },
			],
			tool_choice: 'required',
		});
		const call = completion.choices[0].message.tool_calls![0];
		if (call.type !== 'function') throw new Error('expected a function call');
		expect(isJson(call.function.arguments)).toBe(false);
		expect(completion.choices[0].finish_reason).toBe('tool_calls');
	});

	test('malformed HTTP body (plain request): the SDK fails to parse the 200', async () => {
		server.fail('openai', { malformedJson: true });
		const error = await client()
			.chat.completions.create({ model: 'gpt-4o-mini', messages })
			.catch((e: unknown) => e);
		expect((error as Error).name).toBe('SyntaxError');
		expect((error as Error).message).toMatch(/JSON/);
		expect(server.requests[0].status).toBe(200);
		expect(server.requests[0].fault).toEqual({ malformedJson: true });
	});

	test('schema violation: valid JSON that fails the schema', async () => {
		server.fail('openai', { schemaViolation: true });
		const completion = await client().chat.completions.create({
			model: 'gpt-4o-mini',
			messages,
			response_format: jsonSchemaFormat,
		});
		const value = JSON.parse(completion.choices[0].message.content!);
		expect(validator(classificationSchema)(value)).toBe(false);
		expect(classificationSchema.properties.category.enum).not.toContain(value.category);
	});

	test('refusal: message.refusal set, content null, no tool call', async () => {
		server.fail('openai', { refusal: true });
		const completion = await client().chat.completions.create({
			model: 'gpt-4o-mini',
			messages,
			tools: [
				{ type: 'function', function: { name: 'classify', parameters: classificationSchema } },
			],
			tool_choice: { type: 'function', function: { name: 'classify' } },
		});
		const message = completion.choices[0].message;
		expect(message.refusal).toMatch(/can't help/);
		expect(message.content).toBeNull();
		expect(message.tool_calls).toBeUndefined();
		expect(completion.choices[0].finish_reason).toBe('stop');
	});

	test('a reply slower than the SDK timeout: APIConnectionTimeoutError', async () => {
		server.fail('openai', { delayMs: 5000 });
		// sameRealmFetch: see its comment (jest's realm hides the AbortError from the SDK).
		// A timeout error (not the delayed answer) shows the client gave up first; no stopwatch needed.
		const error = await client({ timeout: 300, fetch: sameRealmFetch })
			.chat.completions.create({ model: 'gpt-4o-mini', messages })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
		// the server answered nothing
		expect(server.requests[0].status).toBeUndefined();
	});

	test('a dropped connection: APIConnectionError', async () => {
		server.fail('openai', { dropConnection: true });
		const error = await client()
			.chat.completions.create({ model: 'gpt-4o-mini', messages })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
		expect(error).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
	});

	test('strict schemas are checked as OpenAI does (400 invalid_request_error)', async () => {
		const loose = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
		const error = await client()
			.chat.completions.create({
				model: 'gpt-4o-mini',
				messages,
				response_format: {
					type: 'json_schema',
					json_schema: { name: 'x', strict: true, schema: loose },
				},
			})
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OpenAI.BadRequestError);
		expect((error as any).param).toBe('response_format');
		expect((error as Error).message).toBe(
			"400 Invalid schema for response_format 'x': In context=(), 'additionalProperties' is required to be supplied and to be false.",
		);
		const optional = {
			type: 'object',
			additionalProperties: false,
			properties: { a: { type: 'string' }, b: { type: 'string' } },
			required: ['a'],
		};
		await expect(
			client().chat.completions.create({
				model: 'gpt-4o-mini',
				messages,
				response_format: {
					type: 'json_schema',
					json_schema: { name: 'x', strict: true, schema: optional },
				},
			}),
		).rejects.toThrow(
			/'required' is required to be supplied and to be an array including every key in properties. Missing 'b'/,
		);
	});

	test('json_object mode needs the word json in the messages', async () => {
		await expect(
			client().chat.completions.create({
				model: 'gpt-4o-mini',
				messages,
				response_format: { type: 'json_object' },
			}),
		).rejects.toBeInstanceOf(OpenAI.BadRequestError);
		const ok = await client().chat.completions.create({
			model: 'gpt-4o-mini',
			messages: [{ role: 'user', content: 'Answer in JSON please.' }],
			response_format: { type: 'json_object' },
		});
		expect(isJson(ok.choices[0].message.content)).toBe(true);
	});

	test('a restricted model list answers 404 model_not_found for others', async () => {
		const restricted = await startLlmServer({ models: { openai: ['gpt-4o-mini'] } });
		try {
			const c = new OpenAI({ baseURL: restricted.openaiBaseUrl, apiKey: 'sk-test', maxRetries: 0 });
			const error = await c.chat.completions
				.create({ model: 'gpt-9', messages })
				.catch((e: unknown) => e);
			expect(error).toBeInstanceOf(OpenAI.NotFoundError);
			expect((error as any).code).toBe('model_not_found');
		} finally {
			await restricted.close();
		}
	});

	test('streaming: chunks add up to the same answer, usage in the last chunk', async () => {
		const stream = await client().chat.completions.create({
			model: 'gpt-4o-mini',
			messages,
			stream: true,
			stream_options: { include_usage: true },
		});
		let text = '';
		let usage: OpenAI.CompletionUsage | null | undefined;
		let finish: string | null = null;
		for await (const chunk of stream) {
			expect(chunk.object).toBe('chat.completion.chunk');
			text += chunk.choices[0]?.delta.content ?? '';
			finish = chunk.choices[0]?.finish_reason ?? finish;
			if (chunk.usage) usage = chunk.usage;
		}
		const plain = await client().chat.completions.create({ model: 'gpt-4o-mini', messages });
		expect(text).toBe(plain.choices[0].message.content);
		expect(finish).toBe('stop');
		expect(usage?.completion_tokens).toBe(plain.usage?.completion_tokens);
	});

	test('streamed tool call arguments validate (SDK stream helper)', async () => {
		const stream = client().chat.completions.stream({
			model: 'gpt-4o-mini',
			messages,
			tools: [
				{ type: 'function', function: { name: 'classify', parameters: classificationSchema } },
			],
			tool_choice: { type: 'function', function: { name: 'classify' } },
		});
		const final = await stream.finalChatCompletion();
		const call = final.choices[0].message.tool_calls![0];
		if (call.type !== 'function') throw new Error('expected a function call');
		expect(validator(classificationSchema)(JSON.parse(call.function.arguments))).toBe(true);
	});

	test('max_completion_tokens cuts the answer with finish_reason length', async () => {
		const completion = await client().chat.completions.create({
			model: 'gpt-4o-mini',
			messages,
			max_completion_tokens: 3,
		});
		expect(completion.choices[0].finish_reason).toBe('length');
		expect(completion.choices[0].message.content).toHaveLength(12);
		expect(completion.usage?.completion_tokens).toBe(3);
	});

	test('the responder hook shapes the answer and sees one request shape', async () => {
		server.setResponder((request) =>
			request.structured ? { json: { ...(request.structured.schema as any).example } } : 'Hi!',
		);
		try {
			const plain = await client().chat.completions.create({ model: 'gpt-4o-mini', messages });
			expect(plain.choices[0].message.content).toBe('Hi!');
			const schema = {
				type: 'object',
				example: { ok: true },
				properties: { ok: { type: 'boolean' } },
				required: ['ok'],
				additionalProperties: false,
			};
			const structured = await client().chat.completions.create({
				model: 'gpt-4o-mini',
				messages,
				response_format: { type: 'json_schema', json_schema: { name: 'ok', strict: true, schema } },
			});
			expect(JSON.parse(structured.choices[0].message.content!)).toEqual({ ok: true });
		} finally {
			server.setResponder(undefined);
		}
	});

	test('LangChain format instructions in a plain prompt get a fenced JSON answer', async () => {
		const schema = {
			type: 'object',
			properties: { Refund: { type: 'boolean' }, Shipping: { type: 'boolean' } },
			required: ['Refund', 'Shipping'],
			additionalProperties: false,
		};
		const system = `Please classify the text.\nYou must format your output as a JSON value that adheres to a given "JSON Schema" instance.\n\nHere is the JSON Schema instance your output must adhere to. Include the enclosing markdown codeblock:\n\`\`\`json\n${JSON.stringify(schema)}\n\`\`\`\n`;
		const completion = await client().chat.completions.create({
			model: 'gpt-4o-mini',
			messages: [
				{ role: 'system', content: system },
				{ role: 'user', content: refundEmail },
			],
		});
		const content = completion.choices[0].message.content!;
		const match = /^```json\n([\s\S]*)\n```$/.exec(content);
		expect(match).not.toBeNull();
		expect(JSON.parse(match![1])).toEqual({ Refund: true, Shipping: false });
	});
});
