import {
	ConsecutiveBreaker,
	DelegateBackoff,
	TimeoutStrategy,
	circuitBreaker,
	handleWhen,
	retry,
	timeout,
	isBrokenCircuitError,
} from 'cockatiel';
import type { CircuitBreakerPolicy } from 'cockatiel';
import { ProviderError, toProviderError } from './errors';

export interface ResilienceOptions {
	/** Retries after the first try, on 429 / 5xx / timeouts / network errors. */
	maxRetries: number;
	baseDelayMs: number;
	maxDelayMs: number;
	/** A Retry-After longer than this moves on to the next provider instead of waiting. */
	maxRetryAfterMs: number;
	/** Per call. */
	timeoutMs: number;
	/** Consecutive failures that open a provider's breaker. */
	breakerThreshold: number;
	/** How long an open breaker waits before letting one trial call through (half-open). */
	breakerHalfOpenAfterMs: number;
}

export const DEFAULT_RESILIENCE: ResilienceOptions = {
	maxRetries: 3,
	baseDelayMs: 500,
	maxDelayMs: 20_000,
	maxRetryAfterMs: 60_000,
	timeoutMs: 60_000,
	breakerThreshold: 5,
	breakerHalfOpenAfterMs: 30_000,
};

/**
 * One breaker per provider endpoint for the whole n8n process: an outage seen by one execution
 * spares the next ones the wait.
 */
const breakers = new Map<string, CircuitBreakerPolicy>();

export function breakerFor(key: string, options: ResilienceOptions): CircuitBreakerPolicy {
	let breaker = breakers.get(key);
	if (!breaker) {
		breaker = circuitBreaker(
			handleWhen((error) => error instanceof ProviderError && error.retryable),
			{
				halfOpenAfter: options.breakerHalfOpenAfterMs,
				breaker: new ConsecutiveBreaker(options.breakerThreshold),
			},
		);
		breakers.set(key, breaker);
	}
	return breaker;
}

/** For tests: forget every breaker. */
export function resetBreakers(): void {
	breakers.clear();
}

/** Full-jitter exponential backoff, except that a Retry-After from the provider is honoured as given. */
export function backoffDelay(
	attempt: number,
	error: unknown,
	options: ResilienceOptions,
	random = Math.random,
): number {
	if (error instanceof ProviderError && error.retryAfterMs !== undefined) {
		return error.retryAfterMs + Math.floor(random() * Math.min(250, options.baseDelayMs));
	}
	const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
	return Math.floor(random() * ceiling);
}

export interface CallContext {
	signal: AbortSignal;
}

export interface PolicyStats {
	retries: number;
}

/**
 * retry( breaker( timeout( call ) ) ): every error leaves as a ProviderError; an open breaker as
 * kind `circuit_open`, which is not retried (the chain moves on).
 */
export async function runWithResilience<T>(
	providerLabel: string,
	breakerKey: string,
	options: ResilienceOptions,
	call: (context: CallContext) => Promise<T>,
	stats: PolicyStats = { retries: 0 },
): Promise<T> {
	const retryPolicy = retry(
		handleWhen(
			(error) =>
				error instanceof ProviderError &&
				error.retryable &&
				(error.retryAfterMs === undefined || error.retryAfterMs <= options.maxRetryAfterMs),
		),
		{
			maxAttempts: options.maxRetries,
			backoff: new DelegateBackoff(
				(context: { attempt: number; result: { error?: Error } | { value: unknown } }) =>
					backoffDelay(
						context.attempt,
						'error' in context.result ? context.result.error : undefined,
						options,
					),
			),
		},
	);
	retryPolicy.onRetry(() => (stats.retries += 1));
	const breaker = breakerFor(breakerKey, options);
	const timeoutPolicy = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
	try {
		// retry( breaker( convert( timeout( call ) ) ) ): the timeout's own error is converted too, so a
		// slow reply counts as a retryable failure for the breaker and the retry policy.
		return await retryPolicy.execute(() =>
			breaker.execute(async () => {
				try {
					return await timeoutPolicy.execute(({ signal }) => call({ signal }));
				} catch (error) {
					throw toProviderError(providerLabel, error);
				}
			}),
		);
	} catch (error) {
		if (isBrokenCircuitError(error)) {
			throw new ProviderError(
				providerLabel,
				'circuit_open',
				'skipped: its circuit breaker is open after repeated failures',
			);
		}
		throw toProviderError(providerLabel, error);
	}
}
