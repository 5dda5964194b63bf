/**
 * Fuzzing the relay's network surface with fast-check (issue 13): 10,000 generated HTTP requests
 * (request targets, methods, headers, bodies, signed and unsigned /ingest batches of arbitrary
 * events, WebSocket upgrades, with and without tokens) sent as raw bytes, and 10,000 generated
 * WebSocket frames on authenticated streams. Every request gets an answer that is not a 500; after
 * all of it the relay is up, /metrics has only its fixed series, and memory is back within a bound.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import type { Relay } from '../../../status-relay/server/app';
import { signBody } from '../../../status-relay/protocol/signing';
import { STREAM_SUBPROTOCOL } from '../../../status-relay/protocol/types';
import {
	OTHER_TOKEN,
	SECRET,
	TOKEN,
	batchBody,
	metricSeries,
	nodeEvent,
	startRelay,
} from '../../support/relay-helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;

function usedBytes(): number {
	gc();
	gc();
	const usage = process.memoryUsage();
	return usage.heapUsed + usage.external;
}

// ---- generators ---------------------------------------------------------------------------

const segment = fc.oneof(
	fc.constantFrom(
		'wf1',
		'other',
		'e1',
		'',
		'.',
		'..',
		'%',
		'%E0%A4%A',
		'%ZZ',
		'%00',
		'%2F',
		'%C0%AF',
	),
	fc.string({ maxLength: 12, unit: 'grapheme' }).map((s) => encodeURIComponent(s)),
	fc.stringMatching(/^[A-Za-z0-9%._~\-]{0,16}$/),
	fc.string({ maxLength: 8 }).map((s) => s.replace(/[\s\r\n]/g, '')),
);
const action = fc.constantFrom(
	'status',
	'logs',
	'stream',
	'intake',
	'execute',
	'pause',
	'resume',
	'cancel',
	'STATUS',
	'x',
);
const query = fc.option(
	fc
		.array(fc.tuple(fc.constantFrom('cursor', 'limit', 'token', 'x'), segment), { maxLength: 3 })
		.map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
	{ nil: '' },
);
const target = fc.oneof(
	fc.constantFrom(
		'/api/v1/workflows/wf1/stream',
		'/api/v1/workflows/wf1/stream?cursor=bm9wZToxMg',
		'/api/v1/executions/e1/stream',
		'/api/v1/workflows/wf1/status',
		'/api/v1/workflows/wf1/logs?limit=5',
		'/ingest',
		'/ingest',
		'/ingest',
	),
	fc
		.tuple(fc.constantFrom('workflows', 'executions', 'WORKFLOWS', ''), segment, action, query)
		.map(([kind, id, act, q]) => `/api/v1/${kind}/${id}/${act}${q}`),
	fc.constantFrom(
		'/',
		'//',
		'///',
		'//x/y',
		'/\\\\x',
		'/dashboard.js',
		'/favicon.ico',
		'/metrics',
		'/health/live',
		'/health/ready',
		'/health/detailed',
		'/ingest',
		'/api/v1/token',
		'/api/v1/workflows',
		'*',
		'http://relay.example/api/v1/token',
		'/%',
		'/..%2F..%2Fetc%2Fpasswd',
	),
	fc
		.tuple(fc.array(segment, { maxLength: 5 }), query)
		.map(([parts, q]) => `/${parts.join('/')}${q}`),
);
const method = fc.constantFrom(
	'GET',
	'POST',
	'PUT',
	'DELETE',
	'HEAD',
	'OPTIONS',
	'PATCH',
	'TRACE',
	'M-SEARCH',
	'BREW',
);
const token = fc.constantFrom(
	TOKEN,
	OTHER_TOKEN,
	'not-a-token-0123456789',
	'',
	'Bearer',
	'\u00e9t\u00e9',
);

/** Events of every shape: valid ones, near misses and junk. */
const eventLike = fc.oneof(
	fc.integer({ min: 0, max: 50 }).map((i) => nodeEvent(`f${i}`, i)),
	fc
		.record(
			{
				id: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
				type: fc.constantFrom(
					'execution.started',
					'execution.waiting',
					'execution.resumed',
					'execution.finished',
					'node.started',
					'node.finished',
					'other',
				),
				workflowId: fc.constantFrom('wf1', 'other', ''),
				executionId: fc.oneof(fc.constantFrom('e1', 'e2'), fc.string({ maxLength: 8 })),
				occurredAt: fc.oneof(fc.constant(new Date().toISOString()), fc.string({ maxLength: 10 })),
				data: fc.oneof(
					fc.jsonValue({ maxDepth: 3 }),
					fc.record(
						{
							node: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
							nodes: fc.oneof(
								fc.integer(),
								fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
							),
							runIndex: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.string()),
							status: fc.constantFrom('success', 'error', 'waiting', 'canceled', 'crashed', 'x'),
							finishedAt: fc.constant(new Date().toISOString()),
							itemsOut: fc.oneof(
								fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 }),
								fc.string(),
							),
							error: fc.oneof(
								fc.record({ message: fc.string({ maxLength: 50 }) }),
								fc.constant({ message: 'x'.repeat(20_000) }),
								fc.string(),
							),
						},
						{ requiredKeys: [] },
					),
				),
			},
			{ requiredKeys: ['type', 'data'] },
		)
		.map((e) => ({ v: 1, workflowName: 'Fuzz', mode: 'webhook', ...e })),
	fc.jsonValue({ maxDepth: 2 }),
);

interface Generated {
	method: string;
	target: string;
	headers: Array<[string, string]>;
	body: Buffer;
	signature: 'none' | 'valid' | 'junk' | 'stale';
}

const request: fc.Arbitrary<Generated> = fc
	.record({
		method,
		target,
		auth: fc.option(
			fc.tuple(fc.constantFrom('authorization', 'x-relay-token', 'sec-websocket-protocol'), token),
			{
				nil: undefined,
			},
		),
		upgrade: fc.boolean(),
		extra: fc.array(
			fc.tuple(
				fc.constantFrom(
					'content-type',
					'accept',
					'x-forwarded-for',
					'origin',
					'transfer-encoding',
					'expect',
					'x',
				),
				fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
			),
			{ maxLength: 3 },
		),
		body: fc.oneof(
			fc.constant(Buffer.alloc(0)),
			fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
			fc.array(eventLike, { maxLength: 8 }).map((events) => Buffer.from(batchBody(events))),
			fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
		),
		signature: fc.constantFrom('none', 'valid', 'valid', 'junk', 'stale') as fc.Arbitrary<
			Generated['signature']
		>,
	})
	.map(({ method: m, target: t, auth, upgrade, extra, body, signature }) => {
		const headers: Array<[string, string]> = [['host', 'relay.test']];
		if (auth) {
			const [name, value] = auth;
			headers.push([
				name,
				name === 'authorization'
					? `Bearer ${value}`
					: name === 'sec-websocket-protocol'
						? `${STREAM_SUBPROTOCOL}, bearer.${value}`
						: value,
			]);
		}
		if (upgrade) {
			headers.push(
				['connection', 'Upgrade'],
				['upgrade', 'websocket'],
				['sec-websocket-version', '13'],
				['sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ=='],
			);
		} else headers.push(['connection', 'close']);
		headers.push(...extra.filter(([name]) => name !== 'transfer-encoding' || !body.length));
		return { method: m, target: t, headers, body, signature };
	});

/** Signed batches of arbitrary events, as a hook (or someone holding the secret) would post them. */
const ingestRequest: fc.Arbitrary<Generated> = fc
	.tuple(request, fc.array(eventLike, { minLength: 1, maxLength: 12 }))
	.map(([r, events]) => ({
		...r,
		method: 'POST',
		target: '/ingest',
		headers: r.headers
			.filter(([name]) => !['connection', 'upgrade', 'expect'].includes(name))
			.concat([['connection', 'close']]),
		body: Buffer.from(batchBody(events)),
		signature: 'valid',
	}));
const anyRequest = fc.oneof(
	{ arbitrary: request, weight: 4 },
	{ arbitrary: ingestRequest, weight: 1 },
);

function serialise(r: Generated): Buffer {
	const headers = [...r.headers];
	if (r.signature === 'valid')
		headers.push(['x-relay-signature', signBody(SECRET, r.body.toString('utf8'))]);
	if (r.signature === 'junk')
		headers.push(['x-relay-signature', `t=${Date.now()},v1=${'0'.repeat(64)}`]);
	if (r.signature === 'stale')
		headers.push(['x-relay-signature', signBody(SECRET, r.body.toString('utf8'), 1)]);
	if (r.body.length) headers.push(['content-length', String(r.body.length)]);
	const head = `${r.method} ${r.target} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
	return Buffer.concat([Buffer.from(head, 'latin1'), r.body]);
}

/** Sends one request on its own connection; resolves with the status line's code (0: none). */
function send(port: number, bytes: Buffer): Promise<number> {
	return new Promise((resolve) => {
		const socket: Socket = connect(port, '127.0.0.1');
		let head = '';
		let settled = false;
		const done = () => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			socket.destroy();
			const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
			resolve(match ? Number(match[1]) : 0);
		};
		const timer = setTimeout(done, 10_000);
		socket.on('data', (chunk) => {
			head += chunk.toString('latin1');
			// The status line is all we look at (a 101 stays open: we are done with it).
			if (head.includes('\r\n')) done();
		});
		socket.on('error', done);
		socket.on('close', done);
		socket.end(bytes);
	});
}

// ---- WebSocket frames -----------------------------------------------------------------------

const frame = fc
	.record({
		fin: fc.boolean(),
		opcode: fc.constantFrom(0x0, 0x1, 0x1, 0x1, 0x2, 0x3, 0x8, 0x9, 0x9, 0xa, 0xb),
		masked: fc.oneof(fc.constant(true), fc.boolean()),
		payload: fc.oneof(
			fc.constant(Buffer.from('{"type":"ping"}')),
			fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? '')),
			fc
				.constantFrom('{"type":"ack","cursor":"x"}', '{"type":"ping","x":1}', '{', 'null', '[]')
				.map((s) => Buffer.from(s)),
			fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
			fc.integer({ min: 4000, max: 70_000 }).map((n) => Buffer.alloc(n, 0x61)),
		),
	})
	.map(({ fin, opcode, masked, payload }) => {
		const length = payload.length;
		const head =
			length < 126
				? Buffer.from([(fin ? 0x80 : 0) | opcode, (masked ? 0x80 : 0) | length])
				: length < 65536
					? Buffer.from([
							(fin ? 0x80 : 0) | opcode,
							(masked ? 0x80 : 0) | 126,
							length >> 8,
							length & 0xff,
						])
					: Buffer.concat([
							Buffer.from([(fin ? 0x80 : 0) | opcode, (masked ? 0x80 : 0) | 127, 0, 0, 0, 0]),
							Buffer.from([
								(length >>> 24) & 0xff,
								(length >>> 16) & 0xff,
								(length >>> 8) & 0xff,
								length & 0xff,
							]),
						]);
		// A zero mask key leaves the payload as it is.
		return Buffer.concat([head, masked ? Buffer.alloc(4) : Buffer.alloc(0), payload]);
	});

/** Opens a stream with a valid token, sends the frames, and waits until the relay has closed it or gone quiet. */
function sendFrames(port: number, frames: Buffer[]): Promise<void> {
	return new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1');
		let text = '';
		let sent = false;
		const timer = setTimeout(() => socket.destroy(), 5000);
		socket.on('data', (chunk) => {
			text += chunk.toString('latin1');
			if (!sent && text.includes('"caught-up"')) {
				sent = true;
				socket.end(Buffer.concat(frames));
			}
		});
		socket.on('error', () => undefined);
		socket.on('close', () => {
			clearTimeout(timer);
			resolve();
		});
		socket.write(
			`GET /api/v1/workflows/wf1/stream HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-protocol: ${STREAM_SUBPROTOCOL}, bearer.${TOKEN}\r\n\r\n`,
		);
	});
}

// ---- the test -------------------------------------------------------------------------------

/** Every series the relay may ever have: metric names and label values from fixed lists. */
const ALLOWED_SERIES = new RegExp(
	[
		'^relay_(process|nodejs)_[a-z0-9_]+(\\{[a-z]+="[A-Za-z0-9_.+/-]+"(,[a-z]+="[A-Za-z0-9_.+/-]+")*\\})?$',
		'^relay_http_requests_total\\{route="(health|metrics|ingest|dashboard|token|workflows|workflows\\.(status|logs|intake|execute|pause|resume)|executions\\.(status|logs|cancel)|other)",status="(\\d{3}|other)"\\}$',
		'^relay_ingest_(events|batches)_total\\{result="[a-z_]+"\\}$',
		'^relay_ws_messages_sent_total\\{type="(hello|snapshot|event|caught-up|reset|lagged|heartbeat|error)"\\}$',
		'^relay_event_ingest_to_send_seconds_(bucket\\{le="[0-9.+Inf]+"\\}|sum|count)$',
		'^relay_(hook_dropped_events|hook_sources|ws_clients|ws_lagged_total|ws_rejected_total|store_events|store_bytes|tracked_executions|event_strings_truncated_total)$',
	].join('|'),
);

describe('relay fuzzing', () => {
	let relay: Relay;
	beforeAll(async () => {
		relay = await startRelay({
			RELAY_RETENTION_BYTES: String(4 * MiB),
			RELAY_STATE_MAX_BYTES: String(4 * MiB),
			RELAY_INGEST_MAX_BYTES: '65536',
			RELAY_CLIENT_BUFFER_BYTES: '16384',
		});
	});
	afterAll(async () => await relay?.stop());

	it('10,000 generated HTTP requests and 10,000 WebSocket frames: always an answer, never a 500; afterwards up, fixed series, memory bounded', async () => {
		// Warm up what every run allocates once (JIT, pools, the first series), then measure.
		await Promise.all(
			fc.sample(request, { numRuns: 200, seed: 1 }).map((r) => send(relay.port, serialise(r))),
		);
		const baseline = usedBytes();

		const statuses = new Map<number, number>();
		await fc.assert(
			fc.asyncProperty(fc.array(anyRequest, { minLength: 10, maxLength: 10 }), async (batch) => {
				const answers = await Promise.all(batch.map((r) => send(relay.port, serialise(r))));
				for (const status of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
				for (const [i, status] of answers.entries()) {
					if (status === 0 || status >= 500) {
						const r = batch[i];
						throw new Error(`${r.method} ${r.target} → ${status || 'no answer'}`);
					}
				}
			}),
			{ numRuns: 1000, seed: 13, endOnFailure: true },
		);
		expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(10_000);
		process.stdout.write(`fuzz answers by status: ${JSON.stringify([...statuses].sort())}\n`);
		// Some of everything got through: accepted batches, refusals, streams.
		for (const status of [101, 200, 400, 401, 404]) expect(statuses.get(status)).toBeGreaterThan(0);

		let frames = 0;
		await fc.assert(
			fc.asyncProperty(fc.array(frame, { minLength: 50, maxLength: 50 }), async (sequence) => {
				frames += sequence.length;
				await sendFrames(relay.port, sequence);
			}),
			{ numRuns: 200, seed: 31, endOnFailure: true },
		);
		expect(frames).toBe(10_000);

		// Up and serving.
		expect((await fetch(`${relay.url}/health/live`)).status).toBe(200);
		const status = await fetch(`${relay.url}/api/v1/workflows/wf1/status`, {
			headers: { authorization: `Bearer ${TOKEN}` },
		});
		expect(status.status).toBe(200);
		// Only the relay's fixed series.
		const series = await metricSeries(relay);
		expect(series.filter((s) => !ALLOWED_SERIES.test(s))).toEqual([]);
		expect(series.length).toBeLessThan(200);
		// Memory back within a bound: the byte budgets (4 + 4 MiB) plus slack.
		await new Promise((resolve) => setTimeout(resolve, 500));
		expect(usedBytes() - baseline).toBeLessThan(32 * MiB);
	}, 240_000);
});
