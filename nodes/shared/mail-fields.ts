import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

/**
 * From Email and From Name, the sender of the mail a node sends. `emptyFrom`: whose address goes
 * out when From Email is empty (before "or the Gmail mailbox"); `namePlaceholder`: a From Name.
 */
export function senderFields(
	displayOptions: IDisplayOptions,
	emptyFrom: string,
	namePlaceholder: string,
): INodeProperties[] {
	return [
		{
			displayName: 'From Email',
			name: 'fromEmail',
			type: 'string',
			default: '',
			placeholder: 'support@example.com',
			description: `Sender address. Empty: ${emptyFrom} or the Gmail mailbox. SendGrid and Brevo need a verified sender here.`,
			displayOptions,
		},
		{
			displayName: 'From Name',
			name: 'fromName',
			type: 'string',
			default: '',
			placeholder: namePlaceholder,
			displayOptions,
		},
	];
}

/** How a node reaches Gmail: a user's OAuth2 credential or a Workspace service account. */
export function gmailAuthenticationField(displayOptions: IDisplayOptions): INodeProperties {
	return {
		displayName: 'Gmail Authentication',
		name: 'gmailAuthentication',
		type: 'options',
		options: [
			{ name: 'OAuth2', value: 'oAuth2' },
			{
				name: 'Service Account (Google Workspace)',
				value: 'serviceAccount',
				description: 'Domain-wide delegation, acting as one mailbox',
			},
		],
		default: 'oAuth2',
		displayOptions,
	};
}
