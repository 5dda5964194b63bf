import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class SupportEmailAnthropicApi implements ICredentialType {
	name = 'supportEmailAnthropicApi';

	displayName = 'Support Email: Anthropic API';

	documentationUrl =
		'https://github.com/n8n-nodes-support-email/n8n-nodes-support-email#ai-providers';

	icon = { light: 'file:icons/ai.svg', dark: 'file:icons/ai.dark.svg' } as const;

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
		},
		{
			displayName: 'Base URL',
			name: 'url',
			type: 'string',
			default: 'https://api.anthropic.com',
			description: 'Change only for a proxy or gateway that speaks the Anthropic API',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: { 'x-api-key': '={{$credentials.apiKey}}', 'anthropic-version': '2023-06-01' },
		},
	};

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.url}}', url: '/v1/models' },
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'The API key is wrong or revoked: create a new key in the Anthropic console',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'Nothing answers at this Base URL (it should not end in /v1)',
				},
			},
		],
	};
}
