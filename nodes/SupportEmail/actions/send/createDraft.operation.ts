import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { buildMime } from '../../../../lib/mail/compose';
import { appendDraft } from '../../../../lib/mail/imap-actions';
import { createGmailDraft } from '../../../../lib/mail/providers/gmail';
import { withRetry } from '../../../../lib/mail/retry';
import { buildReply } from './sendReply.operation';
import { claimOnce } from './idempotency';
import { mailNodeError } from '../../../shared/mail-errors';
import { gmailAccess, mailCredentials } from '../../../shared/mail-transport';
import { withSent } from '../items';

/** Shares the reply fields of Send Reply (From, Reply Text, Options). */
export const description: INodeProperties[] = [
	{
		displayName:
			'Saves the reply, threaded, as a draft for a person to check and send: Gmail drafts, or the Drafts folder over IMAP.',
		name: 'draftNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { operation: ['createDraft'] } },
	},
];

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData,
): Promise<INodeExecutionData> {
	const provider = this.getNodeParameter('provider', itemIndex) as string;
	const { parent, threading, message } = await buildReply(this, itemIndex, item);
	const claim = await claimOnce(this, `draft:${parent.messageId}`, {
		message: `A draft reply to ${parent.messageId} ("${parent.subject}") was already created by this workflow`,
		hint: 'Each inbound message gets one draft. Edit the existing draft in the mailbox.',
	});
	try {
		if (provider === 'gmail') {
			const access = await gmailAccess(this, itemIndex);
			const saved = await withRetry(async () => await createGmailDraft(access, message));
			return withSent(item, saved, threading.warnings);
		}
		const credentials = await mailCredentials.imapSmtp(this, itemIndex);
		const stored = await appendDraft(credentials, await buildMime(message));
		return withSent(
			item,
			{
				provider: 'imap',
				messageId: message.messageId,
				providerMessageId: stored.uid ? String(stored.uid) : '',
				mailbox: stored.mailbox,
				sentAt: new Date().toISOString(),
			},
			threading.warnings,
		);
	} catch (error) {
		await claim.release();
		throw mailNodeError(this.getNode(), error, itemIndex);
	}
}
