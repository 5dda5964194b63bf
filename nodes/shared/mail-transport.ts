/**
 * The mail transport of every node: the one place that reads the mail credentials, builds Gmail
 * access (a cached service-account token, or n8n's own OAuth2 requests) and sends through the
 * chosen provider (SMTP, SendGrid, Brevo, Gmail) with the mail layer's retries.
 */
import type {
	ICredentialDataDecryptedObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	ILoadOptionsFunctions,
	IN8nHttpFullResponse,
	ITriggerFunctions,
} from 'n8n-workflow';
import type { OutgoingMessage } from '../../lib/mail/compose';
import type {
	BrevoCredentials,
	GoogleServiceAccountCredentials,
	ImapSmtpCredentials,
	SendGridCredentials,
} from '../../lib/mail/credentials';
import {
	readApiKeyCredentials,
	readGmailOAuth2Credentials,
	readImapSmtpCredentials,
	readServiceAccountCredentials,
} from '../../lib/mail/credentials';
import { MailError } from '../../lib/mail/errors';
import type { GmailAccess } from '../../lib/mail/providers/gmail-auth';
import {
	GmailHttpError,
	requestFunctionAccess,
	serviceAccountAccess,
} from '../../lib/mail/providers/gmail-auth';
import { sendBrevo } from '../../lib/mail/providers/brevo';
import { sendGmail } from '../../lib/mail/providers/gmail';
import { sendSendGrid } from '../../lib/mail/providers/sendgrid';
import { sendSmtp } from '../../lib/mail/providers/smtp';
import type { SendResult } from '../../lib/mail/providers/types';
import { withRetry } from '../../lib/mail/retry';

export type Provider = 'smtp' | 'sendgrid' | 'brevo' | 'gmail';

/** Every node context that reaches a mailbox: actions, the inbox trigger, label lists. */
export type MailContext = IExecuteFunctions | ITriggerFunctions | ILoadOptionsFunctions;

export const MAIL_CREDENTIALS = {
	imapSmtp: 'supportImapSmtpApi',
	sendGrid: 'supportSendGridApi',
	brevo: 'supportBrevoApi',
	gmail: 'supportGmailOAuth2Api',
	googleServiceAccount: 'supportGoogleServiceAccountApi',
} as const;

/** A node parameter, read per item where the context has items (the trigger's have none). */
function parameter<T>(context: MailContext, name: string, itemIndex: number, fallback: T): T {
	if ('getInputData' in context) return context.getNodeParameter(name, itemIndex, fallback) as T;
	return (context as ITriggerFunctions).getNodeParameter(name, fallback) as T;
}

async function credentialData(
	context: MailContext,
	name: string,
	itemIndex: number,
): Promise<ICredentialDataDecryptedObject> {
	if ('getInputData' in context) return await context.getCredentials(name, itemIndex);
	return await (context as ITriggerFunctions).getCredentials(name);
}

/** The decrypted mail credentials, each read and normalised here only. */
export const mailCredentials = {
	async imapSmtp(context: MailContext, itemIndex = 0): Promise<ImapSmtpCredentials> {
		return readImapSmtpCredentials(
			await credentialData(context, MAIL_CREDENTIALS.imapSmtp, itemIndex),
		);
	},
	async sendGrid(context: MailContext, itemIndex = 0): Promise<SendGridCredentials> {
		return readApiKeyCredentials(
			await credentialData(context, MAIL_CREDENTIALS.sendGrid, itemIndex),
		);
	},
	async brevo(context: MailContext, itemIndex = 0): Promise<BrevoCredentials> {
		return readApiKeyCredentials(await credentialData(context, MAIL_CREDENTIALS.brevo, itemIndex));
	},
	/** The service account, when the node reaches Gmail through one (else undefined: OAuth2). */
	async googleServiceAccount(
		context: MailContext,
		itemIndex = 0,
	): Promise<GoogleServiceAccountCredentials | undefined> {
		if (gmailAuthentication(context, itemIndex) !== 'serviceAccount') return undefined;
		return readServiceAccountCredentials(
			await credentialData(context, MAIL_CREDENTIALS.googleServiceAccount, itemIndex),
		);
	},
};

export function gmailAuthentication(
	context: MailContext,
	itemIndex = 0,
): 'oAuth2' | 'serviceAccount' {
	return parameter<string>(context, 'gmailAuthentication', itemIndex, 'oAuth2') === 'serviceAccount'
		? 'serviceAccount'
		: 'oAuth2';
}

/**
 * Gmail for this node: with a service account, the process-wide cached token of that credential
 * (minted by google-auth-library only when missing or about to expire); with OAuth2, requests go
 * through n8n's `httpRequestWithAuthentication`, which refreshes a rejected token and stores the
 * new one with the credential, as n8n's own Gmail node does.
 */
export async function gmailAccess(context: MailContext, itemIndex = 0): Promise<GmailAccess> {
	const serviceAccount = await mailCredentials.googleServiceAccount(context, itemIndex);
	if (serviceAccount) return await serviceAccountAccess(serviceAccount);
	const oauth2 = readGmailOAuth2Credentials(
		await credentialData(context, MAIL_CREDENTIALS.gmail, itemIndex),
	);
	if (!oauth2.connected)
		throw new MailError(
			'auth',
			'The Gmail OAuth2 credential is not connected',
			'Open the credential and click "Sign in with Google".',
		);
	return requestFunctionAccess(async (request) => {
		try {
			const response = (await context.helpers.httpRequestWithAuthentication.call(
				context,
				MAIL_CREDENTIALS.gmail,
				{
					method: request.method as IHttpRequestMethods,
					url: request.url,
					headers: request.headers,
					body: request.body as object | undefined,
					json: true,
					returnFullResponse: true,
				},
			)) as IN8nHttpFullResponse;
			return {
				status: response.statusCode,
				headers: plainHeaders(response.headers),
				body: response.body,
			};
		} catch (error) {
			throw gmailHttpError(error);
		}
	}, oauth2.gmailApiUrl);
}

function plainHeaders(headers: unknown): Record<string, string> {
	const plain: Record<string, string> = {};
	if (!headers || typeof headers !== 'object') return plain;
	if (headers instanceof Headers) {
		headers.forEach((value, name) => (plain[name] = value));
		return plain;
	}
	for (const [name, value] of Object.entries(headers as Record<string, unknown>))
		if (value !== undefined && value !== null && typeof value !== 'function')
			plain[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	return plain;
}

/**
 * n8n's request error (a NodeApiError around the HTTP client's error, around the OAuth2 library's
 * refusal to renew the token, or around n8n's own verdict on the credential) as the HTTP answer it
 * was for describeGmailError, or as the MailError n8n's verdict amounts to.
 */
function gmailHttpError(error: unknown): unknown {
	const wrapped = error as { cause?: unknown; httpCode?: string | null; message?: string };
	for (const candidate of [wrapped?.cause, error]) {
		const c = candidate as
			| {
					response?: { status?: number; data?: unknown; headers?: unknown };
					status?: number;
					body?: { error?: unknown };
			  }
			| undefined;
		if (typeof c?.response?.status === 'number')
			return new GmailHttpError(wrapped.message ?? 'Gmail request failed', {
				status: c.response.status,
				data: c.response.data,
				headers: plainHeaders(c.response.headers),
			});
		if (typeof c?.body?.error === 'string')
			// The token endpoint refused to renew the token (RFC 6749 5.2).
			return new GmailHttpError(wrapped.message ?? 'Token refresh refused', {
				status: typeof c.status === 'number' ? c.status : 400,
				data: c.body,
				headers: {},
			});
	}
	const verdict = wrapped?.cause as { name?: string; message?: string; description?: string };
	if (verdict?.name === 'NodeOperationError' || verdict?.name === 'UserError')
		// n8n's own verdict on the credential (n8n 2.x: "needs to be reconnected" after a revoked grant).
		return new MailError(
			'auth',
			verdict.message ?? 'The Gmail OAuth2 credential was refused',
			verdict.description ?? 'Open the Gmail credential and sign in with Google again.',
		);
	if (wrapped?.httpCode === 'EAUTH')
		// n8n 1.x: the OAuth2 library's refusal (its code EAUTH) without the token endpoint's answer.
		return new MailError(
			'auth',
			`Google refused to renew the Gmail access token (${wrapped.message ?? 'refused'})`,
			'Open the Gmail credential and sign in with Google again (the grant was revoked or has expired).',
		);
	const status = Number(wrapped?.httpCode);
	if (Number.isInteger(status) && status >= 400)
		return new GmailHttpError(wrapped.message ?? 'Gmail request failed', {
			status,
			data: { error: { message: wrapped.message } },
			headers: {},
		});
	return error;
}

/** Sends through the node's provider, retrying 429 / 5xx / dropped connections (lib/mail/retry). */
export async function sendWithProvider(
	context: IExecuteFunctions,
	itemIndex: number,
	message: OutgoingMessage,
): Promise<SendResult> {
	const provider = context.getNodeParameter('provider', itemIndex) as Provider;
	const send = await senderFor(context, itemIndex, provider);
	return await withRetry(async () => await send(message));
}

async function senderFor(
	context: IExecuteFunctions,
	itemIndex: number,
	provider: Provider,
): Promise<(message: OutgoingMessage) => Promise<SendResult>> {
	switch (provider) {
		case 'smtp': {
			const credentials = await mailCredentials.imapSmtp(context, itemIndex);
			return async (message) => await sendSmtp(credentials, message);
		}
		case 'sendgrid': {
			const credentials = await mailCredentials.sendGrid(context, itemIndex);
			return async (message) => await sendSendGrid(credentials, message);
		}
		case 'brevo': {
			const credentials = await mailCredentials.brevo(context, itemIndex);
			return async (message) => await sendBrevo(credentials, message);
		}
		case 'gmail': {
			const access = await gmailAccess(context, itemIndex);
			return async (message) => await sendGmail(access, message);
		}
		default:
			throw new MailError('input', `Unknown provider "${provider as string}"`);
	}
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
		const { user } = await mailCredentials.imapSmtp(context, itemIndex);
		if (user.includes('@')) return { name, address: user.toLowerCase() };
	}
	if (provider === 'gmail') {
		const serviceAccount = await mailCredentials.googleServiceAccount(context, itemIndex);
		// Gmail puts the account's own address in From when it is empty (OAuth2).
		return { name, address: serviceAccount?.delegatedEmail.toLowerCase() ?? '' };
	}
	throw new MailError(
		'input',
		'No sender address: set "From Email"',
		'SendGrid and Brevo need a verified sender address in "From Email".',
	);
}

export { parseAddressList } from '../../lib/email/parse-mime';
