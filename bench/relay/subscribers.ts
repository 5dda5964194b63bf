/**
 * A process that holds many WebSocket subscribers for the fan-out benchmark (run with IPC by
 * fanout.ts). Each subscriber follows one workflow's stream on the relay or on the bare `ws` floor,
 * checks that it gets every event once and in order, and records the delivery latency from the
 * feeder's stamp (wall clock, microseconds, in the event id) to its own receipt.
 */
import WebSocket from 'ws';

const STREAM_SUBPROTOCOL = 'n8n-support-relay.v1';
/** Latency histogram: 50 µs buckets up to 5 s; slower deliveries land in the last bucket. */
const BUCKET_US = 50;
const BUCKETS = 100_000;

export interface SubscriberJob {
	target: 'relay' | 'floor';
	baseUrl: string;
	token: string;
	/** One entry per subscriber: the workflow it follows. */
	topics: string[];
}

export interface SubscriberReport {
	histogram: number[];
	received: number;
	duplicates: number;
	outOfOrder: number;
	/** Per topic, per subscriber: the highest event number seen without a gap. */
	contiguous: Array<{ topic: string; upTo: number; unique: number }>;
	lagged: number;
	reconnects: number;
	errors: string[];
	/** CPU time (user + system) this subscriber process spent between start and report. */
	cpuSeconds: number;
}

const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;

class Subscriber {
	next = 1;
	unique = 0;
	seen = new Set<number>();
	cursor: string | undefined;
	ws: WebSocket | undefined;
	stopped = false;

	constructor(
		readonly job: SubscriberJob,
		readonly topic: string,
		readonly stats: SubscriberReport,
		readonly histogram: Uint32Array,
	) {}

	connect(): Promise<void> {
		return new Promise((resolve, reject) => {
			const { target, baseUrl, token } = this.job;
			const url =
				target === 'relay'
					? `${baseUrl.replace(/^http/, 'ws')}/api/v1/workflows/${encodeURIComponent(this.topic)}/stream${this.cursor ? `?cursor=${this.cursor}` : ''}`
					: `${baseUrl.replace(/^http/, 'ws')}/w/${encodeURIComponent(this.topic)}`;
			const ws = new WebSocket(url, target === 'relay' ? [STREAM_SUBPROTOCOL] : [], {
				perMessageDeflate: false,
				headers: target === 'relay' ? { authorization: `Bearer ${token}` } : {},
			});
			this.ws = ws;
			let ready = false;
			ws.on('message', (data) => {
				const text = data.toString();
				if (text.startsWith('{"type":"event"')) {
					this.onEvent(text);
					return;
				}
				const message = JSON.parse(text) as { type: string; cursor?: string };
				if (message.type === 'caught-up' && !ready) {
					ready = true;
					resolve();
				} else if (message.type === 'lagged') {
					this.stats.lagged++;
					this.cursor = message.cursor;
				}
			});
			ws.on('close', (code) => {
				if (!ready) reject(new Error(`closed before caught-up (${code})`));
				if (this.stopped) return;
				if (code === 4008 && this.job.target === 'relay') {
					this.stats.reconnects++;
					this.connect().catch((error: unknown) => this.stats.errors.push(String(error)));
				} else {
					this.stats.errors.push(`${this.topic} closed ${code}`);
				}
			});
			ws.on('error', (error) => {
				if (!ready) reject(error);
			});
		});
	}

	onEvent(text: string): void {
		const at = nowUs();
		// The feeder's id: b:<topic>:<n>:<stamp µs>; the relay's cursor follows in the envelope.
		const idStart = text.indexOf('"id":"') + 6;
		const id = text.slice(idStart, text.indexOf('"', idStart));
		const parts = id.split(':');
		const n = Number(parts[2]);
		const stamp = Number(parts[3]);
		if (this.job.target === 'relay') {
			const cursorStart = text.indexOf('"cursor":"');
			if (cursorStart >= 0) {
				this.cursor = text.slice(cursorStart + 10, text.indexOf('"', cursorStart + 10));
			}
		}
		this.stats.received++;
		if (this.seen.has(n)) {
			this.stats.duplicates++;
			return;
		}
		this.seen.add(n);
		this.unique++;
		if (n !== this.next) this.stats.outOfOrder++;
		while (this.seen.has(this.next)) {
			this.seen.delete(this.next);
			this.next++;
		}
		const bucket = Math.min(BUCKETS - 1, Math.max(0, Math.floor((at - stamp) / BUCKET_US)));
		this.histogram[bucket]++;
	}
}

const subscribers: Subscriber[] = [];
let report: SubscriberReport;
let histogram: Uint32Array;
let cpuAtStart: NodeJS.CpuUsage | undefined;

process.on('message', (message: { cmd: string; job?: SubscriberJob }) => {
	if (message.cmd === 'start' && message.job) {
		const job = message.job;
		histogram = new Uint32Array(BUCKETS);
		report = {
			histogram: [],
			received: 0,
			duplicates: 0,
			outOfOrder: 0,
			contiguous: [],
			lagged: 0,
			reconnects: 0,
			errors: [],
			cpuSeconds: 0,
		};

		subscribers.length = 0;
		for (const topic of job.topics) subscribers.push(new Subscriber(job, topic, report, histogram));
		// Connect in small waves: a thousand handshakes at once only measures the accept queue.
		(async () => {
			for (let i = 0; i < subscribers.length; i += 50) {
				await Promise.all(subscribers.slice(i, i + 50).map((s) => s.connect()));
			}
		})().then(
			() => {
				// CPU is counted from here: the feed and the drain, not the handshakes.
				cpuAtStart = process.cpuUsage();
				process.send?.({ cmd: 'connected' });
			},
			(error: unknown) => process.send?.({ cmd: 'failed', error: String(error) }),
		);
	} else if (message.cmd === 'count') {
		process.send?.({ cmd: 'count', received: report.received });
	} else if (message.cmd === 'report') {
		for (const subscriber of subscribers) {
			subscriber.stopped = true;
			subscriber.ws?.close();
			report.contiguous.push({
				topic: subscriber.topic,
				upTo: subscriber.next - 1,
				unique: subscriber.unique,
			});
		}
		// Sparse: only the buckets that were hit.
		const sparse: number[] = [];
		histogram.forEach((count, bucket) => {
			if (count) sparse.push(bucket, count);
		});
		report.histogram = sparse;
		const cpu = process.cpuUsage(cpuAtStart);
		report.cpuSeconds = (cpu.user + cpu.system) / 1e6;
		process.send?.({ cmd: 'report', report });
	} else if (message.cmd === 'exit') {
		process.exit(0);
	}
});

export const LATENCY_BUCKET_US = BUCKET_US;
/** Deliveries slower than this land in the last bucket: a percentile there is a floor, not a value. */
export const LATENCY_CAP_MS = ((BUCKETS - 1) * BUCKET_US) / 1000;
