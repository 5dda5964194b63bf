import type { INode, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { InputError, errorMessage } from '../../lib/errors';
import { MailError } from '../../lib/mail/errors';
import { mailNodeError } from './mail-errors';

/**
 * Turns anything thrown while working on one item into the error n8n shows on the canvas: our own
 * n8n errors pass through (a NodeApiError keeps its httpCode); mail errors go through the mail
 * layer's translator; other lib/ errors keep their hint ("what to change") as the description.
 */
export function toNodeError(
	node: INode,
	error: unknown,
	itemIndex: number,
): NodeOperationError | NodeApiError {
	if (error instanceof NodeApiError || error instanceof MailError)
		return mailNodeError(node, error, itemIndex);
	if (error instanceof NodeOperationError) return error;
	return new NodeOperationError(node, errorMessage(error), {
		itemIndex,
		description: error instanceof InputError ? error.hint : undefined,
	});
}

/**
 * The item that goes on under "Continue on Fail": the input item unchanged, plus `error` (and
 * `errorDescription` when there is advice), paired with its input.
 */
export function continueOnFailItem(
	item: INodeExecutionData,
	itemIndex: number,
	nodeError: NodeOperationError | NodeApiError,
): INodeExecutionData {
	return {
		json: {
			...item.json,
			error: nodeError.message,
			...(nodeError.description ? { errorDescription: nodeError.description } : {}),
		},
		binary: item.binary,
		pairedItem: { item: itemIndex },
	};
}
