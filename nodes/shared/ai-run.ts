import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { CallLimiter, mapLimited } from '../../lib/ai';
import { continueOnFailItem, toNodeError } from './errors';
import { buildProviders } from './providers';
import type { NodeProviders } from './providers';

/**
 * What every AI node (Support Classifier, Support Reply Drafter) does around its task: find the
 * connected Model sub-node and the credentials of the providers on the node, then run the task over
 * the items with bounded concurrency (and the optional requests-per-minute cap), one try/catch per
 * item, Continue on Fail and pairedItem. The node keeps only what is its own: reading an item, the
 * lib call, and where a result goes.
 */

/** The node's provider list, the Model sub-node first; an empty list is the canvas user's error. */
export async function aiProvidersOf(
	context: IExecuteFunctions,
	timeoutMs: number,
	builtIn: string,
): Promise<NodeProviders> {
	const connectedModel = await context
		.getInputConnectionData(NodeConnectionTypes.AiLanguageModel, 0)
		.catch(() => undefined);
	const providers = await buildProviders(context, connectedModel, timeoutMs);
	if (providers.list.length === 0) {
		throw new NodeOperationError(context.getNode(), 'No provider selected', {
			description: `Select at least one provider under Providers (the ${builtIn} need${builtIn.endsWith('s') ? '' : 's'} no credentials).`,
		});
	}
	return providers;
}

export type ItemOutcome<T> =
	| { itemIndex: number; item: INodeExecutionData; value: T }
	| { itemIndex: number; item: INodeExecutionData; errorItem: INodeExecutionData };

/**
 * Runs `work` over every input item, at most `concurrency` at once, in input order. An item that
 * fails stops the node with an error naming the item, or, with Continue on Fail, comes back as the
 * input item with `error` set (the node decides on which output it goes).
 */
export async function runOverItems<T>(
	context: IExecuteFunctions,
	limits: { concurrency?: number; requestsPerMinute?: number },
	work: (item: INodeExecutionData, itemIndex: number) => Promise<T>,
): Promise<Array<ItemOutcome<T>>> {
	const items = context.getInputData();
	const limiter = new CallLimiter({
		concurrency: limits.concurrency ?? 5,
		requestsPerMinute: limits.requestsPerMinute,
	});
	const results = await mapLimited(items.length, limiter, async (itemIndex) => {
		try {
			return { value: await work(items[itemIndex], itemIndex) };
		} catch (error) {
			return { error };
		}
	});
	return results.map((result, itemIndex) => {
		const item = items[itemIndex];
		if (!('error' in result)) return { itemIndex, item, value: result.value };
		const nodeError = toNodeError(context.getNode(), result.error, itemIndex);
		if (!context.continueOnFail()) throw nodeError;
		return { itemIndex, item, errorItem: continueOnFailItem(item, itemIndex, nodeError) };
	});
}
