import type { INodeProperties } from 'n8n-workflow';
import { gmailAuthenticationField, senderFields as sender } from '../../../shared/mail-fields';

export const SENDING_OPERATIONS = ['sendReply', 'sendNew'];
export const MAILBOX_OPERATIONS = ['createDraft', 'organize'];

/** Provider and Gmail authentication, shown for every operation that talks to a mail service. */
export const providerFields: INodeProperties[] = [
	{
		displayName: 'Provider',
		name: 'provider',
		type: 'options',
		options: [
			{
				name: 'SMTP / IMAP',
				value: 'smtp',
				description: 'Any mail server (drafts and moves over IMAP)',
			},
			{ name: 'SendGrid', value: 'sendgrid' },
			{ name: 'Brevo', value: 'brevo' },
			{ name: 'Gmail', value: 'gmail' },
		],
		default: 'smtp',
		displayOptions: { show: { operation: SENDING_OPERATIONS } },
	},
	{
		displayName: 'Provider',
		name: 'provider',
		type: 'options',
		options: [
			{ name: 'IMAP', value: 'smtp', description: 'The mailbox of an IMAP/SMTP credential' },
			{ name: 'Gmail', value: 'gmail' },
		],
		default: 'smtp',
		displayOptions: { show: { operation: MAILBOX_OPERATIONS } },
	},
	gmailAuthenticationField({
		show: { provider: ['gmail'], operation: [...SENDING_OPERATIONS, ...MAILBOX_OPERATIONS] },
	}),
];

export const senderFields = (operations: string[]): INodeProperties[] =>
	sender({ show: { operation: operations } }, 'the IMAP/SMTP user', 'Acme Support');
