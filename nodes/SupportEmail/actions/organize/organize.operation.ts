import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { MailError } from '../../../../lib/mail/errors';
import type { OrganizeAction } from '../../../../lib/mail/imap-actions';
import { organizeImapMessage } from '../../../../lib/mail/imap-actions';
import { modifyGmailLabels } from '../../../../lib/mail/providers/gmail';
import { withRetry } from '../../../../lib/mail/retry';
import { gmailAccess, mailCredentials } from '../../../shared/mail-transport';
import { supportEmailOf } from '../items';

const show = { operation: ['organize'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Action',
		name: 'organizeAction',
		type: 'options',
		options: [
			{ name: 'Add or Remove Labels', value: 'label', description: 'Gmail labels; IMAP keywords' },
			{ name: 'Flag', value: 'flag', description: 'Star (Gmail) or \\Flagged (IMAP)' },
			{ name: 'Mark as Read', value: 'markRead' },
			{ name: 'Mark as Unread', value: 'markUnread' },
			{
				name: 'Move to Folder',
				value: 'move',
				description: 'IMAP folder; in Gmail, a label replacing Inbox',
			},
			{ name: 'Unflag', value: 'unflag' },
		],
		default: 'markRead',
		displayOptions: { show },
	},
	{
		displayName: 'Folder',
		name: 'folder',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'Support/Done',
		displayOptions: { show: { ...show, organizeAction: ['move'] } },
	},
	{
		displayName: 'Labels to Add',
		name: 'addLabels',
		type: 'string',
		default: '',
		placeholder: 'support/billing, urgent',
		description: 'Separated by commas; missing Gmail labels are created',
		displayOptions: { show: { ...show, organizeAction: ['label'] } },
	},
	{
		displayName: 'Labels to Remove',
		name: 'removeLabels',
		type: 'string',
		default: '',
		displayOptions: { show: { ...show, organizeAction: ['label'] } },
	},
];

const list = (value: string) =>
	value
		.split(',')
		.map((v) => v.trim())
		.filter(Boolean);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData,
): Promise<INodeExecutionData> {
	const email = supportEmailOf(item);
	const provider = this.getNodeParameter('provider', itemIndex) as string;
	const action = this.getNodeParameter('organizeAction', itemIndex) as OrganizeAction;
	const folder =
		action === 'move' ? (this.getNodeParameter('folder', itemIndex) as string) : undefined;
	const addLabels =
		action === 'label' ? list(this.getNodeParameter('addLabels', itemIndex, '') as string) : [];
	const removeLabels =
		action === 'label' ? list(this.getNodeParameter('removeLabels', itemIndex, '') as string) : [];
	let result: IDataObject;
	if (provider === 'gmail') {
		if (!email.providerMessageId || email.provider !== 'gmail')
			throw new MailError(
				'input',
				'The message did not come from Gmail, so Gmail cannot move or label it',
				'Choose the provider the message came from.',
			);
		const gmailMap: Record<OrganizeAction, [string[], string[]]> = {
			label: [addLabels, removeLabels],
			move: [folder ? [folder] : [], ['INBOX']],
			markRead: [[], ['UNREAD']],
			markUnread: [['UNREAD'], []],
			flag: [['STARRED'], []],
			unflag: [[], ['STARRED']],
		};
		const [add, remove] = gmailMap[action];
		const access = await gmailAccess(this, itemIndex);
		const labels = await withRetry(
			async () => await modifyGmailLabels(access, email.providerMessageId!, add, remove),
		);
		result = { provider: 'gmail', action, labels };
	} else {
		const credentials = await mailCredentials.imapSmtp(this, itemIndex);
		const done = await organizeImapMessage(
			credentials,
			{ messageId: email.messageId, mailbox: email.mailbox, uid: email.uid },
			action,
			{ folder, labels: addLabels, removeLabels },
		);
		result = {
			provider: 'imap',
			action,
			mailbox: done.mailbox,
			uid: done.uid,
			...(folder ? { movedTo: folder } : {}),
		};
	}
	const support = (item.json.support ?? {}) as IDataObject;
	return {
		json: { ...item.json, support: { ...support, organized: result } },
		binary: item.binary,
	};
}
