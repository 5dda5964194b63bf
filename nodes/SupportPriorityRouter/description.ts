import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import type { Level } from '../../lib/priority';
import { DEFAULT_TARGETS } from '../../lib/priority/sla';

const LEVEL_OPTIONS: INodePropertyOptions[] = [
	{ name: 'Urgent', value: 'urgent' },
	{ name: 'High', value: 'high' },
	{ name: 'Normal', value: 'normal' },
	{ name: 'Low', value: 'low' },
];

const MAPPED_LEVEL_OPTIONS: INodePropertyOptions[] = [
	...LEVEL_OPTIONS,
	{ name: 'No Effect', value: 'none' },
];

function levelField(defaultLevel: string, description: string): INodeProperties {
	return {
		displayName: 'Priority',
		name: 'level',
		type: 'options',
		options: LEVEL_OPTIONS,
		default: defaultLevel,
		description,
	};
}

function urgencyField(urgency: string, defaultLevel: string): INodeProperties {
	return {
		displayName: `Urgency "${urgency}" Gives`,
		name: urgency,
		type: 'options',
		options: MAPPED_LEVEL_OPTIONS,
		default: defaultLevel,
	};
}

/** One SLA target field; its default is the library's (DEFAULT_TARGETS, in minutes). */
function hoursField(level: Level, kind: 'firstResponse' | 'resolution') {
	const label = level[0].toUpperCase() + level.slice(1);
	return {
		displayName: `${label}: ${kind === 'firstResponse' ? 'First Response' : 'Resolution'} (Hours)`,
		name: `${level}${kind === 'firstResponse' ? 'FirstResponse' : 'Resolution'}`,
		type: 'number' as const,
		typeOptions: { minValue: 0, numberPrecision: 2 },
		default: DEFAULT_TARGETS[level][kind] / 60,
	};
}

export const DEFAULT_KEYWORDS =
	'outage, down for everyone, hacked, data breach, fraud, chargeback, unauthorized charge, lawyer, legal action';

/**
 * The business-hours settings, defined once: version 1 shows them at the top level ("Business Hours:
 * …"), version 2 inside the Business Hours collection (in alphabetical order, as n8n lists options).
 */
export const BUSINESS_HOURS_FIELDS: INodeProperties[] = [
	{
		displayName: 'Extra Closed Days',
		name: 'customHolidays',
		placeholder: 'Add Closed Day',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		options: [
			{
				name: 'day',
				displayName: 'Closed Day',
				values: [
					{
						displayName: 'Date',
						name: 'date',
						type: 'string',
						default: '',
						placeholder: '2026-12-24 or 12-31',
						description: 'YYYY-MM-DD for one day, MM-DD for that day every year',
					},
					{ displayName: 'Name', name: 'name', type: 'string', default: '' },
				],
			},
		],
	},
	{
		displayName: 'Holiday Types',
		name: 'holidayTypes',
		type: 'multiOptions',
		options: [
			{ name: 'Bank Holidays', value: 'bank' },
			{ name: 'Observances', value: 'observance' },
			{ name: 'Optional Holidays', value: 'optional' },
			{ name: 'Public Holidays', value: 'public' },
			{ name: 'School Holidays', value: 'school' },
		],
		default: ['public'],
		description:
			'Which of the country’s holidays close the calendar. Some bank holidays are half days (e.g. 24 December from 14:00 in Germany).',
	},
	{
		displayName: 'Holidays (Country)',
		name: 'holidays',
		type: 'string',
		default: '',
		placeholder: 'US, GB-ENG, DE-BY',
		description:
			'Public holidays of a country, optionally a state and region (ISO codes, from the date-holidays library), closed all day. Empty for none.',
	},
	{
		displayName: 'Time Zone',
		name: 'timeZone',
		type: 'string',
		default: '',
		placeholder: 'Europe/Berlin',
		description:
			'An IANA time zone name for the opening hours and holidays. Empty: the workflow’s time zone (Workflow Settings, else the n8n instance’s).',
	},
	{
		displayName: 'Weekly Hours',
		name: 'weeklyHours',
		placeholder: 'Add Opening Hours',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: { hours: [{ day: 'weekdays', start: '09:00', end: '17:00' }] },
		description:
			'When the team works, in the time zone above. Several entries per day are fine (e.g. a lunch break); an end before the start runs past midnight.',
		options: [
			{
				name: 'hours',
				displayName: 'Opening Hours',
				values: [
					{
						displayName: 'Day',
						name: 'day',
						type: 'options',
						options: [
							{ name: 'Every Day', value: 'everyDay' },
							{ name: 'Friday', value: 'friday' },
							{ name: 'Monday', value: 'monday' },
							{ name: 'Saturday', value: 'saturday' },
							{ name: 'Sunday', value: 'sunday' },
							{ name: 'Thursday', value: 'thursday' },
							{ name: 'Tuesday', value: 'tuesday' },
							{ name: 'Wednesday', value: 'wednesday' },
							{ name: 'Weekdays (Mon–Fri)', value: 'weekdays' },
							{ name: 'Weekend (Sat–Sun)', value: 'weekend' },
						],
						default: 'weekdays',
					},
					{
						displayName: 'From',
						name: 'start',
						type: 'string',
						default: '09:00',
						placeholder: '09:00',
						description: 'HH:mm, 24-hour clock',
					},
					{
						displayName: 'To',
						name: 'end',
						type: 'string',
						default: '17:00',
						placeholder: '17:00',
						description: 'HH:mm, 24-hour clock; 24:00 for midnight',
					},
				],
			},
		],
	},
];

/** Version 1's top-level business-hours fields, in their original order. */
const V1_BUSINESS_HOURS: INodeProperties[] = [
	'timeZone',
	'weeklyHours',
	'holidays',
	'holidayTypes',
	'customHolidays',
].map((name) => {
	const field = BUSINESS_HOURS_FIELDS.find((f) => f.name === name)!;
	return {
		...field,
		displayName: `Business Hours: ${field.displayName}`,
		displayOptions: {
			show: { '@version': [1] },
			...(name === 'holidayTypes' ? { hide: { holidays: [''] } } : {}),
		},
	};
});

export const properties: INodeProperties[] = [
	{
		displayName:
			'Works as dropped on the canvas. Every rule that fires proposes a priority; the highest wins (Default Priority when none fires). The first SLA policy that matches sets the due times. Items leave on the output of their priority.',
		name: 'notice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Rules',
		name: 'rules',
		placeholder: 'Add Rule',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {
			urgency: [{ critical: 'urgent', high: 'high', normal: 'none', low: 'low' }],
			keywords: [{ keywords: DEFAULT_KEYWORDS, lookIn: 'subjectAndText', level: 'high' }],
			sentiment: [{ threshold: -0.6, level: 'high' }],
			category: [{ categories: 'newsletter', level: 'low' }],
			repeatContact: [{ minContacts: 3, countThreadReplies: true, level: 'high' }],
		},
		description:
			'Reasons on the item (support.priority.reasons) say which rules fired. Remove a rule to switch it off.',
		options: [
			{
				name: 'urgency',
				displayName: 'Classifier Urgency',
				values: [
					urgencyField('critical', 'urgent'),
					urgencyField('high', 'high'),
					urgencyField('normal', 'none'),
					urgencyField('low', 'low'),
				],
			},
			{
				name: 'sender',
				displayName: 'VIP Senders',
				values: [
					{
						displayName: 'Senders',
						name: 'senders',
						type: 'string',
						typeOptions: { rows: 2 },
						default: '',
						placeholder: 'ceo@bigcustomer.com, bigcustomer.com',
						description:
							'Addresses or domains, separated by commas or new lines (or a list from an expression). A domain also matches its subdomains. Compared with support.email.from.address.',
					},
					levelField('high', 'Priority for mail from these senders'),
				],
			},
			{
				name: 'keywords',
				displayName: 'Keywords',
				values: [
					{
						displayName: 'Keywords',
						name: 'keywords',
						type: 'string',
						typeOptions: { rows: 2 },
						default: '',
						placeholder: 'outage, refund now, /order\\s+#?\\d{6}/',
						description:
							'Words or phrases separated by commas or new lines, matched as whole words, any case. A line in slashes (/…/) is a regular expression.',
					},
					{
						displayName: 'Look In',
						name: 'lookIn',
						type: 'options',
						options: [
							{ name: 'Subject and Text', value: 'subjectAndText' },
							{ name: 'Subject', value: 'subject' },
							{ name: 'Text', value: 'text' },
						],
						default: 'subjectAndText',
						description: 'The clean text of support.email (quoted history and signature removed)',
					},
					levelField('high', 'Priority when any of the keywords is found'),
				],
			},
			{
				name: 'category',
				displayName: 'Category',
				values: [
					{
						displayName: 'Categories',
						name: 'categories',
						type: 'string',
						default: '',
						placeholder: 'refund, cancellation_fee',
						description:
							'Support Classifier categories, separated by commas (built in: account, order, refund, delivery, invoice, feedback, payment, contact, shipping_address, cancellation_fee, newsletter; or your own)',
					},
					levelField('normal', 'Priority for mail in these categories'),
				],
			},
			{
				name: 'sentiment',
				displayName: 'Negative Sentiment',
				values: [
					{
						displayName: 'Score At or Below',
						name: 'threshold',
						type: 'number',
						typeOptions: { minValue: -1, maxValue: 1, numberPrecision: 2 },
						default: -0.6,
						description:
							'The sentiment score (support.classification.sentiment.score) runs from -1 (very negative) to 1',
					},
					levelField('high', 'Priority for mail this negative'),
				],
			},
			{
				name: 'tier',
				displayName: 'Customer Tier',
				values: [
					{
						displayName: 'Tiers',
						name: 'tiers',
						type: 'string',
						default: '',
						placeholder: 'enterprise, premium',
						description:
							'Values of the Customer Tier field (below), separated by commas, any case. The priority is at least this level for these tiers.',
					},
					levelField('high', 'Minimum priority for these tiers'),
				],
			},
			{
				name: 'repeatContact',
				displayName: 'Repeat Contact',
				values: [
					{
						displayName: 'Minimum Earlier Contacts',
						name: 'minContacts',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 3,
						description:
							'Fires when the customer contacted you at least this often before: the Previous Contacts field (below), plus one when the email is a reply in an existing thread',
					},
					{
						displayName: 'Count a Reply in a Thread',
						name: 'countThreadReplies',
						type: 'boolean',
						default: true,
						description:
							'Whether an email that answers an earlier message (support.email.inReplyTo or references set) counts as one earlier contact',
					},
					levelField('high', 'Priority for repeat contacts'),
				],
			},
		],
	},
	{
		displayName: 'Default Priority',
		name: 'defaultLevel',
		type: 'options',
		options: LEVEL_OPTIONS,
		default: 'normal',
		description: 'The priority when no rule fires',
	},
	{
		displayName: 'Customer Tier',
		name: 'customerTier',
		type: 'string',
		default: '',
		placeholder: '={{ $json.customer.tier }}',
		description:
			'The customer’s tier for this email (e.g. from a CRM lookup before this node), used by Customer Tier rules and SLA policies. Leave empty if you have none.',
		displayOptions: { show: { '@version': [1] } },
	},
	{
		displayName: 'Previous Contacts',
		name: 'previousContacts',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			'How often this customer contacted you before, e.g. an expression on a CRM field (a list counts its entries); used by Repeat Contact rules',
		displayOptions: { show: { '@version': [1] } },
	},
	{
		displayName: 'SLA Policies',
		name: 'slaPolicies',
		placeholder: 'Add SLA Policy',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		default: {
			policy: [
				{
					name: 'Standard',
					hours: 'business',
					urgentFirstResponse: 1,
					urgentResolution: 4,
					highFirstResponse: 4,
					highResolution: 24,
					normalFirstResponse: 8,
					normalResolution: 48,
					lowFirstResponse: 24,
					lowResolution: 120,
				},
			],
		},
		description:
			'In order: the first policy whose conditions all hold sets the due times (empty conditions match every email). If none matches, the Standard targets above apply.',
		options: [
			{
				name: 'policy',
				displayName: 'Policy',
				values: [
					{
						displayName: 'Count In',
						name: 'hours',
						type: 'options',
						options: [
							{
								name: 'Business Hours',
								value: 'business',
								description: 'Only while the Business Hours calendar is open',
							},
							{ name: 'Calendar Hours', value: 'calendar', description: 'Around the clock' },
						],
						default: 'business',
					},
					{
						displayName: 'Custom Condition',
						name: 'condition',
						type: 'boolean',
						default: true,
						description:
							'Whether the policy applies; use an expression for any other condition on the item, e.g. on a customer plan field',
					},
					{ displayName: 'Name', name: 'name', type: 'string', default: 'Standard' },
					{
						displayName: 'Only for Categories',
						name: 'categories',
						type: 'string',
						default: '',
						placeholder: 'refund, payment',
						description: 'Comma-separated; empty for any category',
					},
					{
						displayName: 'Only for Customer Tiers',
						name: 'customerTiers',
						type: 'string',
						default: '',
						placeholder: 'enterprise',
						description: 'Values of the Customer Tier field, comma-separated; empty for any',
					},
					{
						displayName: 'Only for Priorities',
						name: 'levels',
						type: 'multiOptions',
						options: LEVEL_OPTIONS,
						default: [],
						description: 'Empty for any priority',
					},
					{
						displayName: 'Only for Senders',
						name: 'senders',
						type: 'string',
						default: '',
						placeholder: 'bigcustomer.com',
						description: 'Addresses or domains, comma-separated; empty for any sender',
					},
					hoursField('urgent', 'firstResponse'),
					hoursField('urgent', 'resolution'),
					hoursField('high', 'firstResponse'),
					hoursField('high', 'resolution'),
					hoursField('normal', 'firstResponse'),
					hoursField('normal', 'resolution'),
					hoursField('low', 'firstResponse'),
					hoursField('low', 'resolution'),
				],
			},
		],
	},
	...V1_BUSINESS_HOURS,
	{
		displayName: 'Business Hours',
		name: 'businessHours',
		type: 'collection',
		placeholder: 'Set Business Hours',
		default: {},
		description:
			'When the team works, for SLA due times in business hours. Nothing set: Monday to Friday 09:00–17:00 in the workflow’s time zone, no holidays.',
		displayOptions: { show: { '@version': [{ _cnd: { gte: 2 } }] } },
		options: [...BUSINESS_HOURS_FIELDS],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Cap Auto-Submitted Mail At',
				name: 'autoSubmittedCap',
				type: 'options',
				options: [
					{ name: 'High', value: 'high' },
					{ name: 'Low', value: 'low' },
					{ name: 'No Cap', value: 'none' },
					{ name: 'Normal', value: 'normal' },
					{ name: 'Urgent', value: 'urgent' },
				],
				default: 'low',
				description:
					'Auto-replies, bounces, mailing lists and no-reply senders (support.email.autoSubmitted) never get a higher priority than this',
			},
			{
				displayName: 'Customer Tier',
				name: 'customerTier',
				type: 'string',
				default: '',
				placeholder: '={{ $json.customer.tier }}',
				description:
					'The customer’s tier for this email (e.g. from a CRM lookup before this node), used by Customer Tier rules and SLA policies',
				displayOptions: { show: { '@version': [{ _cnd: { gte: 2 } }] } },
			},
			{
				displayName: 'Previous Contacts',
				name: 'previousContacts',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					'How often this customer contacted you before, e.g. an expression on a CRM field (a list counts its entries); used by Repeat Contact rules',
				displayOptions: { show: { '@version': [{ _cnd: { gte: 2 } }] } },
			},
			{
				displayName: 'Single Output',
				name: 'singleOutput',
				type: 'boolean',
				default: false,
				description:
					'Whether every item leaves on one output (read support.priority.level after it) instead of one output per priority',
				displayOptions: { show: { '@version': [{ _cnd: { gte: 2 } }] } },
			},
			{
				displayName: 'SLA Clock Start',
				name: 'clockStart',
				type: 'string',
				default: '',
				placeholder: '={{ $json.ticket.createdAt }}',
				description:
					'When the SLA clock starts (ISO 8601 date and time). Empty: support.email.receivedAt, or now if the email has none (the reasons then say so).',
			},
		],
	},
];
