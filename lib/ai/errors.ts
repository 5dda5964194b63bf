export type ProviderErrorKind =
	| 'auth'
	| 'bad_request'
	| 'rate_limit'
	| 'server'
	| 'timeout'
	| 'network'
	| 'invalid_answer'
	| 'refusal'
	| 'circuit_open'
	| 'not_configured';

const RETRYABLE: ReadonlySet<ProviderErrorKind> = new Set([
	'rate_limit',
	'server',
	'timeout',
	'network',
]);

/** A provider call that failed, classified so the chain knows whether to retry, repair or move on. */
export class ProviderError extends Error {
	constructor(
		readonly provider: string,
		readonly kind: ProviderErrorKind,
		message: string,
		readonly status?: number,
		/** How long the provider asked us to wait (Retry-After), in milliseconds. */
		readonly retryAfterMs?: number,
	) {
		super(message);
		this.name = 'ProviderError';
	}

	get retryable(): boolean {
		return RETRYABLE.has(this.kind);
	}
}

/** Every provider of the chain failed; `attempts` says how each one did. */
export class AllProvidersFailedError extends Error {
	constructor(readonly attempts: AttemptRecord[]) {
		super(
			`Every AI provider failed: ${attempts.map((a) => `${a.provider} (${a.outcome}${a.error ? `: ${a.error}` : ''})`).join('; ')}`,
		);
		this.name = 'AllProvidersFailedError';
	}
}

export interface AttemptRecord {
	provider: string;
	model?: string;
	/** `unsure`: the built-in answer was not sure enough, so the next provider was asked. */
	outcome: 'ok' | 'repaired' | 'invalid' | 'refused' | 'failed' | 'skipped' | 'unsure';
	error?: string;
	kind?: ProviderErrorKind;
	latencyMs: number;
	retries: number;
}

/**
 * Turns an error from the openai / @anthropic-ai/sdk SDKs, a LangChain model or the network into a
 * ProviderError. Duck-typed: both SDKs expose `status` and `headers` on their APIError.
 */
export function toProviderError(provider: string, error: unknown): ProviderError {
	if (error instanceof ProviderError) return error;
	const e = error as {
		name?: string;
		message?: string;
		status?: number;
		headers?: unknown;
		code?: string;
		cause?: unknown;
	};
	const message = e?.message ?? String(error);
	const name = e?.name ?? '';
	const status = typeof e?.status === 'number' ? e.status : undefined;
	const retryAfterMs = retryAfterFromHeaders(e?.headers);

	if (
		name === 'TaskCancelledError' ||
		/timed? ?out|timeout/i.test(name) ||
		/timed? ?out/i.test(message)
	) {
		return new ProviderError(provider, 'timeout', `timed out: ${message}`);
	}
	if (status !== undefined) {
		if (status === 401 || status === 403)
			return new ProviderError(provider, 'auth', message, status);
		if (status === 429)
			return new ProviderError(provider, 'rate_limit', message, status, retryAfterMs);
		if (status === 408 || status === 409 || status >= 500) {
			return new ProviderError(provider, 'server', message, status, retryAfterMs);
		}
		return new ProviderError(provider, 'bad_request', message, status);
	}
	if (
		/connect|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket|network|fetch failed/i.test(
			`${name} ${message} ${e?.code ?? ''}`,
		)
	) {
		return new ProviderError(provider, 'network', message);
	}
	return new ProviderError(provider, 'server', message);
}

/** Retry-After (seconds or an HTTP date) and retry-after-ms, from a Headers object or a plain record. */
export function retryAfterFromHeaders(headers: unknown, now = Date.now()): number | undefined {
	const get = (name: string): string | undefined => {
		if (!headers) return undefined;
		if (typeof (headers as Headers).get === 'function')
			return (headers as Headers).get(name) ?? undefined;
		const record = headers as Record<string, unknown>;
		const value = record[name] ?? record[name.toLowerCase()];
		return typeof value === 'string' ? value : undefined;
	};
	const ms = Number(get('retry-after-ms'));
	if (Number.isFinite(ms) && ms >= 0 && get('retry-after-ms') !== undefined) return ms;
	const value = get('retry-after');
	if (value === undefined) return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const date = Date.parse(value);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
