import type { OutgoingMessage } from '../compose';
import { buildMime } from '../compose';
import type { GoogleServiceAccountCredentials } from '../credentials';
import { MailError, httpProviderError } from '../errors';
import type { GmailAccess } from './gmail-auth';
import { serviceAccountAccess } from './gmail-auth';
import type { SendResult } from './types';

export type { GmailAccess } from './gmail-auth';

export async function sendGmail(
	access: GmailAccess,
	message: OutgoingMessage,
): Promise<SendResult> {
	const raw = (await buildMime(message)).toString('base64url');
	try {
		const response = await access.api.users.messages.send({
			userId: 'me',
			requestBody: { raw, threadId: message.threadId },
		});
		return {
			provider: 'gmail',
			messageId: message.messageId,
			providerMessageId: response.data.id ?? '',
			threadId: response.data.threadId ?? undefined,
			sentAt: new Date().toISOString(),
		};
	} catch (error) {
		throw describeGmailError(error);
	}
}

export async function createGmailDraft(
	access: GmailAccess,
	message: OutgoingMessage,
): Promise<SendResult> {
	const raw = (await buildMime(message)).toString('base64url');
	try {
		const response = await access.api.users.drafts.create({
			userId: 'me',
			requestBody: { message: { raw, threadId: message.threadId } },
		});
		return {
			provider: 'gmail',
			messageId: message.messageId,
			providerMessageId: response.data.message?.id ?? '',
			threadId: response.data.message?.threadId ?? undefined,
			draftId: response.data.id ?? undefined,
			sentAt: new Date().toISOString(),
		};
	} catch (error) {
		throw describeGmailError(error);
	}
}

/** Adds / removes Gmail labels (by name or id; names are looked up, missing ones created). */
export async function modifyGmailLabels(
	access: GmailAccess,
	messageId: string,
	add: string[],
	remove: string[],
): Promise<string[]> {
	const api = access.api;
	try {
		const labels = (await api.users.labels.list({ userId: 'me' })).data.labels ?? [];
		const resolve = async (name: string, create: boolean): Promise<string | undefined> => {
			const found = labels.find(
				(l) => l.id === name || l.name?.toLowerCase() === name.toLowerCase(),
			);
			if (found?.id) return found.id;
			if (!create) return undefined;
			const made = await api.users.labels.create({ userId: 'me', requestBody: { name } });
			return made.data.id ?? undefined;
		};
		const addIds = (await Promise.all(add.map((n) => resolve(n, true)))).filter(
			Boolean,
		) as string[];
		const removeIds = (await Promise.all(remove.map((n) => resolve(n, false)))).filter(
			Boolean,
		) as string[];
		const response = await api.users.messages.modify({
			userId: 'me',
			id: messageId,
			requestBody: { addLabelIds: addIds, removeLabelIds: removeIds },
		});
		return response.data.labelIds ?? [];
	} catch (error) {
		throw describeGmailError(error);
	}
}

export function describeGmailError(error: unknown): MailError {
	if (error instanceof MailError) return error;
	const e = (error ?? {}) as {
		status?: number;
		response?: { status?: number; data?: unknown; headers?: Record<string, string> | Headers };
		message?: string;
	};
	const status = e.response?.status ?? e.status;
	if (typeof status !== 'number')
		return new MailError(
			'connection',
			`Could not reach the Gmail API: ${e.message ?? String(error)}`,
			undefined,
			{
				retryable: true,
				cause: error,
			},
		);
	const tokenError = e.response?.data as
		{ error?: unknown; error_description?: string } | undefined;
	if (typeof tokenError?.error === 'string')
		// An OAuth2 token endpoint's answer (RFC 6749 5.2): the access token could not be renewed.
		return new MailError(
			'auth',
			`Google refused to renew the Gmail access token (${[tokenError.error, tokenError.error_description].filter(Boolean).join(': ')})`,
			'Open the Gmail credential and sign in with Google again (the grant was revoked or has expired).',
			{ status },
		);
	const data = e.response?.data as { error?: { message?: string; status?: string } } | undefined;
	const detail =
		[data?.error?.status, data?.error?.message].filter(Boolean).join(': ') || e.message || '';
	const headers = e.response?.headers;
	const retryAfter =
		headers && typeof (headers as Headers).get === 'function'
			? (headers as Headers).get('retry-after')
			: (headers as Record<string, string> | undefined)?.['retry-after'];
	return httpProviderError('Gmail', status, detail, retryAfter);
}

/** Credential test: a token for the delegated mailbox, then its Gmail profile. */
export async function testServiceAccount(
	credentials: GoogleServiceAccountCredentials,
): Promise<{ status: 'OK' | 'Error'; message: string }> {
	try {
		const access = await serviceAccountAccess(credentials);
		const profile = await access.api.users.getProfile({ userId: 'me' });
		return {
			status: 'OK',
			message: `Connected to ${profile.data.emailAddress ?? credentials.delegatedEmail}`,
		};
	} catch (error) {
		const mailError = error instanceof MailError ? error : describeGmailError(error);
		return {
			status: 'Error',
			message: `${mailError.message}.${mailError.hint ? ` ${mailError.hint}` : ''}`,
		};
	}
}
