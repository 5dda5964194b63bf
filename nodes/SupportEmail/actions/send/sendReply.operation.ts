import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { newMessageId, replyThreading } from '../../../../lib/mail/compose';
import { MailError } from '../../../../lib/mail/errors';
import { senderFields } from './fields';
import { claimOnce } from './idempotency';
import { mailNodeError } from '../../../shared/mail-errors';
import { parseAddressList, senderAddress, sendWithProvider } from '../../../shared/mail-transport';
import { attachmentsFrom, supportEmailOf, withSent } from '../items';

const show = { operation: ['sendReply'] };

export const description: INodeProperties[] = [
	...senderFields(['sendReply', 'createDraft']),
	{
		displayName: 'Reply Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 6 },
		default: '={{ $json.support.draft.text }}',
		required: true,
		description: "The body of the reply (by default the Support Reply Drafter's draft)",
		displayOptions: { show: { operation: ['sendReply', 'createDraft'] } },
	},
	{
		displayName: 'Automatic Reply',
		name: 'automatic',
		type: 'boolean',
		default: true,
		description:
			'Whether the reply goes out without a person checking it. Adds "Auto-Submitted: auto-replied" and refuses to answer automatic mail (auto-replies, bounces, lists, no-reply senders). Turn off for replies a person approved.',
		displayOptions: { show },
	},
	{
		displayName:
			'Each inbound message gets at most one reply from this workflow: a second send for the same message is refused.',
		name: 'onceNotice',
		type: 'notice',
		default: '',
		displayOptions: { show },
	},
	{
		displayName: 'Options',
		name: 'replyOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: { operation: ['sendReply', 'createDraft'] } },
		options: [
			{
				displayName: 'Attachments',
				name: 'attachments',
				type: 'string',
				default: '',
				placeholder: 'data, invoice',
				description: "Names of the item's binary properties to attach, separated by commas",
			},
			{
				displayName: 'BCC',
				name: 'bcc',
				type: 'string',
				default: '',
			},
			{
				displayName: 'CC',
				name: 'cc',
				type: 'string',
				default: '',
				description: 'More addresses to copy, separated by commas',
			},
			{
				displayName: 'HTML',
				name: 'html',
				type: 'string',
				typeOptions: { rows: 4 },
				default: '',
				description: 'An HTML version of the reply (the text stays as the plain version)',
			},
			{
				displayName: 'Reply to All',
				name: 'replyAll',
				type: 'boolean',
				default: false,
				description:
					'Whether to copy everyone the inbound message was sent to (except our own addresses)',
			},
		],
	},
];

interface ReplyOptions {
	attachments?: string;
	bcc?: string;
	cc?: string;
	html?: string;
	replyAll?: boolean;
}

export async function buildReply(
	context: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData,
) {
	const parent = supportEmailOf(item);
	const options = context.getNodeParameter('replyOptions', itemIndex, {}) as ReplyOptions;
	const text = context.getNodeParameter('text', itemIndex, '') as string;
	if (!text.trim() && !options.html)
		throw new MailError(
			'input',
			'The reply is empty',
			'Fill in "Reply Text" (by default it reads support.draft.text).',
		);
	const from = await senderAddress(context, itemIndex);
	const threading = replyThreading(parent);
	const recipient = parent.replyTo ?? parent.from;
	if (!recipient?.address)
		throw new MailError('input', 'The inbound message has no sender address to reply to');
	const own = new Set([from.address, recipient.address].filter(Boolean));
	const cc = [
		...(options.replyAll ? [...parent.to, ...parent.cc].filter((a) => !own.has(a.address)) : []),
		...parseAddressList(options.cc ?? ''),
	];
	return {
		parent,
		threading,
		message: {
			from,
			to: [recipient],
			cc,
			bcc: parseAddressList(options.bcc ?? ''),
			subject: threading.subject,
			text,
			html: options.html || undefined,
			messageId: newMessageId(from.address || recipient.address),
			inReplyTo: threading.inReplyTo,
			references: threading.references,
			threadId: threading.threadId,
			attachments: await attachmentsFrom(context, itemIndex, item, options.attachments ?? ''),
		},
	};
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData,
): Promise<INodeExecutionData> {
	const automatic = this.getNodeParameter('automatic', itemIndex, true) as boolean;
	const { parent, threading, message } = await buildReply(this, itemIndex, item);
	if (automatic && parent.autoSubmitted) {
		throw new MailError(
			'refused',
			`Not sending an automatic reply to automatic mail (${parent.autoSubmittedReason ?? 'auto-submitted'} from ${parent.from.address})`,
			'RFC 3834: robots must not answer robots (that is how mail loops start). Route such mail elsewhere, or turn off "Automatic Reply" for a reply a person approved.',
		);
	}
	const claim = await claimOnce(this, `reply:${parent.messageId}`, {
		message: `A reply to ${parent.messageId} ("${parent.subject}") was already sent by this workflow; a second reply is refused`,
		hint: 'Each inbound message gets one reply. To write to the customer again, use the "Send New" operation.',
	});
	try {
		const sent = await sendWithProvider(this, itemIndex, { ...message, automatic });
		return withSent(item, sent, threading.warnings);
	} catch (error) {
		await claim.release();
		throw mailNodeError(this.getNode(), error, itemIndex);
	}
}
