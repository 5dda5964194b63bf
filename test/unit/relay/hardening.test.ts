/**
 * The relay as an attacker on the network would try it (issue 13): request targets that are not
 * URLs, malformed percent-encoding, metric labels from the URL, pings without reading, unsigned and
 * oversized /ingest bodies, malformed signed events, replayed batches, version disclosure.
 */
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import type { Relay } from '../../../status-relay/server/app';
import { RelayStream } from '../../../status-relay/client/client';
import { signBody } from '../../../status-relay/protocol/signing';
import { STREAM_SUBPROTOCOL } from '../../../status-relay/protocol/types';
import {
	OTHER_TOKEN,
	SECRET,
	TOKEN,
	batchBody,
	ingest,
	metricSeries,
	nodeEvent,
	postSigned,
	rawRequest,
	startRelay,
	statusOf,
} from '../../support/relay-helpers';

const auth = { authorization: `Bearer ${TOKEN}` };
const live = async (relay: Relay) => (await fetch(`${relay.url}/health/live`)).status;

describe('relay request targets', () => {
	let relay: Relay;
	beforeAll(async () => {
		relay = await startRelay();
	});
	afterAll(async () => await relay.stop());

	it.each([
		['//', 'GET // HTTP/1.1\r\nhost: x\r\n\r\n'],
		['///', 'GET /// HTTP/1.1\r\nhost: x\r\n\r\n'],
		['//x', 'GET //relay.example/x HTTP/1.1\r\nhost: x\r\n\r\n'],
		[
			'// with WebSocket upgrade headers',
			'GET // HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
		],
		[
			'/// with WebSocket upgrade headers',
			'GET ///api/v1/workflows/wf1/stream HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
		],
	])('%s gets an answer and the relay stays up', async (_, request) => {
		const answer = await rawRequest(relay.port, request);
		expect([400, 404]).toContain(statusOf(answer));
		expect(await live(relay)).toBe(200);
	});

	it('malformed percent-encoding: 400 over REST (before and after auth), 400 over WebSocket, never 500', async () => {
		for (const path of [
			'/api/v1/workflows/%E0%A4%A/status',
			'/api/v1/workflows/%E0%A4%A/logs',
			'/api/v1/executions/%ZZ/status',
			'/api/v1/workflows/%/pause',
		]) {
			const anonymous = await fetch(`${relay.url}${path}`, {
				method: path.endsWith('pause') ? 'POST' : 'GET',
			});
			expect(anonymous.status).toBe(400);
			const withToken = await fetch(`${relay.url}${path}`, { headers: auth });
			expect(withToken.status).toBe(400);
		}
		// Any valid token, even another tenant's read-only one.
		for (const token of [TOKEN, OTHER_TOKEN]) {
			const answer = await rawRequest(
				relay.port,
				`GET /api/v1/workflows/%E0%A4%A/stream HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nauthorization: Bearer ${token}\r\n\r\n`,
			);
			expect(statusOf(answer)).toBe(400);
		}
		expect(await live(relay)).toBe(200);
		const series = await metricSeries(relay);
		expect(series.filter((s) => s.includes('status="500"'))).toEqual([]);
	});

	it('/metrics labels come from a fixed set: 3,000 requests to random paths add no series', async () => {
		const random = () => Math.random().toString(36).slice(2, 10);
		const kinds = [
			() => `/api/v1/workflows/x/${random()}`,
			() => `/api/v1/executions/${random()}/${random()}`,
			() => `/${random()}`,
		];
		const paths = (n: number) =>
			Array.from({ length: n }, () => kinds[Math.floor(Math.random() * kinds.length)]());
		// Once through every shape the random paths take, with and without a token, so the series
		// they use exist before counting: an action of letters only matches the API pattern (401
		// without a token, 404 with one), one with a digit does not (404). A random warm-up could
		// miss a shape and count its first series as growth.
		const shapes = [
			'/api/v1/workflows/x/abcdefgh',
			'/api/v1/workflows/x/abc1defg',
			'/api/v1/executions/a1/abcdefgh',
			'/api/v1/executions/a1/abc1defg',
			'/abc1defg',
		];
		for (const path of shapes) {
			await fetch(`${relay.url}${path}`).then((r) => r.arrayBuffer());
			await fetch(`${relay.url}${path}`, { headers: auth }).then((r) => r.arrayBuffer());
		}
		await metricSeries(relay); // the /metrics request itself is counted from the second read on
		const before = await metricSeries(relay);
		for (let i = 0; i < 3000; i += 100) {
			await Promise.all(
				paths(100).map((path, j) =>
					fetch(`${relay.url}${path}`, j % 2 ? { headers: auth } : {}).then((r) => r.arrayBuffer()),
				),
			);
		}
		// Node's own GC histogram gains a `kind` series the first time a kind of collection runs
		// (at most four kinds): bounded by Node, not by requests.
		const gc = (s: string) => s.startsWith('relay_nodejs_gc_duration_seconds');
		const after = await metricSeries(relay);
		expect(after.filter((s) => !before.includes(s) && !gc(s))).toEqual([]);
		for (const line of after.filter((l) => l.startsWith('relay_http_requests_total'))) {
			expect(line).toMatch(
				/^relay_http_requests_total\{route="(health|metrics|ingest|dashboard|token|workflows|workflows\.(status|logs|intake|execute|pause|resume)|executions\.(status|logs|cancel)|other)",status="(\d{3}|other)"\}$/,
			);
		}
	}, 60_000);

	it('discloses no versions without a token', async () => {
		const metrics = await fetch(`${relay.url}/metrics`).then((r) => r.text());
		expect(metrics).not.toMatch(/version/i);
		expect(metrics).not.toContain(process.version);
		const anonymous = (await fetch(`${relay.url}/health/detailed`).then((r) => r.json())) as Record<
			string,
			unknown
		>;
		expect(JSON.stringify(anonymous)).not.toMatch(/version/i);
		const withToken = (await fetch(`${relay.url}/health/detailed`, { headers: auth }).then((r) =>
			r.json(),
		)) as Record<string, unknown>;
		expect(withToken).toHaveProperty('n8nVersion');
		expect(withToken.nodeVersion).toBe(process.version);
	});
});

describe('relay WebSocket pings', () => {
	let relay: Relay;
	beforeEach(async () => {
		relay = await startRelay({
			RELAY_CLIENT_BUFFER_BYTES: '4096',
			RELAY_WS_MAX_PAYLOAD_BYTES: '4096',
		});
	});
	afterEach(async () => await relay.stop());

	/** The relay's side of its subscribers, to read how much it has queued for each. */
	const serverClients = () => [
		...(relay as unknown as { hub: { clients: Set<{ ws: WebSocket; closed: boolean }> } }).hub
			.clients,
	];

	/**
	 * A raw WebSocket client (hand-made frames, so no client library gets in the way) that sends
	 * `count` pings, app-level or ping frames, and never reads what comes back.
	 */
	/**
	 * A subscribed raw socket: the upgrade and the stream up to `caught-up`. Bounded, and it says what
	 * it got: a CI run at load 12 once waited 2 x 10 minutes here with nothing to show.
	 */
	async function subscribed(): Promise<Socket> {
		const socket = connect(relay.port, '127.0.0.1');
		socket.on('error', () => undefined);
		socket.write(
			`GET /api/v1/workflows/wf1/stream HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-protocol: ${STREAM_SUBPROTOCOL}, bearer.${TOKEN}\r\n\r\n`,
		);
		let head = '';
		try {
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error('no caught-up in 120 s')), 120_000);
				const onData = (chunk: Buffer) => {
					head += chunk.toString('latin1');
					if (head.includes('"caught-up"')) {
						clearTimeout(timer);
						socket.off('data', onData);
						resolve();
					}
				};
				socket.on('data', onData);
				socket.once('close', () => {
					clearTimeout(timer);
					reject(new Error('the relay closed the connection before caught-up'));
				});
			});
		} catch (error) {
			socket.destroy();
			throw new Error(
				`${(error as Error).message}; received: ${JSON.stringify(head.slice(0, 600))}`,
			);
		}
		return socket;
	}

	/** Until the socket can take more (true), or is closed, or 60 s passed (false). */
	function writable(socket: Socket): Promise<boolean> {
		return new Promise((resolve) => {
			const done = (drained: boolean) => {
				clearTimeout(timer);
				socket.off('drain', onDrain);
				socket.off('close', onClose);
				resolve(drained);
			};
			const onDrain = () => done(true);
			const onClose = () => done(false);
			const timer = setTimeout(() => done(false), 60_000);
			socket.on('drain', onDrain);
			socket.on('close', onClose);
		});
	}

	async function flood(kind: 'message' | 'ping', count: number) {
		const socket = await subscribed();
		// The client never reads again.
		socket.pause();
		const [server] = serverClients();
		let received = 0;
		server.ws.on(kind, () => received++);
		let maxQueued = 0;
		const watch = setInterval(() => (maxQueued = Math.max(maxQueued, server.ws.bufferedAmount)), 2);
		// Masked with a zero key, so the payload goes as it is.
		const payload = kind === 'message' ? Buffer.from('{"type":"ping"}') : Buffer.alloc(100);
		const frame = Buffer.concat([
			Buffer.from([kind === 'message' ? 0x81 : 0x89, 0x80 | payload.length, 0, 0, 0, 0]),
			payload,
		]);
		const chunk = Buffer.concat(Array.from({ length: 1000 }, () => frame));
		// Until every ping is written or the relay gives up on the client: once it closes the connection
		// no 'drain' comes (a CI run at load 15 waited here for 10 minutes, twice).
		for (let i = 0; i < count && !socket.destroyed; i += 1000) {
			if (!socket.write(chunk) && !(await writable(socket))) break;
		}
		// Until the relay has read every ping (or given up on the client).
		const deadline = Date.now() + 90_000;
		while (received < count && !server.closed && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		clearInterval(watch);
		maxQueued = Math.max(maxQueued, server.ws.bufferedAmount);
		const closed = server.closed;
		socket.destroy();
		return { maxQueued, closed, received };
	}

	it(
		'app-level pings from a client that never reads are answered only within its buffer',
		async () => {
			const { maxQueued, closed } = await flood('message', 300_000);
			// The relay holds at most its client buffer (plus the one message that crossed it).
			expect(maxQueued).toBeLessThan(4096 + 1024);
			expect(closed).toBe(true);
			expect(await live(relay)).toBe(200);
		},
		10 * 60_000,
	);

	it(
		'WebSocket ping frames from a client that never reads are answered only within its buffer',
		async () => {
			const { maxQueued, closed } = await flood('ping', 300_000);
			expect(maxQueued).toBeLessThan(4096 + 1024);
			expect(closed).toBe(true);
		},
		10 * 60_000,
	);
});

describe('relay /ingest before the signature is known', () => {
	let relay: Relay;
	beforeEach(async () => {
		relay = await startRelay({ RELAY_INGEST_CONCURRENCY: '2', RELAY_INGEST_MAX_BYTES: '1048576' });
	});
	afterEach(async () => await relay.stop());

	it('an unsigned body is refused (401) before it is read', async () => {
		// 5 MiB announced, none sent: the answer cannot wait for the body.
		const answer = await rawRequest(
			relay.port,
			'POST /ingest HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5242880\r\n\r\n{"v":1',
			5000,
		);
		expect(statusOf(answer)).toBe(401);
		const stale = await rawRequest(
			relay.port,
			`POST /ingest HTTP/1.1\r\nhost: x\r\nx-relay-signature: t=${Date.now() - 3_600_000},v1=${'a'.repeat(64)}\r\ncontent-length: 100000\r\n\r\n{`,
			5000,
		);
		expect(statusOf(stale)).toBe(401);
	});

	it('a body announced over the limit gets 413 at once', async () => {
		const answer = await rawRequest(
			relay.port,
			`POST /ingest HTTP/1.1\r\nhost: x\r\nx-relay-signature: ${signBody(SECRET, 'x')}\r\ncontent-length: 5242880\r\n\r\n{"v":1`,
			5000,
		);
		expect(statusOf(answer)).toBe(413);
		expect(answer).toContain('RELAY_INGEST_MAX_BYTES');
	});

	it(
		'a chunked body that grows over the limit gets a real 413 answer, not a reset',
		async () => {
			const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
				const req = httpRequest(
					`${relay.url}/ingest`,
					{
						method: 'POST',
						headers: {
							'content-type': 'application/json',
							'x-relay-signature': signBody(SECRET, 'whatever'),
						},
					},
					(res) => {
						let body = '';
						res.setEncoding('utf8');
						res.on('data', (chunk) => (body += chunk));
						res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
					},
				);
				req.on('error', reject);
				const chunk = Buffer.alloc(64 * 1024, 'a');
				let sent = 0;
				const write = (): void => {
					while (sent < 3 * 1024 * 1024) {
						sent += chunk.length;
						if (!req.write(chunk)) {
							req.once('drain', write);
							return;
						}
					}
					req.end();
				};
				write();
			});
			expect(answer.status).toBe(413);
			expect(JSON.parse(answer.body)).toMatchObject({ error: 'payload_too_large' });
			expect(await live(relay)).toBe(200);
		},
		10 * 60_000,
	);

	it(
		'reads only RELAY_INGEST_CONCURRENCY bodies at once; the next waits, then gets 503 + Retry-After',
		async () => {
			// Two senders with a well-formed (but wrong) signature that never finish their bodies.
			const holders = [0, 1].map(() => {
				const req = httpRequest(`${relay.url}/ingest`, {
					method: 'POST',
					headers: {
						'content-length': '500000',
						'x-relay-signature': signBody(SECRET, 'not this body'),
					},
				});
				req.on('error', () => undefined);
				req.write(Buffer.alloc(400_000, 'a'));
				return req;
			});
			await new Promise((resolve) => setTimeout(resolve, 300));
			const waiting = await ingest(relay, [nodeEvent('e1', 1)]);
			expect(waiting.status).toBe(503);
			// A turn frees up: batches go through again.
			holders[0].destroy();
			await new Promise((resolve) => setTimeout(resolve, 100));
			expect((await ingest(relay, [nodeEvent('e1', 2)])).status).toBe(200);
			holders[1].destroy();
		},
		10 * 60_000,
	);
});

describe('relay signed events', () => {
	let relay: Relay;
	beforeEach(async () => {
		relay = await startRelay({ RELAY_RETENTION_EVENTS: '10' });
	});
	afterEach(async () => await relay.stop());

	it('an event whose data has the wrong shape is rejected; the rest of its batch is stored and fanned out', async () => {
		const watcher = await RelayStream.connect(
			relay.url,
			{ kind: 'workflow', id: 'wf1' },
			{ token: TOKEN },
		);
		await watcher.waitFor((s) => s.messages.some((m) => m.type === 'caught-up'));
		const bad = [
			{ ...nodeEvent('e1', 0), id: 'bad-1', type: 'execution.started', data: { nodes: 5 } },
			{ ...nodeEvent('e1', 0), id: 'bad-2', data: { node: 'N', runIndex: 'first' } },
			{
				...nodeEvent('e1', 0),
				id: 'bad-3',
				type: 'node.finished',
				data: { node: 'N', runIndex: 0 },
			},
			{ ...nodeEvent('e1', 0), id: 'bad-4', type: 'execution.finished', data: { status: 'great' } },
			{ ...nodeEvent('e1', 0), id: 'bad-5', data: null },
		];
		const good = [nodeEvent('e1', 1), nodeEvent('e1', 2)];
		const answer = await ingest(relay, [bad[0], good[0], ...bad.slice(1), good[1]]);
		expect(answer).toEqual({ status: 200, body: { accepted: 2, duplicates: 0, rejected: 5 } });
		await watcher.waitFor((s) => s.events().length === 2, 60_000, 'the good events');
		expect(watcher.events().map((e) => e.id)).toEqual(good.map((e) => e.id));
		const status = (await fetch(`${relay.url}/api/v1/workflows/wf1/status`, { headers: auth }).then(
			(r) => r.json(),
		)) as { executions: Array<{ nodes: Array<{ name: string; state: string }> }> };
		expect(status.executions[0].nodes.map((n) => [n.name, n.state])).toEqual([
			['N1', 'running'],
			['N2', 'running'],
		]);
		await watcher.close();
	}, 180_000);

	it('a replayed signed batch is taken once, even after its events left retention', async () => {
		const finished = {
			...nodeEvent('e9', 0),
			id: 'e9:finished',
			type: 'execution.finished',
			data: { status: 'error', finishedAt: new Date().toISOString(), error: { message: 'old' } },
		};
		const body = batchBody([finished]);
		const signature = signBody(SECRET, body);
		expect((await postSigned(relay, body, signature)).body.accepted).toBe(1);
		// Twenty newer events push it out of the store (retention 10).
		await ingest(
			relay,
			Array.from({ length: 20 }, (_, i) => nodeEvent('e10', i)),
		);
		const again = await postSigned(relay, body, signature);
		expect(again).toEqual({ status: 200, body: { accepted: 0, duplicates: 1, rejected: 0 } });
	});
});

describe('relay behind a WebSocket with a bad token or path', () => {
	let relay: Relay;
	beforeAll(async () => {
		relay = await startRelay();
	});
	afterAll(async () => await relay.stop());

	it('a peer that resets its socket while the upgrade is checked does not take the relay down', async () => {
		for (let i = 0; i < 50; i++) {
			const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/api/v1/workflows/wf1/stream`, [
				STREAM_SUBPROTOCOL,
				`bearer.${TOKEN}`,
			]);
			ws.on('error', () => undefined);
			ws.on('upgrade', () => undefined);
			setImmediate(() => ws.terminate());
		}
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(await live(relay)).toBe(200);
	});
});
