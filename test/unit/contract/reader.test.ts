import {
	ContractError,
	SUPPORT_SCHEMAS,
	contractProblems,
	readSupport,
} from '../../../lib/contract';
import { supportItem } from '../escalation/fixtures';

function errorOf(run: () => unknown): ContractError {
	try {
		run();
	} catch (error) {
		expect(error).toBeInstanceOf(ContractError);
		return error as ContractError;
	}
	throw new Error('expected a ContractError');
}

describe('readSupport: the one reader of item.json.support', () => {
	it('returns the fields asked for, typed, and the raw support object', () => {
		const item = supportItem();
		const read = readSupport(item, {
			required: ['email', 'classification'],
			optional: ['draft'],
			needs: { draft: ['text'] },
		});
		expect(read.email.messageId).toBe('<m1@customer.test>');
		expect(read.classification.confidence).toBe(0.95);
		expect(read.draft?.text).toMatch(/^Hi Carla/);
		expect(read.raw).toBe(item.support);
	});

	it('a missing field names the node that writes it', () => {
		const item = supportItem();
		delete item.support.classification;
		const error = errorOf(() => readSupport(item, { required: ['email', 'classification'] }));
		expect(error.message).toBe(
			'support.classification is missing: put a Support Classifier before this node',
		);
		expect(error.field).toBe('classification');
		expect(error.path).toBe('support.classification');
		expect(error.hint).toMatch(/Support Classifier/);

		const noEmail = errorOf(() => readSupport({ support: {} }, { required: ['email'] }));
		expect(noEmail.message).toBe(
			'support.email is missing: put the Support Inbox Trigger or "Support Email → Normalize" before this node',
		);
		const noDraft = errorOf(() =>
			readSupport(supportItem({ draft: null }), { required: ['draft'] }),
		);
		expect(noDraft.message).toMatch(/^support\.draft is missing: put a Support Reply Drafter/);
		for (const [field, writer] of [
			['priority', /Support Priority Router/],
			['decision', /Support Escalation/],
			['knowledge', /Support Knowledge node \(operation Search\)/],
			['answer', /Support Knowledge node \(operation Search\)/],
		] as const)
			expect(errorOf(() => readSupport({ support: {} }, { required: [field] })).message).toMatch(
				writer,
			);
	});

	it('no support object at all names the first node needed; a non-object support says so', () => {
		const error = errorOf(() =>
			readSupport({ text: 'hi' }, { required: ['email', 'classification'] }),
		);
		expect(error.message).toBe(
			'The item has no "support" field, so support.email is missing: put the Support Inbox Trigger or "Support Email → Normalize" before this node',
		);
		expect(error.hint).toBe(
			'Put the Support Inbox Trigger or "Support Email → Normalize", then a Support Classifier before this node (support.email, support.classification).',
		);
		expect(errorOf(() => readSupport({ support: 'x' }, { required: ['email'] })).message).toBe(
			'The item\'s "support" field is "x", not an object',
		);
	});

	it('a field of the wrong shape says what is wrong, where, and what it is', () => {
		const wrong = (classification: Record<string, unknown>) =>
			errorOf(() =>
				readSupport(supportItem({ classification }), { required: ['email', 'classification'] }),
			);
		const high = wrong({ confidence: 'high' });
		expect(high.message).toBe('support.classification.confidence must be a number (it is "high")');
		expect(high.path).toBe('support.classification.confidence');
		expect(wrong({ confidence: 1.4 }).message).toBe(
			'support.classification.confidence must be <= 1 (it is 1.4)',
		);
		expect(wrong({ urgency: 'asap' }).message).toBe(
			'support.classification.urgency must be one of "low", "normal", "high", "critical" (it is "asap")',
		);
		expect(wrong({ sentiment: 'bad' }).message).toBe(
			'support.classification.sentiment must be an object (it is "bad")',
		);
		expect(wrong({ confidence: 'x', unsure: 'no' }).message).toMatch(/\(and 1 more problem\)$/);

		const notObject = errorOf(() =>
			readSupport(
				{ support: { ...supportItem().support, email: 'hello' } },
				{ required: ['email'] },
			),
		);
		expect(notObject.message).toBe('support.email must be an object (it is "hello")');
		expect(notObject.hint).toMatch(/Support Inbox Trigger/);

		const badFrom = supportItem();
		badFrom.support.email.from = { name: 'No address' };
		expect(errorOf(() => readSupport(badFrom, { required: ['email'] })).message).toBe(
			'support.email.from.address is missing: the Support Inbox Trigger or "Support Email → Normalize" writes it',
		);
	});

	it('a property the node needs is required; present properties are checked even when optional', () => {
		const item = supportItem();
		delete item.support.email.messageId;
		expect(readSupport(item, { required: ['email'], needs: { email: [] } }).email.subject).toBe(
			'Where is my order #4521?',
		);
		const error = errorOf(() =>
			readSupport(item, { required: ['email'], needs: { email: ['messageId'] } }),
		);
		expect(error.message).toBe(
			'support.email.messageId is missing: the Support Inbox Trigger or "Support Email → Normalize" writes it',
		);
		expect(error.path).toBe('support.email.messageId');

		const late = supportItem({
			priority: { level: 'urgent', sla: { firstResponseDue: 'tomorrow' } },
		});
		expect(
			errorOf(() =>
				readSupport(late, { required: ['email'], optional: ['priority'], needs: { priority: [] } }),
			).message,
		).toBe(
			'support.priority.sla.firstResponseDue must be an ISO 8601 date and time with a zone, such as 2026-01-31T09:00:00Z (it is "tomorrow")',
		);
		expect(
			readSupport(supportItem(), { required: ['email'], optional: ['priority'] }).priority,
		).toBe(undefined);
	});

	it('by default the field must hold what its writer always writes (the full schema)', () => {
		const item = supportItem();
		delete item.support.classification.summary;
		expect(errorOf(() => readSupport(item, { required: ['classification'] })).message).toBe(
			'support.classification.summary is missing: a Support Classifier writes it',
		);
		expect(
			readSupport(item, { required: ['classification'], needs: { classification: ['category'] } })
				.classification.category,
		).toBe('delivery');
	});

	it('support.email.spoofSignals, support.knowledge and support.answer have their shapes', () => {
		const item = supportItem();
		item.support.email.spoofSignals = [{ code: 'display-name', message: 'looks like ours' }];
		item.support.knowledge = [
			{
				id: 'kb-1',
				title: 'Refunds',
				text: 'Refunds take 14 days.',
				score: 0.8,
				source: 'article',
			},
		];
		item.support.answer = {
			confidence: 0.7,
			citations: [{ id: 'kb-1' }],
			abstained: false,
			reasons: [],
		};
		const read = readSupport(item, { required: ['email', 'knowledge', 'answer'] });
		expect(read.knowledge[0].source).toBe('article');
		expect(read.answer.citations[0].id).toBe('kb-1');

		item.support.email.spoofSignals = [{ code: 'x' }];
		expect(errorOf(() => readSupport(item, { required: ['email'] })).message).toBe(
			'support.email.spoofSignals[0].message is missing: the Support Inbox Trigger or "Support Email → Normalize" writes it',
		);
		item.support.email.spoofSignals = [];
		item.support.knowledge = [{ id: 'kb-1', text: 'x', score: 1, source: 'faq' }];
		expect(errorOf(() => readSupport(item, { required: ['knowledge'] })).message).toBe(
			'support.knowledge[0].source must be one of "article", "reply" (it is "faq")',
		);
		item.support.answer.confidence = 2;
		expect(contractProblems('answer', item.support.answer)).toEqual([
			'support.answer.confidence must be <= 1 (it is 2)',
		]);
	});

	it('every field of DESIGN.md section 2 has a schema', () => {
		expect(Object.keys(SUPPORT_SCHEMAS).sort()).toEqual(
			[
				'answer',
				'classification',
				'decision',
				'draft',
				'draftSaved',
				'email',
				'knowledge',
				'priority',
				'sent',
			].sort(),
		);
		expect(contractProblems('email', supportItem().support.email)).toEqual([]);
	});
});
