import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class SupportEmailAzureOpenAiApi implements ICredentialType {
	name = 'supportEmailAzureOpenAiApi';

	displayName = 'Support Email: Azure OpenAI API';

	documentationUrl =
		'https://github.com/n8n-nodes-support-email/n8n-nodes-support-email#ai-providers';

	icon = { light: 'file:icons/ai.svg', dark: 'file:icons/ai.dark.svg' } as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Endpoint',
			name: 'endpoint',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'https://my-resource.openai.azure.com',
			description: 'The resource endpoint from the Azure portal (Keys and Endpoint)',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
		},
		{
			displayName: 'API Version',
			name: 'apiVersion',
			type: 'string',
			default: '2024-10-21',
			description:
				'An Azure OpenAI API version that supports structured outputs (2024-08-01-preview or later)',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { headers: { 'api-key': '={{$credentials.apiKey}}' } },
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.endpoint.replace(/\\/+$/, "")}}',
			url: '/openai/models',
			qs: { 'api-version': '={{$credentials.apiVersion}}' },
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'The API key is wrong: copy KEY 1 or KEY 2 from the resource in the Azure portal',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'Nothing answers at this endpoint, or the API version is not supported',
				},
			},
		],
	};
}
