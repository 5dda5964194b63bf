/**
 * Fan-out benchmark: N WebSocket subscribers (default 1,000, spread over W workflows, 10 per
 * workflow by default) fed R events/s (default 5,000, spread over the workflows) for D seconds
 * (default 30), through the relay (its /ingest, signed batches, in-memory store, protocol) and
 * through a bare `ws` broadcast server (the floor), one after the other in the same run, with the
 * same feeder and the same subscriber processes. Each subscriber follows one workflow, as a
 * dashboard does. Reports delivery latency p50 / p99 (feeder stamp to subscriber receipt), events
 * lost, duplicates, and the server's memory.
 */
import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
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

export async function runFanout(
	target: 'relay' | 'floor',
	options: FanoutOptions,
	log: (line: string) => void,
): Promise<FanoutResult> {
	const topics = Array.from({ length: options.workflows }, (_, i) => `bench-wf-${i + 1}`);
	const server = await startServer(target, topics);
	const pool = Array.from({ length: options.subscriberProcesses }, () =>
		fork(join(__dirname, 'subscribers.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
	);
	const agent = new Agent({ keepAlive: true, maxSockets: 4 });
	try {
		// Subscriber i follows workflow i mod W.
		const assignment = Array.from(
			{ length: options.subscribers },
			(_, i) => topics[i % topics.length],
		);
		const started = Date.now();
		await Promise.all(
			pool.map((child, p) =>
				ask(
					child,
					{
						cmd: 'start',
						job: {
							target,
							baseUrl: server.url,
							token: TOKEN,
							topics: assignment.filter((_, i) => i % pool.length === p),
						} satisfies SubscriberJob,
					},
					'connected',
				),
			),
		);
		log(`${target}: ${options.subscribers} subscribers connected in ${Date.now() - started} ms`);

		const sentPerTopic = new Map<string, number>(topics.map((t) => [t, 0]));
		let sent = 0;
		let inFlight = 0;
		let postErrors = 0;
		let peakRss = usage(server.child.pid!).rssMb;
		const cpuBefore = usage(server.child.pid!).cpuSeconds;
		const post = (events: object[]) => {
			const body = JSON.stringify({
				v: 1,
				source: { host: 'bench', pid: process.pid, role: 'bench', hookVersion: '1' },
				dropped: 0,
				sentAt: new Date().toISOString(),
				events,
			});
			inFlight++;
			const req = request(
				`${server.url}/ingest`,
				{
					method: 'POST',
					agent,
					headers: {
						'content-type': 'application/json',
						'content-length': Buffer.byteLength(body),
						'x-relay-signature': signBody(SECRET, body),
					},
				},
				(res) => {
					res.resume();
					res.on('end', () => {
						inFlight--;
						if (res.statusCode !== 200) postErrors++;
					});
				},
			);
			req.on('error', () => {
				inFlight--;
				postErrors++;
			});
			req.end(body);
		};
		// Paced by the clock and batched as the n8n hook batches (SUPPORT_RELAY_BATCH_MAX events, or
		// whatever is due every SUPPORT_RELAY_FLUSH_MS): events due but not yet posted wait like
		// events in the hook's buffer, and are stamped when their batch is posted, so the latency
		// measured is the server's delivery, not the hook's batching.
		const begin = Date.now();
		const end = begin + options.seconds * 1000;
		let topicIndex = 0;
		let lastSample = begin;
		let lastPost = begin;
		while (Date.now() < end) {
			const due = Math.floor(((Date.now() - begin) / 1000) * options.eventsPerSecond);
			while (
				due - sent >= options.batch ||
				(due > sent && Date.now() - lastPost >= options.flushMs)
			) {
				const events: object[] = [];
				const count = Math.min(options.batch, due - sent);
				const stamp = Math.round(nowUs());
				const at = new Date().toISOString();
				for (let i = 0; i < count; i++) {
					const topic = topics[topicIndex++ % topics.length];
					const n = sentPerTopic.get(topic)! + 1;
					sentPerTopic.set(topic, n);
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
				sent += count;
				lastPost = Date.now();
				post(events);
			}
			if (Date.now() - lastSample >= 1000) {
				lastSample = Date.now();
				peakRss = Math.max(peakRss, usage(server.child.pid!).rssMb);
			}
			await sleep(2);
		}
		const elapsed = (Date.now() - begin) / 1000;
		// Let what is in flight arrive: until the subscribers' counts stop moving (at most 20 s).
		const drainUntil = Date.now() + 20_000;
		while (inFlight > 0 && Date.now() < drainUntil) await sleep(20);
		let before = -1;
		for (;;) {
			await sleep(1000);
			const counts = await Promise.all(
				pool.map((child) => ask<{ received: number }>(child, { cmd: 'count' }, 'count')),
			);
			const now = counts.reduce((sum, c) => sum + c.received, 0);
			if (now === before || Date.now() > drainUntil) break;
			before = now;
		}
		peakRss = Math.max(peakRss, usage(server.child.pid!).rssMb);
		const cpu = usage(server.child.pid!).cpuSeconds - cpuBefore;

		const reports = await Promise.all(
			pool.map((child) => ask<{ report: SubscriberReport }>(child, { cmd: 'report' }, 'report')),
		);
		const histogram = new Map<number, number>();
		let delivered = 0;
		let duplicates = 0;
		let outOfOrder = 0;
		let lagged = 0;
		let lost = 0;
		const errors: string[] = postErrors ? [`${postErrors} ingest posts failed`] : [];
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
			errors.push(...report.errors.slice(0, 5));
			for (const entry of report.contiguous) lost += sentPerTopic.get(entry.topic)! - entry.unique;
		}
		const expectedDeliveries = assignment.reduce((sum, topic) => sum + sentPerTopic.get(topic)!, 0);
		return {
			target,
			sent,
			expectedDeliveries,
			delivered,
			lost,
			duplicates,
			outOfOrder,
			lagged,
			p50Ms: percentile(histogram, delivered, 0.5),
			p99Ms: percentile(histogram, delivered, 0.99),
			maxMs: percentile(histogram, delivered, 1),
			peakRssMb: peakRss,
			serverCpuSeconds: cpu,
			achievedEventsPerSecond: sent / elapsed,
			errors,
		};
	} finally {
		agent.destroy();
		for (const child of pool) {
			child.send({ cmd: 'exit' });
		}
		await Promise.all(
			pool.map(
				(child) =>
					new Promise<void>((resolve) =>
						child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
					),
			),
		);
		const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
		server.child.kill('SIGTERM');
		await Promise.race([exited, sleep(15_000)]);
		if (server.child.exitCode === null) server.child.kill('SIGKILL');
	}
}
