import { retryAfterFromHeaders } from '../ai/errors';
/**
 * Errors from mail servers and providers, in words a canvas user can act on. Nodes turn a MailError
 * into a NodeApiError / NodeOperationError; `hint` says what to change.
 */
export type MailErrorKind =
	| 'auth'
	| 'connection'
	| 'tls'
	| 'timeout'
	| 'rate-limit'
	| 'server'
	| 'rejected'
	| 'not-found'
	| 'input'
	| 'duplicate'
	| 'refused';

export class MailError extends Error {
	readonly retryable: boolean;
	readonly retryAfterMs?: number;
	readonly status?: number;

	constructor(
		readonly kind: MailErrorKind,
		message: string,
		readonly hint?: string,
		options: { retryable?: boolean; retryAfterMs?: number; status?: number; cause?: unknown } = {},
	) {
		super(message, options.cause === undefined ? undefined : { cause: options.cause });
		this.name = 'MailError';
		this.retryable = options.retryable ?? false;
		this.retryAfterMs = options.retryAfterMs;
		this.status = options.status;
	}
}

/** Reads Retry-After (seconds or an HTTP date) into milliseconds (the AI layer's parser). */
export function retryAfterMs(
	value: string | null | undefined,
	now = Date.now(),
): number | undefined {
	return value ? retryAfterFromHeaders({ 'retry-after': value }, now) : undefined;
}

/**
 * A MailError for an HTTP answer of a provider API (SendGrid, Brevo, Gmail), from its status and the
 * provider's own error text.
 */
export function httpProviderError(
	provider: string,
	status: number,
	detail: string,
	retryAfter?: string | null,
): MailError {
	const said = detail ? `: ${detail}` : '';
	if (status === 401)
		return new MailError(
			'auth',
			`${provider} rejected the API key or token (401)${said}`,
			`Check the ${provider} credential: the key may be wrong, revoked or expired.`,
			{ status },
		);
	if (status === 403)
		return new MailError(
			'auth',
			`${provider} refused the request (403)${said}`,
			`The ${provider} key or account lacks a permission this needs (for SendGrid: "Mail Send" access; for Brevo: an authorised IP; for Gmail: the gmail.modify scope), or the sender is not verified.`,
			{ status },
		);
	if (status === 404)
		return new MailError('not-found', `${provider} answered 404 Not Found${said}`, undefined, {
			status,
		});
	if (status === 413)
		return new MailError(
			'rejected',
			`${provider} refused the message as too large (413)${said}`,
			'Send smaller attachments, or link to large files instead of attaching them.',
			{ status },
		);
	if (status === 429)
		return new MailError(
			'rate-limit',
			`${provider} rate limit reached (429)${said}`,
			'Slow the workflow down (Loop Over Items with a Wait), or raise the plan limit with the provider.',
			{ status, retryable: true, retryAfterMs: retryAfterMs(retryAfter) },
		);
	if (status >= 500)
		return new MailError(
			'server',
			`${provider} had a server error (${status})${said}`,
			'The provider is having trouble; the node retried. Try again later.',
			{ status, retryable: true, retryAfterMs: retryAfterMs(retryAfter) },
		);
	return new MailError(
		'rejected',
		`${provider} rejected the message (${status})${said}`,
		'Check the addresses, sender and content the node sent.',
		{ status },
	);
}
