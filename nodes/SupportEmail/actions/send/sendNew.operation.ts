import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { newMessageId } from '../../../../lib/mail/compose';
import { MailError } from '../../../../lib/mail/errors';
import { senderFields } from './fields';
import { claimOnce } from './idempotency';
import { mailNodeError } from '../../../shared/mail-errors';
import { parseAddressList, senderAddress, sendWithProvider } from '../../../shared/mail-transport';
import { attachmentsFrom, withSent } from '../items';

const show = { operation: ['sendNew'] };

export const description: INodeProperties[] = [
	...senderFields(['sendNew']),
	{
		displayName: 'To',
		name: 'to',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'customer@example.com',
		description: 'Recipients, separated by commas',
		displayOptions: { show },
	},
	{
		displayName: 'Subject',
		name: 'subject',
		type: 'string',
		default: '',
		required: true,
		displayOptions: { show },
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 6 },
		default: '',
		required: true,
		displayOptions: { show },
	},
	{
		displayName: 'Options',
		name: 'newOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Attachments',
				name: 'attachments',
				type: 'string',
				default: '',
				description: "Names of the item's binary properties to attach, separated by commas",
			},
			{
				displayName: 'Automatic',
				name: 'automatic',
				type: 'boolean',
				default: false,
				description:
					'Whether to mark the message "Auto-Submitted: auto-generated" (a notification no one wrote)',
			},
			{ displayName: 'BCC', name: 'bcc', type: 'string', default: '' },
			{ displayName: 'CC', name: 'cc', type: 'string', default: '' },
			{ displayName: 'HTML', name: 'html', type: 'string', typeOptions: { rows: 4 }, default: '' },
			{
				displayName: 'Send Once Key',
				name: 'idempotencyKey',
				type: 'string',
				default: '',
				description:
					'When set, a second send with the same key (in this workflow) is refused, e.g. the ticket ID and the kind of notice',
			},
		],
	},
];

interface NewOptions {
	attachments?: string;
	automatic?: boolean;
	bcc?: string;
	cc?: string;
	html?: string;
	idempotencyKey?: string;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData,
): Promise<INodeExecutionData> {
	const options = this.getNodeParameter('newOptions', itemIndex, {}) as NewOptions;
	const to = parseAddressList(this.getNodeParameter('to', itemIndex) as string);
	if (!to.length) throw new MailError('input', 'No recipient: fill in "To"');
	const from = await senderAddress(this, itemIndex);
	const message = {
		from,
		to,
		cc: parseAddressList(options.cc ?? ''),
		bcc: parseAddressList(options.bcc ?? ''),
		subject: this.getNodeParameter('subject', itemIndex) as string,
		text: this.getNodeParameter('text', itemIndex) as string,
		html: options.html || undefined,
		messageId: newMessageId(from.address || to[0].address),
		headers: options.automatic ? { 'Auto-Submitted': 'auto-generated' } : undefined,
		attachments: await attachmentsFrom(this, itemIndex, item, options.attachments ?? ''),
	};
	const claim = options.idempotencyKey
		? await claimOnce(this, `new:${options.idempotencyKey}`, {
				message: `A message with the send-once key "${options.idempotencyKey}" was already sent by this workflow`,
				hint: 'Use another "Send Once Key", or leave it empty to send every time.',
			})
		: undefined;
	try {
		return withSent(item, await sendWithProvider(this, itemIndex, message));
	} catch (error) {
		await claim?.release();
		throw mailNodeError(this.getNode(), error, itemIndex);
	}
}
