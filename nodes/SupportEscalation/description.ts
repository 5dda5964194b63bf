import type { INodeProperties } from 'n8n-workflow';
import type { IWebhookDescription } from 'n8n-workflow';
import { SENSITIVE_TOPICS, TOPIC_LABELS } from '../../lib/escalation';
import { senderFields } from '../shared/mail-fields';

const WAIT = { operation: ['sendAndWait'] };
const EMAIL = { operation: ['sendAndWait'], approvalChannel: ['email'] };

/** A rule's choice where its mail goes: Human Review (the default) or Escalate. */
function personAction(displayName: string, name: string, description: string): INodeProperties {
	return {
		displayName,
		name,
		type: 'options',
		options: [
			{ name: 'Human Review', value: 'human_review' },
			{ name: 'Escalate', value: 'escalate' },
		],
		default: 'human_review',
		description,
	};
}

export const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Decide',
				value: 'decide',
				description: 'Route each email to Auto Send, Human Review or Escalate, with reasons',
				action: 'Decide auto send review or escalation',
			},
			{
				name: 'Decide and Wait for Approval',
				value: 'sendAndWait',
				description:
					'As Decide, then ask a reviewer (email or any channel) and wait: approve, edit or reject resumes the workflow',
				action: 'Decide and wait for approval',
			},
		],
		default: 'decide',
	},
	{
		displayName: 'Allow Auto Send',
		name: 'allowAutoSend',
		type: 'boolean',
		default: false,
		description:
			'Whether a reply may go out without a person. Even when on, only replies that pass every check go to Auto Send.',
		hint: 'Start with this off and read what goes to Human Review for a while. When on, a reply is sent without review only if no rule fires: sure classification and draft, no sensitive topic, VIP, SLA risk, injection or spoofing sign, and (for answers from the knowledge base) an answer confidence at or above the measured auto-answer threshold.',
	},
	{
		displayName: 'Require Draft',
		name: 'requireDraft',
		type: 'boolean',
		default: true,
		description:
			'Whether an item without support.draft is an error. Off: such items are decided without one (never auto-sent).',
	},
	{
		displayName:
			'VIP senders, repeat contacts and negative sentiment are set once, on the Support Priority Router: its rules that fired (support.priority.rules) send the email to a person here. Whether the classification is sure is the Support Classifier’s Confidence Threshold (support.classification.unsure).',
		name: 'upstreamRulesNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { '@version': [2] } },
	},
	{
		displayName: 'Rules',
		name: 'rules',
		type: 'collection',
		placeholder: 'Add Rule Setting',
		default: {},
		description: 'Thresholds and lists; they apply to every item of a run',
		options: [
			{
				displayName: 'Always Escalate Categories',
				name: 'escalateCategories',
				type: 'string',
				default: '',
				placeholder: 'e.g. legal, security',
				description: 'Classification categories that always escalate, separated by commas',
			},
			{
				displayName: 'Always Review Categories',
				name: 'reviewCategories',
				type: 'string',
				default: '',
				placeholder: 'e.g. refund, cancellation_fee',
				description:
					'Classification categories that always get a human review, separated by commas',
			},
			{
				displayName: 'Escalate Critical and Urgent',
				name: 'escalateCritical',
				type: 'boolean',
				default: true,
				description:
					'Whether urgency "critical" (classifier) and priority "urgent" (Priority Router) escalate',
			},
			{
				displayName: 'Escalate Topics',
				name: 'escalateTopics',
				type: 'multiOptions',
				options: SENSITIVE_TOPICS.map((topic) => ({ name: TOPIC_LABELS[topic], value: topic })),
				default: [...SENSITIVE_TOPICS],
				description:
					'Sensitive topics that escalate. Topics left out still get a human review; none is ever auto-sent.',
			},
			{
				displayName: 'Min Classification Confidence',
				name: 'minClassificationConfidence',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
				default: 0.8,
				description: 'Below this the email gets a human review',
				displayOptions: { show: { '@version': [1] } },
			},
			{
				displayName: 'Min Draft Confidence',
				name: 'minDraftConfidence',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
				default: 0.8,
				description: 'Below this the reply gets a human review',
			},
			{
				displayName: 'Negative Sentiment At',
				name: 'negativeSentimentAt',
				type: 'number',
				typeOptions: { minValue: -1, maxValue: 1, numberPrecision: 2 },
				default: -0.6,
				description: 'A sentiment score (-1 … 1) at or below this gets a human review',
				displayOptions: { show: { '@version': [1] } },
			},
			personAction(
				'Prompt Injection Action',
				'injectionAction',
				'Where mail that tries to steer the AI goes (classifier report, drafter flags, hidden HTML text, own detector). Never auto-sent.',
			),
			{
				displayName: 'Repeat Contact Threshold',
				name: 'repeatContactThreshold',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 3,
				description:
					'Earlier contacts (support.customer.previousContacts, or messages earlier in the thread) at which a person takes over',
				displayOptions: { show: { '@version': [1] } },
			},
			{
				displayName: 'SLA Risk Minutes',
				name: 'slaRiskMinutes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 60,
				description:
					'Escalate when the first response (support.priority.sla.firstResponseDue) is due within this many minutes or overdue',
			},
			personAction(
				'VIP Action',
				'vipAction',
				'Where mail from a VIP goes: a sender matched by the Support Priority Router’s VIP Senders rule (support.priority.vip)',
			),
			{
				displayName: 'VIP Senders',
				name: 'vipSenders',
				type: 'string',
				default: '',
				placeholder: 'ceo@bigclient.com, @bigclient.com',
				description:
					'Addresses or domains whose mail a person answers, separated by commas. support.customer.vip = true counts too.',
				displayOptions: { show: { '@version': [1] } },
			},
		],
	},
	{
		displayName:
			'The workflow waits here (n8n "Waiting") until a reviewer approves, edits or rejects; approved and edited replies leave by Auto Send, rejected ones by Human Review, unanswered ones by Escalate',
		name: 'waitNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: WAIT },
	},
	{
		displayName: 'Send Approval Request Via',
		name: 'approvalChannel',
		type: 'options',
		options: [
			{
				name: 'Email',
				value: 'email',
				description: 'An email with Approve, Edit and Reject links',
			},
			{
				name: 'HTTP Request',
				value: 'http',
				description:
					'POST the links as JSON to a URL (chat webhook, ticket system, another workflow)',
			},
			{
				name: 'Nothing',
				value: 'none',
				description: 'Only put the links on the waiting items (support.approval.URLs)',
			},
		],
		default: 'email',
		displayOptions: { show: WAIT },
	},
	{
		displayName: 'Approver Email',
		name: 'approverEmail',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'team-lead@example.com',
		description: 'Who gets the approval request; several addresses separated by commas',
		displayOptions: { show: EMAIL },
	},
	{
		displayName: 'Provider',
		name: 'provider',
		type: 'options',
		options: [
			{ name: 'SMTP', value: 'smtp' },
			{ name: 'SendGrid', value: 'sendgrid' },
			{ name: 'Brevo', value: 'brevo' },
			{ name: 'Gmail', value: 'gmail' },
		],
		default: 'smtp',
		displayOptions: { show: EMAIL },
	},
	{
		displayName: 'Gmail Authentication',
		name: 'gmailAuthentication',
		type: 'options',
		options: [
			{ name: 'OAuth2', value: 'oAuth2' },
			{ name: 'Service Account (Google Workspace)', value: 'serviceAccount' },
		],
		default: 'oAuth2',
		displayOptions: { show: { ...EMAIL, provider: ['gmail'] } },
	},
	...senderFields({ show: EMAIL }, 'the SMTP user', 'Support Approvals'),
	{
		displayName: 'Notify URL',
		name: 'notifyUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://hooks.example.com/approvals',
		description:
			'Gets a POST with JSON: text (a readable message), URLs {approve, edit, reject} and the replies awaiting review',
		displayOptions: { show: { operation: ['sendAndWait'], approvalChannel: ['http'] } },
	},
	{
		displayName: 'Limit Wait Time',
		name: 'limitWaitTime',
		type: 'boolean',
		default: false,
		description:
			'Whether to stop waiting after a while; unanswered emails then leave by Escalate (needs n8n 2.x)',
		displayOptions: { show: WAIT },
	},
	{
		displayName: 'Wait Amount',
		name: 'waitAmount',
		type: 'number',
		typeOptions: { minValue: 0, numberPrecision: 2 },
		default: 4,
		displayOptions: { show: { ...WAIT, limitWaitTime: [true] } },
	},
	{
		displayName: 'Wait Unit',
		name: 'waitUnit',
		type: 'options',
		options: [
			{ name: 'Seconds', value: 'seconds' },
			{ name: 'Minutes', value: 'minutes' },
			{ name: 'Hours', value: 'hours' },
			{ name: 'Days', value: 'days' },
		],
		default: 'hours',
		displayOptions: { show: { ...WAIT, limitWaitTime: [true] } },
	},
];

/**
 * The resume endpoints of "Decide and Wait for Approval", declared as n8n's own send-and-wait nodes
 * declare them (n8n-nodes-base utils/sendAndWait): /webhook-waiting/<execution>/<node id>?…&signature=…
 * They are not registered anywhere; n8n serves them only while an execution waits in this node.
 */
export const resumeWebhooks: IWebhookDescription[] = (['GET', 'POST'] as const).map(
	(httpMethod) => ({
		name: 'default',
		httpMethod,
		responseMode: 'onReceived',
		responseData: '',
		path: '={{ $nodeId }}',
		restartWebhook: true,
		isFullPath: true,
	}),
);
