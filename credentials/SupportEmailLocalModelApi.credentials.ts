import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class SupportEmailLocalModelApi implements ICredentialType {
	name = 'supportEmailLocalModelApi';

	displayName = 'Support Email: Local Model Server (OpenAI-Compatible) API';

	documentationUrl =
		'https://github.com/n8n-nodes-support-email/n8n-nodes-support-email#ai-providers';

	icon = { light: 'file:icons/ai.svg', dark: 'file:icons/ai.dark.svg' } as const;

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'url',
			type: 'string',
			required: true,
			default: 'http://127.0.0.1:11434/v1',
			description:
				'The OpenAI-compatible endpoint: Ollama http://HOST:11434/v1, vLLM http://HOST:8000/v1, LM Studio http://HOST:1234/v1',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Only if the server asks for one',
		},
		{
			displayName: 'Structured Output',
			name: 'structuredMode',
			type: 'options',
			options: [
				{
					name: 'JSON Schema',
					value: 'jsonSchema',
					description: 'response_format json_schema (Ollama 0.5+, vLLM, LM Studio)',
				},
				{
					name: 'JSON Mode',
					value: 'jsonObject',
					description: 'response_format json_object; the schema goes in the prompt',
				},
				{
					name: 'Prompt Only',
					value: 'prompt',
					description: 'For servers with neither; answers are still validated',
				},
			],
			default: 'jsonSchema',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '={{$credentials.apiKey ? "Bearer " + $credentials.apiKey : undefined}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.url}}', url: '/models' },
		rules: [
			{
				type: 'responseCode',
				properties: { value: 401, message: 'The server wants an API key: set API Key' },
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
