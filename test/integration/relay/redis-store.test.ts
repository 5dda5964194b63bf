/**
 * The Redis Streams store with a real redis-server (Debian's, started unprivileged on a free
 * loopback port): two relay instances on one stream, durable cursors, dedupe across instances,
 * trimming, Redis going away.
 */
import { randomUUID } from 'node:crypto';
import { Relay } from '../../../status-relay/server/app';
import { loadConfig } from '../../../status-relay/server/config';
import { createLogger } from '../../../status-relay/server/logger';
import { signBody } from '../../../status-relay/protocol/signing';
import { RelayStream } from '../../../status-relay/client/client';
import { nodeEvent } from '../../support/relay-helpers';
import type { Envelope, EventDraft, ServerMessage } from '../../../status-relay/protocol/types';
import { startRedis } from '../../n8n/relay-servers';
import type { RedisServer } from '../../n8n/relay-servers';

const SECRET = 'unit-test-ingest-secret';
const TOKEN = 'unit-test-token-0123456789';

let redis: RedisServer;
const relays: Relay[] = [];

beforeAll(async () => {
	redis = await startRedis();
}, 120_000);

afterAll(async () => {
	await Promise.all(relays.map((r) => r.stop()));
	await redis?.stop();
});

async function startRelay(stream: string, extra: Record<string, string> = {}): Promise<Relay> {
	const relay = new Relay(
		loadConfig({
			RELAY_HOST: '127.0.0.1',
			RELAY_PORT: '0',
			RELAY_INGEST_SECRET: SECRET,
			RELAY_TOKENS: JSON.stringify({ [TOKEN]: { workflows: ['wf1'] } }),
			RELAY_REDIS_URL: redis.url,
			RELAY_REDIS_STREAM: stream,
			RELAY_HEARTBEAT_MS: '5000',
			...extra,
		}),
		{ logger: createLogger('silent') },
	);
	relays.push(relay);
	return await relay.start();
}

async function ingest(relay: Relay, events: unknown[]) {
	const body = JSON.stringify({
		v: 1,
		source: { host: 'h', pid: 1, role: 'worker', hookVersion: '1' },
		dropped: 0,
		sentAt: new Date().toISOString(),
		events,
	});
	const response = await fetch(`${relay.url}/ingest`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-relay-signature': signBody(SECRET, body) },
		body,
	});
	return { status: response.status, body: (await response.json()) as Record<string, number> };
}

const subscribe = (relay: Relay, cursor?: string) =>
	RelayStream.connect(
		relay.url,
		{ kind: 'workflow', id: 'wf1' },
		{ token: TOKEN, ...(cursor ? { cursor } : {}) },
	);

const caughtUp = (s: RelayStream) => s.messages.some((m) => m.type === 'caught-up');
const shape = (events: Envelope[]) => events.map((e) => [e.id, e.executionId, e.seq, e.cursor]);

describe('Redis Streams store', () => {
	it('two relay instances serve one stream: same events, seq and cursors, duplicates stored once', async () => {
		const stream = `t-${randomUUID()}`;
		const [a, b] = await Promise.all([startRelay(stream), startRelay(stream)]);
		const onA = await subscribe(a);
		const onB = await subscribe(b);
		await Promise.all([onA.waitFor(caughtUp), onB.waitFor(caughtUp)]);

		// Two executions, their events spread over both relays, each batch also sent to the other
		// relay (queue-mode main and worker report the same facts).
		const all: EventDraft[] = [];
		for (let i = 0; i < 20; i++) all.push(nodeEvent('e1', i), nodeEvent('e2', i));
		let accepted = 0;
		let duplicates = 0;
		for (let i = 0; i < all.length; i += 5) {
			const batch = all.slice(i, i + 5);
			const [first, second] = i % 10 === 0 ? [a, b] : [b, a];
			const one = await ingest(first, batch);
			const two = await ingest(second, batch);
			expect([one.status, two.status]).toEqual([200, 200]);
			accepted += one.body.accepted + two.body.accepted;
			duplicates += one.body.duplicates + two.body.duplicates;
		}
		expect({ accepted, duplicates }).toEqual({ accepted: 40, duplicates: 40 });

		await onA.waitFor((s) => s.events().length === 40, 60_000, '40 events on A');
		await onB.waitFor((s) => s.events().length === 40, 60_000, '40 events on B');
		expect(shape(onB.events())).toEqual(shape(onA.events()));
		expect(onA.events().map((e) => e.id)).toEqual(all.map((e) => e.id));
		for (const execution of ['e1', 'e2']) {
			const seqs = onA
				.events()
				.filter((e) => e.executionId === execution)
				.map((e) => e.seq);
			expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
		}
		// Both instances hold the same live state.
		const status = async (relay: Relay) =>
			await fetch(`${relay.url}/api/v1/workflows/wf1/status`, {
				headers: { authorization: `Bearer ${TOKEN}` },
			}).then(
				(r) => r.json() as Promise<{ executions: Array<{ executionId: string; seq: number }> }>,
			);
		const [statusA, statusB] = await Promise.all([status(a), status(b)]);
		expect(statusA.executions.map((e) => [e.executionId, e.seq]).sort()).toEqual([
			['e1', 20],
			['e2', 20],
		]);
		expect(statusB.executions.map((e) => [e.executionId, e.seq]).sort()).toEqual(
			statusA.executions.map((e) => [e.executionId, e.seq]).sort(),
		);
		await Promise.all([onA.close(), onB.close()]);
	}, 180_000);

	it('a cursor from one instance resumes on the other, and across a relay restart (durable cursors)', async () => {
		const stream = `t-${randomUUID()}`;
		const a = await startRelay(stream);
		const b = await startRelay(stream);
		const first = Array.from({ length: 10 }, (_, i) => nodeEvent('e3', i));
		const later = Array.from({ length: 10 }, (_, i) => nodeEvent('e3', 10 + i));
		const watcher = await subscribe(a);
		await watcher.waitFor(caughtUp);
		await ingest(a, first);
		await watcher.waitFor((s) => s.events().length === 10, 60_000);
		const cursor = watcher.cursor!;
		await watcher.close();
		await ingest(a, later);

		const onB = await subscribe(b, cursor);
		await onB.waitFor(caughtUp, 60_000);
		expect(onB.messages.map((m) => m.type)).toEqual([
			'hello',
			'snapshot',
			...later.map(() => 'event'),
			'caught-up',
		]);
		expect(onB.events().map((e) => e.id)).toEqual(later.map((e) => e.id));
		await onB.close();

		// Every relay of this stream restarts: the cursor still resumes, nothing is reset.
		await Promise.all([a.stop(), b.stop()]);
		const again = await startRelay(stream);
		const back = await subscribe(again, cursor);
		await back.waitFor(caughtUp, 60_000);
		const types = back.messages.map((m) => m.type);
		expect(types).not.toContain('reset');
		expect(back.events().map((e) => e.seq)).toEqual(later.map((_, i) => 11 + i));
		// The restarted instance rebuilt its live state from the stream.
		const snapshot = back.messages.find((m) => m.type === 'snapshot') as Extract<
			ServerMessage,
			{ type: 'snapshot' }
		>;
		expect(snapshot.workflow?.executions.map((e) => [e.executionId, e.seq])).toEqual([['e3', 20]]);
		// seq goes on where it stopped, whichever instance stores the next event.
		await ingest(again, [nodeEvent('e3', 99)]);
		await back.waitFor((s) => s.events().some((e) => e.seq === 21), 60_000, 'seq 21');
		await back.close();
	}, 180_000);

	it('a cursor that trimming went past gets reset + a fresh snapshot, never a silent gap', async () => {
		const stream = `t-${randomUUID()}`;
		const relay = await startRelay(stream, { RELAY_RETENTION_EVENTS: '10' });
		await ingest(relay, [nodeEvent('e4', 0)]);
		const watcher = await subscribe(relay);
		await watcher.waitFor(caughtUp);
		const old = (await fetch(`${relay.url}/api/v1/workflows/wf1/logs`, {
			headers: { authorization: `Bearer ${TOKEN}` },
		}).then((r) => r.json())) as { events: Envelope[] };
		await watcher.close();
		// MAXLEN ~ trims whole blocks of entries: write well past one.
		for (let batch = 0; batch < 6; batch++) {
			await ingest(
				relay,
				Array.from({ length: 100 }, (_, i) => nodeEvent('e4', 1 + batch * 100 + i)),
			);
		}
		const back = await subscribe(relay, old.events[0].cursor);
		await back.waitFor(caughtUp, 60_000);
		expect(back.messages.map((m) => m.type)).toEqual(['hello', 'reset', 'snapshot', 'caught-up']);
		expect(back.messages[1]).toMatchObject({ type: 'reset', reason: 'cursor-expired' });
		await back.close();
		const gone = await fetch(
			`${relay.url}/api/v1/workflows/wf1/logs?cursor=${old.events[0].cursor}`,
			{ headers: { authorization: `Bearer ${TOKEN}` } },
		);
		expect(gone.status).toBe(410);
	}, 180_000);

	it('an entry with the wrong shape in the stream does not stop a relay from starting, and is skipped', async () => {
		const stream = `t-${randomUUID()}`;
		const bad = {
			...nodeEvent('e5', 0),
			id: 'e5:started',
			type: 'execution.started',
			data: { nodes: 5 },
		};
		// As a relay without the schema check could have stored it.
		await redis.command(
			'XADD',
			`{${stream}}:events`,
			'*',
			'seq',
			'1',
			'ts',
			new Date().toISOString(),
			'e',
			JSON.stringify(bad),
		);
		await redis.command(
			'XADD',
			`{${stream}}:events`,
			'*',
			'seq',
			'2',
			'ts',
			new Date().toISOString(),
			'e',
			JSON.stringify(nodeEvent('e5', 1)),
		);
		const relay = await startRelay(stream);
		const status = (await fetch(`${relay.url}/api/v1/executions/e5/status`, {
			headers: { authorization: `Bearer ${TOKEN}` },
		}).then((r) => r.json())) as { nodes: Array<{ name: string; state: string }> };
		expect(status.nodes).toEqual([expect.objectContaining({ name: 'N1', state: 'running' })]);
		// And a new malformed event is refused at the door.
		const refused = await ingest(relay, [bad, nodeEvent('e5', 2)]);
		expect(refused.body).toMatchObject({ accepted: 1, rejected: 1 });
	}, 180_000);

	it("a replayed signed batch is taken once across relay instances, even after its events' dedupe keys expired", async () => {
		const stream = `t-${randomUUID()}`;
		const [a, b] = await Promise.all([startRelay(stream), startRelay(stream)]);
		const event = {
			...nodeEvent('e6', 0),
			id: 'e6:finished',
			type: 'execution.finished',
			data: { status: 'error', finishedAt: new Date().toISOString() },
		};
		const body = JSON.stringify({
			v: 1,
			source: { host: 'h', pid: 1, role: 'worker', hookVersion: '1' },
			dropped: 0,
			sentAt: new Date().toISOString(),
			events: [event],
		});
		const signature = signBody(SECRET, body);
		const post = async (relay: Relay) =>
			await fetch(`${relay.url}/ingest`, {
				method: 'POST',
				headers: { 'x-relay-signature': signature },
				body,
			}).then((r) => r.json());
		expect(await post(a)).toMatchObject({ accepted: 1 });
		// The event id is no longer remembered (as after RELAY_REDIS_DEDUPE_SECONDS).
		await redis.command('DEL', `{${stream}}:id:e6:finished`);
		expect(await post(b)).toEqual({ accepted: 0, duplicates: 1, rejected: 0 });
		expect(await post(a)).toEqual({ accepted: 0, duplicates: 1, rejected: 0 });
	}, 180_000);

	it("one execution's logs are read entry by entry, not by scanning the whole stream", async () => {
		const stream = `t-${randomUUID()}`;
		const relay = await startRelay(stream);
		for (let batch = 0; batch < 40; batch++) {
			const events = Array.from({ length: 500 }, (_, i) => nodeEvent(`bulk${batch}`, i));
			expect((await ingest(relay, events)).status).toBe(200);
		}
		const mine = [0, 1, 2].map((i) => nodeEvent('x1', i));
		await ingest(relay, mine);
		const headers = { authorization: `Bearer ${TOKEN}` };
		// Until this instance's tail has the last event.
		for (let i = 0; i < 200; i++) {
			const found = await fetch(`${relay.url}/api/v1/executions/x1/status`, { headers });
			await found.arrayBuffer();
			if (found.status === 200) break;
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		const store = relay.store as unknown as { envelope(entry: unknown): unknown };
		const parse = jest.spyOn(store, 'envelope');
		const first = (await fetch(`${relay.url}/api/v1/executions/x1/logs?limit=2`, { headers }).then(
			(r) => r.json(),
		)) as { events: Envelope[]; nextCursor: string; hasMore: boolean };
		expect(first.events.map((e) => e.id)).toEqual(mine.slice(0, 2).map((e) => e.id));
		expect(first.hasMore).toBe(true);
		const rest = (await fetch(
			`${relay.url}/api/v1/executions/x1/logs?limit=2&cursor=${first.nextCursor}`,
			{ headers },
		).then((r) => r.json())) as { events: Envelope[]; hasMore: boolean };
		expect(rest.events.map((e) => e.id)).toEqual([mine[2].id]);
		expect(rest.hasMore).toBe(false);
		const workflowPage = (await fetch(`${relay.url}/api/v1/workflows/wf1/logs?limit=10`, {
			headers,
		}).then((r) => r.json())) as { events: Envelope[] };
		expect(workflowPage.events).toHaveLength(10);
		// 20,003 entries in the stream; the three pages above parsed a handful.
		expect(parse.mock.calls.length).toBeLessThan(50);
		parse.mockRestore();
	}, 120_000);
});
