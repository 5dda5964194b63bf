import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class SupportEmailOpenAiApi implements ICredentialType {
	name = 'supportEmailOpenAiApi';

	displayName = 'Support Email: OpenAI API';

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
			displayName: 'Organization ID',
			name: 'organizationId',
			type: 'string',
			default: '',
			description: 'Only needed when your key belongs to several organizations',
		},
		{
			displayName: 'Base URL',
			name: 'url',
			type: 'string',
			default: 'https://api.openai.com/v1',
			description: 'Change only for a proxy or gateway that speaks the OpenAI API',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiKey}}',
				'OpenAI-Organization': '={{$credentials.organizationId || undefined}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.url}}', url: '/models' },
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'The API key is wrong or revoked: create a new key at platform.openai.com',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'Nothing answers at this Base URL: it should end in /v1',
				},
			},
		],
	};
}
