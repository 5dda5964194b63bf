import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { continueOnFailItem } from '../../shared/errors';
import { mailNodeError } from '../../shared/mail-errors';
import * as normalize from './normalize/normalize.operation';
import * as organize from './organize/organize.operation';
import * as createDraft from './send/createDraft.operation';
import * as sendNew from './send/sendNew.operation';
import * as sendReply from './send/sendReply.operation';

type OperationHandler = (
	this: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData,
) => Promise<INodeExecutionData>;

const operations: Record<string, OperationHandler> = {
	normalize: normalize.execute,
	sendReply: sendReply.execute,
	sendNew: sendNew.execute,
	createDraft: createDraft.execute,
	organize: organize.execute,
};

/**
 * The one place that loops over items and handles errors: every output item is paired with its
 * input; a failure becomes the node error once (lib/mail's errors keep their HTTP status as
 * `httpCode`); under "Continue on Fail" a failing item goes on unchanged with `error` set.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const returnData: INodeExecutionData[] = [];

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const operation = this.getNodeParameter('operation', itemIndex) as string;
		const handler = operations[operation];
		try {
			if (!handler) {
				throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not known`, {
					itemIndex,
				});
			}
			const result = await handler.call(this, itemIndex, items[itemIndex]);
			returnData.push({ ...result, pairedItem: { item: itemIndex } });
		} catch (error) {
			const nodeError = mailNodeError(this.getNode(), error, itemIndex);
			if (this.continueOnFail()) {
				returnData.push(continueOnFailItem(items[itemIndex], itemIndex, nodeError));
				continue;
			}
			throw nodeError;
		}
	}
	return [returnData];
}
