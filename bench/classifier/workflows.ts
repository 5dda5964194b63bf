/**
 * The two workflows under test. Both start the same way (the harness's Webhook and Split Out feed
 * the raw emails to our Support Email → Normalize node), so the only difference is the analysis:
 *
 * - ours:   Normalize → Support Classifier (provider OpenAI through our credential, at its defaults)
 * - n8n's:  Normalize → Text Classifier, Sentiment Analysis and Information Extractor side by side,
 *           each with its own OpenAI Chat Model sub-node. Each node gets all emails in one run
 *           (chained, the category and sentiment outputs would split them into several smaller runs,
 *           and the Information Extractor's output drops the input item).
 */
import { DEFAULT_CATEGORIES } from '../../lib/classify/categories';
import type { Connections, Workflow, WorkflowNode } from '../../test/harness/n8n';

export const PACKAGE = 'n8n-nodes-support-email';
export const LANGCHAIN = '@n8n/n8n-nodes-langchain';
export const MODEL = 'gpt-4o-mini';

export const NODE = {
	normalize: 'Support Email',
	ours: 'Support Classifier',
	textClassifier: 'Text Classifier',
	sentiment: 'Sentiment Analysis',
	extractor: 'Information Extractor',
} as const;

type Credential = { id: string; name: string };

/** The text n8n's nodes read: what our node puts in its prompt (sender, subject, clean text). */
const EMAIL_TEXT =
	'=From: {{ $json.support.email.from.name }} <{{ $json.support.email.from.address }}>\n' +
	'Subject: {{ $json.support.email.subject }}\n\n{{ $json.support.email.text }}';

const normalize: WorkflowNode = {
	name: NODE.normalize,
	type: `${PACKAGE}.supportEmail`,
	typeVersion: 1,
	position: [0, 0],
	parameters: { operation: 'normalize', source: 'field', rawField: 'raw' },
};

/** Normalize → Support Classifier; `concurrency` undefined keeps the node's default (5). */
export function oursWorkflow(credential: Credential, concurrency?: number): Workflow {
	return {
		name: `bench: Support Classifier${concurrency ? ` c=${concurrency}` : ''}`,
		nodes: [
			normalize,
			{
				name: NODE.ours,
				type: `${PACKAGE}.supportClassifier`,
				typeVersion: 1,
				position: [240, 0],
				parameters: {
					providers: ['openAi'],
					openAiModel: MODEL,
					options: concurrency ? { concurrency } : {},
				},
				credentials: { supportEmailOpenAiApi: credential },
			},
		],
		connections: { [NODE.normalize]: { main: [[{ node: NODE.ours, type: 'main', index: 0 }]] } },
	};
}

/**
 * Normalize → n8n's Text Classifier + Sentiment Analysis + Information Extractor, at their latest
 * versions (1.1, 1.1, 1.2). `batchSize` undefined keeps their default (batches of 5).
 */
export function n8nWorkflow(credential: Credential, batchSize?: number): Workflow {
	const batching = batchSize ? { batching: { batchSize } } : {};
	const roots: WorkflowNode[] = [
		{
			name: NODE.textClassifier,
			type: `${LANGCHAIN}.textClassifier`,
			typeVersion: 1.1,
			position: [240, -300],
			parameters: {
				inputText: EMAIL_TEXT,
				categories: {
					categories: DEFAULT_CATEGORIES.map((c) => ({
						category: c.name,
						description: c.description ?? '',
					})),
				},
				// The counterpart of our "Unsure" output; the default ("discard") silently drops an item.
				options: { fallback: 'other', ...batching },
			},
		},
		{
			name: NODE.sentiment,
			type: `${LANGCHAIN}.sentimentAnalysis`,
			typeVersion: 1.1,
			position: [240, 0],
			parameters: {
				inputText: EMAIL_TEXT,
				// Categories default to "Positive, Neutral, Negative", as ours; the score is ours too.
				options: { includeDetailedResults: true, ...batching },
			},
		},
		{
			name: NODE.extractor,
			type: `${LANGCHAIN}.informationExtractor`,
			typeVersion: 1.2,
			position: [240, 300],
			parameters: {
				text: EMAIL_TEXT,
				schemaType: 'fromAttributes',
				attributes: { attributes: EXTRACTED_ATTRIBUTES },
				options: { ...batching },
			},
		},
	];
	const models: WorkflowNode[] = roots.map((root, index) => ({
		name: `OpenAI Chat Model ${index + 1}`,
		type: `${LANGCHAIN}.lmChatOpenAi`,
		typeVersion: 1.2,
		position: [240, root.position![1] + 160] as [number, number],
		parameters: { model: { __rl: true, mode: 'id', value: MODEL }, options: {} },
		credentials: { openAiApi: credential },
	}));
	const connections: Connections = {
		[NODE.normalize]: {
			main: [roots.map((root) => ({ node: root.name, type: 'main', index: 0 }))],
		},
	};
	models.forEach((model, index) => {
		connections[model.name] = {
			ai_languageModel: [[{ node: roots[index].name, type: 'ai_languageModel', index: 0 }]],
		};
	});
	return {
		name: `bench: n8n Text Classifier + Sentiment + Extractor${batchSize ? ` b=${batchSize}` : ''}`,
		nodes: [normalize, ...roots, ...models],
		connections,
	};
}

/** What our node extracts beyond category and sentiment, as Information Extractor attributes. */
export const EXTRACTED_ATTRIBUTES = [
	attr('intent', 'What the customer wants, as a short snake_case phrase', true),
	attr(
		'urgency',
		'One of low, normal, high, critical. critical = outage, security incident, legal threat or safety; high = customer blocked, angry or facing a deadline; low = thanks or information only; otherwise normal',
		true,
	),
	attr('language', 'ISO 639-1 code of the customer text', true),
	attr('orderId', 'Order number the customer mentions', false),
	attr('invoiceId', 'Invoice number the customer mentions', false),
	attr('trackingNumber', 'Parcel tracking number the customer mentions', false),
	attr('amount', 'Money amount the customer mentions, with currency', false),
	attr('product', 'Product the email is about', false),
	attr('customerName', "The customer's name", false),
	attr('summary', 'One sentence in English', true),
];

function attr(name: string, description: string, required: boolean) {
	return { name, type: 'string', description, required };
}
