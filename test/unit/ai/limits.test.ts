import { CallLimiter, mapLimited } from '../../../lib/ai';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CallLimiter', () => {
	it('never has more calls in flight than the concurrency', async () => {
		let inFlight = 0;
		let peak = 0;
		const results = await mapLimited(20, new CallLimiter({ concurrency: 3 }), async (index) => {
			inFlight += 1;
			peak = Math.max(peak, inFlight);
			await sleep(10);
			inFlight -= 1;
			return index * 2;
		});
		expect(peak).toBe(3);
		expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
	});

	it('caps calls started per minute', async () => {
		// 600 per minute: one call every 100 ms, so 15 calls span at least 14 intervals.
		const limiter = new CallLimiter({ concurrency: 50, requestsPerMinute: 600 });
		const started: number[] = [];
		const t0 = Date.now();
		await mapLimited(15, limiter, async () => {
			started.push(Date.now() - t0);
		});
		started.sort((a, b) => a - b);
		expect(started[14] - started[0]).toBeGreaterThanOrEqual(1_300);
		// By each start, at most one token a 100 ms has come in: the i-th start is at least (i - 1) x 100 ms
		// after the first. (Not the gap between two starts: on a busy machine a late timer lets the
		// next call follow the late one sooner, within the same minute's cap.)
		for (let i = 1; i < started.length; i++)
			expect(started[i] - started[0]).toBeGreaterThanOrEqual((i - 1) * 100 - 5);
	});
});
