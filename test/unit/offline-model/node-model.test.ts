import {
	DEFAULT_AI_THRESHOLD,
	DEFAULT_LEARNED_THRESHOLD,
	offlineModelFor,
} from '../../../lib/classify';
import { getDefaultClassifier } from '../../../lib/offline-model/default-model';
import {
	clearResolvedOfflineModels,
	offlineModelForExecution,
} from '../../../nodes/SupportClassifier/offline-model';
import type { ClassifyConfig } from '../../../lib/classify';

const base: Omit<ClassifyConfig, 'extraExamples'> = {
	categories: [],
	providers: [],
	offlineFallback: true,
	multiLabel: false,
	fields: [],
	maxInputChars: 8000,
	redactPersonalData: false,
};

describe("the node's offline model (offlineModelFor)", () => {
	it('uses the shipped model and its own threshold for the built-in taxonomy without examples', () => {
		const resolved = offlineModelFor({ categories: [] });
		expect(resolved.model).toBe(getDefaultClassifier());
		expect(resolved.trained).toBe(false);
		expect(resolved.threshold).toBe(0.5);
		expect(offlineModelFor({ categories: [], threshold: 0.8 }).threshold).toBe(0.8);
		expect(DEFAULT_AI_THRESHOLD).toBe(0.7);
	});

	it('extends the built-in taxonomy with Training Examples instead of replacing it', () => {
		const resolved = offlineModelFor({
			categories: [],
			extraExamples: [
				{ text: 'the voucher code from the flyer does not reduce the price', label: 'payment' },
				{ text: 'my discount code is rejected at checkout', label: 'PAYMENT' },
			],
		});
		expect(resolved.trained).toBe(true);
		expect(resolved.model.labels).toHaveLength(11);
		const password = resolved.model.predict(
			'I forgot my password and the reset email never arrives, I cannot log in',
		);
		expect(password.label).toBe('account');
		expect(password.unsure).toBe(false);
		expect(resolved.model.predict('the voucher code is not accepted').label).toBe('payment');
		// Mail outside the taxonomy still goes to a human.
		expect(
			resolved.model.predict('Hi IT, my laptop cannot reach the VPN since the update').unsure,
		).toBe(true);
	}, 120_000);

	it('names the labels of Training Examples that match no category', () => {
		expect(() =>
			offlineModelFor({
				categories: [],
				extraExamples: [
					{ text: 'is the repair covered by warranty', label: 'warranty' },
					{ text: 'bulk order for my shop', label: 'wholesale' },
					{ text: 'where is my parcel', label: 'delivery' },
				],
			}),
		).toThrow(/match no category: "warranty", "wholesale"/);
	});

	it("learns a team's own taxonomy from its examples, with the learned-model threshold", () => {
		const resolved = offlineModelFor({
			categories: [
				{ name: 'Warranty', examples: ['is the repair covered', 'broken after a month'] },
				{ name: 'Wholesale', examples: ['bulk pricing for 500 units', 'reseller discount'] },
			],
		});
		expect(resolved.trained).toBe(true);
		expect(resolved.threshold).toBe(DEFAULT_LEARNED_THRESHOLD);
		expect(resolved.model.labels).toEqual(['Warranty', 'Wholesale']);
	});
});

describe('offlineModelForExecution', () => {
	it('parses and resolves once per configuration, then finds it by the parameters alone', async () => {
		clearResolvedOfflineModels();
		const categories = [
			{ name: 'Warranty', examples: [] },
			{ name: 'Wholesale', examples: [] },
		];
		const raw = JSON.stringify([
			{ text: 'is the repair covered', label: 'Warranty' },
			{ text: 'bulk pricing for 500 units', label: 'Wholesale' },
		]);
		let parses = 0;
		const parse = () => {
			parses++;
			return JSON.parse(raw) as Array<{ text: string; label: string }>;
		};
		const first = await offlineModelForExecution({ ...base, categories }, raw, parse);
		const second = await offlineModelForExecution({ ...base, categories }, `${raw}`, parse);
		expect(parses).toBe(1);
		expect(second).toBe(first);
		const changed = await offlineModelForExecution(
			{ ...base, categories },
			raw.replace('500', '600'),
			parse,
		);
		expect(parses).toBe(2);
		expect(changed).not.toBe(first);
		expect(
			(await offlineModelForExecution({ ...base, categories, threshold: 0.9 }, raw, parse))
				.threshold,
		).toBe(0.9);
	});
});
