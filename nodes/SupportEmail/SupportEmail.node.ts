import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { mailCredentialTests } from '../shared/mail-credential-tests';
import * as normalize from './actions/normalize/normalize.operation';
import * as organize from './actions/organize/organize.operation';
import { router } from './actions/router';
import * as createDraft from './actions/send/createDraft.operation';
import { providerFields } from './actions/send/fields';
import * as sendNew from './actions/send/sendNew.operation';
import * as sendReply from './actions/send/sendReply.operation';

const MAIL_OPERATIONS = ['sendReply', 'sendNew', 'createDraft', 'organize'];

export class SupportEmail implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Support Email',
		name: 'supportEmail',
		icon: { light: 'file:supportEmail.svg', dark: 'file:supportEmail.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] }}',
		description:
			'Normalise support mail from any source; send threaded replies, drafts and moves via SMTP/IMAP, SendGrid, Brevo or Gmail',
		defaults: { name: 'Support Email' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'supportImapSmtpApi',
				required: true,
				testedBy: 'supportImapSmtpConnectionTest',
				displayOptions: { show: { operation: MAIL_OPERATIONS, provider: ['smtp'] } },
			},
			{
				name: 'supportSendGridApi',
				required: true,
				displayOptions: { show: { operation: ['sendReply', 'sendNew'], provider: ['sendgrid'] } },
			},
			{
				name: 'supportBrevoApi',
				required: true,
				displayOptions: { show: { operation: ['sendReply', 'sendNew'], provider: ['brevo'] } },
			},
			{
				name: 'supportGmailOAuth2Api',
				required: true,
				displayOptions: {
					show: {
						operation: MAIL_OPERATIONS,
						provider: ['gmail'],
						gmailAuthentication: ['oAuth2'],
					},
				},
			},
			{
				name: 'supportGoogleServiceAccountApi',
				required: true,
				testedBy: 'supportGoogleServiceAccountTest',
				displayOptions: {
					show: {
						operation: MAIL_OPERATIONS,
						provider: ['gmail'],
						gmailAuthentication: ['serviceAccount'],
					},
				},
			},
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Create Draft',
						value: 'createDraft',
						description: 'Save a threaded reply as a draft for a person to send',
						action: 'Create a reply draft',
					},
					{
						name: 'Move, Label or Mark',
						value: 'organize',
						description: 'Move the inbound message, label it, or mark it read / flagged',
						action: 'Move label or mark an email',
					},
					{
						name: 'Normalize',
						value: 'normalize',
						description:
							'Parse raw MIME or the output of n8n Gmail / Email Trigger nodes into support.email',
						action: 'Normalize an email',
					},
					{
						name: 'Send New',
						value: 'sendNew',
						description: 'Send a new message (not a reply)',
						action: 'Send a new email',
					},
					{
						name: 'Send Reply',
						value: 'sendReply',
						description: 'Answer the inbound message in its thread (once per message)',
						action: 'Send a threaded reply',
					},
				],
				default: 'normalize',
			},
			...providerFields,
			...normalize.description,
			...sendReply.description,
			...sendNew.description,
			...createDraft.description,
			...organize.description,
		],
	};

	methods = {
		credentialTest: mailCredentialTests,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
