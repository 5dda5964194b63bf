/** The relay server in-process with real HTTP and WebSocket clients (no n8n). */
import { Relay } from '../../../status-relay/server/app';
import { loadConfig } from '../../../status-relay/server/config';
import { createLogger } from '../../../status-relay/server/logger';
import { signBody } from '../../../status-relay/protocol/signing';
import { RelayStream } from '../../../status-relay/client/client';
import { nodeEvent } from '../../support/relay-helpers';
import type { EventDraft } from '../../../status-relay/protocol/types';

const SECRET = 'unit-test-ingest-secret';
const TOKEN = 'unit-test-token-0123456789';

async function ingest(relay: Relay, events: EventDraft[], secret = SECRET, dropped = 0) {
	const body = JSON.stringify({
		v: 1,
		source: { host: 'h', pid: 1, role: 'start', hookVersion: '1' },
		dropped,
		sentAt: new Date().toISOString(),
		events,
	});
	return await fetch(`${relay.url}/ingest`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-relay-signature': signBody(secret, body) },
		body,
	});
}

describe('relay server', () => {
	let relay: Relay;
	beforeEach(async () => {
		relay = await new Relay(
			loadConfig({
				RELAY_HOST: '127.0.0.1',
				RELAY_PORT: '0',
				RELAY_INGEST_SECRET: SECRET,
				RELAY_TOKENS: JSON.stringify({ [TOKEN]: { workflows: ['wf1'] } }),
				RELAY_HEARTBEAT_MS: '2500',
				RELAY_CLIENT_BUFFER_BYTES: '2048',
			}),
			{ logger: createLogger('silent') },
		).start();
	});
	afterEach(async () => await relay.stop());

	it('refuses batches with a wrong signature and counts them', async () => {
		const refused = await ingest(relay, [nodeEvent('1', 1)], 'not-the-shared-secret');
		expect(refused.status).toBe(401);
		const accepted = await ingest(relay, [nodeEvent('1', 1), nodeEvent('1', 1)]);
		expect(await accepted.json()).toEqual({ accepted: 1, duplicates: 1, rejected: 0 });
		const metrics = await fetch(`${relay.url}/metrics`).then((r) => r.text());
		expect(metrics).toMatch(/relay_ingest_batches_total\{result="bad_signature"\} 1/);
		expect(metrics).toMatch(/relay_ingest_events_total\{result="accepted"\} 1/);
		// Every metric is ours and none is labelled with an execution id.
		for (const line of metrics.split('\n').filter((l) => l && !l.startsWith('#'))) {
			expect(line).toMatch(/^relay_/);
			expect(line).not.toMatch(/\{[^}]*(execution|workflow)[^}]*\}/i);
		}
	});

	it('sends heartbeats and answers an app-level ping', async () => {
		const stream = await RelayStream.connect(
			relay.url,
			{ kind: 'workflow', id: 'wf1' },
			{ token: TOKEN },
		);
		await stream.waitFor(
			(s) => s.messages.filter((m) => m.type === 'heartbeat').length >= 2,
			60_000,
		);
		expect(stream.messages.slice(0, 3).map((m) => m.type)).toEqual([
			'hello',
			'snapshot',
			'caught-up',
		]);
		stream.ws.send(JSON.stringify({ type: 'ping' }));
		const before = stream.messages.length;
		await stream.waitFor(
			(s) => s.messages.slice(before).some((m) => m.type === 'heartbeat'),
			60_000,
		);
		await stream.close();
	}, 180_000);

	it(
		'closes a subscriber that stops reading with lagged + a cursor that resumes without a gap',
		async () => {
			const slow = await RelayStream.connect(
				relay.url,
				{ kind: 'workflow', id: 'wf1' },
				{ token: TOKEN },
			);
			await slow.waitFor((s) => s.messages.some((m) => m.type === 'caught-up'));
			const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
			socket.pause();
			const all: EventDraft[] = [];
			// Enough to fill the kernel's socket buffers, so the relay's own buffer starts to grow.
			for (let batch = 0; batch < 100; batch++) {
				const events = Array.from({ length: 200 }, (_, i) => nodeEvent('7', batch * 200 + i));
				all.push(...events);
				expect((await ingest(relay, events)).status).toBe(200);
			}
			socket.resume();
			const closed = await slow.closed;
			expect(closed.code).toBe(4008);
			const lagged = slow.messages.find((m) => m.type === 'lagged');
			expect(lagged).toBeDefined();
			const received = slow.events().map((e) => e.id);
			expect(received.length).toBeLessThan(all.length);
			const back = await RelayStream.connect(
				relay.url,
				{ kind: 'workflow', id: 'wf1' },
				{ token: TOKEN, cursor: (lagged as { cursor: string }).cursor },
			);
			// The replay of what it missed: thousands of events, slow on a loaded machine.
			await back.waitFor((s) => s.messages.some((m) => m.type === 'caught-up'), 5 * 60_000);
			expect([...received, ...back.events().map((e) => e.id)]).toEqual(all.map((e) => e.id));
			await back.close();
			const metrics = await fetch(`${relay.url}/metrics`).then((r) => r.text());
			expect(metrics).toMatch(/relay_ws_lagged_total 1/);
			// 20,000 signed events: under 10 s alone, over 30 s with three test runs on 2 cores, and the
			// replay past 10 s at load 20.
		},
		10 * 60_000,
	);

	it('serves logs paged by cursor and refuses a token-less request', async () => {
		await ingest(
			relay,
			Array.from({ length: 5 }, (_, i) => nodeEvent('9', i)),
		);
		const headers = { authorization: `Bearer ${TOKEN}` };
		const first = await fetch(`${relay.url}/api/v1/workflows/wf1/logs?limit=2`, { headers }).then(
			(r) => r.json() as Promise<any>,
		);
		expect(first.events.map((e: EventDraft) => e.id)).toHaveLength(2);
		expect(first.hasMore).toBe(true);
		const second = await fetch(
			`${relay.url}/api/v1/workflows/wf1/logs?limit=10&cursor=${first.nextCursor}`,
			{ headers },
		).then((r) => r.json() as Promise<any>);
		expect(second.events.map((e: { seq: number }) => e.seq)).toEqual([3, 4, 5]);
		expect(second.hasMore).toBe(false);
		expect((await fetch(`${relay.url}/api/v1/workflows/wf1/logs`)).status).toBe(401);
		const gone = await fetch(`${relay.url}/api/v1/workflows/wf1/logs?cursor=bm9wZToxMg`, {
			headers,
		});
		expect(gone.status).toBe(410);
	});
});
