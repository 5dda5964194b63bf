import type { ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

/** Read, send, draft and label: gmail.modify covers them all (no permanent deletion). */
const SCOPES = ['https://www.googleapis.com/auth/gmail.modify'];

export class SupportGmailOAuth2Api implements ICredentialType {
	name = 'supportGmailOAuth2Api';

	extends = ['googleOAuth2Api'];

	displayName = 'Support Email Gmail OAuth2 API';

	icon = { light: 'file:supportGoogle.svg', dark: 'file:supportGoogle.dark.svg' } as const;

	documentationUrl =
		'https://github.com/n8n-nodes-support-email/n8n-nodes-support-email#mail-providers';

	properties: INodeProperties[] = [
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: SCOPES.join(' '),
		},
		{
			// Shown (Google's own credential hides it) so a proxy can be named; n8n renews the token here.
			displayName: 'Token URL',
			name: 'accessTokenUrl',
			type: 'string',
			default: 'https://oauth2.googleapis.com/token',
			description:
				'Where n8n exchanges the sign-in code and renews the access token; change only to go through a proxy',
		},
		{
			displayName: 'Gmail API Base URL',
			name: 'gmailApiUrl',
			type: 'string',
			default: 'https://gmail.googleapis.com/',
			description: 'Change only to go through a proxy',
		},
	];

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.gmailApiUrl.replace(/\\/+$/, "")}}',
			url: '/gmail/v1/users/me/profile',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message:
						'Google refused access to Gmail: enable the Gmail API in the Google Cloud project and grant the gmail.modify scope',
				},
			},
		],
	};
}
