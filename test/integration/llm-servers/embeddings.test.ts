/**
 * The OpenAI stand-in's POST /v1/embeddings on the wire, driven by the real `openai` SDK (which
 * asks for base64 unless told otherwise, as LangChain's OpenAIEmbeddings in n8n does).
 */
import OpenAI from 'openai';
import { type LlmServer, sameRealmFetch, startLlmServer } from '../../servers/llm';

let server: LlmServer;
beforeAll(async () => (server = await startLlmServer()));
afterAll(() => server.close());
beforeEach(() => server.reset());

const client = () =>
	new OpenAI({
		baseURL: server.openaiBaseUrl,
		apiKey: server.apiKeys.openai,
		maxRetries: 0,
		fetch: sameRealmFetch,
	});

const cosine = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

describe('OpenAI stand-in: embeddings', () => {
	test('base64 (the SDK default) and float answers carry the same unit vectors, one per input', async () => {
		const texts = ['Where is my refund?', 'Wann kommt meine Erstattung?', 'I want a refund'];
		const base64 = await client().embeddings.create({
			model: 'text-embedding-3-small',
			input: texts,
		});
		expect(server.requests[0].body.encoding_format).toBe('base64');
		const float = await client().embeddings.create({
			model: 'text-embedding-3-small',
			input: texts,
			encoding_format: 'float',
		});
		expect(base64.object).toBe('list');
		expect(base64.model).toBe('text-embedding-3-small');
		expect(base64.usage.prompt_tokens).toBeGreaterThan(0);
		expect(base64.data.map((d) => d.index)).toEqual([0, 1, 2]);
		for (const [i, d] of float.data.entries()) {
			expect(d.object).toBe('embedding');
			expect(d.embedding).toHaveLength(1536);
			expect(cosine(d.embedding, d.embedding)).toBeCloseTo(1, 5);
			expect(Array.from(base64.data[i].embedding)).toEqual(d.embedding);
		}
		// Shared stems are close, no shared word is far.
		const [refund, , wantRefund] = float.data.map((d) => d.embedding);
		expect(cosine(refund, wantRefund)).toBeGreaterThan(0.3);
		const other = await client().embeddings.create({
			model: 'text-embedding-3-small',
			input: 'Parcel delivery address change',
			encoding_format: 'float',
		});
		expect(Math.abs(cosine(refund, other.data[0].embedding))).toBeLessThan(0.3);
	});

	test('dimensions shorten text-embedding-3 vectors; OpenAI’s errors otherwise', async () => {
		const short = await client().embeddings.create({
			model: 'text-embedding-3-large',
			input: 'hello there',
			dimensions: 256,
			encoding_format: 'float',
		});
		expect(short.data[0].embedding).toHaveLength(256);
		await expect(
			client().embeddings.create({ model: 'text-embedding-ada-002', input: 'x', dimensions: 256 }),
		).rejects.toMatchObject({
			status: 400,
			message: expect.stringMatching(/does not support specifying dimensions/),
		});
		await expect(client().embeddings.create({ model: 'nope', input: 'x' })).rejects.toMatchObject({
			status: 404,
			code: 'model_not_found',
		});
		await expect(
			client().embeddings.create({ model: 'text-embedding-3-small', input: [''] }),
		).rejects.toMatchObject({ status: 400 });
		await expect(
			new OpenAI({
				baseURL: server.openaiBaseUrl,
				apiKey: 'sk-wrong',
				maxRetries: 0,
				fetch: sameRealmFetch,
			}).embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
		).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
	});

	test('queued faults apply (429 with Retry-After, then an answer)', async () => {
		server.fail('openai', { status: 429, retryAfter: 0 });
		await expect(
			client().embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
		).rejects.toMatchObject({ status: 429 });
		expect(server.requests[0].headers['content-type']).toMatch(/json/);
		const ok = await client().embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
		expect(ok.data).toHaveLength(1);
	});
});
