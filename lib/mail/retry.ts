import { DelegateBackoff, handleWhen, retry } from 'cockatiel';
import { MailError } from './errors';

export interface RetryOptions {
	/** Attempts in all, the first included. */
	attempts?: number;
	baseDelayMs?: number;
	maxDelayMs?: number;
	/** Longest Retry-After the node waits for; longer ones fail at once with the provider's message. */
	maxRetryAfterMs?: number;
}

export const DEFAULT_MAIL_RETRY: Required<RetryOptions> = {
	attempts: 4,
	baseDelayMs: 500,
	maxDelayMs: 10_000,
	maxRetryAfterMs: 60_000,
};

/** Whether a failed send is worth another try: 429, 5xx, dropped connections, within the Retry-After limit. */
export function isRetryableMailError(
	error: unknown,
	maxRetryAfterMs = DEFAULT_MAIL_RETRY.maxRetryAfterMs,
): error is MailError {
	return (
		error instanceof MailError &&
		error.retryable &&
		(error.retryAfterMs === undefined || error.retryAfterMs <= maxRetryAfterMs)
	);
}

/**
 * The wait before retry `attempt` (1 = the first retry): exactly what the provider's Retry-After
 * asked for (read by lib/ai's `retryAfterFromHeaders`), else full-jitter exponential backoff.
 */
export function mailRetryDelay(
	attempt: number,
	error: unknown,
	options: Required<RetryOptions> = DEFAULT_MAIL_RETRY,
	random = Math.random,
): number {
	if (error instanceof MailError && error.retryAfterMs !== undefined) return error.retryAfterMs;
	const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
	return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Runs `operation` under cockatiel's retry policy: MailErrors marked retryable are tried again
 * with backoff (or the Retry-After wait); anything else, or a Retry-After longer than
 * `maxRetryAfterMs`, fails at once.
 */
export async function withRetry<T>(
	operation: (attempt: number) => Promise<T>,
	options: RetryOptions = {},
): Promise<T> {
	const settings = { ...DEFAULT_MAIL_RETRY, ...options };
	const policy = retry(
		handleWhen((error) => isRetryableMailError(error, settings.maxRetryAfterMs)),
		{
			maxAttempts: Math.max(0, settings.attempts - 1),
			backoff: new DelegateBackoff(
				(context: { attempt: number; result: { error?: Error } | { value: unknown } }) =>
					mailRetryDelay(
						context.attempt,
						'error' in context.result ? context.result.error : undefined,
						settings,
					),
			),
		},
	);
	return await policy.execute(async ({ attempt }) => await operation(attempt + 1));
}
