import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError, WAIT_INDEFINITELY } from 'n8n-workflow';
import type { ApprovalUrls } from '../../lib/escalation';
import { APPROVAL_ACTIONS, applyOutcome } from '../../lib/escalation';
import { OUTPUT_INDEX, decideAll, pendingReview, toOutputs } from './decide';
import { notifyReviewers } from './notify';

const UNIT_MS: Record<string, number> = {
	seconds: 1000,
	minutes: 60_000,
	hours: 3_600_000,
	days: 86_400_000,
};

/**
 * n8n 1.x resumes a waiting node on its first output only (its disabled-node pass-through forwards
 * main[0]); n8n 2.x forwards every output (`forwardAllOutputs`). 1.x contexts still have
 * `setSignatureValidationRequired`, which 2.x removed when every resume URL became signed.
 */
export function resumesOnFirstOutputOnly(context: object): boolean {
	return (
		typeof (context as { setSignatureValidationRequired?: unknown })
			.setSignatureValidationRequired === 'function'
	);
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const now = new Date();
	const get = (name: string, fallback: unknown) => this.getNodeParameter(name, 0, fallback);
	const decided = decideAll(this.getNode(), items, get, now, this.continueOnFail());
	const operation = this.getNodeParameter('operation', 0, 'decide') as string;
	if (operation !== 'sendAndWait' || decided.pending.length === 0) return toOutputs(decided.items);

	const firstOutputOnly = resumesOnFirstOutputOnly(this);
	const limit = this.getNodeParameter('limitWaitTime', 0, false) as boolean;
	if (firstOutputOnly) {
		if (limit)
			throw new NodeOperationError(this.getNode(), '"Limit Wait Time" needs n8n 2.x', {
				description:
					'n8n 1.x passes a timed-out waiting node\'s input out of its first output (Auto Send), so the node cannot route unanswered emails to Escalate there. Turn "Limit Wait Time" off, or upgrade n8n.',
			});
		const waiting = new Set(decided.pending);
		if (
			decided.items.some(
				(entry, index) => !waiting.has(index) && entry.output !== OUTPUT_INDEX.auto_send,
			)
		)
			throw new NodeOperationError(
				this.getNode(),
				'On n8n 1.x a waiting run can only hold emails awaiting approval and emails to auto-send',
				{
					description:
						'n8n 1.x continues a resumed node on its first output only, so escalated (or failed) emails held with those awaiting approval would be lost. Put "Loop Over Items" (batch size 1) before this node, or upgrade to n8n 2.x.',
				},
			);
	}

	// Signed resume URLs (n8n's own HMAC over path and query): the decision time is signed too, so the
	// resume recomputes exactly these decisions.
	const at = now.toISOString();
	const urls = Object.fromEntries(
		APPROVAL_ACTIONS.map((action) => [action, this.getSignedResumeUrl({ action, at })]),
	) as unknown as ApprovalUrls;
	(
		this as unknown as { setSignatureValidationRequired?: () => void }
	).setSignatureValidationRequired?.();

	let waitTill = WAIT_INDEFINITELY;
	let expires: string | undefined;
	if (limit) {
		const amount = this.getNodeParameter('waitAmount', 0, 4) as number;
		const unit = this.getNodeParameter('waitUnit', 0, 'hours') as string;
		if (!(amount > 0))
			throw new NodeOperationError(this.getNode(), 'Wait Amount must be more than 0', {
				description: 'Set how long to wait for a reviewer, or turn "Limit Wait Time" off.',
			});
		waitTill = new Date(now.getTime() + amount * (UNIT_MS[unit] ?? UNIT_MS.hours));
		expires = waitTill.toISOString();
	}

	const approval: IDataObject = {
		status: 'waiting',
		requestedAt: at,
		urls: urls as unknown as IDataObject,
		...(expires ? { expiresAt: expires } : {}),
	};
	const pending = new Set(decided.pending);
	for (const [index, entry] of decided.items.entries()) {
		if (!entry.decision) continue;
		(entry.item.json.support as IDataObject).approval = pending.has(index)
			? { ...approval }
			: { status: 'not_needed' };
	}
	const reviews = decided.pending.map((index) => pendingReview(index, decided.items[index].item));
	const notified = await notifyReviewers(this, reviews, urls, expires);
	if (notified)
		for (const index of decided.pending)
			((decided.items[index].item.json.support as IDataObject).approval as IDataObject).notified =
				notified;

	// n8n can resume a waiting node without its webhook: at the end of "Limit Wait Time", and whenever
	// it runs the stored waiting execution again (a queue-mode job that a worker under load let stall
	// and another worker picked up). Then it passes the node's stored input on as its output: the
	// drafts awaiting approval, out of the first output (Auto Send), sent without anyone's yes. Store
	// instead what should leave then: never a reply awaiting approval. n8n 2.x forwards every output:
	// unanswered emails go to Escalate. n8n 1.x forwards the first output only: they stop there, and
	// the emails to auto-send (held with them) go out.
	const waitedFor = limit
		? `${this.getNodeParameter('waitAmount', 0, 4) as number} ${this.getNodeParameter('waitUnit', 0, 'hours') as string}`
		: undefined;
	const withoutAnswer = decided.items.map((entry, index) =>
		pending.has(index)
			? {
					item: {
						...entry.item,
						json: {
							...entry.item.json,
							support: applyOutcome(entry.item.json.support as IDataObject, 'no_answer', {
								at: expires ?? now.toISOString(),
								waitedFor,
							}),
						},
					},
					output: OUTPUT_INDEX.escalate,
				}
			: entry,
	);
	const stored = toOutputs(withoutAnswer);
	this.getExecuteData().data = {
		main: firstOutputOnly ? [stored[OUTPUT_INDEX.auto_send]] : stored,
	};
	if (!firstOutputOnly) this.setMetadata({ forwardAllOutputs: true } as never);

	await this.putExecutionToWait(waitTill);
	return toOutputs(decided.items);
}
