import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { AI_CREDENTIALS, AI_INPUTS } from '../shared/ai-fields';
import { properties } from './description';
import { execute } from './execute';
import { OUTPUTS_EXPRESSION } from './outputs';

export class SupportClassifier implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Support Classifier',
		name: 'supportClassifier',
		icon: { light: 'file:supportClassifier.svg', dark: 'file:supportClassifier.dark.svg' },
		group: ['transform'],
		// 2: Routing defaults to Single Output (Classified + Unsure) instead of one output per category.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{ ($parameter["providers"] || []).join(" → ") }}',
		usableAsTool: true,
		description:
			'Category, intent, sentiment, urgency, language, entities and summary of a support email in one call, and routing by category',
		defaults: { name: 'Support Classifier' },
		inputs: AI_INPUTS,
		outputs: OUTPUTS_EXPRESSION,
		credentials: AI_CREDENTIALS,
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await execute.call(this);
	}
}
