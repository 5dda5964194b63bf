/**
 * The one translation of mail failures into the errors n8n shows on the canvas:
 * - a `NodeApiError` (e.g. from n8n's own authenticated request) goes on as it is, `httpCode`
 *   included, with the item it failed on;
 * - a provider's HTTP answer (a MailError with a status: SendGrid, Brevo, Gmail, Google's token
 *   endpoint) becomes a `NodeApiError` with that `httpCode`, so "Retry On Fail", error workflows
 *   and the execution log see 401 / 429 / 5xx;
 * - anything else becomes a `NodeOperationError` with the item index and a description that says
 *   what to change.
 */
import type { INode } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { InputError, errorMessage } from '../../lib/errors';
import { MailError } from '../../lib/mail/errors';

export type MailNodeError = NodeApiError | NodeOperationError;

/** What to change, for a failure the mail layer did not explain itself. */
const UNEXPLAINED_HINT =
	'Check the node\'s mail credential and provider settings; "Continue On Fail" keeps the other items going.';

export function mailNodeError(node: INode, error: unknown, itemIndex?: number): MailNodeError {
	if (error instanceof NodeApiError) {
		if (itemIndex !== undefined && error.context.itemIndex === undefined)
			error.context.itemIndex = itemIndex;
		return error;
	}
	if (error instanceof NodeOperationError) return error;
	if (error instanceof MailError && error.status !== undefined) {
		return new NodeApiError(
			node,
			{ message: error.message, httpCode: String(error.status) },
			{
				message: error.message,
				description: error.hint,
				httpCode: String(error.status),
				itemIndex,
			},
		);
	}
	const explained = error instanceof MailError || error instanceof InputError;
	return new NodeOperationError(node, errorMessage(error), {
		itemIndex,
		description: explained ? error.hint : UNEXPLAINED_HINT,
	});
}
