import type { ICredentialType, INodeProperties } from 'n8n-workflow';

const securityOptions = [
	{ name: 'TLS', value: 'tls', description: 'Encrypted from the first byte (IMAP 993, SMTP 465)' },
	{
		name: 'STARTTLS',
		value: 'starttls',
		description: 'Plain connection upgraded to TLS; required (IMAP 143, SMTP 587)',
	},
	{
		name: 'None',
		value: 'none',
		description: 'No encryption: only for a server on the same machine or a trusted network',
	},
];

/**
 * One mailbox account: IMAP to read (Support Inbox Trigger, drafts, move / mark) and SMTP to send.
 * Tested by the nodes' `supportImapSmtpConnectionTest` (a login over IMAP and SMTP).
 */
export class SupportImapSmtpApi implements ICredentialType {
	name = 'supportImapSmtpApi';

	displayName = 'Support Email IMAP/SMTP API';

	icon = {
		light: 'file:supportImapSmtp.svg',
		dark: 'file:supportImapSmtp.dark.svg',
	} as const;

	documentationUrl =
		'https://github.com/n8n-nodes-support-email/n8n-nodes-support-email#mail-providers';

	properties: INodeProperties[] = [
		{
			displayName:
				'Gmail, Google Workspace, Outlook.com / Microsoft 365, iCloud, Yahoo and Zoho need an app password here when two-step verification is on (create one in the account security settings); the normal password is refused.',
			name: 'loginNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'support@example.com',
			description: 'Login name, usually the full email address',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'Password or app password',
		},
		{
			displayName: 'IMAP Host',
			name: 'imapHost',
			type: 'string',
			default: '',
			placeholder: 'imap.example.com',
			description: 'Leave empty when this account only sends',
		},
		{
			displayName: 'IMAP Port',
			name: 'imapPort',
			type: 'number',
			default: 993,
			description: '993 for TLS, 143 for STARTTLS',
		},
		{
			displayName: 'IMAP Security',
			name: 'imapSecurity',
			type: 'options',
			options: securityOptions,
			default: 'tls',
		},
		{
			displayName: 'SMTP Host',
			name: 'smtpHost',
			type: 'string',
			default: '',
			placeholder: 'smtp.example.com',
			description: 'Leave empty when this account only reads',
		},
		{
			displayName: 'SMTP Port',
			name: 'smtpPort',
			type: 'number',
			default: 465,
			description: '465 for TLS, 587 for STARTTLS',
		},
		{
			displayName: 'SMTP Security',
			name: 'smtpSecurity',
			type: 'options',
			options: securityOptions,
			default: 'tls',
		},
		{
			displayName: 'Ignore TLS Certificate Errors',
			name: 'ignoreTlsErrors',
			type: 'boolean',
			default: false,
			description:
				'Whether to connect even when the server certificate is self-signed or issued for another name. Only for servers you trust.',
		},
	];
}
