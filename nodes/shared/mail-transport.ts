/**
 * Sending through the package's mail providers (SMTP, SendGrid, Brevo, Gmail), shared by the nodes
 * that send mail (Support Email, Support Escalation): the provider's credential, the sender address
 * and address lists, read from the node's parameters.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import type { OutgoingMessage } from '../../lib/mail/compose';
import { readImapSmtpCredentials, readServiceAccountCredentials } from '../../lib/mail/credentials';
import type { GmailAccess } from '../../lib/mail/providers/gmail';
import { oauth2Access, serviceAccountAccess } from '../../lib/mail/providers/gmail';
import { MailError } from '../../lib/mail/errors';
import { withRetry } from '../../lib/mail/retry';
import { sendBrevo } from '../../lib/mail/providers/brevo';
import { sendGmail } from '../../lib/mail/providers/gmail';
import { sendSendGrid } from '../../lib/mail/providers/sendgrid';
import { sendSmtp } from '../../lib/mail/providers/smtp';
import type { SendResult } from '../../lib/mail/providers/types';

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
	const serviceAccount = await gmailServiceAccount(context, itemIndex);
	if (serviceAccount) {
		return await serviceAccountAccess(readServiceAccountCredentials(serviceAccount));
	}
	const data = (await context.getCredentials('supportGmailOAuth2Api', itemIndex)) as IDataObject;
	return oauth2Access(data);
}

/** The service account's credential data when the node reaches Gmail through one, else undefined. */
async function gmailServiceAccount(
	context: IExecuteFunctions,
	itemIndex: number,
): Promise<IDataObject | undefined> {
	const authentication = context.getNodeParameter(
		'gmailAuthentication',
		itemIndex,
		'oAuth2',
	) as string;
	if (authentication !== 'serviceAccount') return undefined;
	return (await context.getCredentials('supportGoogleServiceAccountApi', itemIndex)) as IDataObject;
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
		const serviceAccount = await gmailServiceAccount(context, itemIndex);
		if (serviceAccount) {
			return { name, address: String(serviceAccount.delegatedEmail).toLowerCase() };
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

export { parseAddressList } from '../../lib/email/parse-mime';
