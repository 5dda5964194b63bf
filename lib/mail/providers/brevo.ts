import { BrevoClient, BrevoError } from '@getbrevo/brevo';
import type { OutgoingMessage } from '../compose';
import { apiAddresses, apiHeaders } from '../compose';
import type { BrevoCredentials } from '../credentials';
import { MailError, httpProviderError } from '../errors';
import type { SendResult } from './types';

/** Sends through Brevo's transactional email API (`POST /v3/smtp/email`) with the official SDK. */
export async function sendBrevo(
	credentials: BrevoCredentials,
	message: OutgoingMessage,
): Promise<SendResult> {
	const client = new BrevoClient({
		apiKey: credentials.apiKey,
		baseUrl: (credentials.baseUrl || 'https://api.brevo.com/v3').replace(/\/+$/, ''),
		// Our own retry honours Retry-After and the node's idempotency; the SDK's would not.
		maxRetries: 0,
		timeoutInSeconds: 30,
	});
	const headers = apiHeaders(message, 'Message-Id');
	const { from, ...recipients } = apiAddresses(message);
	// Brevo's own idempotency: the same key within 24 h is sent once.
	headers['Idempotency-Key'] = message.messageId;
	try {
		const response = await client.transactionalEmails.sendTransacEmail({
			sender: from,
			...recipients,
			subject: message.subject,
			textContent: message.text || undefined,
			htmlContent: message.html || (message.text ? undefined : '<p></p>'),
			headers,
			attachment: message.attachments?.map((a) => ({
				name: a.filename,
				content: a.content.toString('base64'),
			})),
		});
		return {
			provider: 'brevo',
			messageId: message.messageId,
			providerMessageId: response.messageId ?? response.messageIds?.[0] ?? '',
			sentAt: new Date().toISOString(),
		};
	} catch (error) {
		throw describeBrevoError(error);
	}
}

export function describeBrevoError(error: unknown): MailError {
	if (error instanceof BrevoError && typeof error.statusCode === 'number') {
		const body = error.body as { code?: string; message?: string } | undefined;
		const detail = [body?.code, body?.message].filter(Boolean).join(': ');
		const headers = error.rawResponse?.headers;
		const retryAfter =
			headers?.get('retry-after') ?? headers?.get('x-sib-ratelimit-reset') ?? undefined;
		return httpProviderError('Brevo', error.statusCode, detail, retryAfter);
	}
	return new MailError(
		'connection',
		`Could not reach Brevo: ${(error as Error)?.message ?? String(error)}`,
		'Check the network and the "API Base URL" of the credential.',
		{
			retryable: true,
			cause: error,
		},
	);
}
