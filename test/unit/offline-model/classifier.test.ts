import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { calibrationReport, fitTemperature } from '../../../lib/offline-model/calibration';
import {
	OfflineClassifier,
	trainClassifier,
	type TrainingExample,
} from '../../../lib/offline-model/classifier';
import { getDefaultClassifier } from '../../../lib/offline-model/default-model';
import { createRng, stratifiedFolds } from '../../../lib/offline-model/random';
import { DEFAULT_SOFTMAX_OPTIONS } from '../../../lib/offline-model/softmax';
import { DEFAULT_FEATURE_OPTIONS } from '../../../lib/offline-model/text-features';
import {
	buildDefaultModel,
	buildTrainingSet,
	DEFAULT_MODEL_TRAINING,
	expandTrainingSet,
	findRepositoryRoot,
	loadBanking77Examples,
	loadBitextExamples,
	loadSupportMailEvaluation,
	loadSupportMailTraining,
	OUT_OF_SCOPE_LABEL,
	serializeModel,
	SUPPORT_LANGUAGES,
	tsvRows,
} from '../../../lib/offline-model/training-data';

const ROOT = findRepositoryRoot(__dirname);

function split(examples: TrainingExample[], seed = 42) {
	const folds = stratifiedFolds(
		examples.map((e) => e.label),
		5,
		seed,
	);
	return {
		train: examples.filter((_, i) => folds[i] !== 0),
		test: examples.filter((_, i) => folds[i] === 0),
	};
}

describe('offline classifier on Bitext (held-out fold)', () => {
	const { train, test } = split(loadBitextExamples(ROOT));
	const model = trainClassifier(train, { seed: 7, unsureThreshold: 0.7 });

	it('predicts the category of held-out examples with >= 97% accuracy', () => {
		const hits = test.filter((e) => model.predict(e.text).label === e.label).length;
		expect(hits / test.length).toBeGreaterThanOrEqual(0.97);
	});

	it('predicts intents that belong to the predicted category, >= 95% right', () => {
		let hits = 0;
		for (const example of test) {
			const prediction = model.predict(example.text);
			expect(model.intentToLabel?.[prediction.intent as string]).toBe(prediction.label);
			if (prediction.intent === example.intent) hits++;
		}
		expect(hits / test.length).toBeGreaterThanOrEqual(0.95);
	});

	it('gives lower confidence to text from outside the taxonomy than to support requests', () => {
		const inDomain = model.predict('I want to get a refund for my last order').confidence;
		const outside = model.predict('Who won the football match between Spain and Italy yesterday?');
		expect(inDomain).toBeGreaterThan(0.9);
		expect(outside.confidence).toBeLessThan(0.7);
		expect(outside.unsure).toBe(true);
	});
});

describe('the shipped model (lib/offline-model/model/default-model.json)', () => {
	const model = getDefaultClassifier();

	// Written for this test, not taken from the data set: phrasing Bitext's templates do not contain.
	const handWritten: Array<[string, string]> = [
		['Could you tell me where my package is? It was supposed to arrive on Monday', 'delivery'],
		['How long does shipping to Canada take?', 'delivery'],
		[
			'I need to update the shipping address on my account before you send my stuff',
			'shipping_address',
		],
		['My new address is 5 Main Street, please update it', 'shipping_address'],
		['please unsubscribe me from the weekly newsletter emails', 'newsletter'],
		['Please subscribe me to your mailing list', 'newsletter'],
		['I was billed twice and I want my money back', 'refund'],
		['Where is my refund? I sent the item back two weeks ago', 'refund'],
		['how much is the fee if I cancel my plan early?', 'cancellation_fee'],
		['Is there a fee for cancelling my subscription?', 'cancellation_fee'],
		['I forgot my password and cannot log into my profile', 'account'],
		['I want to close my account', 'account'],
		['where can I download the invoice for my purchase?', 'invoice'],
		['I need a copy of my invoice for March', 'invoice'],
		['Is it possible to pay with PayPal or only by credit card?', 'payment'],
		['my payment keeps failing at checkout', 'payment'],
		['I would like to speak to a real person on the phone', 'contact'],
		['I want to talk to a human', 'contact'],
		['I want to cancel my order I placed yesterday', 'order'],
		['Can I change the size of the shoes in my order?', 'order'],
		["I'd like to leave a review for the blender I bought", 'feedback'],
		['I want to complain about the rude behaviour of your driver', 'feedback'],
	];

	it('classifies hand-written requests: >= 80% right, and less sure when wrong', () => {
		const results = handWritten.map(([text, category]) => {
			const prediction = model.predict(text);
			return { right: prediction.label === category, confidence: prediction.confidence };
		});
		const right = results.filter((r) => r.right);
		const wrong = results.filter((r) => !r.right);
		expect(right.length / results.length).toBeGreaterThanOrEqual(0.8);
		const mean = (list: typeof results) => list.reduce((a, r) => a + r.confidence, 0) / list.length;
		if (wrong.length > 0) {
			expect(mean(wrong)).toBeLessThan(mean(right));
			// A wrong answer should mostly be flagged for a human.
			expect(
				wrong.filter((r) => r.confidence < model.unsureThreshold).length,
			).toBeGreaterThanOrEqual(wrong.length / 2);
		}
	});

	it.each([
		['I forgot my password and cannot log into my profile', 'account'],
		['please unsubscribe me from the weekly newsletter emails', 'newsletter'],
		['where can I download the invoice for my purchase?', 'invoice'],
	])('classifies %j as %s with its alternatives', (text, category) => {
		const prediction = model.predict(text);
		expect(prediction.label).toBe(category);
		expect(prediction.unsure).toBe(false);
		expect(prediction.alternatives[0]).toEqual({
			label: category,
			confidence: prediction.confidence,
		});
		expect(prediction.alternatives).toHaveLength(3);
	});

	it('has 11 lower-case categories (its out-of-scope label never predicted), 27 intents and the 0.5 unsure threshold', () => {
		expect(model.labels).toHaveLength(11);
		expect(model.labels).toContain('shipping_address');
		expect(model.labels).not.toContain(OUT_OF_SCOPE_LABEL);
		expect(model.outOfScopeLabel).toBe(OUT_OF_SCOPE_LABEL);
		expect(model.intents).toHaveLength(27);
		expect(model.unsureThreshold).toBe(0.5);
	});

	// Written for this test (not in the training or the evaluation data).
	it.each([
		[
			'Hallo, wo bleibt meine Rückerstattung? Die Retoure ist seit zwei Wochen bei Ihnen.',
			'refund',
		],
		["Bonjour, je n'arrive pas à télécharger ma facture de janvier.", 'invoice'],
		['Hola, ¿podéis enviar el paquete a otra dirección? Me he mudado.', 'shipping_address'],
		['Salve, vorrei disiscrivermi dalla vostra newsletter.', 'newsletter'],
		['Hoi, mijn betaling met creditcard lukt niet.', 'payment'],
		['Olá, quero cancelar a minha encomenda de ontem.', 'order'],
	])('reads %j as %s', (text, category) => {
		const prediction = model.predict(text);
		expect(prediction.label).toBe(category);
		expect(prediction.unsure).toBe(false);
	});

	it.each([
		'Hi IT, the VPN on my laptop drops every ten minutes since the Windows update.',
		'Sehr geehrte Damen und Herren, anbei meine Bewerbung als Lagerhelfer mit Lebenslauf.',
		'Exclusive offer: we build your online shop for 499 EUR, reply for a free audit!',
	])('sends %j (outside the taxonomy) to unsure', (text) => {
		const prediction = model.predict(text);
		expect(prediction.unsure).toBe(true);
		expect(prediction.outOfScope).toBeGreaterThan(prediction.confidence);
	});

	it('is reproduced byte for byte by the training recipe, with its training set', () => {
		const set = buildTrainingSet(ROOT);
		const storedSet = readFileSync(join(ROOT, 'lib/offline-model/model/training-set.json'), 'utf8');
		expect(serializeModel(set) === storedSet).toBe(true);
		const fresh = serializeModel(buildDefaultModel(set));
		const stored = readFileSync(join(ROOT, 'lib/offline-model/model/default-model.json'), 'utf8');
		expect(fresh === stored).toBe(true);
		expect(stored.length).toBeLessThan(5 * 1024 * 1024);
	});

	it("pins every training option, so the library's learned-model defaults do not change it", () => {
		const pinned = DEFAULT_MODEL_TRAINING;
		const softmaxKeys = Object.keys(DEFAULT_SOFTMAX_OPTIONS).filter((key) => key !== 'seed');
		expect(Object.keys(pinned.softmax ?? {}).sort()).toEqual(softmaxKeys.sort());
		expect(pinned.seed).toBeDefined();
		for (const key of Object.keys(DEFAULT_FEATURE_OPTIONS)) {
			expect(pinned.features).toHaveProperty(key);
		}
		// The stored model says how it was trained: the same pinned options.
		const stored = JSON.parse(
			readFileSync(join(ROOT, 'lib/offline-model/model/default-model.json'), 'utf8'),
		) as { metadata: { trainingOptions: unknown } };
		expect(stored.metadata.trainingOptions).toEqual(JSON.parse(JSON.stringify(pinned)));
	});
});

describe('training and evaluation data', () => {
	const training = loadSupportMailTraining(ROOT);
	const evaluation = loadSupportMailEvaluation(ROOT);

	it('has hand-written training examples for every category and the out-of-scope label in every language', () => {
		for (const language of SUPPORT_LANGUAGES) {
			const labels = new Set(
				training.filter((e) => e.language === language && !e.keywords).map((e) => e.label),
			);
			expect(labels.size).toBe(12);
		}
	});

	it('has >= 30 held-out mails per language and >= 40 outside the taxonomy', () => {
		for (const language of SUPPORT_LANGUAGES) {
			expect(evaluation.filter((e) => e.language === language).length).toBeGreaterThanOrEqual(30);
		}
		expect(evaluation.filter((e) => e.label === 'unsure').length).toBeGreaterThanOrEqual(40);
	});

	it('never trains on the held-out mail (no held-out sentence in the training set)', () => {
		const set = buildTrainingSet(ROOT);
		const normalise = (text: string) => text.toLowerCase().replace(/\s+/g, ' ').trim();
		const trained = new Set(set.examples.map((e) => normalise(e.text)));
		const sentences = evaluation.flatMap((e) =>
			[e.subject, ...e.text.split(/(?<=[.!?])\s+|\n/)].map(normalise).filter((t) => t.length > 25),
		);
		expect(sentences.length).toBeGreaterThan(300);
		expect(sentences.filter((sentence) => trained.has(sentence))).toEqual([]);
	});

	it('reads its tab-separated files one way: comments skipped, extra tabs kept, an empty column named by file and line', () => {
		const dir = mkdtempSync(join(tmpdir(), 'tsv-'));
		try {
			const file = join(dir, 'x.tsv');
			writeFileSync(file, '# label<TAB>text\n\nrefund\t I want\tmy money \ninvoice\t\n');
			expect(() => tsvRows(file, ['label', 'text'])).toThrow(
				`${file}:4: expected "label<TAB>text"`,
			);
			writeFileSync(file, '# label<TAB>text\n\nrefund\t I want\tmy money \n');
			expect(tsvRows(file, ['label', 'text'])).toEqual([['refund', 'I want\tmy money']]);
			expect(() => tsvRows(file, ['label', 'language', 'text'])).not.toThrow();
			expect(() => tsvRows(file, ['a', 'b', 'c', 'd'])).toThrow(
				`${file}:3: expected "a<TAB>b<TAB>c<TAB>d"`,
			);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('keeps only the requested labels (and the out-of-scope one) when a subset is asked for', () => {
		const set = buildTrainingSet(ROOT);
		const subset = expandTrainingSet(set, new Set(['refund', 'invoice']));
		expect(new Set(subset.map((e) => e.label))).toEqual(
			new Set(['refund', 'invoice', OUT_OF_SCOPE_LABEL]),
		);
	});
});

describe('calibration', () => {
	// BANKING77's 77 intents: hard enough that the model makes mistakes to calibrate against.
	const { train, test } = split(loadBanking77Examples(ROOT), 3);
	const model = trainClassifier(train);
	const predictions = test.map((e) => ({ ...model.predict(e.text), truth: e.label }));

	it('accuracy rises with confidence (held-out examples, thirds by confidence)', () => {
		const sorted = [...predictions].sort((a, b) => a.confidence - b.confidence);
		const third = Math.floor(sorted.length / 3);
		const accuracy = (part: typeof sorted) =>
			part.filter((p) => p.label === p.truth).length / part.length;
		const low = accuracy(sorted.slice(0, third));
		const middle = accuracy(sorted.slice(third, 2 * third));
		const high = accuracy(sorted.slice(2 * third));
		expect(low).toBeLessThan(middle);
		expect(middle).toBeLessThan(high);
		expect(high).toBeGreaterThan(0.97);
	});

	it('has an expected calibration error under 0.05 on held-out examples', () => {
		const { ece } = calibrationReport(
			predictions.map((p) => p.confidence),
			predictions.map((p) => p.label === p.truth),
		);
		expect(ece).toBeLessThan(0.05);
	});

	it('fitTemperature recovers the temperature that generated the labels', () => {
		const random = createRng(11);
		const trueTemperature = 2.5;
		const logits: Float64Array[] = [];
		const truth: number[] = [];
		for (let i = 0; i < 4000; i++) {
			const row = Float64Array.from({ length: 5 }, () => (random() - 0.5) * 12);
			const weights = Array.from(row, (z) => Math.exp(z / trueTemperature));
			const total = weights.reduce((a, b) => a + b, 0);
			let pick = random() * total;
			let label = 0;
			while (pick > weights[label]) pick -= weights[label++];
			logits.push(row);
			truth.push(Math.min(label, 4));
		}
		expect(fitTemperature(logits, truth)).toBeGreaterThan(2.2);
		expect(fitTemperature(logits, truth)).toBeLessThan(2.8);
	});

	it('never makes a perfectly separated held-out set 100% confident', () => {
		const logits = [
			Float64Array.from([9, 0, 0]),
			Float64Array.from([0, 8, 0]),
			Float64Array.from([0, 0, 10]),
		];
		const temperature = fitTemperature(logits, [0, 1, 2]);
		// (3 right + 1) / (3 + 2) = 0.8: the mean confidence may not exceed it.
		const confidence = 1 / (1 + 2 * Math.exp(-8 / temperature));
		expect(confidence).toBeLessThanOrEqual(0.81);
	});
});

describe("learning on the spot from a team's examples", () => {
	const examples: TrainingExample[] = [
		...[
			'The app crashes when I open the settings page',
			'Error 500 when I click save in the editor',
			'The export button does nothing in Firefox',
			'Since the update the dashboard shows a blank screen',
			'Sync stopped working and shows an error',
			'I get a timeout error when uploading files',
			'The mobile app freezes on the login screen',
			'Search returns an error message every time',
		].map((text) => ({ text, label: 'bug' })),
		...[
			'Which plan includes single sign-on?',
			'How much does the team plan cost per seat?',
			'Do you offer a discount for non-profits?',
			'Can I get a quote for 200 users?',
			'What is the price difference between monthly and yearly billing?',
			'Is there an enterprise plan with an SLA?',
			'Do you have education pricing for universities?',
			'How much would it cost to add ten more seats?',
		].map((text) => ({ text, label: 'pricing' })),
		...[
			'It would be great if you added a dark mode',
			'Please add an integration with our calendar',
			'Could you support exporting to Excel?',
			'Feature request: keyboard shortcuts for the editor',
			'I wish the dashboard had custom date ranges',
			'Would love to see two-factor login with hardware keys',
			'Suggestion: let us pin favourite projects',
			'Can you add bulk editing for tags?',
		].map((text) => ({ text, label: 'feature_request' })),
	];

	it('learns a new taxonomy and predicts unseen texts', () => {
		const model = trainClassifier(examples);
		expect(model.labels).toEqual(['bug', 'feature_request', 'pricing']);
		expect(model.predict('The page crashes with an error when I save').label).toBe('bug');
		expect(model.predict('How much does the enterprise plan cost?').label).toBe('pricing');
		expect(model.predict('Please add a dark theme option, would love it').label).toBe(
			'feature_request',
		);
	});

	it('serialises and restores the same predictions', () => {
		const model = trainClassifier(examples);
		const restored = OfflineClassifier.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
		const text = 'Is there a discount for yearly billing?';
		expect(restored.predict(text)).toEqual(model.predict(text));
		const compact = OfflineClassifier.fromJSON(JSON.parse(JSON.stringify(model.toJSON('int8'))));
		expect(compact.predict(text).label).toBe(model.predict(text).label);
	});

	it('is deterministic for a given seed', () => {
		const weightsOf = (seed: number) => {
			const { metadata: _timings, ...model } = trainClassifier(examples, { seed }).toJSON();
			return JSON.stringify(model);
		};
		expect(weightsOf(3)).toBe(weightsOf(3));
		expect(weightsOf(3)).not.toBe(weightsOf(4));
	});

	it('learns an intent head from the examples that have one, a label head from all', () => {
		const model = trainClassifier([
			...['where is my parcel', 'my package is late', 'tracking not updating'].map((text) => ({
				text,
				label: 'delivery',
				intent: 'track',
			})),
			...['refund please', 'money back for my return', 'refund still missing'].map((text) => ({
				text,
				label: 'refund',
				intent: 'get_refund',
			})),
			{ text: 'Wo ist mein Paket?', label: 'delivery' },
			{ text: 'Ich will mein Geld zurück', label: 'refund' },
		]);
		expect(model.intents).toEqual(['get_refund', 'track']);
		const prediction = model.predict('my parcel tracking is late');
		expect(prediction.label).toBe('delivery');
		expect(prediction.intent).toBe('track');
	});

	it('refuses fewer than two labels', () => {
		expect(() => trainClassifier(examples.filter((e) => e.label === 'bug'))).toThrow(/at least 2/);
	});

	// Training speed is measured side by side in bench/classifier, not timed here.
	it('learns 1,000 examples of 77 intents from a team on the spot', () => {
		const banking = loadBanking77Examples(ROOT).filter((_, i) => i % 10 === 0);
		const model = trainClassifier(banking);
		const hits = banking.filter((e) => model.predict(e.text).label === e.label).length;
		expect(new Set(banking.map((e) => e.label)).size).toBe(77);
		expect(hits / banking.length).toBeGreaterThan(0.8);
	});

	it('rejects a model file of another format', () => {
		expect(() => OfflineClassifier.fromJSON({ format: 'something-else' } as never)).toThrow(
			/Not an offline classifier/,
		);
	});
});
