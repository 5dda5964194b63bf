/**
 * What the Support Email operations read from and write to an item: the inbound message (via the
 * contract reader), binary attachments, and the record of what was sent or saved.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { readSupport } from '../../../lib/contract';
import type { SupportEmail } from '../../../lib/contract';
import type { OutgoingAttachment } from '../../../lib/mail/compose';
import { MailError } from '../../../lib/mail/errors';
import type { SendResult } from '../../../lib/mail/providers/types';

/** The inbound message a reply answers (or a mailbox action works on), via the contract reader. */
export function supportEmailOf(item: INodeExecutionData): SupportEmail {
	return readSupport(item.json, { required: ['email'], needs: { email: ['messageId'] } }).email;
}

/** Binary properties named in "Attachments" become attachments (a 10 MB file is fine). */
export async function attachmentsFrom(
	context: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData,
	names: string,
): Promise<OutgoingAttachment[]> {
	const list = names
		.split(',')
		.map((n) => n.trim())
		.filter(Boolean);
	const attachments: OutgoingAttachment[] = [];
	for (const name of list) {
		const binary = item.binary?.[name];
		if (!binary)
			throw new MailError(
				'input',
				`The item has no binary property "${name}" to attach`,
				`Attachments names binary properties of the item; it has: ${Object.keys(item.binary ?? {}).join(', ') || '(none)'}.`,
			);
		attachments.push({
			filename: binary.fileName ?? name,
			contentType: binary.mimeType ?? 'application/octet-stream',
			content: await context.helpers.getBinaryDataBuffer(itemIndex, name),
		});
	}
	return attachments;
}

export function withSent(
	item: INodeExecutionData,
	sent: SendResult,
	warnings: string[] = [],
): INodeExecutionData {
	const support = (item.json.support ?? {}) as IDataObject;
	const record: IDataObject = {
		provider: sent.provider,
		messageId: sent.messageId,
		providerMessageId: sent.providerMessageId,
		sentAt: sent.sentAt,
	};
	if (sent.threadId) record.threadId = sent.threadId;
	if (sent.draftId) record.draftId = sent.draftId;
	if (sent.mailbox) record.mailbox = sent.mailbox;
	if (warnings.length) record.warnings = warnings;
	return {
		json: {
			...item.json,
			support: { ...support, [sent.draftId || sent.mailbox ? 'draftSaved' : 'sent']: record },
		},
		binary: item.binary,
	};
}
