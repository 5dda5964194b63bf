import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { properties } from './description';
import { execute } from './execute';
import { OUTPUTS_EXPRESSION } from './outputs';

export class SupportClassifier implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Support Classifier',
		name: 'supportClassifier',
		icon: { light: 'file:supportClassifier.svg', dark: 'file:supportClassifier.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ ($parameter["providers"] || []).join(" → ") }}',
		usableAsTool: true,
		description:
			'Category, intent, sentiment, urgency, language, entities and summary of a support email in one call, and routing by category',
		defaults: { name: 'Support Classifier' },
		inputs: [
			{ type: NodeConnectionTypes.Main },
			{
				type: NodeConnectionTypes.AiLanguageModel,
				displayName: 'Model',
				required: false,
				maxConnections: 1,
			},
		],
		outputs: OUTPUTS_EXPRESSION,
		credentials: [
			{
				name: 'supportEmailOpenAiApi',
				required: true,
				displayOptions: { show: { providers: ['openAi'] } },
			},
			{
				name: 'supportEmailAnthropicApi',
				required: true,
				displayOptions: { show: { providers: ['anthropic'] } },
			},
			{
				name: 'supportEmailAzureOpenAiApi',
				required: true,
				displayOptions: { show: { providers: ['azureOpenAi'] } },
			},
			{
				name: 'supportEmailLocalModelApi',
				required: true,
				displayOptions: { show: { providers: ['localModel'] } },
			},
		],
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await execute.call(this);
	}
}
