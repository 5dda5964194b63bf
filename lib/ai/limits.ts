import { bulkhead } from 'cockatiel';
import { RateLimiter } from 'limiter';

export interface LimitOptions {
	/** Calls in flight at once. */
	concurrency: number;
	/** Optional cap on calls started per minute (0 or undefined: no cap). */
	requestsPerMinute?: number;
}

/** Bounded concurrency plus an optional requests-per-minute cap, for one node execution. */
export class CallLimiter {
	private readonly pool;
	private readonly rate?: RateLimiter;

	constructor(options: LimitOptions) {
		this.pool = bulkhead(Math.max(1, Math.floor(options.concurrency)), Number.MAX_SAFE_INTEGER);
		if (options.requestsPerMinute && options.requestsPerMinute > 0) {
			// One token every 60000/RPM ms, bucket of one: calls are spaced evenly, so no window of a minute
			// ever holds more than the cap (a minute-sized bucket would allow a whole minute's burst at once).
			this.rate = new RateLimiter({
				tokensPerInterval: 1,
				interval: 60_000 / options.requestsPerMinute,
			});
		}
	}

	async run<T>(task: () => Promise<T>): Promise<T> {
		return await this.pool.execute(async () => {
			if (this.rate) await this.rate.removeTokens(1);
			return await task();
		});
	}
}

/** Runs `worker` over every index with the limiter, keeping results in input order. */
export async function mapLimited<T>(
	count: number,
	limiter: CallLimiter,
	worker: (index: number) => Promise<T>,
): Promise<T[]> {
	return await Promise.all(
		Array.from({ length: count }, (_, index) => limiter.run(() => worker(index))),
	);
}
