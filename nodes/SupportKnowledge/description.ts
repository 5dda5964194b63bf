import type { INodeProperties } from 'n8n-workflow';

const knowledgeBaseField: INodeProperties = {
	displayName: 'Knowledge Base',
	name: 'knowledgeBase',
	type: 'options',
	default: 'demo',
	options: [
		{
			name: 'Built-In Demo Help Centre',
			value: 'demo',
			description:
				'The Acme demo shop’s help centre (26 articles in English, German, French and Spanish, plus past replies): for trying the node out',
		},
		{
			name: 'Your Own (Index File)',
			value: 'file',
			description:
				'Your help centre and past replies, added with "Add or Update Articles" / "Add Past Replies" / "Sync Folder" and kept in a file',
		},
	],
	description: 'Which knowledge to use',
};

/** Search and update options alike: how long one call to the embeddings node may take. */
const embeddingsTimeoutField: INodeProperties = {
	displayName: 'Embeddings Timeout (Seconds)',
	name: 'embeddingsTimeout',
	type: 'number',
	typeOptions: { minValue: 1 },
	default: 60,
	displayOptions: { show: { '/useEmbeddings': [true] } },
	description:
		'Longest wait for one call to the embeddings node (a batch of documents, or one email)',
};

/** Search and update options alike: what a failing embeddings node does to the item. */
const onEmbeddingsFailureField: INodeProperties = {
	displayName: 'On Embeddings Failure',
	name: 'onEmbeddingsFailure',
	type: 'options',
	default: 'lexical',
	displayOptions: { show: { '/useEmbeddings': [true] } },
	options: [
		{
			name: 'Go On Without Embeddings (Lexical)',
			value: 'lexical',
			description:
				'Mail keeps flowing: the search uses the offline index alone (the reason is in support.answer.reasons); updates store the documents and embed them next time',
		},
		{
			name: 'Fail',
			value: 'error',
			description: 'The item fails (with Continue on Fail it goes on with the error)',
		},
	],
	description:
		'What happens when the embeddings service fails, is too slow or does not match the knowledge base',
};

const showFile = { show: { knowledgeBase: ['file'] } };

export const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'search',
		options: [
			{
				name: 'Add or Update Articles',
				value: 'upsertArticles',
				action: 'Add or update help centre articles',
				description:
					'Each item is an article (fields, or a Markdown / HTML / text file); unchanged articles are skipped',
			},
			{
				name: 'Add Past Replies',
				value: 'upsertReplies',
				action: 'Add past resolved conversations',
				description:
					'Each item is a customer message and the reply that resolved it (fields, or a handled support item)',
			},
			{
				name: 'Delete',
				value: 'delete',
				action: 'Delete articles or past replies',
				description: 'Removes an article (every language) or a past reply by its ID',
			},
			{
				name: 'Search',
				value: 'search',
				action: 'Search knowledge for each email',
				description:
					'Finds the articles and past replies that answer each email: support.knowledge (scored) and support.answer (calibrated confidence, citation)',
			},
			{
				name: 'Sync Folder',
				value: 'syncFolder',
				action: 'Index a folder of articles',
				description:
					'Indexes every .md / .html / .txt file in a folder on the n8n host; articles whose files are gone are removed',
			},
		],
	},
	knowledgeBaseField,
	{
		displayName:
			'The index file lives in the n8n data folder (support-knowledge/NAME.json) and survives restarts. In queue mode, set Options > Index File to a path on a volume every worker mounts.',
		name: 'fileNotice',
		type: 'notice',
		default: '',
		displayOptions: showFile,
	},
	{
		displayName: 'Knowledge Base Name',
		name: 'indexName',
		type: 'string',
		default: 'help-centre',
		required: true,
		displayOptions: showFile,
		description: 'Name of the knowledge base; nodes that use the same name share it',
	},
	{
		displayName: 'Use Embeddings',
		name: 'useEmbeddings',
		type: 'boolean',
		default: false,
		displayOptions: { hide: { operation: ['delete'], '@version': [1] } },
		description:
			'Whether an n8n embeddings sub-node (Embeddings OpenAI, Ollama, ...) is connected as well: updates embed new and changed documents, and the search fuses the lexical and the embeddings rankings (finds answers worded differently, across languages)',
		hint: 'Each update sends new and changed documents to the embeddings service, each search one request per email. Answers only the embeddings find are never auto-answered offline: the answer confidence is calibrated on the lexical match.',
	},
	{
		displayName: 'Folder',
		name: 'folder',
		type: 'string',
		default: '',
		required: true,
		placeholder: '/data/help-centre',
		displayOptions: { show: { operation: ['syncFolder'], knowledgeBase: ['file'] } },
		description:
			'Folder on the n8n host with the articles: NAME.md, NAME.de.md (language before the extension), .html or .txt; front matter may set ID, title, URL and language',
	},
	{
		displayName: 'Input',
		name: 'articleInput',
		type: 'options',
		default: 'fields',
		displayOptions: { show: { operation: ['upsertArticles'], knowledgeBase: ['file'] } },
		options: [
			{
				name: 'Item Fields',
				value: 'fields',
				description:
					'Fields ID, title, text (or markdown / html), URL, language, articleId: e.g. rows of a Data Table or an HTTP Request',
			},
			{
				name: 'Binary Files',
				value: 'binary',
				description:
					'A Markdown, HTML or text file on each item (Read Files From Disk, HTTP Request)',
			},
		],
	},
	{
		displayName: 'Input',
		name: 'replyInput',
		type: 'options',
		default: 'fields',
		displayOptions: { show: { operation: ['upsertReplies'], knowledgeBase: ['file'] } },
		options: [
			{
				name: 'Item Fields',
				value: 'fields',
				description:
					'Fields customerMessage and reply (ID, subject, language optional), or handled support items (support.email and the reply in support.draft)',
			},
			{
				name: 'Mail Files (EML or Mbox)',
				value: 'mailFiles',
				description:
					'An .eml file or an mbox export of sent mail on each item: each reply and the customer message it quotes',
			},
			{
				name: 'Sent Folder (IMAP)',
				value: 'sentFolder',
				description:
					"The support mailbox's Sent folder through the IMAP / SMTP credential: each reply and the customer message it quotes (runs once, whatever the input items)",
			},
		],
	},
	{
		displayName: 'Binary Property',
		name: 'mailBinaryProperty',
		type: 'string',
		default: 'data',
		displayOptions: {
			show: { operation: ['upsertReplies'], replyInput: ['mailFiles'], knowledgeBase: ['file'] },
		},
		description: 'Name of the binary property with the .eml or mbox file',
	},
	{
		displayName: 'Sent Folder',
		name: 'sentFolder',
		type: 'string',
		default: '',
		placeholder: 'Sent',
		displayOptions: {
			show: { operation: ['upsertReplies'], replyInput: ['sentFolder'], knowledgeBase: ['file'] },
		},
		description:
			'Folder with the sent replies; empty: the folder the server marks as Sent (Gmail: "[Gmail]/Sent Mail")',
	},
	{
		displayName: 'Max Messages',
		name: 'sentLimit',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 20000 },
		default: 1000,
		displayOptions: {
			show: { operation: ['upsertReplies'], replyInput: ['sentFolder'], knowledgeBase: ['file'] },
		},
		description:
			'The newest this many sent messages are read (run it again later: unchanged replies are skipped)',
	},
	{
		displayName: 'Sent in the Last (Days)',
		name: 'sentDays',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 365,
		displayOptions: {
			show: { operation: ['upsertReplies'], replyInput: ['sentFolder'], knowledgeBase: ['file'] },
		},
		description: 'Only mail sent in this many days; 0 reads all',
	},
	{
		displayName: 'Binary Property',
		name: 'binaryProperty',
		type: 'string',
		default: 'data',
		displayOptions: {
			show: { operation: ['upsertArticles'], articleInput: ['binary'], knowledgeBase: ['file'] },
		},
		description: 'Name of the binary property with the file',
	},
	{
		displayName: 'IDs',
		name: 'ids',
		type: 'string',
		default: '',
		required: true,
		displayOptions: { show: { operation: ['delete'], knowledgeBase: ['file'] } },
		description: 'Article IDs or past-reply IDs (reply:ID), separated by commas',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: { operation: ['search'] } },
		options: [
			{
				displayName: 'Abstain Below',
				name: 'abstainBelow',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
				default: 0.5,
				description:
					'Below this calibrated confidence support.answer abstains: the reply drafter then writes no answer from knowledge',
			},
			embeddingsTimeoutField,
			{
				displayName: 'Index File',
				name: 'indexPath',
				type: 'string',
				default: '',
				placeholder: '/shared/support-knowledge/help-centre.json',
				description:
					'Path of the knowledge file instead of the default in the n8n data folder (absolute, or relative to it). Queue mode: a path every worker can read.',
			},
			{
				displayName: 'Max Results',
				name: 'maxResults',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 3,
				description: 'Most entries written to support.knowledge',
			},
			{
				displayName: 'Max Snippet Size (Characters)',
				name: 'maxSnippetChars',
				type: 'number',
				typeOptions: { minValue: 200 },
				default: 1500,
				description: 'Longer articles are cut at a paragraph',
			},
			onEmbeddingsFailureField,
			{
				displayName: 'Query',
				name: 'query',
				type: 'string',
				default: '',
				description:
					'What to search for; empty: the subject and text of support.email (the customer’s language from support.classification)',
			},
			{
				displayName: 'Search In',
				name: 'sources',
				type: 'options',
				default: 'both',
				options: [
					{ name: 'Articles and Past Replies', value: 'both' },
					{ name: 'Articles Only', value: 'article' },
					{ name: 'Past Replies Only', value: 'reply' },
				],
			},
			{
				displayName: 'Semantic Check (English)',
				name: 'semanticCheck',
				type: 'boolean',
				default: true,
				displayOptions: { hide: { '@version': [1, 1.1] } },
				description:
					'Whether English mail whose best answer has a confidence of at least 0.5 is also compared by meaning with that answer (the offline sentence encoder, no API key), which re-scores the confidence. The encoder takes up to 170 MB once loaded; such an email costs about 15 ms when its answers were seen before, a few hundred ms the first time. Not used with an Embeddings input.',
			},
		],
	},
	{
		displayName: 'Options',
		name: 'writeOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: {
			show: { operation: ['upsertArticles', 'upsertReplies', 'syncFolder', 'delete'] },
		},
		options: [
			embeddingsTimeoutField,
			{
				displayName: 'Index File',
				name: 'indexPath',
				type: 'string',
				default: '',
				placeholder: '/shared/support-knowledge/help-centre.json',
				description:
					'Path of the knowledge file instead of the default in the n8n data folder (absolute, or relative to it). Queue mode: a path every worker can read.',
			},
			onEmbeddingsFailureField,
			{
				displayName: 'Remove Articles Not in Input',
				name: 'removeMissing',
				type: 'boolean',
				default: false,
				description:
					'Whether articles that are not among this run’s items (or files) are removed, so the knowledge mirrors the help centre exactly',
			},
		],
	},
];
