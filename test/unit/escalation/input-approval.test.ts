import {
	applyOutcome,
	approvalEmail,
	decisionPage,
	parseApprovalRequest,
	readEscalationInput,
} from '../../../lib/escalation';
import { InputError } from '../../../lib/errors';
import { supportItem } from './fixtures';

function inputError(json: Record<string, any>, requireDraft = true): InputError {
	try {
		readEscalationInput(json, requireDraft);
	} catch (error) {
		expect(error).toBeInstanceOf(InputError);
		return error as InputError;
	}
	throw new Error('no error thrown');
}

describe('readEscalationInput: bad upstream items name the node that writes the field', () => {
	it('no support at all, no email, no classification, no draft', () => {
		expect(inputError({ text: 'hi' }).message).toBe(
			'The item has no "support" field, so support.email is missing: put the Support Inbox Trigger or "Support Email → Normalize" before this node',
		);
		const noEmail = supportItem();
		delete noEmail.support.email;
		expect(inputError(noEmail).hint).toMatch(/Support Inbox Trigger|Normalize/);
		const noClassification = supportItem();
		delete noClassification.support.classification;
		const e = inputError(noClassification);
		expect(e.message).toBe(
			'support.classification is missing: put a Support Classifier before this node',
		);
		expect(e.hint).toMatch(/Support Classifier before this node/);
		const d = inputError(supportItem({ draft: null }));
		expect(d.message).toBe(
			'support.draft is missing: put a Support Reply Drafter before this node',
		);
		expect(d.hint).toMatch(/Support Reply Drafter .*"Require Draft"/);
		expect(() => readEscalationInput(supportItem({ draft: null }), false)).not.toThrow();
	});

	it('malformed fields', () => {
		expect(inputError(supportItem({ classification: { confidence: '0.9' } })).message).toBe(
			'support.classification.confidence must be a number (it is "0.9")',
		);
		expect(inputError(supportItem({ draft: { text: 42 } })).message).toBe(
			'support.draft.text must be a text (it is 42)',
		);
		expect(inputError(supportItem({ draft: { confidence: 3 } })).message).toBe(
			'support.draft.confidence must be <= 1 (it is 3)',
		);
		expect(
			inputError(
				supportItem({ priority: { level: 'high', sla: { firstResponseDue: 'tomorrow' } } }),
			).message,
		).toMatch(/^support\.priority\.sla\.firstResponseDue must be an ISO 8601 date/);
	});
});

describe('approval requests', () => {
	it('GET only shows a page; an unknown action is refused', () => {
		expect(parseApprovalRequest('GET', { action: 'approve' }, {}, [0])).toEqual({
			kind: 'page',
			action: 'approve',
		});
		expect(parseApprovalRequest('POST', { action: 'delete' }, {}, [0])).toMatchObject({
			kind: 'invalid',
			status: 400,
		});
	});

	it('POST approve / reject / edit', () => {
		expect(parseApprovalRequest('POST', { action: 'approve' }, { reviewer: 'Ann' }, [0])).toEqual({
			kind: 'resume',
			response: { outcome: 'approved', drafts: {}, reviewer: 'Ann', note: undefined },
		});
		expect(
			parseApprovalRequest('POST', { action: 'reject' }, { note: 'wrong tone' }, [0]),
		).toMatchObject({
			response: { outcome: 'rejected', note: 'wrong tone' },
		});
		expect(
			parseApprovalRequest('POST', { action: 'edit' }, { draft: 'New text' }, [2]),
		).toMatchObject({
			response: { outcome: 'edited', drafts: { 2: 'New text' } },
		});
		expect(
			parseApprovalRequest('POST', { action: 'edit' }, { draft_1: 'B' }, [0, 1]),
		).toMatchObject({
			response: { drafts: { 1: 'B' } },
		});
		expect(
			parseApprovalRequest('POST', { action: 'edit' }, { drafts: { '0': 'A' } }, [0, 1]),
		).toMatchObject({
			response: { drafts: { 0: 'A' } },
		});
	});

	it('an edit without text, with empty text, or one draft for several replies is refused', () => {
		expect(parseApprovalRequest('POST', { action: 'edit' }, {}, [0])).toMatchObject({
			kind: 'invalid',
			message: expect.stringMatching(/"draft" field/),
		});
		expect(parseApprovalRequest('POST', { action: 'edit' }, { draft: '  ' }, [0])).toMatchObject({
			kind: 'invalid',
			message: expect.stringMatching(/empty/),
		});
		expect(parseApprovalRequest('POST', { action: 'edit' }, { draft: 'x' }, [0, 1])).toMatchObject({
			kind: 'invalid',
			message: expect.stringMatching(/draft_<index>/),
		});
	});

	it('outcomes: approve and edit go to auto_send (edit keeps the original), reject to review, no answer escalates', () => {
		const support = {
			draft: { text: 'Old', html: '<p>Old</p>', confidence: 0.5 },
			decision: { action: 'human_review', reasons: ['low-draft-confidence: 0.5 < 0.8'] },
		};
		const at = '2026-01-01T10:00:00.000Z';
		const approved = applyOutcome(support, 'approved', { at, by: 'ann@acme.test' });
		expect(approved.decision).toMatchObject({
			action: 'auto_send',
			approvedBy: 'ann@acme.test',
			approvedAt: at,
		});
		expect(approved.decision.reasons).toHaveLength(2);
		expect(approved.draft.text).toBe('Old');
		const edited = applyOutcome(support, 'edited', { at, editedText: 'New <b>text</b>\n\nBye' });
		expect(edited.draft).toMatchObject({
			text: 'New <b>text</b>\n\nBye',
			// The same HTML the Reply Drafter writes (one textToHtml for both).
			html: '<div dir="auto">\n<p>New &lt;b&gt;text&lt;/b&gt;</p>\n<p>Bye</p>\n</div>',
			original: { text: 'Old', html: '<p>Old</p>' },
		});
		expect(edited.decision.action).toBe('auto_send');
		const rejected = applyOutcome(support, 'rejected', { at, by: 'Bob', note: 'wrong tone' });
		expect(rejected.decision).toMatchObject({
			action: 'human_review',
			rejectedBy: 'Bob',
			rejectionReason: 'wrong tone',
		});
		expect(rejected.approval).toMatchObject({ status: 'rejected', respondedBy: 'Bob' });
		const timedOut = applyOutcome(support, 'no_answer', { at, waitedFor: '4 hours' });
		expect(timedOut.decision.action).toBe('escalate');
		expect(timedOut.decision.reasons.at(-1)).toBe('approval-timeout: no answer within 4 hours');
		expect(support.decision.action).toBe('human_review');
	});

	it('pages and the email escape what the customer wrote and carry the three links', () => {
		const review = {
			index: 0,
			from: 'x <x@y.z>',
			subject: '<script>alert(1)</script>',
			customerText: 'a & b',
			draftText: 'Reply',
			reasons: ['r'],
		};
		expect(decisionPage('edit', [review])).toContain('&lt;script&gt;');
		expect(decisionPage('edit', [review])).toContain('name="draft_0"');
		expect(decisionPage('approve', [review])).not.toContain('<textarea');
		const mail = approvalEmail([review], {
			approve: 'http://h/a?x=1&y=2',
			edit: 'http://h/e',
			reject: 'http://h/r',
		});
		expect(mail.text).toContain('Approve: http://h/a?x=1&y=2');
		expect(mail.html).toContain('href="http://h/a?x=1&amp;y=2"');
		expect(mail.html).not.toContain('<script>');
	});
});
