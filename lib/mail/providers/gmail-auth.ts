/**
 * Authenticated Gmail API clients, one way per credential type:
 * - a service account (domain-wide delegation): google-auth-library's `JWT` signs the assertion,
 *   exchanges it for an access token acting as the delegated mailbox and keeps that token until
 *   shortly before it expires. One `JWT` per credential and scope lives for the whole process, so
 *   every item, execution and trigger poll shares one token;
 * - an OAuth2 credential: every request goes through the caller's authenticated request function
 *   (n8n's `httpRequestWithAuthentication`), so n8n signs it, refreshes an expired token and stores
 *   the new one with the credential.
 */
import { createHash } from 'node:crypto';
import { auth, gmail } from '@googleapis/gmail';
import type { gmail_v1 } from '@googleapis/gmail';
import type { GoogleServiceAccountCredentials } from '../credentials';
import { MailError, httpProviderError } from '../errors';

export const GMAIL_SCOPE = 'https://www.googleapis.com/auth/gmail.modify';
/** Where google-auth-library sends the JWT bearer grant (also the assertion's audience). */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** A token this close to its expiry is renewed before use. */
export const TOKEN_RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;
/** Service-account clients kept at once (least recently used dropped first). */
const MAX_CACHED_CLIENTS = 64;

export interface GmailAccess {
	api: gmail_v1.Gmail;
	/** The mailbox the service account acts as; undefined for OAuth2 (the signed-in account). */
	mailbox?: string;
}

export interface GmailClientOptions {
	/** For callers whose runtime cannot load gaxios' default fetch (jest's VM). */
	fetchImplementation?: typeof fetch;
}

type JwtClient = InstanceType<typeof auth.JWT>;

const serviceAccountClients = new Map<string, JwtClient>();

/** For tests: forget every cached service-account client (and so its token). */
export function forgetServiceAccountTokens(): void {
	serviceAccountClients.clear();
}

function cacheKey(credentials: GoogleServiceAccountCredentials): string {
	return createHash('sha256')
		.update(
			JSON.stringify([
				credentials.email,
				credentials.privateKey,
				credentials.delegatedEmail,
				credentials.tokenUrl ?? GOOGLE_TOKEN_URL,
				GMAIL_SCOPE,
			]),
		)
		.digest('hex');
}

function jwtClient(
	credentials: GoogleServiceAccountCredentials,
	options: GmailClientOptions,
): JwtClient {
	const key = cacheKey(credentials);
	const cached = serviceAccountClients.get(key);
	if (cached) {
		serviceAccountClients.delete(key);
		serviceAccountClients.set(key, cached);
		return cached;
	}
	const client = new auth.JWT({
		email: credentials.email,
		key: credentials.privateKey,
		subject: credentials.delegatedEmail,
		scopes: [GMAIL_SCOPE],
		eagerRefreshThresholdMillis: TOKEN_RENEW_BEFORE_EXPIRY_MS,
		...(options.fetchImplementation
			? { transporterOptions: { fetchImplementation: options.fetchImplementation } }
			: {}),
	});
	const tokenUrl = credentials.tokenUrl ?? GOOGLE_TOKEN_URL;
	if (tokenUrl !== GOOGLE_TOKEN_URL) {
		// The key file's "token_uri" (or a proxy): the library always posts to Google's own URL.
		client.transporter.interceptors.request.add({
			resolved: async (request) => {
				if (String(request.url) === GOOGLE_TOKEN_URL) request.url = new URL(tokenUrl);
				return request;
			},
		});
	}
	serviceAccountClients.set(key, client);
	if (serviceAccountClients.size > MAX_CACHED_CLIENTS)
		serviceAccountClients.delete(serviceAccountClients.keys().next().value as string);
	return client;
}

/**
 * Gmail as the service account's delegated mailbox. The token is minted here when there is none
 * or it is about to expire, else the cached one is used, so a refusal (no delegation, a deleted
 * key) surfaces here with advice rather than in the first API call.
 */
export async function serviceAccountAccess(
	credentials: GoogleServiceAccountCredentials,
	options: GmailClientOptions = {},
): Promise<GmailAccess> {
	if (!credentials.privateKey.includes('PRIVATE KEY'))
		throw new MailError(
			'input',
			'The service account private key is not a PEM key',
			'Paste the whole "private_key" value of the key file, with its -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY----- lines.',
		);
	try {
		await jwtClient(credentials, options).getAccessToken();
	} catch (error) {
		throw describeTokenError(error, credentials);
	}
	const key = cacheKey(credentials);
	// Every request takes the credential's current client, so a token renewed by one item serves all.
	const auth = {
		async request(request: object): Promise<unknown> {
			const client = jwtClient(credentials, options);
			try {
				return await client.request(request as never);
			} catch (error) {
				// Google revoked the token before its expiry: mint a new one (a new client, as the library
				// would hand back the token it holds) and repeat the call, which Gmail did not carry out.
				if (!hasStatus(error, 401)) throw error;
				if (serviceAccountClients.get(key) === client) serviceAccountClients.delete(key);
				const fresh = jwtClient(credentials, options);
				try {
					await fresh.getAccessToken();
				} catch (tokenError) {
					throw describeTokenError(tokenError, credentials);
				}
				return await fresh.request(request as never);
			}
		},
	};
	return {
		api: gmailApi(auth, credentials.gmailApiUrl, options),
		mailbox: credentials.delegatedEmail,
	};
}

function hasStatus(error: unknown, status: number): boolean {
	return (error as { response?: { status?: number } }).response?.status === status;
}

function describeTokenError(error: unknown, credentials: GoogleServiceAccountCredentials) {
	const e = (error ?? {}) as {
		message?: string;
		response?: { status?: number; data?: { error?: string; error_description?: string } };
	};
	const status = e.response?.status;
	const data = e.response?.data ?? {};
	const said = [data.error, data.error_description].filter(Boolean).join(': ');
	if (data.error === 'unauthorized_client' || data.error === 'access_denied')
		return new MailError(
			'auth',
			`Google refused to let the service account act as ${credentials.delegatedEmail} (${said})`,
			`In the Workspace admin console, give the service account's client ID domain-wide delegation with the scope ${GMAIL_SCOPE}.`,
			{ status },
		);
	if (data.error === 'invalid_grant')
		return new MailError(
			'auth',
			`Google refused the service account key (${said})`,
			'The key may be deleted or the "Mailbox to Act As" is not a user of the Workspace domain.',
			{ status },
		);
	if (typeof status === 'number')
		return httpProviderError('Google token endpoint', status, said || (e.message ?? ''));
	if (/private key|PEM|asn1|DECODER|sign/i.test(e.message ?? ''))
		return new MailError(
			'input',
			`The service account private key could not be read: ${e.message}`,
			'Paste the "private_key" of the JSON key file exactly as it is.',
		);
	return new MailError(
		'connection',
		`Could not reach Google's token endpoint ${credentials.tokenUrl ?? GOOGLE_TOKEN_URL}: ${e.message ?? String(error)}`,
		undefined,
		{ retryable: true, cause: error },
	);
}

/** One HTTP request as an authenticated request function takes it (n8n's IHttpRequestOptions). */
export interface AuthenticatedHttpRequest {
	method: string;
	url: string;
	headers: Record<string, string>;
	body?: unknown;
}

export interface AuthenticatedHttpResponse {
	status: number;
	headers: Record<string, string>;
	body: unknown;
}

/**
 * The error an authenticated request function throws for an HTTP answer (or a refused token
 * renewal); `describeGmailError` reads it like the library's own errors.
 */
export class GmailHttpError extends Error {
	constructor(
		message: string,
		readonly response: { status: number; data: unknown; headers: Record<string, string> },
	) {
		super(message);
		this.name = 'GmailHttpError';
	}
}

/**
 * Gmail through an authenticated request function: the caller signs each request (n8n: with the
 * OAuth2 credential it keeps, refreshing and storing the token when Google rejects it).
 */
export function requestFunctionAccess(
	request: (options: AuthenticatedHttpRequest) => Promise<AuthenticatedHttpResponse>,
	gmailApiUrl?: string,
): GmailAccess {
	const client = {
		async request(options: {
			url: string | URL;
			method?: string;
			params?: Record<string, unknown>;
			data?: unknown;
			headers?: Headers | Record<string, string>;
		}) {
			const url = new URL(String(options.url));
			for (const [name, value] of Object.entries(options.params ?? {})) {
				if (value === undefined || value === null) continue;
				for (const one of Array.isArray(value) ? value : [value])
					url.searchParams.append(name, String(one));
			}
			const headers: Record<string, string> = {};
			new Headers(options.headers as ConstructorParameters<typeof Headers>[0]).forEach(
				(value, name) => {
					if (name !== 'authorization') headers[name] = value;
				},
			);
			const response = await request({
				method: options.method ?? 'GET',
				url: url.toString(),
				headers,
				body: options.data,
			});
			return {
				data: response.body,
				status: response.status,
				statusText: '',
				headers: new Headers(response.headers),
				config: options,
			};
		},
	};
	return { api: gmailApi(client, gmailApiUrl) };
}

function gmailApi(
	client: object,
	rootUrl = 'https://gmail.googleapis.com/',
	options: GmailClientOptions = {},
): gmail_v1.Gmail {
	return gmail({
		version: 'v1',
		auth: client,
		rootUrl: rootUrl.replace(/\/*$/, '/'),
		// Retries are the mail layer's (lib/mail/retry.ts): one policy, honouring Retry-After.
		retry: false,
		...(options.fetchImplementation ? { fetchImplementation: options.fetchImplementation } : {}),
	} as never);
}
