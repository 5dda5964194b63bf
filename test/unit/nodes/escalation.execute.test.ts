/**
 * The Support Escalation node's execute() in process: Auto Send, Human Review and Escalate outputs,
 * pairedItem, Continue on Fail, the error without it, and Decide and Wait for Approval putting the
 * execution to wait after notifying the reviewer.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, WAIT_INDEFINITELY } from 'n8n-workflow';
import { SupportEscalation } from '../../../nodes/SupportEscalation/SupportEscalation.node';
import { supportItem } from '../escalation/fixtures';
import { executeNode, pairing, thrownBy } from '../../support/execute-node';

const node = new SupportEscalation();

const ready: INodeExecutionData = { json: supportItem() };
const critical: INodeExecutionData = {
	json: supportItem({ classification: { urgency: 'critical' } }),
};
const unsureDraft: INodeExecutionData = {
	json: supportItem({ draft: { confidence: 0.2, needsReview: true, reasons: ['low confidence'] } }),
};
const unclassified: INodeExecutionData = (() => {
	const json = supportItem();
	delete json.support.classification;
	return { json };
})();

const action = (entry: INodeExecutionData) =>
	(entry.json.support as { decision: { action: string } }).decision.action;

describe('Support Escalation execute (in process)', () => {
	it('dropped on the canvas (Allow Auto Send off): nothing goes to Auto Send', async () => {
		const { outputs } = await executeNode(node, { items: [ready, critical] });
		expect(pairing(outputs)).toEqual([[], [{ item: 0 }], [{ item: 1 }]]);
		expect(outputs[1].map(action)).toEqual(['human_review']);
		expect(outputs[2].map(action)).toEqual(['escalate']);
	});

	it('Allow Auto Send: Auto Send, Human Review and Escalate, each item paired to its input', async () => {
		const { outputs } = await executeNode(node, {
			parameters: { allowAutoSend: true },
			items: [critical, unsureDraft, ready],
		});
		expect(pairing(outputs)).toEqual([[{ item: 2 }], [{ item: 1 }], [{ item: 0 }]]);
		expect(outputs.map((output) => output.map(action))).toEqual([
			['auto_send'],
			['human_review'],
			['escalate'],
		]);
		expect(ready.json.support).not.toHaveProperty('decision');
	});

	it('Continue on Fail: the bad item goes to Human Review with its error, paired; the others go on', async () => {
		const { outputs } = await executeNode(node, {
			continueOnFail: true,
			parameters: { allowAutoSend: true },
			items: [ready, unclassified],
		});
		expect(pairing(outputs)).toEqual([[{ item: 0 }], [{ item: 1 }], []]);
		expect(outputs[1][0].json.error).toBe(
			'support.classification is missing: put a Support Classifier before this node',
		);
	});

	it('without Continue on Fail the error is a node error naming the item', async () => {
		const error = await thrownBy(() => executeNode(node, { items: [ready, unclassified] }));
		expect(error instanceof NodeOperationError || error instanceof NodeApiError).toBe(true);
		expect((error as NodeOperationError).context.itemIndex).toBe(1);
	});

	it('Decide and Wait for Approval: notifies once, marks the items, and puts the execution to wait', async () => {
		const posts: unknown[] = [];
		const { outputs, calls } = await executeNode(node, {
			parameters: {
				operation: 'sendAndWait',
				allowAutoSend: true,
				approvalChannel: 'http',
				notifyUrl: 'http://127.0.0.1:9/approvals',
			},
			items: [ready, unsureDraft],
			context: { helpers: { httpRequest: async (request: unknown) => posts.push(request) } },
		});
		expect(posts).toHaveLength(1);
		expect(posts[0]).toMatchObject({ method: 'POST', url: 'http://127.0.0.1:9/approvals' });
		expect(calls).toEqual([
			{ method: 'setMetadata', args: [{ forwardAllOutputs: true }] },
			{ method: 'putExecutionToWait', args: [WAIT_INDEFINITELY] },
		]);
		expect(pairing(outputs)).toEqual([[{ item: 0 }], [{ item: 1 }], []]);
		expect(outputs[1][0].json.support).toMatchObject({
			approval: { status: 'waiting', notified: 'http:http://127.0.0.1:9/approvals' },
		});
		expect(outputs[0][0].json.support).toMatchObject({ approval: { status: 'not_needed' } });
	});

	it('a wait that n8n ends without the webhook (timeout, a stalled queue job run again) sends no reply awaiting approval', async () => {
		const waitAndApprove = {
			operation: 'sendAndWait',
			allowAutoSend: true,
			approvalChannel: 'http',
			notifyUrl: 'http://127.0.0.1:9/approvals',
		};
		const helpers = { httpRequest: async () => undefined };
		// n8n 2.x passes every output of the stored entry on: the unanswered reply goes to Escalate.
		const v2 = await executeNode(node, {
			parameters: waitAndApprove,
			items: [ready, unsureDraft],
			context: { helpers },
		});
		expect(pairing(v2.executeData.data.main as INodeExecutionData[][])).toEqual([
			[{ item: 0 }],
			[],
			[{ item: 1 }],
		]);
		const unanswered = v2.executeData.data.main[2]![0].json.support as IDataObject;
		expect(unanswered).toMatchObject({
			approval: { status: 'no_answer' },
			decision: { action: 'escalate' },
		});
		expect((unanswered.decision as IDataObject).reasons).toContain(
			"approval-ended: n8n ended the wait without a reviewer's answer",
		);
		// n8n 1.x passes the first output on only: the email to auto-send goes, the unanswered one stops.
		const v1 = await executeNode(node, {
			parameters: waitAndApprove,
			items: [ready, unsureDraft],
			context: { helpers, setSignatureValidationRequired: () => undefined },
		});
		expect(pairing(v1.executeData.data.main as INodeExecutionData[][])).toEqual([[{ item: 0 }]]);
		expect(v1.calls.map((call) => call.method)).toEqual(['putExecutionToWait']);
	});
});
