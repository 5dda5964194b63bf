import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../lib/errors';
import type { Embedder, KnowledgeDoc } from '../../../lib/knowledge';
import {
	CHUNK_CHARS,
	KnowledgeBase,
	MAX_CHUNKS_PER_DOC,
	MAX_DIMENSIONS,
	RRF_K,
	VectorIndex,
	applyVectors,
	articleFromInput,
	chunkText,
	clearKnowledgeCache,
	conversationFromInput,
	documentsToEmbed,
	embedDocuments,
	embedQueryText,
	embedderIdentity,
	embeddingTexts,
	hybridSearchForEmail,
	loadKnowledgeBase,
	reciprocalRankFusion,
	searchForEmail,
	updateKnowledgeBase,
} from '../../../lib/knowledge';
import { createRng } from '../../../lib/offline-model/random';
import { knowledgeFolderPerTest } from '../../support/knowledge-folder';
import { standInEmbedding } from '../../servers/llm/embeddings';

/**
 * A small "concept" embeddings model: one dimension per topic, found by words in several
 * languages, so an email and an article can be close without sharing a word (what embeddings add
 * to the lexical index). Counts what it was asked.
 */
const CONCEPTS: RegExp[] = [
	/refund|erstatt|rembours|reembols|money back|geld zurück/i,
	/password|passwort|kennwort|mot de passe|contraseña|log ?in|anmelden|connexion/i,
	/gift card|geschenkkarte|carte cadeau|tarjeta regalo/i,
];
class ConceptEmbeddings implements Embedder {
	documents: string[][] = [];
	queries: string[] = [];
	constructor(
		readonly model = 'concept-1',
		readonly dims = CONCEPTS.length + 1,
	) {}
	private vector(text: string): number[] {
		const v = new Array<number>(this.dims).fill(0);
		CONCEPTS.forEach((re, i) => {
			if (re.test(text)) v[i % this.dims] = 1;
		});
		v[this.dims - 1] = 0.1;
		return v;
	}
	async embedDocuments(texts: string[]): Promise<number[][]> {
		this.documents.push(texts);
		return texts.map((t) => this.vector(t));
	}
	async embedQuery(text: string): Promise<number[]> {
		this.queries.push(text);
		return this.vector(text);
	}
}

const OPTIONS = { nodeName: 'Embeddings OpenAI', timeoutMs: 10_000 };

const refundsEn = (text = 'We refund a return within 5 working days after it arrives.') =>
	articleFromInput({
		articleId: 'refunds',
		language: 'en',
		title: 'When will I get my refund?',
		text,
		url: 'https://help.example.com/en/refunds',
	});
const refundsDe = () =>
	articleFromInput({
		articleId: 'refunds',
		language: 'de',
		title: 'Wann bekomme ich meine Erstattung?',
		text: 'Wir erstatten eine Rücksendung innerhalb von 5 Werktagen nach Eingang.',
	});
const passwordEn = () =>
	articleFromInput({
		id: 'password',
		language: 'en',
		title: 'How do I reset my password?',
		text: 'Click Forgot password on the login page and we send you a reset link valid for 60 minutes.',
	});
const giftEn = () =>
	articleFromInput({
		id: 'gift',
		language: 'en',
		title: 'How long are gift cards valid?',
		text: 'Gift cards are valid for 3 years from purchase.',
	});

async function embeddedBase(
	docs: KnowledgeDoc[],
	embedder = new ConceptEmbeddings(),
): Promise<KnowledgeBase> {
	const base = new KnowledgeBase();
	base.upsert(docs);
	const model = embedderIdentity(embedder);
	applyVectors(base, await embedDocuments(embedder, model, docs, OPTIONS));
	return base;
}

describe('reciprocal-rank fusion', () => {
	test('sums 1 / (k + rank) over the rankings; found by both beats found by one', () => {
		const fused = reciprocalRankFusion([
			['a', 'b', 'c'],
			['c', 'd', 'a'],
		]);
		expect(fused.map((f) => f.key)).toEqual(['a', 'c', 'b', 'd']);
		expect(fused[0].score).toBeCloseTo(1 / (RRF_K + 1) + 1 / (RRF_K + 3), 12);
		expect(fused[0].ranks).toEqual([1, 3]);
		expect(fused[2].ranks).toEqual([2, undefined]);
		expect(fused[3].ranks).toEqual([undefined, 2]);
	});

	test('ties go to the first ranking; a key listed twice counts once', () => {
		const fused = reciprocalRankFusion([['x', 'x'], ['y']]);
		expect(fused.map((f) => f.key)).toEqual(['x', 'y']);
		expect(fused[0].score).toBe(fused[1].score);
		expect(reciprocalRankFusion([[], []])).toEqual([]);
	});
});

describe('hybrid search', () => {
	test('an answer both rankings find comes first, with its lexical confidence and the hybrid mark', async () => {
		const base = await embeddedBase([refundsEn(), refundsDe(), passwordEn(), giftEn()]);
		const email = {
			subject: 'Refund',
			text: 'When will I get my refund for the return?',
			language: 'en',
		};
		const embedder = new ConceptEmbeddings();
		const vector = await embedQueryText(embedder, email.text, OPTIONS);
		const hybrid = hybridSearchForEmail(base, email, vector);
		const lexical = searchForEmail(base, email);
		expect(hybrid.knowledge[0]).toMatchObject({
			id: 'refunds',
			retrieval: 'hybrid',
			language: 'en',
		});
		expect(hybrid.knowledge[0].similarity).toBeGreaterThan(0.9);
		// The confidence is the lexical calibrated probability of the same entry, not a new number.
		expect(hybrid.knowledge[0].score).toBe(lexical.knowledge[0].score);
		expect(hybrid.answer.confidence).toBe(lexical.answer.confidence);
		expect(hybrid.answer.abstained).toBe(lexical.answer.abstained);
		expect(hybrid.answer.reasons[0]).toMatch(/lexical rank 1, embeddings rank 1/);
		expect(lexical.knowledge.every((k) => k.retrieval === 'lexical')).toBe(true);
	});

	test('an answer only the embeddings find is served in the customer’s language but never auto-answered', async () => {
		const base = await embeddedBase([refundsEn(), refundsDe(), passwordEn(), giftEn()]);
		// German, and no word in common with any article: the lexical index finds nothing.
		const email = { text: 'Geld zurück bitte!', language: 'de' };
		expect(searchForEmail(base, email).knowledge).toEqual([]);
		const vector = await embedQueryText(new ConceptEmbeddings(), email.text, OPTIONS);
		const hybrid = hybridSearchForEmail(base, email, vector);
		expect(hybrid.knowledge[0]).toMatchObject({
			id: 'refunds',
			language: 'de',
			score: 0,
			retrieval: 'hybrid',
		});
		expect(hybrid.answer).toMatchObject({ abstained: true, confidence: 0 });
		expect(hybrid.answer.citations[0].id).toBe('refunds');
		expect(hybrid.answer.reasons[0]).toMatch(/found by the embeddings only/);
	});

	test('Search In (sources) applies to the embeddings ranking too', async () => {
		const reply = conversationFromInput({
			id: 'r1',
			subject: 'money back',
			customerMessage: 'I want my money back',
			reply: 'We refunded your order.',
		});
		const base = await embeddedBase([passwordEn(), reply]);
		const vector = await embedQueryText(new ConceptEmbeddings(), 'money back please', OPTIONS);
		const onlyArticles = hybridSearchForEmail(
			base,
			{ text: 'money back please', language: 'en' },
			vector,
			{
				sources: ['article'],
			},
		);
		expect(onlyArticles.knowledge.every((k) => k.source === 'article')).toBe(true);
		const both = hybridSearchForEmail(base, { text: 'money back please', language: 'en' }, vector);
		expect(both.knowledge[0].id).toBe('reply:r1');
	});
});

describe('vectors: incremental, per model, persisted', () => {
	const dir = knowledgeFolderPerTest('kb-vectors-');

	test('vectors survive a reload from the file (Float32, base64) and search the same', async () => {
		const file = join(dir(), 'kb.json');
		const embedder = new ConceptEmbeddings();
		const model = embedderIdentity(embedder);
		const docs = [refundsEn(), refundsDe(), passwordEn()];
		const embedded = await embedDocuments(embedder, model, docs, OPTIONS);
		await updateKnowledgeBase(file, (base) => {
			base.upsert(docs);
			return { result: applyVectors(base, embedded), changed: true };
		});
		const raw = JSON.parse(readFileSync(file, 'utf8'));
		expect(raw.vectors.model).toBe('ConceptEmbeddings:concept-1');
		expect(raw.vectors.entries).toHaveLength(3);
		clearKnowledgeCache();
		const loaded = await loadKnowledgeBase(file);
		expect(loaded.vectors?.model).toBe(model);
		expect(loaded.vectors?.size).toBe(3);
		for (const doc of docs) expect(loaded.vectors!.covers(doc)).toBe(true);
		const fresh = await embeddedBase(docs);
		expect(Array.from(loaded.vectors!.get(docs[0].key)!.rows)).toEqual(
			Array.from(fresh.vectors!.get(docs[0].key)!.rows),
		);
		const email = { text: 'Geld zurück bitte!', language: 'de' };
		const vector = await embedQueryText(embedder, email.text, OPTIONS);
		expect(hybridSearchForEmail(loaded, email, vector)).toEqual(
			hybridSearchForEmail(fresh, email, vector),
		);
		// Nothing to embed after the reload.
		expect(documentsToEmbed(loaded, model, docs)).toEqual([]);
	});

	test('only new and changed documents are embedded; removed ones lose their vectors', async () => {
		const embedder = new ConceptEmbeddings();
		const model = embedderIdentity(embedder);
		const base = await embeddedBase([refundsEn(), passwordEn()], embedder);
		expect(embedder.documents.flat()).toHaveLength(2);
		const changed = refundsEn('Refunds now take 3 working days.');
		const pending = documentsToEmbed(base, model, [changed, passwordEn(), giftEn()]);
		expect(pending.map((d) => d.key).sort()).toEqual(['article:gift:en', 'article:refunds:en']);
		const embedded = await embedDocuments(embedder, model, pending, OPTIONS);
		expect(embedder.documents.at(-1)!.some((t) => t.includes('3 working days'))).toBe(true);
		expect(embedder.documents.at(-1)!.some((t) => t.includes('reset link'))).toBe(false);
		base.upsert([changed, passwordEn(), giftEn()]);
		expect(applyVectors(base, embedded)).toBe(2);
		expect(base.vectors!.size).toBe(3);
		expect(base.vectors!.get('article:refunds:en')!.hash).toBe(changed.hash);
		base.remove(['article:gift:en']);
		expect(base.vectors!.get('article:gift:en')).toBeUndefined();
		// A document changed after it was embedded keeps no stale vector.
		base.upsert([refundsEn('Again different.')]);
		expect(base.vectors!.get('article:refunds:en')).toBeUndefined();
		expect(documentsToEmbed(base, model).map((d) => d.key)).toEqual(['article:refunds:en']);
	});

	test('another model: every document is embedded again and the old vectors are replaced', async () => {
		const base = await embeddedBase([refundsEn(), passwordEn(), giftEn()]);
		const other = new ConceptEmbeddings('concept-2', 6);
		const model = embedderIdentity(other);
		expect(model).toBe('ConceptEmbeddings:concept-2');
		const pending = documentsToEmbed(base, model, [giftEn()]);
		expect(pending).toHaveLength(3);
		applyVectors(base, await embedDocuments(other, model, pending, OPTIONS));
		expect(base.vectors).toMatchObject({ model, dimensions: 6, size: 3 });
		const back = embedderIdentity(new ConceptEmbeddings());
		expect(documentsToEmbed(base, back)).toHaveLength(3);
	});

	test('the identity names the class, model and requested dimensions', () => {
		class OpenAIEmbeddings extends ConceptEmbeddings {
			dimensions = 512;
		}
		expect(embedderIdentity(new OpenAIEmbeddings('text-embedding-3-small'))).toBe(
			'OpenAIEmbeddings:text-embedding-3-small/512',
		);
	});
});

describe('bounds and failures', () => {
	test('articles are embedded in chunks; a past reply as subject + customer message', () => {
		const long = Array.from({ length: 40 }, (_, i) => `Paragraph ${i}. ${'word '.repeat(60)}`).join(
			'\n\n',
		);
		const chunks = chunkText(long);
		expect(chunks.length).toBe(MAX_CHUNKS_PER_DOC);
		expect(chunks.every((c) => c.length <= CHUNK_CHARS)).toBe(true);
		expect(chunkText('x'.repeat(4000)).every((c) => c.length <= CHUNK_CHARS)).toBe(true);
		const texts = embeddingTexts(
			articleFromInput({ id: 'long', title: 'Long', text: long, language: 'en' }),
		);
		expect(texts.every((t) => t.startsWith('Long\n\n'))).toBe(true);
		const reply = conversationFromInput({
			id: 'r',
			subject: 'Where is my parcel',
			customerMessage: 'It has not arrived.',
			reply: 'It ships tomorrow.',
		});
		expect(embeddingTexts(reply)).toEqual(['Where is my parcel\n\nIt has not arrived.']);
	});

	test('wrong answers from the embeddings node are clear errors that name it', async () => {
		const docs = [refundsEn(), passwordEn()];
		const answering = (answer: unknown): Embedder => ({
			embedDocuments: async () => answer,
			embedQuery: async () => answer,
		});
		await expect(embedDocuments(answering([[1, 2]]), 'm', docs, OPTIONS)).rejects.toThrow(
			/"Embeddings OpenAI" answered 1 vectors for 2 texts/,
		);
		await expect(embedDocuments(answering('nope'), 'm', docs, OPTIONS)).rejects.toThrow(
			/something other than a list of vectors/,
		);
		const base = new KnowledgeBase();
		base.upsert(docs);
		const nan = await embedDocuments(
			answering([
				[1, NaN],
				[1, 2],
			]),
			'm',
			docs,
			OPTIONS,
		);
		expect(() => applyVectors(base, nan)).toThrow(/not a finite number/);
		const huge = new Array(MAX_DIMENSIONS + 1).fill(0.1);
		await expect(embedDocuments(answering([huge, huge]), 'm', docs, OPTIONS)).rejects.toThrow(
			/4097 dimensions are not supported/,
		);
		await expect(embedQueryText(answering([]), 'q', OPTIONS)).rejects.toThrow(/empty or broken/);
		const failing: Embedder = {
			embedDocuments: async () => {
				throw new Error('401 Incorrect API key provided');
			},
			embedQuery: async () => {
				throw new Error('401 Incorrect API key provided');
			},
		};
		await expect(embedQueryText(failing, 'q', OPTIONS)).rejects.toThrow(
			'The embeddings node "Embeddings OpenAI" failed (embedding the email): 401 Incorrect API key provided',
		);
	});

	test('an embeddings node that never answers is a clear error after the timeout', async () => {
		const silent: Embedder = {
			embedDocuments: () => new Promise(() => undefined),
			embedQuery: () => new Promise(() => undefined),
		};
		const error = await embedDocuments(silent, 'm', [refundsEn()], {
			nodeName: 'Slow Embeddings',
			timeoutMs: 20,
		}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(InputError);
		expect((error as InputError).message).toMatch(
			/^The embeddings node "Slow Embeddings" did not answer within 0.02 s \(embedding 1 of 1 knowledge chunks\)/,
		);
		expect((error as InputError).hint).toMatch(/Embeddings Timeout/);
	});

	test('a knowledge base over the vector memory limit is refused before the rest is embedded', async () => {
		const docs = Array.from({ length: 4200 }, (_, i) =>
			conversationFromInput({
				id: `r${i}`,
				customerMessage: `question ${i}`,
				reply: `answer ${i}`,
			}),
		);
		const embedder = new ConceptEmbeddings('wide', 4096);
		await expect(embedDocuments(embedder, 'wide', docs, OPTIONS)).rejects.toThrow(
			/4200 knowledge chunks of 4096 dimensions would be over the embeddings limit \(64 MiB\)/,
		);
		expect(embedder.documents).toHaveLength(1);
	});

	test('the vector scan keeps the best documents, as a full sort would (random vectors)', () => {
		const rng = createRng(11);
		const index = new VectorIndex('m', 8);
		const random = () => Array.from({ length: 8 }, () => rng() * 2 - 1);
		for (let i = 0; i < 300; i++)
			index.set(
				`d${i}`,
				'h',
				Array.from({ length: 1 + (i % 3) }, () => random()),
			);
		for (let trial = 0; trial < 20; trial++) {
			const query = random();
			const accept = (key: string) => Number(key.slice(1)) % 5 !== 0;
			const all = index.similarities(query, accept, 1000);
			expect(all).toHaveLength(240);
			const sorted = [...all].sort((a, b) => b.similarity - a.similarity);
			expect(all.map((a) => a.similarity)).toEqual(sorted.map((a) => a.similarity));
			expect(index.similarities(query, accept, 7)).toEqual(all.slice(0, 7));
		}
		expect(index.similarities(random(), () => true, 0)).toEqual([]);
	});

	test('damaged vectors in the file are a clear error', () => {
		const index = new VectorIndex('m', 3);
		index.set('a', 'h', [[1, 0, 0]]);
		const data = index.toJSON();
		expect(VectorIndex.fromJSON(data).get('a')!.rows).toEqual(new Float32Array([1, 0, 0]));
		data.entries[0][2] = 'AAAA';
		expect(() => VectorIndex.fromJSON(data)).toThrow(/embeddings of a are damaged/);
		expect(() => VectorIndex.fromJSON({} as never)).toThrow(/cannot read/);
	});

	test('fuzz: whatever the embeddings node answers, the result is vectors or an InputError', async () => {
		const rng = createRng(7);
		const junk = (depth: number): unknown => {
			const r = rng();
			if (depth > 2 || r < 0.2)
				return [1, 'x', null, NaN, Infinity, -0, {}, undefined][Math.floor(rng() * 8)];
			if (r < 0.6) return Array.from({ length: Math.floor(rng() * 4) }, () => junk(depth + 1));
			if (r < 0.8) return standInEmbedding(String(rng()), 1 + Math.floor(rng() * 8));
			return { data: junk(depth + 1) };
		};
		const docs = [refundsEn(), passwordEn()];
		for (let i = 0; i < 500; i++) {
			const answer = junk(0);
			const embedder: Embedder = {
				embedDocuments: async () => answer,
				embedQuery: async () => answer,
			};
			try {
				const embedded = await embedDocuments(embedder, 'm', docs, OPTIONS);
				const base = new KnowledgeBase();
				base.upsert(docs);
				applyVectors(base, embedded);
				const vector = await embedQueryText(embedder, 'refund', OPTIONS);
				hybridSearchForEmail(base, { text: 'refund', language: 'en' }, vector);
			} catch (error) {
				expect(error).toBeInstanceOf(InputError);
			}
		}
	});
});
