import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * A Google Workspace service account with domain-wide delegation, acting as one mailbox. Tested by
 * the nodes' `supportGoogleServiceAccountTest` (a token exchange and a Gmail profile read).
 */
export class SupportGoogleServiceAccountApi implements ICredentialType {
	name = 'supportGoogleServiceAccountApi';

	displayName = 'Support Email Google Service Account API';

	icon = { light: 'file:supportGoogle.svg', dark: 'file:supportGoogle.dark.svg' } as const;

	documentationUrl =
		'https://github.com/n8n-nodes-support-email/n8n-nodes-support-email#mail-providers';

	properties: INodeProperties[] = [
		{
			displayName:
				"In the Google Workspace admin console (Security > API controls > Domain-wide delegation), allow this service account's client ID the scope https://www.googleapis.com/auth/gmail.modify.",
			name: 'delegationNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Service Account Email',
			name: 'email',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'support-bot@my-project.iam.gserviceaccount.com',
			description: 'The "client_email" of the service account key file',
		},
		{
			displayName: 'Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			placeholder: '-----BEGIN PRIVATE KEY-----\n...',
			description: 'The "private_key" of the key file, with its BEGIN and END lines',
		},
		{
			displayName: 'Mailbox to Act As',
			name: 'delegatedEmail',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'support@example.com',
			description: 'The Workspace user whose Gmail the service account reads and sends from',
		},
		{
			displayName: 'Token URL',
			name: 'tokenUrl',
			type: 'string',
			default: 'https://oauth2.googleapis.com/token',
			description: 'The "token_uri" of the key file; change only to go through a proxy',
		},
		{
			displayName: 'Gmail API Base URL',
			name: 'gmailApiUrl',
			type: 'string',
			default: 'https://gmail.googleapis.com/',
			description: 'Change only to go through a proxy',
		},
	];
}
