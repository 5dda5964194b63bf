import type { INodeProperties } from 'n8n-workflow';
import { DEFAULT_KNOWLEDGE_FIELD } from '../../lib/draft/knowledge';
import { DEFAULT_AUTO_ANSWER_THRESHOLD } from '../../lib/draft/offline-answer';
import {
	aiOptions,
	providerFields,
	providerListField,
	withProviderList,
} from '../shared/ai-fields';

/** The drafter's built-in answer as a provider choice. */
const BUILT_IN = {
	name: 'Built-In Templates (Offline)',
	value: 'offline',
	description:
		'No network, no key: a reply template per category in the customer’s language, always marked for review',
};

export const properties: INodeProperties[] = [
	{
		displayName:
			'Drop-in ready: with no credentials it writes a template reply per category, marked for review. A chat model connected to the Model input is tried first; then the providers below, in the order selected. Replies use only the knowledge on the item and the policies below.',
		name: 'notice',
		type: 'notice',
		default: '',
	},
	...providerFields(BUILT_IN, {
		description:
			'Tried in the order selected; if one fails (after retries and one repair try) the next answers',
		hint: 'Each email costs one call to the first provider that answers',
	}),
	{
		displayName: 'Company Name',
		name: 'companyName',
		type: 'string',
		default: '',
		placeholder: 'e.g. Acme Shop',
		description: 'Who the reply is from; used in the prompt, the templates and the signature',
	},
	{
		displayName: 'Agent Name',
		name: 'agentName',
		type: 'string',
		default: '',
		placeholder: 'e.g. Sam',
		description: 'The name the reply is signed with',
	},
	{
		displayName: 'Signature',
		name: 'signature',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		placeholder: 'Sam\nAcme Shop Customer Care\nhttps://help.acme.test',
		description:
			'Added under every reply. Empty: the agent name and the company name. Placeholders: {{agentName}}, {{companyName}}.',
	},
	{
		displayName: 'Reply Language',
		name: 'replyLanguage',
		type: 'options',
		options: [
			{
				name: "Customer's Language",
				value: 'customer',
				description:
					'The language of support.classification (else of support.email, else detected from the text)',
			},
			{ name: 'Fixed Language', value: 'fixed' },
		],
		default: 'customer',
	},
	{
		displayName: 'Language',
		name: 'language',
		type: 'string',
		default: 'en',
		placeholder: 'e.g. de',
		description: 'ISO 639-1 code of the language every reply is written in',
		displayOptions: { show: { replyLanguage: ['fixed'] } },
	},
	{
		displayName: 'Tone',
		name: 'tone',
		type: 'options',
		options: [
			{ name: 'Concise', value: 'concise' },
			{ name: 'Empathetic', value: 'empathetic' },
			{ name: 'Formal', value: 'formal' },
			{ name: 'Friendly', value: 'friendly' },
		],
		default: 'friendly',
	},
	{
		displayName: 'Knowledge Field',
		name: 'knowledgeField',
		type: 'string',
		default: DEFAULT_KNOWLEDGE_FIELD,
		description:
			'Dot path of the item field with the knowledge the reply may use: a list of snippets, each with text and optionally a title and a URL (e.g. from a help-centre search). Missing or empty: the draft is marked for review. A field set here other than the default must be on the item.',
	},
	{
		displayName: 'Policies',
		name: 'policies',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		placeholder: 'Never promise a refund over 50 EUR\nNever share another customer’s data',
		description:
			'One rule per line. The reply follows them; an email touching a policy’s topic is marked for review.',
	},
	{
		displayName: 'Reply Templates',
		name: 'templates',
		placeholder: 'Add Template',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		description:
			'Used when no AI provider answers (or none is selected), before the built-in templates (English, German, French, Spanish)',
		options: [
			{
				name: 'template',
				displayName: 'Template',
				values: [
					{
						displayName: 'Category',
						name: 'category',
						type: 'string',
						default: '',
						required: true,
						description: 'The category of support.classification, or * for any category',
					},
					{
						displayName: 'Language',
						name: 'language',
						type: 'string',
						default: '',
						description: 'ISO 639-1 code; empty: any language',
					},
					{
						displayName: 'Text',
						name: 'text',
						type: 'string',
						typeOptions: { rows: 5 },
						default: '{{greeting}}\n\n',
						description:
							'Placeholders: {{greeting}}, {{customerName}}, {{firstName}}, {{companyName}}, {{agentName}}, {{orderId}}, {{subject}}, {{category}}. The signature is added below.',
					},
				],
			},
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Answer From Knowledge Offline',
				name: 'answerFromKnowledge',
				type: 'boolean',
				default: true,
				description:
					'Whether, with no AI reply, the best article or past reply in support.knowledge answers the email (citing it) before a template is used, and a thank-you mail gets a thank-you',
			},
			{
				displayName: 'Auto-Answer Threshold',
				name: 'autoAnswerThreshold',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 3 },
				default: DEFAULT_AUTO_ANSWER_THRESHOLD,
				description:
					'An offline answer whose calibrated confidence (support.answer.confidence) is below this is marked for review, and Support Escalation auto-sends no reply resting on knowledge below it. The default comes from npm run eval:answers (README: Support Knowledge); lower it only after checking answers from your own knowledge.',
			},
			aiOptions.concurrency('Replies drafted at the same time'),
			{
				displayName: 'Instructions',
				name: 'instructions',
				type: 'string',
				typeOptions: { rows: 4 },
				default: '',
				description:
					'More instructions for the model (style, what to ask for). The grounding rules, the policies and the rule that the email is data always apply.',
			},
			{
				displayName: 'Max Knowledge Size (Characters)',
				name: 'maxKnowledgeChars',
				type: 'number',
				typeOptions: { minValue: 500 },
				default: 12000,
				description: 'Knowledge beyond this is left out of the prompt (later snippets first)',
			},
			aiOptions.maxInputChars(
				'Longer email text is cut (beginning and end kept) before it is sent to a provider',
			),
			{
				displayName: 'Max Reply Tokens',
				name: 'maxOutputTokens',
				type: 'number',
				typeOptions: { minValue: 100 },
				default: 1000,
				description: 'Upper limit of tokens the model may write per reply',
			},
			aiOptions.maxRetries(),
			{
				displayName: 'Min Classification Confidence',
				name: 'minClassificationConfidence',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
				default: 0.7,
				description: 'A classification below this (or marked unsure) marks the draft for review',
				displayOptions: { show: { '@version': [1] } },
			},
			aiOptions.offlineFallback(
				'Whether a template reply (marked for review) is written when every provider fails, so mail keeps flowing',
			),
			aiOptions.redactPersonalData(),
			aiOptions.requestsPerMinute(),
			{
				displayName: 'Review Threshold',
				name: 'reviewThreshold',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
				default: 0.7,
				description: 'A draft whose confidence is below this is marked for review',
			},
			aiOptions.timeoutSeconds(),
		],
	},
];

/**
 * Version 3: the same parameters with one ordered Providers list (the built-in replies an entry of it)
 * in place of the multi-select and the Offline Fallback option.
 */
export const propertiesV3: INodeProperties[] = withProviderList(
	properties,
	providerListField(BUILT_IN, {
		description:
			'Asked from top to bottom (drag to re-order). A provider that fails (after retries and one repair try) hands the email to the next. The Built-In Templates always answer: last, they keep mail flowing when every AI service is down; above an AI service, an answer from the knowledge that needs no review is used and the rest goes on to the service.',
		hint: 'Each email costs one call to the first AI provider that answers. Set the credential of each AI service you list.',
	}),
	'Drop-in ready: with no credentials it writes a template reply per category, marked for review. A chat model connected to the Model input is asked first; then the providers below, from top to bottom. Replies use only the knowledge on the item and the policies below.',
);
