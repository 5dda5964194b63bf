import {
	BUILT_IN_TEMPLATES,
	chooseTemplate,
	draftSchema,
	escapeHtml,
	fenceKnowledge,
	fillPlaceholders,
	greeting,
	parseKnowledge,
	policyKeywords,
	readPath,
	replySubject,
	textToHtml,
	touchesPolicy,
} from '../../../lib/draft';
import { DEFAULT_CATEGORIES } from '../../../lib/classify/categories';
import { InputError } from '../../../lib/errors';

describe('knowledge on the item', () => {
	it('reads a list of snippets, gives ids S1.. where none (or a duplicate) is given', () => {
		const snippets = parseKnowledge(
			[
				{
					title: 'Refunds',
					text: ' Refunds are paid within 14 days. ',
					url: 'https://help.test/r',
				},
				{ id: 'kb-7', text: 'Parcels arrive in 3 days.' },
				{ id: 'kb-7', text: 'Duplicate id.' },
			],
			'support.knowledge',
		);
		expect(snippets).toEqual([
			{
				id: 'S1',
				title: 'Refunds',
				text: 'Refunds are paid within 14 days.',
				url: 'https://help.test/r',
			},
			{ id: 'kb-7', text: 'Parcels arrive in 3 days.' },
			{ id: 'S3', text: 'Duplicate id.' },
		]);
	});

	it('no knowledge at the default field (missing, null, [] or empty text) is not an error', () => {
		for (const value of [undefined, null, [], ''])
			expect(parseKnowledge(value, 'support.knowledge')).toEqual([]);
	});

	it.each([
		[
			'a string',
			'Refunds take 14 days',
			/holds the text "Refunds take 14 days", not a list of snippets/,
		],
		['one object', { text: 'x' }, /holds an object, not a list/],
		['a number', 3, /holds a number, not a list/],
		['a list of strings', ['Refunds take 14 days'], /snippet 1 .* is the text .*not an object/],
		['a snippet without text', [{ title: 'Refunds' }], /snippet 1 .* has no "text"/],
		[
			'a snippet with a numeric url',
			[{ text: 'x', url: 5 }],
			/has a "url" that is a number, not text/,
		],
	])('%s is an error that shows the expected shape', (_, value, message) => {
		let error: unknown;
		try {
			parseKnowledge(value, 'kb.results');
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(InputError);
		expect((error as InputError).message).toMatch(message);
		expect((error as InputError).message).toContain('kb.results');
		expect((error as InputError).hint).toMatch(/\[\{"title": "Refunds", "text": /);
	});

	it('a field the user named that is missing is an error; at the default field it means no knowledge', () => {
		expect(() => parseKnowledge(undefined, 'kb.results', { explicitField: true })).toThrow(
			/The knowledge field "kb\.results" is not on the item/,
		);
		expect(parseKnowledge(undefined, 'support.knowledge', { explicitField: false })).toEqual([]);
	});

	it('reads dot paths', () => {
		expect(readPath({ a: { b: [1] } }, 'a.b')).toEqual([1]);
		expect(readPath({ a: 'x' }, 'a.b')).toBeUndefined();
	});
});

describe('templates', () => {
	it('has an English template for every built-in category, plus German, French and Spanish', () => {
		for (const category of [...DEFAULT_CATEGORIES.map((c) => c.name), 'default']) {
			for (const language of ['en', 'de', 'fr', 'es'] as const) {
				expect(BUILT_IN_TEMPLATES[category][language]).toMatch(/^\{\{greeting\}\}\n\n\S/);
			}
		}
	});

	it('chooses by category and language; another language falls back to English, marked', () => {
		expect(chooseTemplate('refund', 'de')).toMatchObject({
			language: 'de',
			languageFallback: false,
			generic: false,
		});
		expect(chooseTemplate('refund', 'ja')).toMatchObject({
			language: 'en',
			languageFallback: true,
		});
		expect(chooseTemplate('warranty', 'fr')).toMatchObject({ language: 'fr', generic: true });
		expect(chooseTemplate('warranty', 'fr').text).toBe(BUILT_IN_TEMPLATES.default.fr);
	});

	it("the node's templates come first: category + language, then category, then *", () => {
		const custom = [
			{ category: 'refund', language: 'de', text: 'DE refund' },
			{ category: 'Refund', text: 'any refund' },
			{ category: '*', text: 'anything' },
		];
		expect(chooseTemplate('refund', 'de', custom)).toMatchObject({
			text: 'DE refund',
			source: 'node',
		});
		expect(chooseTemplate('refund', 'fr', custom)).toMatchObject({
			text: 'any refund',
			language: 'fr',
		});
		expect(chooseTemplate('warranty', 'ja', custom)).toMatchObject({
			text: 'anything',
			generic: true,
		});
		// A built-in category template beats the node's catch-all.
		expect(chooseTemplate('delivery', 'en', custom).source).toBe('built-in');
	});

	it('fills placeholders; empty ones leave no stray spaces', () => {
		expect(
			fillPlaceholders('{{greeting}}\n\nOrder {{orderId}} , from {{companyName}}.', {
				greeting: 'Hi,',
				companyName: 'Acme',
			}),
		).toBe('Hi,\n\nOrder, from Acme.');
		expect(greeting('de', 'friendly', 'Jana Novak', 'Jana')).toBe('Hallo Jana,');
		expect(greeting('en', 'formal', 'Jana Novak', 'Jana')).toBe('Dear Jana Novak,');
		expect(greeting('ja', 'friendly', undefined, undefined)).toBe('Hello,');
	});
});

describe('format', () => {
	it('escapes everything before building HTML, and links only real URLs', () => {
		const html = textToHtml(
			'Hello <script>alert(1)</script> & "you",\n\nSee https://help.test/a?x=1&y=2 now.\nBye\n\n<img src=x onerror=alert(1)>',
		);
		expect(html).not.toMatch(/<script|<img/);
		expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;you&quot;');
		expect(html).toContain(
			'<a href="https://help.test/a?x=1&amp;y=2">https://help.test/a?x=1&amp;y=2</a> now.<br>',
		);
		expect(html.match(/<p>/g)).toHaveLength(3);
		expect(textToHtml('x" onmouseover="alert(1) https://a.test/"onclick=x')).not.toMatch(
			/href="[^"]*"[^>]*on\w+=/,
		);
		expect(escapeHtml(`'`)).toBe('&#39;');
	});

	it('"Re:" once', () => {
		expect(replySubject('Broken blender')).toBe('Re: Broken blender');
		expect(replySubject('Re: Broken blender')).toBe('Re: Broken blender');
		expect(replySubject('AW: Lieferung')).toBe('AW: Lieferung');
	});
});

describe('policies and the prompt', () => {
	it('finds the topic words of a policy and matches word forms and the category', () => {
		expect(policyKeywords(['Never promise a refund over 50 EUR'])).toEqual(['refund']);
		expect(
			policyKeywords([
				'Never promise a refund, a discount or a delivery date that the knowledge does not state.',
			]),
		).toEqual(['refund', 'discount', 'delivery', 'date']);
		expect(
			touchesPolicy(['Never promise a refund over 50 EUR'], 'Can I get my money refunded?').touched,
		).toBe(true);
		expect(
			touchesPolicy(['Never promise a refund over 50 EUR'], 'I want my money back', 'refund')
				.touched,
		).toBe(true);
		expect(
			touchesPolicy(['Never promise a refund over 50 EUR'], 'Where is my parcel?', 'delivery')
				.touched,
		).toBe(false);
	});

	it('fences knowledge with a marker nothing in it can close, within a budget', () => {
		const { block, truncated } = fenceKnowledge(
			[
				{ id: 'S1', title: 'A', text: 'x'.repeat(600), url: 'https://a.test' },
				{ id: 'S2', text: 'y'.repeat(600) },
			],
			700,
		);
		const marker = /^<<<(KNOWLEDGE-[0-9a-f]{12})/.exec(block)![1];
		expect(block.endsWith(`${marker}>>>`)).toBe(true);
		expect(block).toContain('[S1]\nTitle: A\nURL: https://a.test');
		expect(truncated).toBe(true);
		expect(block.length).toBeLessThan(900);
	});

	it('the schema lists the snippet ids, or allows no citation when there is no knowledge', () => {
		expect((draftSchema(['S1', 'kb-7']).properties as any).usedSnippets.items.enum).toEqual([
			'S1',
			'kb-7',
		]);
		expect((draftSchema([]).properties as any).usedSnippets.maxItems).toBe(0);
		expect(draftSchema([]).required).toEqual([
			'reply',
			'usedSnippets',
			'knowledgeAnswers',
			'policyTopic',
			'promptInjection',
			'confidence',
		]);
	});
});
