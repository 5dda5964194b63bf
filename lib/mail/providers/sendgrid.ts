import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import type { OutgoingMessage } from '../compose';
import { apiAddresses, apiHeaders } from '../compose';
import type { SendGridCredentials } from '../credentials';
import { MailError, httpProviderError } from '../errors';
import type { SendResult } from './types';

interface SendGridErrorLike {
	code?: number;
	message?: string;
	response?: { headers?: Record<string, string>; body?: unknown };
}

/** Sends through SendGrid's v3 Mail Send API (`POST /v3/mail/send`) with the official SDK. */
export async function sendSendGrid(
	credentials: SendGridCredentials,
	message: OutgoingMessage,
): Promise<SendResult> {
	const client = new Client();
	client.setApiKey(credentials.apiKey);
	client.setDefaultRequest(
		'baseUrl',
		(credentials.baseUrl || 'https://api.sendgrid.com').replace(/\/*$/, '/'),
	);
	const mail = new MailService();
	mail.setClient(client);
	mail.setTimeout(30_000);
	// SendGrid builds the MIME itself: threading headers travel as custom headers.
	const headers = apiHeaders(message, 'Message-ID');
	try {
		const [response] = await mail.send({
			...apiAddresses(message),
			subject: message.subject,
			text: message.text || undefined,
			html: message.html || undefined,
			content: !message.text && !message.html ? [{ type: 'text/plain', value: ' ' }] : undefined,
			headers,
			attachments: message.attachments?.map((a) => ({
				filename: a.filename,
				type: a.contentType,
				content: a.content.toString('base64'),
				disposition: 'attachment',
			})),
		} as Parameters<MailService['send']>[0]);
		const header = (name: string) => {
			const value = (response.headers as Record<string, unknown>)[name];
			return Array.isArray(value)
				? String(value[0])
				: value === undefined
					? undefined
					: String(value);
		};
		return {
			provider: 'sendgrid',
			messageId: message.messageId,
			providerMessageId: header('x-message-id') ?? '',
			sentAt: new Date().toISOString(),
		};
	} catch (error) {
		throw describeSendGridError(error);
	}
}

export function describeSendGridError(error: unknown): MailError {
	const e = (error ?? {}) as SendGridErrorLike;
	if (typeof e.code !== 'number' || !e.response) {
		return new MailError(
			'connection',
			`Could not reach SendGrid: ${e.message ?? String(error)}`,
			'Check the network and the "API Base URL" of the credential.',
			{
				retryable: true,
				cause: error,
			},
		);
	}
	const body = e.response.body as
		{ errors?: Array<{ message?: string; field?: string | null }> } | undefined;
	const detail = (body?.errors ?? [])
		.map((item) => (item.field ? `${item.field}: ${item.message}` : item.message))
		.filter(Boolean)
		.join('; ');
	const headers = e.response.headers ?? {};
	let retryAfter = headers['retry-after'];
	const reset = headers['x-ratelimit-reset'];
	if (!retryAfter && reset && Number(reset) > 1e9)
		retryAfter = String(Math.max(0, Number(reset) - Date.now() / 1000));
	return httpProviderError('SendGrid', e.code, detail, retryAfter);
}
