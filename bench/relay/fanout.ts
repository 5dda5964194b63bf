/**
 * Fan-out benchmark: N WebSocket subscribers (default 1,000, spread over W workflows, 10 per
 * workflow by default) fed R events/s (default 5,000, spread over the workflows) for D seconds
 * (default 30), through the relay (its /ingest, signed batches, in-memory store, protocol) and
 * through a bare `ws` broadcast server (the floor), side by side in the same run: both servers,
 * each with its own subscriber processes (the same number, the same code), are up for the whole
 * run, and one feeder (this process) alternates between them in short slices, so other load on the
 * host falls on both alike. Each subscriber follows one workflow, as a dashboard does. Reports
 * delivery latency p50 / p99 (feeder stamp to subscriber receipt), events lost, duplicates, the
 * server's memory, and the CPU the server, the subscriber processes and the feeder used (the feeder
 * is shared: half of it is shown on each side).
 */
import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { signBody } from '../../status-relay/protocol/signing';
import type { SubscriberJob, SubscriberReport } from './subscribers';
import { LATENCY_BUCKET_US } from './subscribers';

export interface FanoutOptions {
	subscribers: number;
	workflows: number;
	eventsPerSecond: number;
	seconds: number;
	/** Processes that hold the subscribers. */
	subscriberProcesses: number;
	/** Events per ingest post at most, and the longest wait before a post (as the n8n hook). */
	batch: number;
	flushMs: number;
}

export interface FanoutResult {
	target: 'relay' | 'floor';
	sent: number;
	expectedDeliveries: number;
	delivered: number;
	lost: number;
	duplicates: number;
	outOfOrder: number;
	lagged: number;
	p50Ms: number;
	p99Ms: number;
	maxMs: number;
	peakRssMb: number;
	serverCpuSeconds: number;
	/** CPU the subscriber processes spent (summed), and the feeder (this process), in the same window. */
	subscriberCpuSeconds: number;
	feederCpuSeconds: number;
	achievedEventsPerSecond: number;
	errors: string[];
}

const SECRET = randomBytes(24).toString('hex');
const TOKEN = `bench-${randomBytes(12).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;

function startServer(
	target: 'relay' | 'floor',
	topics: string[],
): Promise<{ child: ChildProcess; url: string }> {
	const script = join(__dirname, target === 'relay' ? 'relay-process.js' : 'floor.js');
	const env: NodeJS.ProcessEnv = {
		...process.env,
		RELAY_HOST: '127.0.0.1',
		RELAY_PORT: '0',
		RELAY_INGEST_SECRET: SECRET,
		RELAY_TOKENS: JSON.stringify({ [TOKEN]: { workflows: topics, name: 'bench' } }),
		RELAY_LOG_LEVEL: 'warn',
	};
	// BENCH_SERVER_NODE_ARGS: extra Node flags for the server under test (e.g. --cpu-prof).
	const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
	const child = spawn(process.execPath, [...nodeArgs, script], {
		env,
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	return new Promise((resolve, reject) => {
		let buffer = '';
		child.stdout!.on('data', (chunk: Buffer) => {
			buffer += chunk.toString();
			const line = buffer.split('\n').find((l) => l.startsWith('{"ready"'));
			if (line) resolve({ child, url: (JSON.parse(line) as { ready: string }).ready });
		});
		child.once('exit', (code) => reject(new Error(`${target} exited with ${code}`)));
	});
}

/** Resident memory and CPU time of a process, from /proc. */
function usage(pid: number): { rssMb: number; cpuSeconds: number } {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		const ticks = Number(fields[11]) + Number(fields[12]);
		return { rssMb: rssKb / 1024, cpuSeconds: ticks / 100 };
	} catch {
		return { rssMb: 0, cpuSeconds: 0 };
	}
}

/** The machine's 1, 5 and 15 minute load averages: other work on the host skews every latency. */
const loadText = () =>
	loadavg()
		.map((n) => n.toFixed(2))
		.join(' ');

function percentile(histogram: Map<number, number>, total: number, q: number): number {
	const wanted = Math.ceil(total * q);
	let seen = 0;
	for (const bucket of [...histogram.keys()].sort((a, b) => a - b)) {
		seen += histogram.get(bucket)!;
		if (seen >= wanted) return ((bucket + 1) * LATENCY_BUCKET_US) / 1000;
	}
	return NaN;
}

function ask<T>(child: ChildProcess, message: unknown, reply: string): Promise<T> {
	return new Promise((resolve, reject) => {
		const onMessage = (answer: { cmd: string; error?: string }) => {
			if (answer.cmd === 'failed') {
				child.off('message', onMessage);
				reject(new Error(answer.error));
			} else if (answer.cmd === reply) {
				child.off('message', onMessage);
				resolve(answer as T);
			}
		};
		child.on('message', onMessage);
		child.send(message as object);
	});
}

type Target = 'relay' | 'floor';

/** One server under test with its own subscriber processes, feeder state and counters. */
interface Side {
	target: Target;
	server: { child: ChildProcess; url: string };
	pool: ChildProcess[];
	agent: Agent;
	sentPerTopic: Map<string, number>;
	sent: number;
	inFlight: number;
	postErrors: number;
	peakRss: number;
	cpuBefore: number;
	/** Time this side was fed (its slices), ms. */
	fedMs: number;
}

/**
 * Runs the floor and the relay side by side: both servers and both sets of subscribers are up for
 * the whole run, and the feed alternates between them in slices of `sliceMs` (each gets `seconds`
 * of feed in all), so load from anything else on the host falls on both alike.
 */
export async function runFanout(
	options: FanoutOptions & { sliceMs: number },
	log: (line: string) => void,
): Promise<{ floor: FanoutResult; relay: FanoutResult }> {
	const topics = Array.from({ length: options.workflows }, (_, i) => `bench-wf-${i + 1}`);
	// Subscriber i follows workflow i mod W.
	const assignment = Array.from(
		{ length: options.subscribers },
		(_, i) => topics[i % topics.length],
	);
	const sides: Side[] = [];
	try {
		for (const target of ['floor', 'relay'] as const) {
			const server = await startServer(target, topics);
			const side: Side = {
				target,
				server,
				pool: Array.from({ length: options.subscriberProcesses }, () =>
					fork(join(__dirname, 'subscribers.js'), [], {
						stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
					}),
				),
				agent: new Agent({ keepAlive: true, maxSockets: 4 }),
				sentPerTopic: new Map<string, number>(topics.map((t) => [t, 0])),
				sent: 0,
				inFlight: 0,
				postErrors: 0,
				peakRss: 0,
				cpuBefore: 0,
				fedMs: 0,
			};
			sides.push(side);
			const started = Date.now();
			await Promise.all(
				side.pool.map((child, p) =>
					ask(
						child,
						{
							cmd: 'start',
							job: {
								target,
								baseUrl: server.url,
								token: TOKEN,
								topics: assignment.filter((_, i) => i % side.pool.length === p),
							} satisfies SubscriberJob,
						},
						'connected',
					),
				),
			);
			log(
				`${target}: ${options.subscribers} subscribers connected in ${Date.now() - started} ms (load average ${loadText()})`,
			);
		}
		for (const side of sides) {
			side.peakRss = usage(side.server.child.pid!).rssMb;
			side.cpuBefore = usage(side.server.child.pid!).cpuSeconds;
		}
		const feederCpuBefore = process.cpuUsage();

		const post = (side: Side, events: object[]) => {
			const body = JSON.stringify({
				v: 1,
				source: { host: 'bench', pid: process.pid, role: 'bench', hookVersion: '1' },
				dropped: 0,
				sentAt: new Date().toISOString(),
				events,
			});
			side.inFlight++;
			const req = request(
				`${side.server.url}/ingest`,
				{
					method: 'POST',
					agent: side.agent,
					headers: {
						'content-type': 'application/json',
						'content-length': Buffer.byteLength(body),
						'x-relay-signature': signBody(SECRET, body),
					},
				},
				(res) => {
					res.resume();
					res.on('end', () => {
						side.inFlight--;
						if (res.statusCode !== 200) side.postErrors++;
					});
				},
			);
			req.on('error', () => {
				side.inFlight--;
				side.postErrors++;
			});
			req.end(body);
		};
		// Paced by the clock and batched as the n8n hook batches (SUPPORT_RELAY_BATCH_MAX events, or
		// whatever is due every SUPPORT_RELAY_FLUSH_MS): events due but not yet posted wait like
		// events in the hook's buffer, and are stamped when their batch is posted, so the latency
		// measured is the server's delivery, not the hook's batching.
		const feedSlice = async (side: Side, sliceMs: number) => {
			const begin = Date.now();
			const end = begin + sliceMs;
			const sentBefore = side.sent;
			let topicIndex = side.sent;
			let lastPost = begin;
			let lastSample = begin;
			for (;;) {
				const now = Date.now();
				const last = now >= end;
				const due =
					sentBefore + Math.floor(((Math.min(now, end) - begin) / 1000) * options.eventsPerSecond);
				while (
					due - side.sent >= options.batch ||
					(due > side.sent && (last || Date.now() - lastPost >= options.flushMs))
				) {
					const events: object[] = [];
					const count = Math.min(options.batch, due - side.sent);
					const stamp = Math.round(nowUs());
					const at = new Date().toISOString();
					for (let i = 0; i < count; i++) {
						const topic = topics[topicIndex++ % topics.length];
						const n = side.sentPerTopic.get(topic)! + 1;
						side.sentPerTopic.set(topic, n);
						events.push({
							v: 1,
							id: `b:${topic}:${n}:${stamp}`,
							type: 'node.started',
							workflowId: topic,
							workflowName: 'Bench',
							executionId: `${topic}-run`,
							mode: 'webhook',
							occurredAt: at,
							data: {
								node: `Node ${n % 20}`,
								nodeType: 'n8n-nodes-base.noOp',
								runIndex: 0,
								startedAt: at,
							},
						});
					}
					side.sent += count;
					lastPost = Date.now();
					post(side, events);
				}
				if (Date.now() - lastSample >= 1000) {
					lastSample = Date.now();
					side.peakRss = Math.max(side.peakRss, usage(side.server.child.pid!).rssMb);
				}
				if (last) break;
				await sleep(2);
			}
			side.fedMs += Date.now() - begin;
		};
		const totalMs = options.seconds * 1000;
		const sliceMs = Math.min(options.sliceMs, totalMs);
		log(
			`feeding: floor and relay alternate every ${sliceMs} ms, ${options.seconds} s each (load average ${loadText()})`,
		);
		for (let done = 0; done < totalMs; done += sliceMs) {
			for (const side of sides) await feedSlice(side, Math.min(sliceMs, totalMs - done));
		}
		log(`fed (load average ${loadText()})`);

		// Let what is in flight arrive: until the subscribers' counts stop moving (at most 20 s).
		const drainUntil = Date.now() + 20_000;
		while (sides.some((side) => side.inFlight > 0) && Date.now() < drainUntil) await sleep(20);
		let before = -1;
		for (;;) {
			await sleep(1000);
			const counts = await Promise.all(
				sides.flatMap((side) =>
					side.pool.map((child) => ask<{ received: number }>(child, { cmd: 'count' }, 'count')),
				),
			);
			const now = counts.reduce((sum, c) => sum + c.received, 0);
			if (now === before || Date.now() > drainUntil) break;
			before = now;
		}
		const feederCpu = process.cpuUsage(feederCpuBefore);
		const results = await Promise.all(
			sides.map(async (side) => {
				side.peakRss = Math.max(side.peakRss, usage(side.server.child.pid!).rssMb);
				const cpu = usage(side.server.child.pid!).cpuSeconds - side.cpuBefore;
				const reports = await Promise.all(
					side.pool.map((child) =>
						ask<{ report: SubscriberReport }>(child, { cmd: 'report' }, 'report'),
					),
				);
				return summarise(side, reports, assignment, cpu, (feederCpu.user + feederCpu.system) / 2e6);
			}),
		);
		return { floor: results[0], relay: results[1] };
	} finally {
		for (const side of sides) await stopSide(side);
	}
}

function summarise(
	side: Side,
	reports: Array<{ report: SubscriberReport }>,
	assignment: string[],
	serverCpu: number,
	feederCpu: number,
): FanoutResult {
	const histogram = new Map<number, number>();
	let delivered = 0;
	let duplicates = 0;
	let outOfOrder = 0;
	let lagged = 0;
	let lost = 0;
	let subscriberCpu = 0;
	const errors: string[] = side.postErrors ? [`${side.postErrors} ingest posts failed`] : [];
	for (const { report } of reports) {
		for (let i = 0; i < report.histogram.length; i += 2) {
			histogram.set(
				report.histogram[i],
				(histogram.get(report.histogram[i]) ?? 0) + report.histogram[i + 1],
			);
		}
		delivered += report.received - report.duplicates;
		duplicates += report.duplicates;
		outOfOrder += report.outOfOrder;
		lagged += report.lagged;
		subscriberCpu += report.cpuSeconds;
		errors.push(...report.errors.slice(0, 5));
		for (const entry of report.contiguous)
			lost += side.sentPerTopic.get(entry.topic)! - entry.unique;
	}
	const expectedDeliveries = assignment.reduce(
		(sum, topic) => sum + side.sentPerTopic.get(topic)!,
		0,
	);
	return {
		target: side.target,
		sent: side.sent,
		expectedDeliveries,
		delivered,
		lost,
		duplicates,
		outOfOrder,
		lagged,
		p50Ms: percentile(histogram, delivered, 0.5),
		p99Ms: percentile(histogram, delivered, 0.99),
		maxMs: percentile(histogram, delivered, 1),
		peakRssMb: side.peakRss,
		serverCpuSeconds: serverCpu,
		subscriberCpuSeconds: subscriberCpu,
		feederCpuSeconds: feederCpu,
		achievedEventsPerSecond: side.sent / (side.fedMs / 1000),
		errors,
	};
}

async function stopSide(side: Side): Promise<void> {
	side.agent.destroy();
	for (const child of side.pool) {
		if (child.connected) child.send({ cmd: 'exit' });
	}
	await Promise.all(
		side.pool.map(
			(child) =>
				new Promise<void>((resolve) =>
					child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
				),
		),
	);
	const { child } = side.server;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	child.kill('SIGTERM');
	await Promise.race([exited, sleep(15_000)]);
	if (child.exitCode === null) child.kill('SIGKILL');
}
