import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class SupportBrevoApi implements ICredentialType {
	name = 'supportBrevoApi';

	displayName = 'Support Email Brevo API';

	icon = { light: 'file:supportBrevo.svg', dark: 'file:supportBrevo.dark.svg' } as const;

	documentationUrl =
		'https://github.com/n8n-nodes-support-email/n8n-nodes-support-email#mail-providers';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'A Brevo API v3 key (SMTP & API > API Keys), not the SMTP key',
		},
		{
			displayName: 'API Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.brevo.com/v3',
			description: 'Change only to go through a proxy',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { headers: { 'api-key': '={{$credentials.apiKey}}' } },
	};

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}', url: '/account' },
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						"Brevo refused the API key: use an API v3 key (not the SMTP key), and if IP blocking is on, authorise n8n's IP address in Brevo",
				},
			},
		],
	};
}
