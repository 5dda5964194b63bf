import type { INodeProperties } from 'n8n-workflow';
import {
	AI_PROVIDER_OPTIONS,
	aiOptions,
	providerFields,
	providerListField,
	withProviderList,
} from '../shared/ai-fields';

/** The classifier's providers: its built-in offline model, then the AI services. */
export const PROVIDER_OPTIONS = [
	{
		name: 'Built-In Offline Model',
		value: 'offline',
		description: 'No network, no key: runs inside n8n',
	},
	...AI_PROVIDER_OPTIONS,
];

const ROUTING_OPTIONS = [
	{
		name: 'One Output per Category',
		value: 'perCategory',
		description: 'Plus "Unsure" for answers below the confidence threshold',
	},
	{
		name: 'Single Output',
		value: 'single',
		description:
			'Every item on one output (plus "Unsure" for answers below the confidence threshold); read support.classification',
	},
];

export const properties: INodeProperties[] = [
	{
		displayName:
			'Drop-in ready: with no credentials it uses the built-in offline model. A chat model connected to the Model input is tried first; then the providers below, in the order selected.',
		name: 'notice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Text to Classify',
		name: 'textSource',
		type: 'options',
		options: [
			{
				name: 'Support Email',
				value: 'supportEmail',
				description:
					'Subject and clean text of support.email (from Support Email → Normalize or the Support Inbox Trigger)',
			},
			{ name: 'Custom', value: 'custom', description: 'Any text, e.g. an expression' },
		],
		default: 'supportEmail',
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '={{ $json.text }}',
		required: true,
		displayOptions: { show: { textSource: ['custom'] } },
	},
	...providerFields(PROVIDER_OPTIONS[0], {
		description:
			'Tried in the order selected; if one fails (after retries and one repair try) the next answers',
		hint: 'Each email costs one call to the first provider that answers',
	}),
	{
		displayName: 'Categories',
		name: 'categories',
		placeholder: 'Add Category',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		description:
			'Leave empty for the built-in support taxonomy (account, order, refund, delivery, invoice, feedback, payment, contact, shipping_address, cancellation_fee, newsletter)',
		options: [
			{
				name: 'category',
				displayName: 'Category',
				values: [
					{ displayName: 'Name', name: 'name', type: 'string', default: '', required: true },
					{
						displayName: 'Description',
						name: 'description',
						type: 'string',
						default: '',
						description: 'What belongs here; the AI reads it, and the offline model learns from it',
					},
					{
						displayName: 'Examples',
						name: 'examples',
						type: 'string',
						typeOptions: { rows: 4 },
						default: '',
						description:
							'Example messages, one per line. The offline model learns new categories from these.',
					},
				],
			},
		],
	},
	// Version 1 routes per category by default (12 outputs on drop); version 2 starts with one output
	// (propertiesV2 below).
	{
		displayName: 'Routing',
		name: 'routing',
		type: 'options',
		options: ROUTING_OPTIONS,
		default: 'perCategory',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			aiOptions.concurrency('Emails classified at the same time'),
			{
				displayName: 'Confidence Threshold',
				name: 'threshold',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
				default: 0.7,
				description:
					'Below this, the email is "unsure" and goes to the Unsure output for a human. Without this option each kind of model uses its own default: 0.7 for an AI provider (its own confidence), 0.5 for the built-in offline model (its calibrated confidence; it also sends mail that fits no category to Unsure), 0.5 for a model learned from your own categories.',
			},
			{
				displayName: 'Fields to Extract',
				name: 'fields',
				type: 'multiOptions',
				options: [
					{ name: 'Entities', value: 'entities' },
					{ name: 'Intent', value: 'intent' },
					{ name: 'Language', value: 'language' },
					{ name: 'Sentiment', value: 'sentiment' },
					{ name: 'Summary', value: 'summary' },
					{ name: 'Urgency', value: 'urgency' },
				],
				default: ['intent', 'sentiment', 'urgency', 'language', 'entities', 'summary'],
				description: 'Fewer fields: fewer output tokens. All come from the same single call.',
			},
			{
				displayName: 'Languages',
				name: 'languages',
				type: 'multiOptions',
				options: [
					{ name: 'Czech', value: 'cs' },
					{ name: 'Danish', value: 'da' },
					{ name: 'Dutch', value: 'nl' },
					{ name: 'English', value: 'en' },
					{ name: 'French', value: 'fr' },
					{ name: 'German', value: 'de' },
					{ name: 'Italian', value: 'it' },
					{ name: 'Polish', value: 'pl' },
					{ name: 'Portuguese', value: 'pt' },
					{ name: 'Spanish', value: 'es' },
					{ name: 'Swedish', value: 'sv' },
					{ name: 'Turkish', value: 'tr' },
				],
				default: [],
				description:
					'The languages your team receives: language detection picks only among these (short mail is detected far more reliably, e.g. German mentioning "DSGVO" is not taken for Esperanto). Empty: any language.',
			},
			aiOptions.maxInputChars(
				'Longer email text is cut (beginning and end kept) before it is sent to a provider',
			),
			aiOptions.maxRetries(),
			{
				displayName: 'Multi-Label',
				name: 'multiLabel',
				type: 'boolean',
				default: false,
				description:
					'Whether an email may belong to several categories (it then goes to each of their outputs)',
			},
			aiOptions.offlineFallback(
				'Whether the built-in offline model answers when every provider fails, so mail keeps flowing',
			),
			aiOptions.redactPersonalData(),
			aiOptions.requestsPerMinute(),
			{
				displayName: 'Send Unsure to Its Own Output',
				name: 'unsureOutput',
				type: 'boolean',
				default: true,
				description:
					'Whether low-confidence answers go to the Unsure output instead of their category (or instead of Classified)',
			},
			{
				displayName: 'System Prompt',
				name: 'systemPrompt',
				type: 'string',
				typeOptions: { rows: 4 },
				default: '',
				description:
					'Replaces the opening of the built-in prompt. Categories, the answer format and the rule that the email is data are always added.',
			},
			aiOptions.timeoutSeconds(),
			{
				displayName: 'Training Examples',
				name: 'trainingExamples',
				type: 'json',
				default: '[]',
				description:
					'More labelled examples for the offline model: a JSON list of {"text", "label"} objects, or an expression that returns one (e.g. from the items of an earlier node). Each label must be a category name. With the built-in categories, your examples are learned on top of the built-in ones (they extend the taxonomy, they do not replace it).',
			},
		],
	},
];

/** Version 2 only: version 1 nodes keep the word model alone, as before. */
const sentenceEncoderOption: INodeProperties = {
	displayName: 'Sentence Encoder (English)',
	name: 'sentenceEncoder',
	type: 'boolean',
	default: true,
	description:
		'Whether a model learned from categories of your own (Training Examples) also reads meaning, not only words: an English sentence encoder (Universal Sentence Encoder lite, runs inside n8n, no network) is mixed with the word model, as much as it helps on a held-out share of your examples. Most useful with few examples (BANKING77 from 10 per intent: 77% right instead of 72%). Costs about 16 ms per example when the model is learned (once per set of examples), about 23 ms per email and about 170 MB of memory. Not used with the built-in categories.',
};

/**
 * Version 2: the same parameters with one ordered Providers list (the offline model an entry of it)
 * in place of the multi-select and the Offline Fallback option.
 */
export const propertiesV2: INodeProperties[] = withProviderList(
	properties.map((property) => {
		if (property.name === 'routing') return { ...property, default: 'single' };
		if (property.name === 'options') {
			// In alphabetical order, as n8n lists a collection's options: before System Prompt.
			const options = [...(property.options as INodeProperties[])];
			options.splice(
				options.findIndex((option) => option.name === 'systemPrompt'),
				0,
				sentenceEncoderOption,
			);
			return { ...property, options };
		}
		return property;
	}),
	providerListField(PROVIDER_OPTIONS[0], {
		description:
			'Asked from top to bottom (drag to re-order). A provider that fails (after retries and one repair try) hands the email to the next. The Built-In Offline Model always answers: last, it keeps mail flowing when every AI service is down; above an AI service, it answers the emails it is sure of and hands on only the rest.',
		hint: 'Each email costs one call to the first AI provider that answers. Set the credential of each AI service you list.',
	}),
	'Drop-in ready: with no credentials it uses the built-in offline model. A chat model connected to the Model input is asked first; then the providers below, from top to bottom.',
);
