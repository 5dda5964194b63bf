/**
 * The hook's sender against real HTTP servers on loopback: its memory while the relay is away is
 * bounded in bytes, a relay that finds a batch too large (413, or an older relay's reset) does not
 * hold up what follows, overflow during a post drops the right events, and the exit flush carries
 * a large buffer.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { EventMapper } from '../../../status-relay/hook/mapper';
import { Sender } from '../../../status-relay/hook/sender';
import type { SenderOptions } from '../../../status-relay/hook/sender';
import { boundEvent, truncateString } from '../../../status-relay/hook/bounds';
import type { EventDraft, IngestBatch } from '../../../status-relay/protocol/types';

const SECRET = 'x'.repeat(16);
const SOURCE = { host: 'h', pid: 1, role: 'test', hookVersion: '1' };

const event = (i: number, extra = ''): EventDraft => ({
	v: 1,
	id: `e:${i}`,
	type: 'node.started',
	workflowId: 'w',
	workflowName: 'w',
	executionId: 'e',
	mode: 'webhook',
	occurredAt: new Date().toISOString(),
	data: { node: `N${i}${extra}`, nodeType: 't', runIndex: 0, startedAt: new Date().toISOString() },
});

interface Relay {
	url: string;
	batches: IngestBatch[];
	server: Server;
	close(): Promise<void>;
	/** Resolves once `predicate` holds for what arrived. */
	until(predicate: (batches: IngestBatch[]) => boolean): Promise<void>;
}

async function startRelay(
	handle: (req: IncomingMessage, res: ServerResponse, body: string) => boolean | void,
	port = 0,
): Promise<Relay> {
	const batches: IngestBatch[] = [];
	const waiters: Array<() => void> = [];
	const server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks).toString('utf8');
			if (handle(req, res, body) === false) return;
			batches.push(JSON.parse(body) as IngestBatch);
			res.writeHead(200).end('{}');
			for (const wake of waiters.splice(0)) wake();
		});
	});
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	const address = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${address.port}`,
		batches,
		server,
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
		until: async (predicate) => {
			while (!predicate(batches)) await new Promise<void>((wake) => waiters.push(wake));
		},
	};
}

function sender(url: string, options: Partial<SenderOptions> = {}): Sender {
	return new Sender({
		url,
		secret: SECRET,
		maxBuffer: 10_000,
		maxBatch: 200,
		flushIntervalMs: 10,
		requestTimeoutMs: 2000,
		source: SOURCE,
		...options,
	});
}

const ids = (batches: IngestBatch[]) => batches.flatMap((b) => b.events.map((e) => e.id));

describe('hook sender bounds', () => {
	it('cuts long strings on a character boundary, with a marker that says how much is missing', () => {
		const long = `${'é'.repeat(60_000)}!`;
		const cut = truncateString(long, 2048);
		expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(2048);
		expect(cut).toMatch(/^é+ … \[truncated \d+ bytes\]$/);
		const omitted = Number(/truncated (\d+) bytes/.exec(cut)![1]);
		expect(Buffer.byteLength(cut.slice(0, cut.indexOf(' … '))) + omitted).toBe(
			Buffer.byteLength(long),
		);
		expect(truncateString('short', 2048)).toBe('short');
		expect(truncateString('😀'.repeat(1000), 300)).not.toContain('\uFFFD');
	});

	it('leaves an event that fits as it is (the same object) and cuts every long string at any depth of one that does not', () => {
		const fitting: EventDraft = {
			...event(1),
			type: 'node.finished',
			// 682 characters may be 2,046 bytes: decided by length alone, no encoding.
			data: {
				node: 'n'.repeat(682),
				nodeType: 't',
				runIndex: 0,
				status: 'error',
				finishedAt: new Date().toISOString(),
				itemsOut: [1, 0],
				error: { message: 'é'.repeat(1024) },
			},
		};
		const counter = { truncated: 0 };
		expect(boundEvent(fitting, 2048, counter)).toBe(fitting);
		expect(counter.truncated).toBe(0);

		const long = 'x'.repeat(5000);
		const tooLong: EventDraft = {
			...fitting,
			workflowName: long,
			data: { ...fitting.data, error: { message: 'é'.repeat(1025), description: long } },
		} as EventDraft;
		const cut = boundEvent(tooLong, 2048, counter);
		expect(cut).not.toBe(tooLong);
		expect(counter.truncated).toBe(3);
		expect(Buffer.byteLength(cut.workflowName)).toBeLessThanOrEqual(2048);
		const error = (cut.data as { error: { message: string; description: string } }).error;
		expect(error.message).toMatch(/ … \[truncated \d+ bytes\]$/);
		expect(Buffer.byteLength(error.message)).toBeLessThanOrEqual(2048);
		expect(Buffer.byteLength(error.description)).toBeLessThanOrEqual(2048);
		// The original is not changed: n8n's strings are only read.
		expect(tooLong.workflowName).toBe(long);

		// Anything nested deeper than event data is left out, even when no string is long.
		let deep: Record<string, unknown> = { leaf: 1 };
		for (let i = 0; i < 8; i++) deep = { deep };
		const nested = { ...fitting, data: { ...fitting.data, extra: deep } } as unknown as EventDraft;
		const bounded = boundEvent(nested, 2048);
		expect(bounded).not.toBe(nested);
		expect(JSON.stringify(bounded)).not.toContain('leaf');
	});

	it('while the relay is down, 10,000 events with 50 KB error messages keep the buffer and heap within the byte budget', async () => {
		// The relay is away: a port nothing listens on.
		const probe = await startRelay(() => undefined);
		const url = probe.url;
		await probe.close();
		setFlagsFromString('--expose-gc');
		const gc = runInNewContext('gc') as () => void;
		const budget = 8 * 1024 * 1024;
		const out = sender(url, { maxBufferBytes: budget, maxStringBytes: 2048 });
		out.start();
		const mapper = new EventMapper();
		const context = {
			executionId: '1',
			mode: 'webhook',
			workflowData: { id: 'wf', name: 'Support', nodes: [{ name: 'Call', type: 'http' }] },
		};
		gc();
		const before = process.memoryUsage().heapUsed;
		let pushed = 0;
		for (let i = 0; i < 10_000; i++) {
			// A fresh 50 KB string each time, as n8n's errors are.
			const message = `${'upstream answered: '.repeat(2600)}#${i}`.slice(0, 50_000);
			const taskData = {
				startTime: 1,
				executionTime: 1,
				executionStatus: 'error',
				error: { message, description: message },
				data: { main: [[]] },
			};
			const runs = { resultData: { runData: { Call: [taskData] } } };
			const events = mapper.map({ ...context, executionId: String(i) }, 'nodeExecuteAfter', [
				'Call',
				taskData,
				runs,
			]);
			pushed += events.length;
			out.push(events);
		}
		gc();
		const grown = process.memoryUsage().heapUsed - before;
		out.stop();
		expect(out.stats.bufferedBytes).toBeLessThanOrEqual(budget);
		expect(out.stats.truncated).toBe(20_000);
		expect(pushed).toBe(20_000);
		expect(out.stats.dropped).toBeGreaterThan(0);
		expect(out.stats.buffered + out.stats.dropped).toBe(pushed);
		// The budget plus one batch in flight and bookkeeping: far from the 1 GB of messages.
		expect(grown).toBeLessThan(budget * 3);
	}, 120_000);

	it('a 413 splits the batch until it fits, drops (and counts) only the event that never fits, and goes on', async () => {
		const limit = 16 * 1024;
		const relay = await startRelay((_req, res, body) => {
			if (Buffer.byteLength(body) <= limit) return;
			res.writeHead(413).end('{"error":"too_large"}');
			return false;
		});
		const out = sender(relay.url, { maxStringBytes: 64 * 1024 });
		out.start();
		const filler = 'x'.repeat(500);
		const small = Array.from({ length: 100 }, (_, i) => event(i, filler));
		out.push([...small.slice(0, 50), event(999, 'y'.repeat(40_000)), ...small.slice(50)]);
		await relay.until((b) => ids(b).includes('e:99'));
		out.push([event(1000)]);
		await relay.until((b) => ids(b).includes('e:1000'));
		out.stop();
		await relay.close();
		const arrived = ids(relay.batches);
		expect(arrived).toEqual([...small.map((e) => e.id), 'e:1000']);
		expect(out.stats.dropped).toBe(1);
		expect(relay.batches[relay.batches.length - 1].dropped).toBe(1);
	}, 120_000);

	it('a relay that resets the connection on a large body (no answer) does not hold up later events', async () => {
		const limit = 16 * 1024;
		const tooLarge = (req: IncomingMessage) => Number(req.headers['content-length']) > limit;
		const relay = await startRelay((req) => (tooLarge(req) ? false : undefined));
		// As older relays did: the body is destroyed before any answer.
		relay.server.prependListener('request', (req: IncomingMessage) => {
			if (tooLarge(req)) req.socket.destroy();
		});
		const out = sender(relay.url, { maxStringBytes: 64 * 1024 });
		out.start();
		const filler = 'x'.repeat(500);
		out.push([
			event(999, 'y'.repeat(40_000)),
			...Array.from({ length: 60 }, (_, i) => event(i, filler)),
		]);
		await relay.until((b) => ids(b).includes('e:59'));
		out.stop();
		await relay.close();
		expect(ids(relay.batches)).toEqual(Array.from({ length: 60 }, (_, i) => `e:${i}`));
		expect(out.stats.dropped).toBe(1);
	}, 60_000);

	it('overflow while a batch is in flight drops the oldest waiting events, not the ones in flight', async () => {
		let release: (() => void) | undefined;
		const held = new Promise<void>((resolve) => (release = resolve));
		let first = true;
		let arrivedFirst: () => void = () => undefined;
		const firstArrived = new Promise<void>((resolve) => (arrivedFirst = resolve));
		const relay = await startRelay((_req, res, body) => {
			if (!first) return;
			first = false;
			arrivedFirst();
			void held.then(() => {
				relay.batches.push(JSON.parse(body) as IngestBatch);
				res.writeHead(200).end('{}');
			});
			return false;
		});
		const out = sender(relay.url, { maxBuffer: 10, maxBatch: 5 });
		out.start();
		out.push(Array.from({ length: 5 }, (_, i) => event(i)));
		await firstArrived;
		out.push(Array.from({ length: 12 }, (_, i) => event(i + 5)));
		expect(out.stats.dropped).toBe(2);
		release!();
		await relay.until((b) => ids(b).includes('e:16'));
		out.stop();
		await relay.close();
		expect(ids(relay.batches)).toEqual(
			Array.from({ length: 15 }, (_, i) => `e:${i < 5 ? i : i + 2}`),
		);
		expect(relay.batches[relay.batches.length - 1].dropped).toBe(2);
	}, 120_000);

	it('the exit flush posts a buffer far over the 128 KiB argument limit (through stdin), in batches', async () => {
		// flushSync blocks this process, so the relay runs in a child process of its own.
		const dir = mkdtempSync(join(tmpdir(), 'hook-flush-'));
		const file = join(dir, 'bodies.jsonl');
		const child = spawn(
			process.execPath,
			[
				'-e',
				`const fs=require('fs');const s=require('http').createServer((q,r)=>{const c=[];q.on('data',(d)=>c.push(d));q.on('end',()=>{fs.appendFileSync(process.argv[1],Buffer.concat(c).toString()+'\\n');r.end('{}')})});s.listen(0,'127.0.0.1',()=>console.log(s.address().port));`,
				file,
			],
			{ stdio: ['ignore', 'pipe', 'inherit'] },
		);
		try {
			const port = await new Promise<number>((resolve) =>
				child.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))),
			);
			// Never started: nothing leaves before the exit flush.
			const out = sender(`http://127.0.0.1:${port}`, { maxBatchBytes: 256 * 1024 });
			const filler = 'z'.repeat(1500);
			const events = Array.from({ length: 1000 }, (_, i) => event(i, filler));
			expect(JSON.stringify(events).length).toBeGreaterThan(1024 * 1024);
			out.push(events);
			out.flushSync(10_000);
			const batches = readFileSync(file, 'utf8')
				.trim()
				.split('\n')
				.map((line) => JSON.parse(line) as IngestBatch);
			expect(batches.length).toBeGreaterThan(1);
			expect(ids(batches)).toEqual(Array.from({ length: 1000 }, (_, i) => `e:${i}`));
			expect(out.stats).toMatchObject({ buffered: 0, sent: 1000, dropped: 0 });
		} finally {
			child.kill();
			rmSync(dir, { recursive: true, force: true });
		}
	}, 60_000);
});
