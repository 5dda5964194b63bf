import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { mailCredentialTests } from '../shared/mail-credential-tests';
import { OUTPUT_NAMES } from './decide';
import { properties, resumeWebhooks } from './description';
import { execute } from './execute';
import { webhook } from './webhook';

/**
 * Not `usableAsTool`: n8n hands an AI agent only a tool node's first output and runs it on the agent's
 * arguments, not on a drafted support email; and an execution waiting for a reviewer cannot answer an
 * agent's tool call.
 */
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool -- a three-output, waiting router (see above)
export class SupportEscalation implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Support Escalation',
		name: 'supportEscalation',
		icon: { light: 'file:supportEscalation.svg', dark: 'file:supportEscalation.dark.svg' },
		group: ['transform'],
		// 2: the VIP, repeat-contact, sentiment and classification-confidence settings moved upstream
		// (Priority Router, Classifier); version 1 keeps them for workflows saved with it.
		version: [1, 2],
		defaultVersion: 2,
		subtitle:
			'={{ $parameter["operation"] === "sendAndWait" ? "decide, wait for approval" : "decide" }}',
		description:
			'Auto-send, human review or escalate each drafted reply, with reasons; optionally wait for a reviewer to approve, edit or reject',
		defaults: { name: 'Support Escalation' },
		inputs: [NodeConnectionTypes.Main],
		outputs: OUTPUT_NAMES.map(() => NodeConnectionTypes.Main),
		outputNames: [...OUTPUT_NAMES],
		credentials: [
			{
				name: 'supportImapSmtpApi',
				required: true,
				testedBy: 'supportImapSmtpConnectionTest',
				displayOptions: {
					show: { operation: ['sendAndWait'], approvalChannel: ['email'], provider: ['smtp'] },
				},
			},
			{
				name: 'supportSendGridApi',
				required: true,
				displayOptions: {
					show: { operation: ['sendAndWait'], approvalChannel: ['email'], provider: ['sendgrid'] },
				},
			},
			{
				name: 'supportBrevoApi',
				required: true,
				displayOptions: {
					show: { operation: ['sendAndWait'], approvalChannel: ['email'], provider: ['brevo'] },
				},
			},
			{
				name: 'supportGmailOAuth2Api',
				required: true,
				displayOptions: {
					show: {
						operation: ['sendAndWait'],
						approvalChannel: ['email'],
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
						operation: ['sendAndWait'],
						approvalChannel: ['email'],
						provider: ['gmail'],
						gmailAuthentication: ['serviceAccount'],
					},
				},
			},
		],
		webhooks: resumeWebhooks,
		properties,
	};

	methods = {
		credentialTest: mailCredentialTests,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await execute.call(this);
	}

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await webhook.call(this);
	}
}
