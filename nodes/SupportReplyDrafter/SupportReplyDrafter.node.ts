import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { AI_CREDENTIALS, DRAFTER_INPUTS } from '../shared/ai-fields';
import { properties } from './description';
import { execute } from './execute';

export class SupportReplyDrafter implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Support Reply Drafter',
		name: 'supportReplyDrafter',
		icon: { light: 'file:supportReplyDrafter.svg', dark: 'file:supportReplyDrafter.dark.svg' },
		group: ['transform'],
		// 2: no Min Classification Confidence of its own; the Classifier's verdict (unsure) counts.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{ ($parameter["providers"] || []).join(" → ") }}',
		usableAsTool: true,
		description:
			"A reply draft in the customer's language, grounded in the knowledge on the item, with confidence and review flags",
		defaults: { name: 'Support Reply Drafter' },
		inputs: DRAFTER_INPUTS,
		outputs: [NodeConnectionTypes.Main],
		credentials: AI_CREDENTIALS,
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await execute.call(this);
	}
}
