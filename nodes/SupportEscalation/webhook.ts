import type {
	IDataObject,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import type { ApprovalOutcome } from '../../lib/escalation';
import {
	applyOutcome,
	decisionPage,
	donePage,
	errorPage,
	parseApprovalRequest,
} from '../../lib/escalation';
import { OUTPUT_INDEX, decideAll, pendingReview, toOutputs } from './decide';
import { resumesOnFirstOutputOnly } from './execute';

/**
 * A request to one of the node's signed resume URLs (n8n checked the signature before calling this).
 * GET shows a page with a confirm button; POST approves, edits or rejects and resumes the execution.
 * The items are this node's input again (the previous node's output in this execution), decided again
 * with the same settings at the signed decision time, so the resume sees exactly what the reviewer saw.
 */
export async function webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const req = this.getRequestObject();
	const res = this.getResponseObject();
	const query = this.getQueryData() as IDataObject;
	const wantsJson =
		/json/i.test(String(req.headers['content-type'] ?? '')) ||
		(/json/i.test(String(req.headers.accept ?? '')) &&
			!/html/i.test(String(req.headers.accept ?? '')));
	const fail = (status: number, message: string): IWebhookResponseData => {
		res.status(status);
		if (wantsJson) res.json({ error: message });
		else res.type('html').send(errorPage(message));
		return { noWebhookResponse: true };
	};

	const at = new Date(String(query.at ?? ''));
	if (Number.isNaN(at.getTime()))
		return fail(400, 'This link is incomplete: open the link from the approval request as it is.');
	const input = this.evaluateExpression(
		'{{ $($prevNode.name).all($prevNode.outputIndex, $prevNode.runIndex) }}',
		0,
	) as unknown as INodeExecutionData[];
	if (!Array.isArray(input)) return fail(500, 'The emails of this run could not be read back.');
	const items = input.map((item) => ({ json: item.json ?? {}, binary: item.binary }));

	const get = (name: string, fallback: unknown) => this.getNodeParameter(name, fallback);
	const decided = decideAll(this.getNode(), items, get, at, true);
	if (decided.pending.length === 0)
		return fail(409, 'No reply of this run awaits a review any more.');

	const parsed = parseApprovalRequest(req.method, query, this.getBodyData(), decided.pending);
	if (parsed.kind === 'invalid') return fail(parsed.status, parsed.message);
	const reviews = decided.pending.map((index) => pendingReview(index, decided.items[index].item));
	if (parsed.kind === 'page') {
		res.status(200).type('html').send(decisionPage(parsed.action, reviews));
		return { noWebhookResponse: true };
	}

	const { response } = parsed;
	const channel = this.getNodeParameter('approvalChannel', 'email') as string;
	const reviewer =
		response.reviewer ??
		(channel === 'email' ? (this.getNodeParameter('approverEmail', '') as string).trim() : '') ??
		undefined;
	const respondedAt = new Date().toISOString();
	const pending = new Set(decided.pending);
	const outcome: ApprovalOutcome = response.outcome;
	const entries = decided.items.map((entry, index) => {
		if (!pending.has(index)) {
			const support = entry.item.json.support as IDataObject | undefined;
			if (support && entry.decision) support.approval = { status: 'not_needed' };
			return entry;
		}
		const support = entry.item.json.support as IDataObject;
		support.approval = { status: 'waiting', requestedAt: at.toISOString() };
		// One edit request may change some replies and approve the rest as they are.
		const edited = response.drafts[index];
		const itemOutcome: ApprovalOutcome =
			outcome === 'edited' && edited === undefined ? 'approved' : outcome;
		const next = applyOutcome(support, itemOutcome, {
			at: respondedAt,
			by: reviewer || undefined,
			note: response.note,
			editedText: edited,
		});
		const action = (next.decision as IDataObject).action as keyof typeof OUTPUT_INDEX;
		return {
			item: { ...entry.item, json: { ...entry.item.json, support: next } },
			output: OUTPUT_INDEX[action],
		};
	});

	const outputs = toOutputs(entries);
	// n8n 1.x continues a resumed node on its first output only: rejected replies stop here there.
	const workflowData = resumesOnFirstOutputOnly(this) ? [outputs[0]] : outputs;
	const body = wantsJson
		? { outcome, emails: decided.pending.length, respondedAt }
		: donePage(outcome, decided.pending.length);
	return { webhookResponse: body, workflowData };
}
