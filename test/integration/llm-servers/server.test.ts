import OpenAI from 'openai';

import { main } from '../../servers/llm/cli';
import { type LlmServer, startLlmServer } from '../../servers/llm';
import { waitFor } from '../../support/wait-for';
import { sameRealmFetch } from '../../servers/llm/same-realm-fetch';

const messages = [{ role: 'user' as const, content: 'Hello' }];

function openai(server: LlmServer, options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) {
	return new OpenAI({
		baseURL: server.openaiBaseUrl,
		apiKey: 'sk-test',
		maxRetries: 0,
		...options,
	});
}

describe('startLlmServer', () => {
	let server: LlmServer;
	beforeAll(async () => {
		server = await startLlmServer();
	});
	afterAll(() => server.close());
	beforeEach(() => server.reset());

	test('listens on 127.0.0.1 and a free port, with the documented base URLs', () => {
		expect(server.baseUrl).toBe(`http://127.0.0.1:${server.port}`);
		expect(server.port).toBeGreaterThan(0);
		expect(server.openaiBaseUrl).toBe(`${server.baseUrl}/v1`);
		expect(server.azureEndpoint).toBe(server.baseUrl);
		expect(server.anthropicBaseUrl).toBe(`${server.baseUrl}/anthropic`);
		expect(server.apiKeys).toEqual({
			openai: 'sk-test',
			anthropic: 'sk-ant-test',
			azure: 'azure-test-key',
		});
	});

	test('faults are a FIFO queue per provider; times repeats one', async () => {
		server
			.fail('openai', { status: 500, times: 2 })
			.fail('openai', { status: 429, retryAfter: 7 })
			.fail('openai', { refusal: true });
		expect(server.pendingFaults('openai')).toBe(4);
		const c = openai(server);
		const outcomes: string[] = [];
		for (let i = 0; i < 5; i++) {
			const r = await c.chat.completions
				.create({ model: 'gpt-4o-mini', messages })
				.then((x) => (x.choices[0].message.refusal ? 'refusal' : 'ok'))
				.catch((e: any) => String(e.status));
			outcomes.push(r);
		}
		expect(outcomes).toEqual(['500', '500', '429', 'refusal', 'ok']);
		expect(server.requests.map((r) => r.fault?.status ?? null)).toEqual([
			500,
			500,
			429,
			null,
			null,
		]);
		expect(server.pendingFaults('openai')).toBe(0);
	});

	test('listing models never consumes a fault; clearFaults empties the queue', async () => {
		server.fail('openai', { status: 500 });
		await openai(server).models.list();
		expect(server.pendingFaults('openai')).toBe(1);
		server.clearFaults('openai');
		expect(server.pendingFaults('openai')).toBe(0);
	});

	test('times: Infinity keeps failing (an outage) until cleared', async () => {
		server.fail('openai', { status: 503, times: Infinity });
		for (let i = 0; i < 3; i++) {
			await expect(
				openai(server).chat.completions.create({ model: 'gpt-4o-mini', messages }),
			).rejects.toMatchObject({ status: 503 });
		}
		server.clearFaults();
		await openai(server).chat.completions.create({ model: 'gpt-4o-mini', messages });
	});

	test('latency applies to every generation answer and can be changed at run time', async () => {
		server.setLatency(250);
		try {
			const t0 = Date.now();
			await openai(server).chat.completions.create({ model: 'gpt-4o-mini', messages });
			expect(Date.now() - t0).toBeGreaterThanOrEqual(245);
			const r = server.requests[0];
			expect(r.answeredAt! - r.time).toBeGreaterThanOrEqual(245);
		} finally {
			server.setLatency(0);
		}
		// Changed at run time, both ways, told apart without timing a fast answer: with ten minutes of
		// latency the SDK's own 1 s timeout fires; set back to 0 the answer comes (ten minutes later
		// otherwise, past jest's timeout).
		server.setLatency(600_000);
		try {
			const impatient = openai(server, { timeout: 1_000, maxRetries: 0, fetch: sameRealmFetch });
			await expect(
				impatient.chat.completions.create({ model: 'gpt-4o-mini', messages }),
			).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
		} finally {
			server.setLatency(0);
		}
		await openai(server).chat.completions.create({ model: 'gpt-4o-mini', messages });
	});

	test('records method, path, query, headers, parsed body and times', async () => {
		await fetch(`${server.baseUrl}/v1/chat/completions?x=1`, {
			method: 'POST',
			headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
			body: JSON.stringify({ model: 'gpt-4o-mini', messages }),
		});
		const [r] = server.requests;
		expect(r).toMatchObject({
			provider: 'openai',
			method: 'POST',
			path: '/v1/chat/completions',
			query: { x: '1' },
			body: { model: 'gpt-4o-mini', messages },
			status: 200,
		});
		expect(r.headers['content-type']).toBe('application/json');
		expect(r.rawBody).toBe(JSON.stringify({ model: 'gpt-4o-mini', messages }));
		expect(r.answeredAt!).toBeGreaterThanOrEqual(r.time);
		expect(Math.abs(r.time - Date.now())).toBeLessThan(5000);
	});

	test('a body that is not JSON: OpenAI 400 with its parse message', async () => {
		const res = await fetch(`${server.openaiBaseUrl}/chat/completions`, {
			method: 'POST',
			headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
			body: '{"model": ',
		});
		expect(res.status).toBe(400);
		const body: any = await res.json();
		expect(body.error.message).toMatch(/^We could not parse the JSON body of your request/);
		expect(body.error).toMatchObject({ type: 'invalid_request_error', param: null, code: null });
	});

	test('unknown paths: each provider answers 404 in its own format', async () => {
		const o = await fetch(`${server.baseUrl}/v1/nope`, {
			headers: { authorization: 'Bearer sk-test' },
		});
		expect(o.status).toBe(404);
		expect(((await o.json()) as any).error.message).toBe('Invalid URL (GET /v1/nope)');
		const a = await fetch(`${server.anthropicBaseUrl}/v1/nope`, {
			headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' },
		});
		expect(await a.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
	});

	test('close() does not wait for a delayed answer', async () => {
		const other = await startLlmServer();
		other.fail('openai', { delayMs: 60_000 });
		const pending = openai(other)
			.chat.completions.create({ model: 'gpt-4o-mini', messages })
			.catch((e: unknown) => e);
		await waitFor(() => other.requests.length >= 1, {
			what: 'the request to reach the server',
			timeoutMs: 10_000,
		});
		// Waiting for the 60 s answer would pass jest's 5 s timeout: close() resolving is the check.
		await other.close();
		expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
	});

	test('a responder that throws gives a 500 that names the problem', async () => {
		const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
		server.setResponder(() => {
			throw new Error('responder exploded');
		});
		try {
			const error = await openai(server)
				.chat.completions.create({ model: 'gpt-4o-mini', messages })
				.catch((e: unknown) => e);
			expect((error as Error).message).toMatch(/responder exploded/);
			expect(spy).toHaveBeenCalled();
		} finally {
			server.setResponder(undefined);
			spy.mockRestore();
		}
	});
});

describe('cli main()', () => {
	test('starts on the given port with the given latency; control routes script it', async () => {
		const probe = await startLlmServer();
		const port = probe.port;
		await probe.close();

		const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
		let server: LlmServer | undefined;
		try {
			server = await main([
				'--port',
				String(port),
				'--latency-ms',
				'200',
				'--quiet',
				'--fail',
				'anthropic:{"status":529}',
			]);
			const banner = JSON.parse(String(write.mock.calls[0][0]));
			expect(banner).toMatchObject({
				baseUrl: `http://127.0.0.1:${port}`,
				openaiBaseUrl: `http://127.0.0.1:${port}/v1`,
				latencyMs: 200,
			});
			expect(server!.pendingFaults('anthropic')).toBe(1);

			const t0 = Date.now();
			await openai(server!).chat.completions.create({ model: 'gpt-4o-mini', messages });
			expect(Date.now() - t0).toBeGreaterThanOrEqual(195);

			const queued = await fetch(`${server!.baseUrl}/__llm/fail`, {
				method: 'POST',
				body: JSON.stringify({ provider: 'openai', status: 429, retryAfter: 4 }),
			});
			expect(await queued.json()).toEqual({ provider: 'openai', pending: 1 });
			await fetch(`${server!.baseUrl}/__llm/latency`, {
				method: 'POST',
				body: JSON.stringify({ ms: 0 }),
			});
			await expect(
				openai(server!).chat.completions.create({ model: 'gpt-4o-mini', messages }),
			).rejects.toMatchObject({ status: 429 });
			const recorded: any = await (await fetch(`${server!.baseUrl}/__llm/requests`)).json();
			expect(recorded.map((r: any) => r.status)).toEqual([200, 429]);
		} finally {
			write.mockRestore();
			process.removeAllListeners('SIGINT');
			process.removeAllListeners('SIGTERM');
			await server?.close();
		}
	});
});
