import { createSign } from 'node:crypto';
import { auth, gmail } from '@googleapis/gmail';
import type { gmail_v1 } from '@googleapis/gmail';
import type { OutgoingMessage } from '../compose';
import { buildMime } from '../compose';
import type { GoogleServiceAccountCredentials } from '../credentials';
import { MailError, httpProviderError } from '../errors';
import type { SendResult } from './types';

export const GMAIL_SCOPE = 'https://www.googleapis.com/auth/gmail.modify';

export interface GmailAccess {
	accessToken: string;
	/** Root of the Gmail API (https://gmail.googleapis.com/). */
	rootUrl: string;
	/** OAuth2 only: lets google-auth-library refresh an expired token. */
	refresh?: { clientId: string; clientSecret: string; refreshToken: string; tokenUrl?: string };
}

/** The OAuth2 token data n8n keeps for an OAuth2 credential (`oauthTokenData`). */
export function oauth2Access(data: Record<string, unknown>): GmailAccess {
	const token = (data.oauthTokenData ?? {}) as Record<string, unknown>;
	const accessToken = String(token.access_token ?? '');
	if (!accessToken)
		throw new MailError(
			'auth',
			'The Gmail OAuth2 credential is not connected',
			'Open the credential and click "Sign in with Google".',
		);
	const access: GmailAccess = {
		accessToken,
		rootUrl: String(data.gmailApiUrl || 'https://gmail.googleapis.com/'),
	};
	if (token.refresh_token && data.clientId && data.clientSecret)
		access.refresh = {
			clientId: String(data.clientId),
			clientSecret: String(data.clientSecret),
			refreshToken: String(token.refresh_token),
			tokenUrl: data.accessTokenUrl ? String(data.accessTokenUrl) : undefined,
		};
	return access;
}

/**
 * A service account's access token for the mailbox it acts as (domain-wide delegation): a signed
 * JWT (RFC 7523) exchanged at the token endpoint.
 */
export async function serviceAccountAccess(
	credentials: GoogleServiceAccountCredentials,
	fetchImpl: typeof fetch = fetch,
): Promise<GmailAccess> {
	const tokenUrl = credentials.tokenUrl ?? 'https://oauth2.googleapis.com/token';
	if (!credentials.privateKey.includes('PRIVATE KEY'))
		throw new MailError(
			'input',
			'The service account private key is not a PEM key',
			'Paste the whole "private_key" value of the key file, with its -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY----- lines.',
		);
	const now = Math.floor(Date.now() / 1000);
	const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
	const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({
		iss: credentials.email,
		sub: credentials.delegatedEmail,
		scope: GMAIL_SCOPE,
		aud: tokenUrl,
		iat: now,
		exp: now + 3600,
	})}`;
	let signature: string;
	try {
		signature = createSign('RSA-SHA256').update(unsigned).sign(credentials.privateKey, 'base64url');
	} catch (error) {
		throw new MailError(
			'input',
			`The service account private key could not be read: ${(error as Error).message}`,
			'Paste the "private_key" of the JSON key file exactly as it is.',
		);
	}
	let response: Response;
	try {
		response = await fetchImpl(tokenUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
				assertion: `${unsigned}.${signature}`,
			}),
		});
	} catch (error) {
		throw new MailError(
			'connection',
			`Could not reach Google's token endpoint ${tokenUrl}: ${(error as Error).message}`,
			undefined,
			{
				retryable: true,
				cause: error,
			},
		);
	}
	const body = (await response.json().catch(() => ({}))) as {
		access_token?: string;
		error?: string;
		error_description?: string;
	};
	if (!response.ok || !body.access_token) {
		const said = [body.error, body.error_description].filter(Boolean).join(': ');
		if (body.error === 'unauthorized_client' || body.error === 'access_denied')
			throw new MailError(
				'auth',
				`Google refused to let the service account act as ${credentials.delegatedEmail} (${said})`,
				`In the Workspace admin console, give the service account's client ID domain-wide delegation with the scope ${GMAIL_SCOPE}.`,
			);
		if (body.error === 'invalid_grant')
			throw new MailError(
				'auth',
				`Google refused the service account key (${said})`,
				'The key may be deleted or the "Mailbox to Act As" is not a user of the Workspace domain.',
			);
		throw httpProviderError(
			'Google token endpoint',
			response.status,
			said,
			response.headers.get('retry-after'),
		);
	}
	return {
		accessToken: body.access_token,
		rootUrl: credentials.gmailApiUrl ?? 'https://gmail.googleapis.com/',
	};
}

/** `fetchImplementation`: for callers whose runtime cannot load gaxios' default (jest's VM). */
export function gmailClient(
	access: GmailAccess,
	options: { fetchImplementation?: typeof fetch } = {},
): gmail_v1.Gmail {
	const transporterOptions = options.fetchImplementation
		? { transporterOptions: { fetchImplementation: options.fetchImplementation } }
		: {};
	const client = access.refresh
		? new auth.OAuth2({
				clientId: access.refresh.clientId,
				clientSecret: access.refresh.clientSecret,
				...(access.refresh.tokenUrl
					? { endpoints: { oauth2TokenUrl: access.refresh.tokenUrl } }
					: {}),
				...transporterOptions,
			} as never)
		: new auth.OAuth2(transporterOptions as never);
	client.setCredentials({
		access_token: access.accessToken,
		refresh_token: access.refresh?.refreshToken,
	});
	return gmail({
		version: 'v1',
		auth: client,
		rootUrl: access.rootUrl.replace(/\/*$/, '/'),
		retry: false,
		...(options.fetchImplementation ? { fetchImplementation: options.fetchImplementation } : {}),
	} as never);
}

export async function sendGmail(
	access: GmailAccess,
	message: OutgoingMessage,
): Promise<SendResult> {
	const raw = (await buildMime(message)).toString('base64url');
	try {
		const response = await gmailClient(access).users.messages.send({
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
		const response = await gmailClient(access).users.drafts.create({
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
	const api = gmailClient(access);
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
		const profile = await gmailClient(access).users.getProfile({ userId: 'me' });
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
