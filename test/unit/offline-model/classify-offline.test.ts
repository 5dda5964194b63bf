import { trainClassifier } from '../../../lib/offline-model/classifier';
import { classifyOffline } from '../../../lib/offline-model/classify';
import { clearClassifierCache, getOrTrainClassifier } from '../../../lib/offline-model/model-cache';
import {
	findRepositoryRoot,
	loadOutOfTaxonomyTexts,
} from '../../../lib/offline-model/training-data';

describe('classifyOffline', () => {
	it('returns the whole classification for a support email', () => {
		const result = classifyOffline(
			"Hi team,\n\nI returned the jacket from order #A-10023 two weeks ago and my refund of 49.99 EUR still hasn't arrived. Where is my refund? This is really frustrating, please check ASAP.\n\nThanks,\nJohn",
		);
		expect(result.category).toBe('refund');
		// "Where is my refund?": the customer tracks a refund already asked for.
		expect(result.intent).toBe('track_refund');
		expect(result.confidence).toBeGreaterThan(0.7);
		expect(result.unsure).toBe(false);
		expect(result.language).toBe('en');
		expect(result.sentiment.label).toBe('negative');
		expect(result.urgency).toBe('high');
		expect(result.entities.orderId).toBe('A-10023');
		expect(result.entities.amounts).toEqual([{ raw: '49.99 EUR', value: 49.99, currency: 'EUR' }]);
		expect(result.summary).toBe(
			"I returned the jacket from order #A-10023 two weeks ago and my refund of 49.99 EUR still hasn't arrived.",
		);
		expect(result.model).toBe('offline/support-mail');
		expect(result.outOfScope).toBeLessThan(0.1);
	});

	it('reads German mail and restricts language detection to the given languages', () => {
		const text =
			'Sehr geehrte Damen und Herren,\nbitte löschen Sie mein Kundenkonto gemäß DSGVO.\nMit freundlichen Grüßen\nUrs Keller';
		const result = classifyOffline(text, { subject: 'DSGVO', languages: ['de', 'en', 'fr'] });
		expect(result.category).toBe('account');
		expect(result.language).toBe('de');
		expect(classifyOffline('Konto löschen DSGVO', { languages: ['de', 'en'] }).language).toBe('de');
	});

	it('sends most out-of-taxonomy texts to unsure', () => {
		const texts = loadOutOfTaxonomyTexts(findRepositoryRoot(__dirname));
		expect(texts.length).toBeGreaterThanOrEqual(50);
		const unsure = texts.filter((text) => classifyOffline(text).unsure).length;
		expect(unsure / texts.length).toBeGreaterThanOrEqual(0.7);
	});

	it('uses the subject for classification', () => {
		const withSubject = classifyOffline('see above', {
			subject: 'I want to unsubscribe from your newsletter',
		});
		expect(withSubject.category).toBe('newsletter');
		expect(withSubject.summary).toBe('I want to unsubscribe from your newsletter');
	});

	it('honours a custom threshold and a team model', () => {
		expect(classifyOffline('I want a refund', { unsureThreshold: 1 }).unsure).toBe(true);
		const model = trainClassifier([
			{ text: 'the invoice total is wrong', label: 'billing' },
			{ text: 'I was billed the wrong amount', label: 'billing' },
			{ text: 'please correct my bill', label: 'billing' },
			{ text: 'the app crashes on start', label: 'technical' },
			{ text: 'error when I log in to the app', label: 'technical' },
			{ text: 'the screen stays blank after the update', label: 'technical' },
		]);
		const result = classifyOffline('The app shows an error and crashes', { model });
		expect(result.category).toBe('technical');
		expect(result.intent).toBeUndefined();
		expect(result.model).toBe('offline/custom');
	});
});

describe('getOrTrainClassifier', () => {
	const examples = [
		{ text: 'the invoice total is wrong', label: 'billing' },
		{ text: 'please correct my bill', label: 'billing' },
		{ text: 'the app crashes on start', label: 'technical' },
		{ text: 'error when I log in to the app', label: 'technical' },
	];

	it('trains once per set of examples and reuses the model', () => {
		clearClassifierCache();
		const first = getOrTrainClassifier(examples);
		const second = getOrTrainClassifier([...examples]);
		expect(first.cached).toBe(false);
		expect(second.cached).toBe(true);
		expect(second.model).toBe(first.model);
		const changed = getOrTrainClassifier([
			...examples,
			{ text: 'wrong amount billed', label: 'billing' },
		]);
		expect(changed.cached).toBe(false);
	});
});
