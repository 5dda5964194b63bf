/**
 * Relay memory is bounded in bytes, not only in events (issue 13, item 6): 3,000 events with
 * 100 KB error messages leave the relay within its byte budgets, and the messages are cut with a
 * marker that says how much was left out.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Relay } from '../../../status-relay/server/app';
import { truncationMarker } from '../../../status-relay/protocol/schema';
import { failedNode, getJson, ingest, startRelay } from '../../support/relay-helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap plus Buffers (event payloads live outside the heap), after a full collection. */
function usedBytes(): number {
	gc();
	gc();
	const usage = process.memoryUsage();
	return usage.heapUsed + usage.external;
}

const MiB = 1024 * 1024;

describe('relay memory under large error messages', () => {
	let relay: Relay;
	afterAll(async () => await relay?.stop());

	it('3,000 events with 100 KB error messages stay within the byte budgets', async () => {
		relay = await startRelay({
			RELAY_RETENTION_BYTES: String(8 * MiB),
			RELAY_STATE_MAX_BYTES: String(8 * MiB),
		});
		const before = usedBytes();
		const message = 'x'.repeat(100 * 1024);
		for (let batch = 0; batch < 150; batch++) {
			const events = Array.from({ length: 20 }, (_, i) =>
				failedNode(`e${batch * 20 + i}`, `${batch}/${i} ${message}`),
			);
			const answer = await ingest(relay, events);
			expect(answer.body).toMatchObject({ accepted: 20, rejected: 0 });
		}
		const grown = usedBytes() - before;
		// 300 MB went in; the store and the live state each keep at most 8 MiB.
		expect(grown).toBeLessThan(8 * MiB + 8 * MiB + 16 * MiB);
		const stats = relay.store.stats();
		expect(stats.bytes).toBeLessThanOrEqual(8 * MiB);
		expect(relay.states.byteSize).toBeLessThanOrEqual(8 * MiB);

		// The newest run is still there, its error message cut with a marker.
		const status = await getJson<{ nodes: Array<{ error?: { message: string } }> }>(
			`${relay.url}/api/v1/executions/e2999/status`,
		);
		const shown = status.nodes[0].error!.message;
		const full = `149/19 ${message}`;
		expect(shown.endsWith(truncationMarker(full.length - 4096))).toBe(true);
		expect(shown.length).toBeLessThan(4200);
		const logs = await getJson<{ events: Array<{ data: { error: { message: string } } }> }>(
			`${relay.url}/api/v1/executions/e2999/logs`,
		);
		expect(logs.events[0].data.error.message).toBe(shown);
	}, 180_000);
});
