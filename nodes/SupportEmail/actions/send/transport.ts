import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { readSupport } from '../../../../lib/contract';
import type { SupportEmail } from '../../../../lib/contract';
import { InputError } from '../../../../lib/errors';
import type { OutgoingAttachment } from '../../../../lib/mail/compose';
import { MailError } from '../../../../lib/mail/errors';
import type { SendResult } from '../../../../lib/mail/providers/types';

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

/** A MailError (or anything else) as the NodeOperationError n8n shows on the canvas. */
export function nodeError(
	context: IExecuteFunctions,
	error: unknown,
	itemIndex: number,
): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	return new NodeOperationError(
		context.getNode(),
		error instanceof Error ? error.message : String(error),
		{
			itemIndex,
			description:
				error instanceof MailError || error instanceof InputError ? error.hint : undefined,
		},
	);
}
