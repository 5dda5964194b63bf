/**
 * Support Knowledge with n8n's own "Embeddings OpenAI" sub-node on its Embeddings input (version
 * 1.1, Use Embeddings on), the credential's base URL pointing at the OpenAI stand-in
 * (test/servers/llm, POST /v1/embeddings on OpenAI's wire format): updates embed only new and
 * changed documents (batched) and store the vectors with the model in the index file, another
 * model embeds everything again, the search embeds each email and writes hybrid results, and a
 * failing embeddings service is a clear error naming the sub-node, or (the default) a lexical
 * search with the reason.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlmServer } from '../servers/llm';
import { startLlmServer } from '../servers/llm';
import type { Workflow } from '../harness/n8n';
import { NODE_PREFIX, sharedN8n } from '../harness/shared';
import { emailItem } from '../support/support-item';

const KNOWLEDGE = 'Support Knowledge';
const EMBEDDINGS = 'Embeddings OpenAI';

const ARTICLES = [
	{
		id: 'gift-cards',
		language: 'en',
		title: 'How long are gift cards valid?',
		text: 'Gift cards are valid for 3 years from purchase. The balance is shown at checkout.',
		url: 'https://help.example.test/en/gift-cards',
	},
	{
		id: 'gift-cards',
		language: 'de',
		title: 'Wie lange sind Geschenkkarten gültig?',
		text: 'Geschenkkarten sind 3 Jahre ab Kauf gültig. Das Guthaben steht an der Kasse.',
		url: 'https://help.example.test/de/gift-cards',
	},
	{
		id: 'returns',
		language: 'en',
		title: 'How do I return an item?',
		text: 'Print the return label from your account and drop the parcel at any post office within 30 days.',
		url: 'https://help.example.test/en/returns',
	},
	{
		id: 'password',
		language: 'en',
		title: 'How do I reset my password?',
		text: 'Click Forgot password on the login page; the reset link is valid for 60 minutes.',
	},
];

describe('Support Knowledge with n8n’s Embeddings OpenAI sub-node', () => {
	const n8n = sharedN8n();
	let llm: LlmServer;
	let dir: string;
	let credential: { id: string; name: string };
	beforeAll(async () => {
		llm = await startLlmServer();
		dir = mkdtempSync(join(tmpdir(), 'n8n-knowledge-embeddings-'));
	});
	afterAll(async () => {
		await llm.close();
		rmSync(dir, { recursive: true, force: true });
	});
	beforeEach(() => llm.reset());

	async function openAiCredential(apiKey = llm.apiKeys.openai) {
		return await n8n.createCredential('openAiApi', {
			apiKey,
			url: llm.openaiBaseUrl,
			header: false,
		});
	}

	function workflow(
		parameters: Record<string, unknown>,
		model = 'text-embedding-3-small',
		extra: Record<string, unknown> = {},
		cred = credential,
	): Workflow {
		return {
			nodes: [
				// The harness feeds items into nodes without incoming connections; the knowledge node
				// has one (its Embeddings input), so a No Op passes the items on.
				{ name: 'Items', type: 'n8n-nodes-base.noOp', typeVersion: 1, parameters: {} },
				{
					name: KNOWLEDGE,
					type: `${NODE_PREFIX}.supportKnowledge`,
					typeVersion: 1.1,
					parameters: { knowledgeBase: 'file', useEmbeddings: true, ...parameters },
					...extra,
				},
				{
					name: EMBEDDINGS,
					type: '@n8n/n8n-nodes-langchain.embeddingsOpenAi',
					typeVersion: 1.2,
					parameters: { model, options: {} },
					credentials: { openAiApi: cred },
				},
			],
			connections: {
				Items: { main: [[{ node: KNOWLEDGE, type: 'main', index: 0 }]] },
				[EMBEDDINGS]: { ai_embedding: [[{ node: KNOWLEDGE, type: 'ai_embedding', index: 0 }]] },
			},
		};
	}

	const embeddingRequests = () => llm.requests.filter((r) => r.path === '/v1/embeddings');
	const embeddedInputs = () =>
		embeddingRequests().flatMap((r) =>
			Array.isArray(r.body.input) ? (r.body.input as string[]) : [r.body.input as string],
		);

	it('embeds new and changed articles in batches, keeps the vectors with the model, and the search is hybrid', async () => {
		credential = await openAiCredential();
		const indexPath = join(dir, 'help-centre.json');
		const write = workflow({
			operation: 'upsertArticles',
			articleInput: 'fields',
			writeOptions: { indexPath },
		});
		const first = await n8n.execute(write, ARTICLES);
		expect(first.nodeError(KNOWLEDGE)?.message).toBeUndefined();
		expect(first.status).toBe('success');
		const out = first.output(KNOWLEDGE, 0);
		expect(out.map((i) => i.json.knowledge.status)).toEqual(['added', 'added', 'added', 'added']);
		expect(out.map((i) => i.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
			{ item: 3 },
		]);
		expect(out[0].json.knowledge.embeddings).toMatchObject({
			model: 'OpenAIEmbeddings:text-embedding-3-small',
			dimensions: 1536,
			embedded: 4,
			requests: 1,
		});
		// One batched request on OpenAI's wire format, with the article texts.
		expect(embeddingRequests()).toHaveLength(1);
		expect(embeddingRequests()[0].body.model).toBe('text-embedding-3-small');
		expect(embeddingRequests()[0].status).toBe(200);
		expect(embeddedInputs()).toHaveLength(4);
		expect(embeddedInputs()[1]).toContain('Geschenkkarten sind 3 Jahre');
		const file = JSON.parse(readFileSync(indexPath, 'utf8'));
		expect(file.vectors).toMatchObject({
			model: 'OpenAIEmbeddings:text-embedding-3-small',
			dimensions: 1536,
		});
		expect(file.vectors.entries).toHaveLength(4);

		// Incremental: one article changed, the rest unchanged: only the changed one is embedded.
		llm.reset();
		const changed = ARTICLES.map((a, i) =>
			i === 2 ? { ...a, text: `${a.text} Returns are free of charge.` } : a,
		);
		const second = await n8n.execute(write, changed);
		expect(second.output(KNOWLEDGE, 0).map((i) => i.json.knowledge.status)).toEqual([
			'unchanged',
			'unchanged',
			'updated',
			'unchanged',
		]);
		expect(embeddedInputs()).toHaveLength(1);
		expect(embeddedInputs()[0]).toContain('free of charge');

		// The search embeds each email and fuses both rankings.
		llm.reset();
		const search = await n8n.execute(workflow({ operation: 'search', options: { indexPath } }), [
			emailItem('q1', 'Geschenkkarte', 'Wie lange ist meine Geschenkkarte gültig?', 'de'),
			emailItem('q2', 'Return', 'How can I return an item I bought?', 'en'),
		]);
		expect(search.nodeError(KNOWLEDGE)?.message).toBeUndefined();
		expect(search.status).toBe('success');
		const items = search.output(KNOWLEDGE, 0);
		expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(embeddingRequests()).toHaveLength(2);
		expect(embeddedInputs()[0]).toContain('Geschenkkarte');
		const [german, english] = items.map((i) => i.json.support);
		expect(german.knowledge[0]).toMatchObject({
			id: 'gift-cards',
			language: 'de',
			retrieval: 'hybrid',
			url: 'https://help.example.test/de/gift-cards',
		});
		expect(german.knowledge[0].similarity).toBeGreaterThan(0);
		expect(german.knowledge.every((k: { retrieval: string }) => k.retrieval === 'hybrid')).toBe(
			true,
		);
		expect(german.answer.citations[0].id).toBe('gift-cards');
		expect(german.answer.confidence).toBe(german.knowledge[0].score);
		expect(german.answer.reasons[0]).toMatch(/hybrid retrieval: lexical rank 1, embeddings rank 1/);
		expect(english.knowledge[0]).toMatchObject({ id: 'returns', retrieval: 'hybrid' });
	}, 300_000);

	it('another embeddings model embeds the whole knowledge base again; a search with the old model is told so', async () => {
		credential = await openAiCredential();
		const indexPath = join(dir, 'model-change.json');
		const upsert = (model: string) =>
			workflow(
				{ operation: 'upsertArticles', articleInput: 'fields', writeOptions: { indexPath } },
				model,
			);
		await n8n.execute(upsert('text-embedding-3-small'), ARTICLES);
		llm.reset();
		// Only one article comes in, but every document gets vectors of the new model.
		const run = await n8n.execute(upsert('text-embedding-3-large'), ARTICLES.slice(0, 1));
		expect(run.status).toBe('success');
		expect(run.output(KNOWLEDGE, 0)[0].json.knowledge).toMatchObject({
			status: 'unchanged',
			embeddings: {
				model: 'OpenAIEmbeddings:text-embedding-3-large',
				dimensions: 3072,
				embedded: 4,
			},
		});
		expect(embeddedInputs()).toHaveLength(4);
		expect(embeddingRequests().every((r) => r.body.model === 'text-embedding-3-large')).toBe(true);
		expect(JSON.parse(readFileSync(indexPath, 'utf8')).vectors.dimensions).toBe(3072);

		// Searching with the small model now: lexical (the default on failure), and why.
		llm.reset();
		const search = await n8n.execute(
			workflow({ operation: 'search', options: { indexPath } }, 'text-embedding-3-small'),
			[emailItem('q3', 'Gift card', 'How long is my gift card valid?', 'en')],
		);
		expect(search.status).toBe('success');
		const { support } = search.output(KNOWLEDGE, 0)[0].json;
		expect(support.knowledge[0]).toMatchObject({ id: 'gift-cards', retrieval: 'lexical' });
		expect(support.answer.reasons.at(-1)).toMatch(
			/searched without embeddings: the knowledge base was embedded with OpenAIEmbeddings:text-embedding-3-large, but the connected embeddings node "Embeddings OpenAI" is OpenAIEmbeddings:text-embedding-3-small/,
		);
		expect(embeddingRequests()).toHaveLength(0);
	}, 300_000);

	it('a failing embeddings service: a clear error naming the sub-node, the item goes on under Continue on Fail, or the search falls back to lexical', async () => {
		credential = await openAiCredential();
		const indexPath = join(dir, 'failing.json');
		await n8n.execute(
			workflow({
				operation: 'upsertArticles',
				articleInput: 'fields',
				writeOptions: { indexPath },
			}),
			ARTICLES,
		);
		const wrongKey = await openAiCredential('sk-wrong-key');
		const email = emailItem('q4', 'Gift card', 'How long is my gift card valid?', 'en');

		llm.reset();
		const failing = await n8n.execute(
			workflow(
				{ operation: 'search', options: { indexPath, onEmbeddingsFailure: 'error' } },
				'text-embedding-3-small',
				{ continueOnFail: true },
				wrongKey,
			),
			[email],
		);
		expect(embeddingRequests().length).toBeGreaterThan(0);
		expect(embeddingRequests().every((r) => r.status === 401)).toBe(true);
		const [failed] = failing.output(KNOWLEDGE, 0);
		expect(failed.pairedItem).toEqual({ item: 0 });
		expect(failed.json.error).toMatch(
			/^The embeddings node "Embeddings OpenAI" failed \(embedding the email\): .*Incorrect API key/,
		);
		expect(failed.json.support.knowledge).toBeUndefined();

		// A slow service: bounded by Embeddings Timeout, the error names the sub-node.
		llm.reset();
		llm.fail('openai', { delayMs: 8000 });
		const slow = await n8n.execute(
			workflow(
				{
					operation: 'search',
					options: { indexPath, onEmbeddingsFailure: 'error', embeddingsTimeout: 1 },
				},
				'text-embedding-3-small',
				{ continueOnFail: true },
			),
			[email],
		);
		const [late] = slow.output(KNOWLEDGE, 0);
		expect(late.pairedItem).toEqual({ item: 0 });
		expect(late.json.error).toBe(
			'The embeddings node "Embeddings OpenAI" did not answer within 1 s (embedding the email)',
		);
		expect(late.json.errorDescription).toMatch(/Embeddings Timeout/);

		llm.reset();
		const fallback = await n8n.execute(
			workflow(
				{ operation: 'search', options: { indexPath } },
				'text-embedding-3-small',
				{},
				wrongKey,
			),
			[email],
		);
		const [item] = fallback.output(KNOWLEDGE, 0);
		expect(item.json.support.knowledge[0]).toMatchObject({
			id: 'gift-cards',
			retrieval: 'lexical',
		});
		expect(item.json.support.answer.reasons.at(-1)).toMatch(
			/searched without embeddings: The embeddings node "Embeddings OpenAI" failed/,
		);
	}, 300_000);
});
