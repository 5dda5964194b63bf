import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class SupportSendGridApi implements ICredentialType {
	name = 'supportSendGridApi';

	displayName = 'Support Email SendGrid API';

	icon = { light: 'file:supportSendGrid.svg', dark: 'file:supportSendGrid.dark.svg' } as const;

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
			description: 'A SendGrid API key with "Mail Send" access (Settings > API Keys)',
		},
		{
			displayName: 'API Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.sendgrid.com',
			description:
				'https://api.sendgrid.com, or https://api.eu.sendgrid.com for an EU-pinned account (or a proxy)',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
	};

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}/v3', url: '/scopes' },
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'SendGrid refused the API key: check that it was copied whole and not revoked',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'The SendGrid API key lacks permissions: give it "Mail Send" access',
				},
			},
		],
	};
}
