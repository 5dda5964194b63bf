import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { InputError } from '../../../../lib/errors';
import type { NormalizeSource } from '../../../../lib/email/normalize';
import { normalizeInput } from '../../../../lib/email/normalize';

const showOnlyForNormalize = { operation: ['normalize'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Input',
		name: 'source',
		type: 'options',
		displayOptions: { show: showOnlyForNormalize },
		options: [
			{
				name: 'Auto-Detect',
				value: 'auto',
				description:
					'Output of n8n Gmail, Gmail Trigger or Email Trigger (IMAP) nodes, or raw MIME in a "raw" field or a binary property',
			},
			{
				name: 'Raw MIME in a Field',
				value: 'field',
				description: 'The RFC 822 source as text (or base64) in a JSON field',
			},
			{
				name: 'Raw MIME in a Binary Property',
				value: 'binary',
				description: 'An .eml file or message/rfc822 data in a binary property',
			},
			{
				name: 'Gmail or Email Trigger Node Output',
				value: 'n8n',
				description: 'An item from n8n Gmail, Gmail Trigger or Email Trigger (IMAP) nodes',
			},
		],
		default: 'auto',
	},
	{
		displayName: 'Field Name',
		name: 'rawField',
		type: 'string',
		default: 'raw',
		required: true,
		description: 'Name of the field that holds the raw message. Use dots for nested fields.',
		displayOptions: { show: { ...showOnlyForNormalize, source: ['field'] } },
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the input binary field containing the .eml file',
		displayOptions: { show: { ...showOnlyForNormalize, source: ['binary'] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: showOnlyForNormalize },
		options: [
			{
				displayName: 'Include HTML',
				name: 'includeHtml',
				type: 'boolean',
				default: true,
				description: 'Whether to keep the HTML body in support.email.html',
			},
			{
				displayName: 'Mailbox',
				name: 'mailbox',
				type: 'string',
				default: '',
				description:
					'Mailbox or address the mail was received in, recorded as support.email.mailbox',
			},
			{
				displayName: 'Max Email Size (MB)',
				name: 'maxSizeMb',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 50,
				description: 'Larger messages are refused with a clear error instead of being parsed',
			},
			{
				displayName: 'Remove Quoted History and Signature',
				name: 'stripQuotes',
				type: 'boolean',
				default: true,
				description:
					'Whether support.email.text keeps only the new words of the message (the full body stays in support.email.fullText)',
			},
		],
	},
];

interface NormalizeOptions {
	includeHtml?: boolean;
	mailbox?: string;
	maxSizeMb?: number;
	stripQuotes?: boolean;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData,
): Promise<INodeExecutionData> {
	const source = this.getNodeParameter('source', itemIndex, 'auto') as NormalizeSource;
	const options = this.getNodeParameter('options', itemIndex, {}) as NormalizeOptions;

	const email = await normalizeInput(
		{
			json: item.json,
			binaryNames: Object.keys(item.binary ?? {}),
			binaryInfo: (name) => {
				const data = item.binary?.[name];
				return data
					? {
							mimeType: data.mimeType,
							fileName: data.fileName,
							fileSize: data.fileSize,
							bytes: data.bytes,
						}
					: undefined;
			},
			readBinary: async (name) => {
				if (!item.binary?.[name]) {
					throw new InputError(
						`The item has no binary property "${name}"`,
						`Set "Input Binary Field" to one of: ${Object.keys(item.binary ?? {}).join(', ') || '(the item has no binary data)'}.`,
					);
				}
				return await this.helpers.getBinaryDataBuffer(itemIndex, name);
			},
		},
		{
			source,
			rawField:
				source === 'field' ? (this.getNodeParameter('rawField', itemIndex) as string) : undefined,
			binaryPropertyName:
				source === 'binary'
					? (this.getNodeParameter('binaryPropertyName', itemIndex) as string)
					: undefined,
			includeHtml: options.includeHtml,
			stripQuotes: options.stripQuotes,
			mailbox: options.mailbox || undefined,
			maxBytes: Math.round((options.maxSizeMb ?? 50) * 1024 * 1024),
		},
	);

	const support = (item.json.support ?? {}) as IDataObject;
	return {
		json: { ...item.json, support: { ...support, email: email as unknown as IDataObject } },
		binary: item.binary,
	};
}
