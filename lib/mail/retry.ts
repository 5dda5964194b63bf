import { MailError } from './errors';

export interface RetryOptions {
	/** Attempts in all, the first included. */
	attempts?: number;
	baseDelayMs?: number;
	maxDelayMs?: number;
	/** Longest Retry-After the node waits for; longer ones fail at once with the provider's message. */
	maxRetryAfterMs?: number;
	sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs `operation`, retrying MailErrors marked retryable (429, 5xx, dropped connections) with
 * exponential backoff and jitter, or exactly the wait a Retry-After header asked for.
 */
export async function withRetry<T>(
	operation: (attempt: number) => Promise<T>,
	options: RetryOptions = {},
): Promise<T> {
	const attempts = options.attempts ?? 4;
	const base = options.baseDelayMs ?? 500;
	const max = options.maxDelayMs ?? 10_000;
	const maxRetryAfter = options.maxRetryAfterMs ?? 60_000;
	const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
	for (let attempt = 1; ; attempt++) {
		try {
			return await operation(attempt);
		} catch (error) {
			if (!(error instanceof MailError) || !error.retryable || attempt >= attempts) throw error;
			let delay: number;
			if (error.retryAfterMs !== undefined) {
				if (error.retryAfterMs > maxRetryAfter) throw error;
				delay = error.retryAfterMs;
			} else {
				const exponential = Math.min(max, base * 2 ** (attempt - 1));
				delay = exponential / 2 + Math.random() * (exponential / 2);
			}
			await sleep(delay);
		}
	}
}
