import { classifyEmail, resolveOfflineModel } from '../../../lib/classify';
import type { ClassifyConfig } from '../../../lib/classify';
import { cosine } from '../../../lib/knowledge/semantic';
import { encodeSentences, SENTENCE_ENCODER_ID, trainClassifier } from '../../../lib/offline-model';
import { clearClassifierCache } from '../../../lib/offline-model/model-cache';

/** The real encoder (Universal Sentence Encoder lite from its npm package), no stand-in. */

const TRAINING = [
	['Where is my parcel?', 'delivery'],
	['My package has not arrived yet', 'delivery'],
	['The order is late, it should be here by now', 'delivery'],
	['Tracking shows no movement for days', 'delivery'],
	['When will my shipment come?', 'delivery'],
	['I want my money back', 'refund'],
	['Please refund my purchase', 'refund'],
	['Can I get a refund for this?', 'refund'],
	['Return the payment to my card', 'refund'],
	['Reimburse me please', 'refund'],
	['I cannot log in', 'account'],
	['Reset my password', 'account'],
	['My login is blocked', 'account'],
	['I forgot my password', 'account'],
	['Locked out of my profile', 'account'],
].map(([text, label]) => ({ text, label }));

/** Paraphrases that share no content word with the training examples of their label. */
const PARAPHRASES = [
	['The courier never showed up with the box', 'delivery'],
	['Give back what I paid', 'refund'],
	['Sign-in keeps failing on the website', 'account'],
];

describe('the sentence encoder', () => {
	it('puts requests that mean the same close together, whatever their words', async () => {
		const [a, b, c] = await encodeSentences([
			'My card still has not come in the post',
			'I am still waiting for the card to be delivered',
			'How do I close my savings account?',
		]);
		expect(a).toHaveLength(512);
		expect(cosine(a, b)).toBeGreaterThan(cosine(a, c) + 0.1);
	});

	it('gives text with no letter or digit the zero vector, and reads only the start of long text', async () => {
		const [empty, dots, long, start] = await encodeSentences([
			'',
			' ?!… ',
			`Please refund my order. ${'word '.repeat(20000)}`,
			`Please refund my order. ${'word '.repeat(195)}`,
		]);
		expect(Array.from(empty).every((x) => x === 0)).toBe(true);
		expect(Array.from(dots).every((x) => x === 0)).toBe(true);
		// 100,000 characters are encoded as their first 1,000 (the same vector as that start).
		expect(cosine(long, start)).toBeGreaterThan(0.999);
	});
});

describe('a learned model with the sentence encoder mixed in', () => {
	it('recognises paraphrases the word model alone gets wrong', async () => {
		const vectors = await encodeSentences(TRAINING.map((example) => example.text));
		// No held-out share with 5 examples a label: the mix is half and half.
		const words = trainClassifier(TRAINING, { calibrationHoldout: 0 });
		const mixed = trainClassifier(TRAINING, { calibrationHoldout: 0 }, vectors);
		expect(words.sentenceHead).toBeUndefined();
		expect(mixed.sentenceHead?.wordWeight).toBe(0.5);
		const paraphraseVectors = await encodeSentences(PARAPHRASES.map(([text]) => text));
		const mixedRight = PARAPHRASES.filter(
			([text, label], i) =>
				mixed.predict(text, { sentenceVector: paraphraseVectors[i] }).label === label,
		).length;
		const wordsRight = PARAPHRASES.filter(
			([text, label]) => words.predict(text).label === label,
		).length;
		expect(mixedRight).toBe(PARAPHRASES.length);
		expect(wordsRight).toBeLessThan(PARAPHRASES.length);
		// Without the sentence vector the mixed model answers from its word model alone.
		PARAPHRASES.forEach(([text]) =>
			expect(mixed.predict(text).alternatives).toEqual(words.predict(text).alternatives),
		);
	});

	it('fits the mix on the held-out share, and rejects vectors that do not match the examples', async () => {
		const examples = [...TRAINING, ...TRAINING.map((e) => ({ ...e, text: `${e.text}!` }))];
		const vectors = await encodeSentences(examples.map((example) => example.text));
		const model = trainClassifier(examples, {}, vectors);
		const mix = model.sentenceHead!;
		expect(mix.wordWeight).toBeGreaterThanOrEqual(0);
		expect(mix.wordWeight).toBeLessThanOrEqual(1);
		expect(mix.temperature).toBeGreaterThan(0);
		expect(() => trainClassifier(examples, {}, vectors.slice(1))).toThrow(
			/29 sentence vectors for 30 examples/,
		);
	});

	it("is what the node learns for categories of the team's own, and what it classifies with", async () => {
		clearClassifierCache();
		// Names of the team's own (the built-in taxonomy has delivery, refund and account).
		const names: Record<string, string> = {
			delivery: 'Parcels',
			refund: 'Money back',
			account: 'Login help',
		};
		const config: ClassifyConfig = {
			categories: Object.values(names).map((name) => ({ name })),
			extraExamples: TRAINING.map((e) => ({ text: e.text, label: names[e.label] })),
			providers: [],
			offlineFallback: true,
			multiLabel: false,
			fields: [],
			maxInputChars: 8000,
			redactPersonalData: false,
			sentenceEncoder: true,
		};
		const resolved = await resolveOfflineModel(config);
		expect(resolved.model.sentenceHead).toBeDefined();
		expect(resolved.model.metadata.sentenceEncoder).toBe(SENTENCE_ENCODER_ID);
		const classification = await classifyEmail(
			{ text: 'I paid twice for one order, I need one of them returned to me', subject: 'Money' },
			{ ...config, offlineModel: resolved },
		);
		expect(classification.model).toBe(`offline/custom+${SENTENCE_ENCODER_ID}`);
		expect(classification.category).toBe('Money back');
		// Off, or with the built-in categories: words only, as before.
		const off = await resolveOfflineModel({ ...config, sentenceEncoder: false });
		expect(off.model.sentenceHead).toBeUndefined();
		const builtIn = await resolveOfflineModel({ ...config, categories: [], extraExamples: [] });
		expect(builtIn.model.sentenceHead).toBeUndefined();
	});
});

describe('when the encoder cannot be loaded (a broken install)', () => {
	it('the model is learned from words and its name says why, on every item', async () => {
		jest.resetModules();
		// The one stand-in in this file: a package n8n failed to install, as `require` reports it.
		jest.doMock('@energetic-ai/embeddings', () => {
			throw new Error("Cannot find module '@energetic-ai/core'\nRequire stack: ...");
		});
		try {
			const cache =
				(await import('../../../lib/offline-model/model-cache')) as typeof import('../../../lib/offline-model/model-cache');
			const { model } = await cache.getOrTrainClassifierWithSentences(TRAINING);
			expect(model.sentenceHead).toBeUndefined();
			expect(model.metadata.name).toBe(
				"offline/custom (sentence encoder unavailable: Cannot find module '@energetic-ai/core')",
			);
			expect(model.predict('Reset my password').label).toBe('account');
		} finally {
			jest.dontMock('@energetic-ai/embeddings');
			jest.resetModules();
		}
	});
});
