/**
 * Posts events to the relay in signed batches, in the background. The hook hands events over with
 * `push`, which never blocks and never throws. Each event is cut to size and serialised once, on
 * the way in; while the relay is away the serialised events wait in a buffer bounded in count and
 * in bytes, and what overflows it is dropped, oldest first, and counted (the count rides on every
 * later batch).
 */
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { spawnSync } from 'node:child_process';
import type { EventDraft, IngestBatch } from '../protocol/types';
import { PROTOCOL_VERSION, SIGNATURE_HEADER } from '../protocol/types';
import { signBody } from '../protocol/signing';
import { DEFAULT_MAX_STRING_BYTES, boundEvent } from './bounds';

export interface SenderOptions {
	url: string;
	secret: string;
	/** Events kept while the relay is away (besides the batch in flight). */
	maxBuffer: number;
	/** Bytes (serialised events) kept while the relay is away (besides the batch in flight). */
	maxBufferBytes?: number;
	/** Events per batch. */
	maxBatch: number;
	/** Bytes of events per batch; keep it well under the relay's RELAY_INGEST_MAX_BYTES. */
	maxBatchBytes?: number;
	/** Longest string in an event (UTF-8 bytes); longer ones are cut with a marker. */
	maxStringBytes?: number;
	flushIntervalMs: number;
	requestTimeoutMs: number;
	source: IngestBatch['source'];
	log?: (level: 'warn' | 'info' | 'debug', message: string) => void;
}

export const DEFAULT_BUFFER_BYTES = 16 * 1024 * 1024;
export const DEFAULT_BATCH_BYTES = 1024 * 1024;

export interface SenderStats {
	/** Events waiting or in flight. */
	buffered: number;
	/** Their serialised size. */
	bufferedBytes: number;
	sent: number;
	dropped: number;
	/** Strings cut to `maxStringBytes`. */
	truncated: number;
	failedPosts: number;
	relayUp: boolean;
}

/** One event as it will travel: serialised once, when it was pushed. */
interface Queued {
	json: string;
	bytes: number;
}

type Outcome = 'ok' | 'retry' | 'too-large' | 'reset' | 'refused';

/** A first-in first-out list with O(1) removal at the front (the buffer drops oldest first). */
class Fifo {
	private items: Queued[] = [];
	private head = 0;
	bytes = 0;

	get length(): number {
		return this.items.length - this.head;
	}

	at(index: number): Queued {
		return this.items[this.head + index];
	}

	push(entry: Queued): void {
		this.items.push(entry);
		this.bytes += entry.bytes;
	}

	shift(): Queued | undefined {
		if (this.head >= this.items.length) return undefined;
		const entry = this.items[this.head];
		this.items[this.head++] = undefined as unknown as Queued;
		this.bytes -= entry.bytes;
		if (this.head > 1024 && this.head * 2 > this.items.length) {
			this.items = this.items.slice(this.head);
			this.head = 0;
		}
		return entry;
	}

	/** Puts entries back at the front, in their order. */
	unshift(entries: Queued[]): void {
		this.items = [...entries, ...this.items.slice(this.head)];
		this.head = 0;
		for (const entry of entries) this.bytes += entry.bytes;
	}

	drain(): Queued[] {
		const all = this.items.slice(this.head);
		this.items = [];
		this.head = 0;
		this.bytes = 0;
		return all;
	}
}

export class Sender {
	private readonly queue = new Fifo();
	/** The batch being posted: out of the queue, so overflow meanwhile drops the right events. */
	private inFlight: Queued[] | undefined;
	private inFlightBytes = 0;
	private timer: NodeJS.Timeout | undefined;
	private backoffMs = 0;
	private nextAttemptAt = 0;
	/** Events per batch for now: halved when the relay finds a batch too large, grown back after. */
	private batchLimit: number;
	private resetsInARow = 0;
	private readonly agent: HttpAgent;
	private readonly ingestUrl: URL;
	private readonly maxBufferBytes: number;
	private readonly maxBatchBytes: number;
	private readonly maxStringBytes: number;
	readonly stats: SenderStats = {
		buffered: 0,
		bufferedBytes: 0,
		sent: 0,
		dropped: 0,
		truncated: 0,
		failedPosts: 0,
		relayUp: true,
	};

	constructor(private readonly options: SenderOptions) {
		this.ingestUrl = new URL('ingest', options.url.endsWith('/') ? options.url : `${options.url}/`);
		this.agent =
			this.ingestUrl.protocol === 'https:'
				? new HttpsAgent({ keepAlive: true, maxSockets: 1 })
				: new HttpAgent({ keepAlive: true, maxSockets: 1 });
		this.maxBufferBytes = options.maxBufferBytes ?? DEFAULT_BUFFER_BYTES;
		this.maxBatchBytes = Math.min(
			options.maxBatchBytes ?? DEFAULT_BATCH_BYTES,
			this.maxBufferBytes,
		);
		this.maxStringBytes = options.maxStringBytes ?? DEFAULT_MAX_STRING_BYTES;
		this.batchLimit = options.maxBatch;
	}

	start(): void {
		this.timer ??= setInterval(() => this.flush(), this.options.flushIntervalMs);
		// The relay must never keep n8n (or `n8n execute`) alive.
		this.timer.unref();
	}

	stop(): void {
		if (this.timer) clearInterval(this.timer);
		this.timer = undefined;
		this.agent.destroy();
	}

	push(events: EventDraft[]): void {
		if (!events.length) return;
		for (const event of events) {
			const json = JSON.stringify(boundEvent(event, this.maxStringBytes, this.stats));
			const bytes = Buffer.byteLength(json);
			// One event larger than a whole batch (a workflow of thousands of nodes) can never be sent.
			if (bytes > this.maxBatchBytes) {
				this.stats.dropped++;
				continue;
			}
			this.queue.push({ json, bytes });
		}
		this.trim();
		if (this.queue.length >= this.batchLimit) setImmediate(() => this.flush());
	}

	/**
	 * Keeps the newest waiting events within the bounds (a live view needs the present more than
	 * the past). The batch in flight is not touched (it may already be stored): memory is bounded
	 * by the buffer plus one batch.
	 */
	private trim(): void {
		while (
			this.queue.length &&
			(this.queue.length > this.options.maxBuffer || this.queue.bytes > this.maxBufferBytes)
		) {
			this.queue.shift();
			this.stats.dropped++;
		}
		this.updateStats();
	}

	private updateStats(): void {
		this.stats.buffered = this.queue.length + (this.inFlight?.length ?? 0);
		this.stats.bufferedBytes = this.queue.bytes + this.inFlightBytes;
	}

	/** Sends one batch if none is in flight; safe to call any time. */
	flush(): void {
		if (this.inFlight || !this.queue.length || Date.now() < this.nextAttemptAt) return;
		const batch = this.takeBatch();
		const body = this.batchBody(batch);
		this.post(body, (outcome) => this.settle(batch, outcome));
	}

	private takeBatch(): Queued[] {
		const batch: Queued[] = [];
		let bytes = 0;
		while (this.queue.length && batch.length < this.batchLimit) {
			const next = this.queue.at(0);
			if (batch.length && bytes + next.bytes > this.maxBatchBytes) break;
			batch.push(this.queue.shift()!);
			bytes += next.bytes;
		}
		this.inFlight = batch;
		this.inFlightBytes = bytes;
		return batch;
	}

	private settle(batch: Queued[], outcome: Outcome): void {
		this.inFlight = undefined;
		this.inFlightBytes = 0;
		if (outcome === 'ok' || outcome === 'refused') {
			if (outcome === 'ok') this.stats.sent += batch.length;
			else this.stats.dropped += batch.length;
			this.backoffMs = 0;
			this.nextAttemptAt = 0;
			this.resetsInARow = 0;
			this.batchLimit = Math.min(this.batchLimit * 2, this.options.maxBatch);
			if (!this.stats.relayUp) this.options.log?.('info', 'status relay reachable again');
			this.stats.relayUp = true;
		} else if (outcome === 'too-large' && batch.length > 1) {
			// Split: the same events again, half as many per batch, straight away.
			this.queue.unshift(batch);
			this.batchLimit = Math.max(1, Math.floor(batch.length / 2));
		} else if (outcome === 'too-large') {
			// One event the relay will never take: drop it, count it, and go on with the rest.
			this.stats.dropped++;
			this.options.log?.('warn', 'status relay refused an event as too large; dropped');
		} else if (outcome === 'reset' && batch.length > 1) {
			// The relay closed the connection on us mid-request: older relays do that to a body
			// over their limit instead of answering 413. The same events again, in smaller batches.
			this.stats.failedPosts++;
			this.queue.unshift(batch);
			this.batchLimit = Math.max(1, Math.floor(batch.length / 2));
		} else {
			this.stats.failedPosts++;
			this.queue.unshift(batch);
			// A single event reset three times in a row is given up: it must not hold up the rest.
			this.resetsInARow = outcome === 'reset' ? this.resetsInARow + 1 : 0;
			if (this.resetsInARow >= 3) {
				this.queue.shift();
				this.stats.dropped++;
				this.resetsInARow = 0;
				this.options.log?.('warn', 'status relay keeps resetting one event; dropped');
			}
			if (this.stats.relayUp) {
				this.options.log?.(
					'warn',
					`status relay unreachable at ${this.ingestUrl.origin}; buffering up to ${this.options.maxBuffer} events / ${this.maxBufferBytes} bytes`,
				);
			}
			this.stats.relayUp = false;
			this.backoffMs = Math.min(this.backoffMs ? this.backoffMs * 2 : 250, 5000);
			this.nextAttemptAt = Date.now() + this.backoffMs;
		}
		this.trim();
		if (this.queue.length && !this.nextAttemptAt) setImmediate(() => this.flush());
	}

	/**
	 * Last chance before the process exits (`n8n execute` calls process.exit right after the run):
	 * a synchronous post in a child process, bounded in time. The batches go to the child on its
	 * standard input (an argument list is limited to ~128 KiB; the buffer is not).
	 */
	flushSync(timeoutMs = 3000): void {
		const pending = [...(this.inFlight ?? []), ...this.queue.drain()];
		if (!pending.length) return;
		// The batch in flight may have arrived already: the relay drops the repeat by its id.
		const bodies: Array<{ body: string; signature: string }> = [];
		for (let start = 0; start < pending.length;) {
			const batch: Queued[] = [];
			let bytes = 0;
			while (
				start < pending.length &&
				batch.length < this.options.maxBatch &&
				(!batch.length || bytes + pending[start].bytes <= this.maxBatchBytes)
			) {
				bytes += pending[start].bytes;
				batch.push(pending[start++]);
			}
			const body = this.batchBody(batch);
			bodies.push({ body, signature: signBody(this.options.secret, body) });
		}
		const script = `
const u=new URL(process.argv[1]);const m=u.protocol==='https:'?require('https'):require('http');
const end=Date.now()+${timeoutMs};const chunks=[];
process.stdin.on('data',(c)=>chunks.push(c));
process.stdin.on('end',()=>{const all=JSON.parse(Buffer.concat(chunks).toString('utf8'));let sent=0;
const next=()=>{if(sent===all.length)return process.exit(0);const {body,signature}=all[sent];
const r=m.request(u,{method:'POST',headers:{'content-type':'application/json','content-length':Buffer.byteLength(body),'${SIGNATURE_HEADER}':signature}},(s)=>{s.resume();s.on('end',()=>{if(s.statusCode>=300)process.exit(1);sent++;next();})});
r.on('error',()=>process.exit(2));r.setTimeout(Math.max(end-Date.now(),1),()=>{r.destroy();process.exit(3)});r.end(body);};next();});`;
		try {
			const result = spawnSync(process.execPath, ['-e', script, this.ingestUrl.href], {
				input: JSON.stringify(bodies),
				timeout: timeoutMs + 500,
				stdio: ['pipe', 'ignore', 'ignore'],
			});
			if (result.status === 0) this.stats.sent += pending.length;
			else this.stats.dropped += pending.length;
		} catch {
			// exiting anyway
		}
		this.inFlight = undefined;
		this.inFlightBytes = 0;
		this.updateStats();
	}

	private batchBody(events: Queued[]): string {
		const head: Omit<IngestBatch, 'events'> = {
			v: PROTOCOL_VERSION,
			source: this.options.source,
			dropped: this.stats.dropped,
			sentAt: new Date().toISOString(),
		};
		const json = JSON.stringify(head);
		return `${json.slice(0, -1)},"events":[${events.map((event) => event.json).join(',')}]}`;
	}

	private post(body: string, done: (outcome: Outcome) => void): void {
		let settled = false;
		const finish = (outcome: Outcome) => {
			if (settled) return;
			settled = true;
			done(outcome);
		};
		const failed = (error: NodeJS.ErrnoException) =>
			finish(error?.code === 'ECONNRESET' || error?.code === 'EPIPE' ? 'reset' : 'retry');
		try {
			const send = this.ingestUrl.protocol === 'https:' ? httpsRequest : httpRequest;
			const req = send(
				this.ingestUrl,
				{
					method: 'POST',
					agent: this.agent,
					headers: {
						'content-type': 'application/json',
						'content-length': Buffer.byteLength(body),
						[SIGNATURE_HEADER]: signBody(this.options.secret, body),
					},
				},
				(res) => {
					res.resume();
					res.on('end', () => {
						const code = res.statusCode ?? 0;
						if (code >= 200 && code < 300) finish('ok');
						else if (code === 413) finish('too-large');
						else if (code === 400 || code === 401) {
							// The relay will never take this batch (bad secret, malformed): don't loop on it.
							this.options.log?.('warn', `status relay refused a batch: HTTP ${code}`);
							finish('refused');
						} else finish('retry');
					});
					res.on('error', failed);
				},
			);
			req.setTimeout(this.options.requestTimeoutMs, () => req.destroy(new Error('timeout')));
			req.on('error', failed);
			req.end(body);
		} catch {
			finish('retry');
		}
	}
}
