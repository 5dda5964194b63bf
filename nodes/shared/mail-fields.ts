import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

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
