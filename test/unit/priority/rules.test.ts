import type { PriorityConfig, PriorityInput, Rule } from '../../../lib/priority';
import { decidePriority, keywordPattern, senderMatches, splitList } from '../../../lib/priority';
import { InputError } from '../../../lib/errors';

const URGENCY: Rule = {
	type: 'urgency',
	mapping: { critical: 'urgent', high: 'high', normal: 'none', low: 'low' },
};

function config(rules: Rule[], extra: Partial<PriorityConfig> = {}): PriorityConfig {
	return { rules, defaultLevel: 'normal', autoSubmittedCap: 'low', ...extra };
}

function input(extra: Partial<PriorityInput> = {}): PriorityInput {
	return {
		email: {
			from: { name: 'Ann', address: 'ann@example.com' },
			subject: 'Question about my order',
			text: 'Hello, where is my order?',
			autoSubmitted: false,
		},
		classification: {
			category: 'order',
			urgency: 'normal',
			sentiment: { label: 'neutral', score: 0 },
		},
		...extra,
	};
}

describe('priority rules', () => {
	it('no rule fired: the default priority, with a reason saying so', () => {
		const result = decidePriority(input(), config([URGENCY]));
		expect(result.level).toBe('normal');
		expect(result.rules).toEqual([]);
		expect(result.reasons).toEqual(['No rule fired: Default Priority Normal']);
		expect(decidePriority(input(), config([], { defaultLevel: 'low' })).level).toBe('low');
	});

	it('maps the classifier urgency', () => {
		for (const [urgency, level] of [
			['critical', 'urgent'],
			['high', 'high'],
			['low', 'low'],
		] as const) {
			const result = decidePriority(
				input({ classification: { category: 'order', urgency } }),
				config([URGENCY]),
			);
			expect(result.level).toBe(level);
			expect(result.reasons[0]).toBe(
				`Classifier urgency "${urgency}" → ${level[0].toUpperCase()}${level.slice(1)}`,
			);
		}
	});

	it('VIP senders by address, domain and subdomain, case-insensitive', () => {
		const rule: Rule = {
			type: 'sender',
			senders: ['ceo@bigcorp.com', '@partner.org', 'acme.com'],
			level: 'urgent',
		};
		const from = (address: string) =>
			decidePriority(input({ email: { ...input().email, from: { address } } }), config([rule]));
		expect(from('CEO@BigCorp.com').level).toBe('urgent');
		expect(from('CEO@BigCorp.com').vip).toBe(true);
		expect(from('CEO@BigCorp.com').reasons[0]).toBe(
			'VIP sender ceo@bigcorp.com (matches "ceo@bigcorp.com") → Urgent',
		);
		expect(from('intern@bigcorp.com').level).toBe('normal');
		expect(from('x@partner.org').level).toBe('urgent');
		expect(from('x@mail.acme.com').level).toBe('urgent');
		expect(from('x@notacme.com').level).toBe('normal');
		expect(from('x@notacme.com').vip).toBe(false);
	});

	it('keywords match whole words and phrases, any case and script, or a /regex/', () => {
		const rule: Rule = {
			type: 'keywords',
			keywords: ['down', 'legal action', 'Rückerstattung', '/order\\s+#?\\d{6}/'],
			lookIn: 'subjectAndText',
			level: 'high',
		};
		const text = (t: string) =>
			decidePriority(input({ email: { subject: '', text: t } }), config([rule]));
		expect(text('Your site is DOWN!').level).toBe('high');
		expect(text('I cannot download the invoice').level).toBe('normal');
		expect(text('we will take legal\n action').reasons[0]).toBe(
			'Keyword "legal action" in the subject or text → High',
		);
		expect(text('Ich möchte eine rückerstattung').level).toBe('high');
		expect(text('about order #123456 please').reasons[0]).toContain('/order\\s+#?\\d{6}/');
		expect(text('about order 12345').level).toBe('normal');
	});

	it('keywords only where the rule looks', () => {
		const rule = (lookIn: 'subject' | 'text'): Rule => ({
			type: 'keywords',
			keywords: ['urgent'],
			lookIn,
			level: 'high',
		});
		const item = input({ email: { subject: 'Urgent: help', text: 'nothing here' } });
		expect(decidePriority(item, config([rule('subject')])).level).toBe('high');
		expect(decidePriority(item, config([rule('text')])).level).toBe('normal');
	});

	it('an invalid /regex/ keyword is an InputError saying where to fix it', () => {
		expect(() => keywordPattern('/order(/')).toThrow(InputError);
		try {
			keywordPattern('/order(/');
		} catch (error) {
			expect((error as InputError).hint).toContain('Rules → Keywords');
		}
	});

	it('category mapping, including multi-label categories', () => {
		const rule: Rule = { type: 'category', categories: ['newsletter', 'Refund'], level: 'low' };
		expect(
			decidePriority(
				input({ classification: { category: 'newsletter', urgency: 'normal' } }),
				config([rule]),
			).reasons[0],
		).toBe('Category "newsletter" → Low');
		expect(
			decidePriority(
				input({
					classification: { category: 'order', categories: ['order', 'refund'], urgency: 'normal' },
				}),
				config([rule]),
			).level,
		).toBe('low');
	});

	it('negative sentiment at or below the threshold', () => {
		const rule: Rule = { type: 'sentiment', threshold: -0.5, level: 'high' };
		const score = (s: number) =>
			decidePriority(
				input({
					classification: { category: 'order', sentiment: { label: 'negative', score: s } },
				}),
				config([rule]),
			);
		expect(score(-0.8).level).toBe('high');
		expect(score(-0.8).reasons[0]).toBe('Negative sentiment (score -0.8 ≤ -0.5) → High');
		expect(score(-0.5).level).toBe('high');
		expect(score(-0.49).level).toBe('normal');
	});

	it('customer tier gives a minimum priority', () => {
		const rules: Rule[] = [
			{ type: 'tier', tiers: ['enterprise'], level: 'urgent' },
			{ type: 'tier', tiers: ['premium', 'gold'], level: 'high' },
		];
		expect(decidePriority(input({ customerTier: 'Enterprise ' }), config(rules)).level).toBe(
			'urgent',
		);
		expect(decidePriority(input({ customerTier: 'gold' }), config(rules)).reasons[0]).toBe(
			'Customer tier "gold" → High',
		);
		expect(decidePriority(input({ customerTier: 'free' }), config(rules)).level).toBe('normal');
		expect(decidePriority(input(), config(rules)).level).toBe('normal');
	});

	it('repeat contact: previous contacts plus one for a reply in a thread', () => {
		const rule: Rule = {
			type: 'repeatContact',
			minContacts: 3,
			countThreadReplies: true,
			level: 'high',
		};
		const threadReply = { ...input().email, references: ['<a@x>'], inReplyTo: '<a@x>' };
		expect(decidePriority(input({ previousContacts: 2 }), config([rule])).level).toBe('normal');
		const repeat = decidePriority(
			input({ previousContacts: 2, email: threadReply }),
			config([rule]),
		);
		expect(repeat.level).toBe('high');
		expect(repeat.contacts).toBe(3);
		expect(repeat.reasons[0]).toBe('Repeat contact: 3 earlier contacts (at least 3) → High');
		expect(decidePriority(input({ previousContacts: 5 }), config([rule])).level).toBe('high');
		const noThread: Rule = { ...rule, countThreadReplies: false };
		expect(
			decidePriority(input({ previousContacts: 2, email: threadReply }), config([noThread])).level,
		).toBe('normal');
	});

	it('the highest level of the rules that fired wins; a low rule does not lower a high one', () => {
		const rules: Rule[] = [
			URGENCY,
			{ type: 'category', categories: ['newsletter'], level: 'low' },
			{ type: 'sender', senders: ['example.com'], level: 'high' },
		];
		const result = decidePriority(
			input({ classification: { category: 'newsletter', urgency: 'low' } }),
			config(rules),
		);
		expect(result.level).toBe('high');
		expect(result.rules.map((r) => r.rule)).toEqual(['urgency', 'category', 'sender']);
		expect(result.reasons.at(-1)).toBe('Highest level of the rules that fired: High');
	});

	it('auto-submitted mail is capped (and the cap can be switched off)', () => {
		const rules: Rule[] = [URGENCY];
		const auto = input({
			email: { ...input().email, autoSubmitted: true, autoSubmittedReason: 'auto-replied' },
			classification: { category: 'order', urgency: 'critical' },
		});
		const capped = decidePriority(auto, config(rules));
		expect(capped.level).toBe('low');
		expect(capped.reasons.at(-1)).toBe(
			'Auto-submitted mail (auto-replied) is capped at Low: lowered from Urgent',
		);
		expect(decidePriority(auto, config(rules, { autoSubmittedCap: 'none' })).level).toBe('urgent');
	});

	it('no email: sender and keyword rules do not fire, classification rules still do', () => {
		const rules: Rule[] = [
			URGENCY,
			{ type: 'sender', senders: ['example.com'], level: 'urgent' },
			{ type: 'keywords', keywords: ['order'], lookIn: 'subjectAndText', level: 'urgent' },
		];
		const result = decidePriority(
			{ classification: { category: 'order', urgency: 'high' } },
			config(rules),
		);
		expect(result.level).toBe('high');
		expect(result.rules).toHaveLength(1);
	});
});

describe('rule helpers', () => {
	it('splitList takes commas, new lines, arrays and keeps regexes whole', () => {
		expect(splitList('a, b\nc,, ')).toEqual(['a', 'b', 'c']);
		expect(splitList(['x@y.com', 'z.com, w.com'])).toEqual(['x@y.com', 'z.com', 'w.com']);
		expect(splitList('outage\n/\\d{1,3},\\d{3}/')).toEqual(['outage', '/\\d{1,3},\\d{3}/']);
		expect(splitList(undefined)).toEqual([]);
	});

	it('senderMatches: *.domain is the same as domain', () => {
		expect(senderMatches('*.acme.com', 'a@eu.acme.com')).toBe(true);
		expect(senderMatches('*.acme.com', 'a@acme.com')).toBe(true);
		expect(senderMatches('', 'a@acme.com')).toBe(false);
	});
});
