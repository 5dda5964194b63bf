import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { SupportEmail } from '../../../../lib/email/types';
import type { OutgoingAttachment, OutgoingMessage } from '../../../../lib/mail/compose';
import {
	readImapSmtpCredentials,
	readServiceAccountCredentials,
} from '../../../../lib/mail/credentials';
import type { GmailAccess } from '../../../../lib/mail/providers/gmail';
import { oauth2Access, serviceAccountAccess } from '../../../../lib/mail/providers/gmail';
import { MailError } from '../../../../lib/mail/errors';
import { withRetry } from '../../../../lib/mail/retry';
import { sendBrevo } from '../../../../lib/mail/providers/brevo';
import { sendGmail } from '../../../../lib/mail/providers/gmail';
import { sendSendGrid } from '../../../../lib/mail/providers/sendgrid';
import { sendSmtp } from '../../../../lib/mail/providers/smtp';
import type { SendResult } from '../../../../lib/mail/providers/types';

export type Provider = 'smtp' | 'sendgrid' | 'brevo' | 'gmail';

/** The single place that reads the provider's credential and sends, with retries on 429 / 5xx. */
export async function sendWithProvider(
	context: IExecuteFunctions,
	itemIndex: number,
	message: OutgoingMessage,
): Promise<SendResult> {
	const provider = context.getNodeParameter('provider', itemIndex) as Provider;
	const send = await senderFor(context, itemIndex, provider);
	return await withRetry(async () => await send(message), { attempts: 4 });
}

async function senderFor(
	context: IExecuteFunctions,
	itemIndex: number,
	provider: Provider,
): Promise<(message: OutgoingMessage) => Promise<SendResult>> {
	switch (provider) {
		case 'smtp': {
			const credentials = readImapSmtpCredentials(
				(await context.getCredentials('supportImapSmtpApi', itemIndex)) as IDataObject,
			);
			return async (message) => await sendSmtp(credentials, message);
		}
		case 'sendgrid': {
			const data = (await context.getCredentials('supportSendGridApi', itemIndex)) as IDataObject;
			return async (message) =>
				await sendSendGrid(
					{ apiKey: String(data.apiKey), baseUrl: String(data.baseUrl ?? '') },
					message,
				);
		}
		case 'brevo': {
			const data = (await context.getCredentials('supportBrevoApi', itemIndex)) as IDataObject;
			return async (message) =>
				await sendBrevo(
					{ apiKey: String(data.apiKey), baseUrl: String(data.baseUrl ?? '') },
					message,
				);
		}
		case 'gmail': {
			const access = await gmailAccess(context, itemIndex);
			return async (message) => await sendGmail(access, message);
		}
		default:
			throw new MailError('input', `Unknown provider "${provider as string}"`);
	}
}

export async function gmailAccess(
	context: IExecuteFunctions,
	itemIndex: number,
): Promise<GmailAccess> {
	const authentication = context.getNodeParameter(
		'gmailAuthentication',
		itemIndex,
		'oAuth2',
	) as string;
	if (authentication === 'serviceAccount') {
		const data = (await context.getCredentials(
			'supportGoogleServiceAccountApi',
			itemIndex,
		)) as IDataObject;
		return await serviceAccountAccess(readServiceAccountCredentials(data));
	}
	const data = (await context.getCredentials('supportGmailOAuth2Api', itemIndex)) as IDataObject;
	return oauth2Access(data);
}

/** The address mail is sent from: the parameter, else the IMAP/SMTP user, else the service account's mailbox. */
export async function senderAddress(
	context: IExecuteFunctions,
	itemIndex: number,
): Promise<{ name: string; address: string }> {
	const configured = (context.getNodeParameter('fromEmail', itemIndex, '') as string).trim();
	const name = (context.getNodeParameter('fromName', itemIndex, '') as string).trim();
	if (configured) return { name, address: configured.toLowerCase() };
	const provider = context.getNodeParameter('provider', itemIndex) as Provider;
	if (provider === 'smtp') {
		const data = (await context.getCredentials('supportImapSmtpApi', itemIndex)) as IDataObject;
		if (String(data.user ?? '').includes('@'))
			return { name, address: String(data.user).toLowerCase() };
	}
	if (provider === 'gmail') {
		const authentication = context.getNodeParameter(
			'gmailAuthentication',
			itemIndex,
			'oAuth2',
		) as string;
		if (authentication === 'serviceAccount') {
			const data = (await context.getCredentials(
				'supportGoogleServiceAccountApi',
				itemIndex,
			)) as IDataObject;
			return { name, address: String(data.delegatedEmail).toLowerCase() };
		}
		// Gmail puts the account's own address in From when it is empty.
		return { name, address: '' };
	}
	throw new MailError(
		'input',
		'No sender address: set "From Email"',
		'SendGrid and Brevo need a verified sender address in "From Email".',
	);
}

export function supportEmailOf(item: INodeExecutionData): SupportEmail {
	const email = (item.json.support as { email?: SupportEmail } | undefined)?.email;
	if (!email || typeof email !== 'object' || !email.messageId) {
		throw new MailError(
			'input',
			'The item has no support.email to reply to',
			'Put the Support Inbox Trigger or "Support Email → Normalize" before this node, so each item carries the inbound message.',
		);
	}
	return email;
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

export function parseAddressList(value: string): Array<{ name: string; address: string }> {
	return value
		.split(/[,;]/)
		.map((part) => part.trim())
		.filter(Boolean)
		.map((part) => {
			const match = /^(.*)<([^<>]+)>\s*$/.exec(part);
			return match
				? { name: match[1].trim().replace(/^"|"$/g, ''), address: match[2].trim().toLowerCase() }
				: { name: '', address: part.toLowerCase() };
		});
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
			description: error instanceof MailError ? error.hint : undefined,
		},
	);
}
