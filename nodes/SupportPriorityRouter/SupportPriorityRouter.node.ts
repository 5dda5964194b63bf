import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { OUTPUTS_EXPRESSION } from './outputs';
import { properties } from './description';
import { execute } from './execute';

/**
 * Not `usableAsTool`: the node's job is routing items to four outputs by priority. n8n runs a tool
 * node with the agent's arguments as its only item (no support.classification) and hands the agent
 * only the first output (n8n-core mapResult: `result[0]`), so an agent would see Urgent items and
 * nothing else. The rules and SLA policies are canvas configuration, not something for an agent.
 */
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool -- a four-output router (see above)
export class SupportPriorityRouter implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Support Priority Router',
		name: 'supportPriorityRouter',
		icon: { light: 'file:supportPriorityRouter.svg', dark: 'file:supportPriorityRouter.dark.svg' },
		group: ['transform'],
		// 2: Business Hours in one collection; Customer Tier, Previous Contacts and Single Output under Options.
		version: [1, 2],
		defaultVersion: 2,
		subtitle:
			'={{ $parameter.options && $parameter.options.singleOutput ? "one output" : "Urgent / High / Normal / Low" }}',
		description:
			'Priority (urgent, high, normal, low) and SLA due times of a support email from rules and its classification; one output per priority',
		defaults: { name: 'Support Priority Router' },
		inputs: [NodeConnectionTypes.Main],
		outputs: OUTPUTS_EXPRESSION,
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await execute.call(this);
	}
}
