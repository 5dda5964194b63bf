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

/**
 * The credentials of the versions with the ordered Providers list (Support Classifier 2, Support Reply
 * Drafter 3). n8n shows a node's credential only by a condition on one parameter path, and "some entry
 * of a list is X" is not one: so each is offered, none is required, and the node asks for the one a
 * listed service lacks (buildProviders).
 */
export const LISTED_AI_CREDENTIALS: INodeCredentialDescription[] = AI_CREDENTIALS.map(
	({ name }) => ({ name, required: false }),
);

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

/**
 * The one provider setting of the newer versions: an ordered list the user drags into order. The
 * node's built-in answer (`offline`) is an entry like the others, last by default: above an AI
 * service it answers first and hands on only what it is unsure of. A chat model connected to the
 * Model input comes before the whole list.
 */
export function providerListField(
	offline: INodePropertyOptions,
	texts: { description: string; hint: string },
): INodeProperties {
	return {
		displayName: 'Providers',
		name: 'providers',
		type: 'fixedCollection',
		placeholder: 'Add Provider',
		typeOptions: { multipleValues: true, sortable: true },
		default: { provider: [{ kind: 'offline' }] },
		description: texts.description,
		hint: texts.hint,
		options: [
			{
				name: 'provider',
				displayName: 'Provider',
				values: [
					{
						displayName: 'Provider',
						name: 'kind',
						type: 'options',
						options: [offline, ...AI_PROVIDER_OPTIONS],
						default: 'offline',
					},
					...providerFields(offline, texts)
						.slice(1)
						.map((field) => ({
							...field,
							displayOptions: { show: { kind: field.displayOptions!.show!.providers! } },
						})),
				],
			},
		],
	};
}

/** The parameters of providerFields: the multi-select and the model of each service. */
const MULTI_SELECT_FIELDS = new Set(
	providerFields({ name: '', value: '' }, { description: '', hint: '' }).map((f) => f.name),
);

/**
 * A node's parameters with the ordered Providers list in place of the multi-select, its model
 * fields and the Offline Fallback option; every other parameter stays as it is, so the versions
 * differ in the provider fields only.
 */
export function withProviderList(
	properties: INodeProperties[],
	list: INodeProperties,
	notice: string,
): INodeProperties[] {
	return properties.flatMap((property): INodeProperties[] => {
		if (property.name === 'providers') return [list];
		if (MULTI_SELECT_FIELDS.has(property.name)) return [];
		if (property.name === 'notice') return [{ ...property, displayName: notice }];
		if (property.name === 'options' && property.type === 'collection')
			return [
				{
					...property,
					options: (property.options as INodeProperties[]).filter(
						(option) => option.name !== 'offlineFallback',
					),
				},
			];
		return [property];
	});
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
