/**
 * Posts events to the relay in signed batches, in the background. The hook hands events over with
 * `push`, which never blocks and never throws; when the relay is away the events wait in a bounded
 * buffer, and what overflows it is dropped and counted (the count rides on every later batch).
 */
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { spawnSync } from 'node:child_process';
import type { EventDraft, IngestBatch } from '../protocol/types';
import { PROTOCOL_VERSION, SIGNATURE_HEADER } from '../protocol/types';
import { signBody } from '../protocol/signing';

export interface SenderOptions {
	url: string;
	secret: string;
	maxBuffer: number;
	maxBatch: number;
	flushIntervalMs: number;
	requestTimeoutMs: number;
	source: IngestBatch['source'];
	log?: (level: 'warn' | 'info' | 'debug', message: string) => void;
}

export interface SenderStats {
	buffered: number;
	sent: number;
	dropped: number;
	failedPosts: number;
	relayUp: boolean;
}

export class Sender {
	private buffer: EventDraft[] = [];
	private inFlight = false;
	private timer: NodeJS.Timeout | undefined;
	private backoffMs = 0;
	private nextAttemptAt = 0;
	private readonly agent: HttpAgent;
	private readonly ingestUrl: URL;
	readonly stats: SenderStats = { buffered: 0, sent: 0, dropped: 0, failedPosts: 0, relayUp: true };

	constructor(private readonly options: SenderOptions) {
		this.ingestUrl = new URL('ingest', options.url.endsWith('/') ? options.url : `${options.url}/`);
		this.agent =
			this.ingestUrl.protocol === 'https:'
				? new HttpsAgent({ keepAlive: true, maxSockets: 1 })
				: new HttpAgent({ keepAlive: true, maxSockets: 1 });
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
		this.buffer.push(...events);
		const overflow = this.buffer.length - this.options.maxBuffer;
		if (overflow > 0) {
			// Keep the newest: a live view needs the present more than the past.
			this.buffer.splice(0, overflow);
			this.stats.dropped += overflow;
		}
		this.stats.buffered = this.buffer.length;
		if (this.buffer.length >= this.options.maxBatch) setImmediate(() => this.flush());
	}

	/** Sends one batch if none is in flight; safe to call any time. */
	flush(): void {
		if (this.inFlight || !this.buffer.length || Date.now() < this.nextAttemptAt) return;
		const batch = this.buffer.slice(0, this.options.maxBatch);
		const body = this.batchBody(batch);
		this.inFlight = true;
		this.post(body, (outcome) => {
			this.inFlight = false;
			if (outcome === 'ok' || outcome === 'rejected') {
				this.buffer.splice(0, batch.length);
				if (outcome === 'ok') this.stats.sent += batch.length;
				else this.stats.dropped += batch.length;
				this.backoffMs = 0;
				this.nextAttemptAt = 0;
				if (!this.stats.relayUp) this.options.log?.('info', 'status relay reachable again');
				this.stats.relayUp = true;
			} else {
				this.stats.failedPosts++;
				if (this.stats.relayUp) {
					this.options.log?.(
						'warn',
						`status relay unreachable at ${this.ingestUrl.origin}; buffering up to ${this.options.maxBuffer} events`,
					);
				}
				this.stats.relayUp = false;
				this.backoffMs = Math.min(this.backoffMs ? this.backoffMs * 2 : 250, 5000);
				this.nextAttemptAt = Date.now() + this.backoffMs;
			}
			this.stats.buffered = this.buffer.length;
			if (this.buffer.length && outcome === 'ok') setImmediate(() => this.flush());
		});
	}

	/**
	 * Last chance before the process exits (`n8n execute` calls process.exit right after the run):
	 * a short synchronous post in a child process, bounded in time.
	 */
	flushSync(timeoutMs = 3000): void {
		if (!this.buffer.length) return;
		const body = this.batchBody(this.buffer.slice(0, this.options.maxBatch * 4));
		const script = `
const u=new URL(process.argv[1]);const m=u.protocol==='https:'?require('https'):require('http');
const b=process.argv[2];const r=m.request(u,{method:'POST',headers:{'content-type':'application/json','content-length':Buffer.byteLength(b),'${SIGNATURE_HEADER}':process.argv[3]}},(s)=>{s.resume();s.on('end',()=>process.exit(s.statusCode<300?0:1))});
r.on('error',()=>process.exit(2));r.setTimeout(${timeoutMs},()=>{r.destroy();process.exit(3)});r.end(b);`;
		try {
			const result = spawnSync(
				process.execPath,
				['-e', script, this.ingestUrl.href, body, signBody(this.options.secret, body)],
				{ timeout: timeoutMs + 500, stdio: 'ignore' },
			);
			if (result.status === 0) this.buffer = [];
		} catch {
			// exiting anyway
		}
	}

	private batchBody(events: EventDraft[]): string {
		const batch: IngestBatch = {
			v: PROTOCOL_VERSION,
			source: this.options.source,
			dropped: this.stats.dropped,
			sentAt: new Date().toISOString(),
			events,
		};
		return JSON.stringify(batch);
	}

	private post(body: string, done: (outcome: 'ok' | 'retry' | 'rejected') => void): void {
		let settled = false;
		const finish = (outcome: 'ok' | 'retry' | 'rejected') => {
			if (settled) return;
			settled = true;
			done(outcome);
		};
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
						else if (code === 400 || code === 401 || code === 413) {
							// The relay will never take this batch (bad secret, malformed): don't loop on it.
							this.options.log?.('warn', `status relay refused a batch: HTTP ${code}`);
							finish('rejected');
						} else finish('retry');
					});
					res.on('error', () => finish('retry'));
				},
			);
			req.setTimeout(this.options.requestTimeoutMs, () => req.destroy(new Error('timeout')));
			req.on('error', () => finish('retry'));
			req.end(body);
		} catch {
			finish('retry');
		}
	}
}
