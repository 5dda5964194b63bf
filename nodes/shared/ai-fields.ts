import type {
	INodeCredentialDescription,
	INodeInputConfiguration,
	INodeProperties,
	INodePropertyOptions,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

/**
 * The provider part of every AI node's description (Support Classifier, Support Reply Drafter):
 * the same parameter names everywhere, so nodes/shared/providers.ts reads them for each node.
 */

/** The node's inputs: items, plus an optional n8n chat model sub-node (tried before the providers). */
export const AI_INPUTS: INodeInputConfiguration[] = [
	{ type: NodeConnectionTypes.Main },
	{
		type: NodeConnectionTypes.AiLanguageModel,
		displayName: 'Model',
		required: false,
		maxConnections: 1,
	},
];

/** The Reply Drafter's inputs: the AI inputs plus an optional retriever (n8n's vector store retrievers). */
export const DRAFTER_INPUTS: INodeInputConfiguration[] = [
	...AI_INPUTS,
	{
		type: NodeConnectionTypes.AiRetriever,
		displayName: 'Retriever',
		required: false,
		maxConnections: 1,
	},
];

/** One credential per provider, shown when that provider is selected. */
export const AI_CREDENTIALS: INodeCredentialDescription[] = [
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
];

/** The AI services; the node adds its own offline choice (value `offline`) in front. */
export const AI_PROVIDER_OPTIONS: INodePropertyOptions[] = [
	{ name: 'OpenAI', value: 'openAi' },
	{ name: 'Anthropic', value: 'anthropic' },
	{ name: 'Azure OpenAI', value: 'azureOpenAi' },
	{
		name: 'Local Model Server',
		value: 'localModel',
		description: 'Ollama, vLLM, LM Studio (OpenAI-compatible)',
	},
];

/**
 * Providers (multi-select, tried in order) and the model of each. `offline` is the node's built-in
 * last resort (the offline model for classifying, template replies for drafting).
 */
export function providerFields(
	offline: INodePropertyOptions,
	texts: { description: string; hint: string },
): INodeProperties[] {
	return [
		{
			displayName: 'Providers',
			name: 'providers',
			type: 'multiOptions',
			options: [offline, ...AI_PROVIDER_OPTIONS],
			default: ['offline'],
			description: texts.description,
			hint: texts.hint,
		},
		{
			displayName: 'OpenAI Model',
			name: 'openAiModel',
			type: 'string',
			default: 'gpt-4o-mini',
			displayOptions: { show: { providers: ['openAi'] } },
		},
		{
			displayName: 'Anthropic Model',
			name: 'anthropicModel',
			type: 'string',
			default: 'claude-haiku-4-5',
			displayOptions: { show: { providers: ['anthropic'] } },
		},
		{
			displayName: 'Azure Deployment',
			name: 'azureDeployment',
			type: 'string',
			default: '',
			required: true,
			description:
				'The deployment name in Azure OpenAI (of a model that supports structured outputs)',
			displayOptions: { show: { providers: ['azureOpenAi'] } },
		},
		{
			displayName: 'Local Model',
			name: 'localModel',
			type: 'string',
			default: 'llama3.1',
			description: 'Model name as the server knows it (e.g. llama3.1, qwen2.5:7b)',
			displayOptions: { show: { providers: ['localModel'] } },
		},
	];
}

/** Options every AI node has (under "Options"); the node passes the wording that differs. */
export const aiOptions = {
	concurrency: (description: string): INodeProperties => ({
		displayName: 'Concurrency',
		name: 'concurrency',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 64 },
		default: 5,
		description,
	}),
	maxInputChars: (description: string): INodeProperties => ({
		displayName: 'Max Input Size (Characters)',
		name: 'maxInputChars',
		type: 'number',
		typeOptions: { minValue: 500 },
		default: 8000,
		description,
	}),
	maxRetries: (): INodeProperties => ({
		displayName: 'Max Retries',
		name: 'maxRetries',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 10 },
		default: 3,
		description: 'Per provider, on rate limits (honouring Retry-After), server errors and timeouts',
	}),
	offlineFallback: (description: string): INodeProperties => ({
		displayName: 'Offline Fallback',
		name: 'offlineFallback',
		type: 'boolean',
		default: true,
		description,
	}),
	redactPersonalData: (): INodeProperties => ({
		displayName: 'Redact Personal Data',
		name: 'redactPersonalData',
		type: 'boolean',
		default: false,
		description:
			'Whether email addresses, phone, card and IBAN numbers are replaced by placeholders before text leaves this machine (and restored in the result)',
	}),
	requestsPerMinute: (): INodeProperties => ({
		displayName: 'Requests per Minute',
		name: 'requestsPerMinute',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description: 'Cap on provider calls started per minute by this node (0: no cap)',
	}),
	timeoutSeconds: (): INodeProperties => ({
		displayName: 'Timeout (Seconds)',
		name: 'timeoutSeconds',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 60,
		description: 'Per provider call',
	}),
};
