/**
 * POST /ingest: signed batches from the n8n hook. Before a byte of the body is read, the signature
 * header must be well-formed and current and the declared length within the limit, and only a few
 * bodies are read at once (their signature cannot be checked before they are complete). The
 * signature is checked over the raw body before anything is parsed; a signed batch is taken once
 * (a replay within the signature's lifetime is answered as duplicates); events are validated one
 * by one against the protocol's schema (a bad event does not sink its batch) and cut to size.
 */
import type { IncomingMessage } from 'node:http';
import type { EventDraft, IngestBatch, IngestResult } from '../protocol/types';
import { SIGNATURE_HEADER } from '../protocol/types';
import { parseSignatureHeader, verifySignature, SIGNATURE_TOLERANCE_MS } from '../protocol/signing';
import { checkDraft, DEFAULT_EVENT_LIMITS } from '../protocol/schema';
import type { EventLimits } from '../protocol/schema';
import type { EventStore } from './store';
import type { RelayMetrics } from './metrics';
import type { Logger } from './logger';

/** The event as the relay keeps it, or undefined when its shape is wrong (see protocol/schema.ts). */
export function validateDraft(
	value: unknown,
	limits: EventLimits = DEFAULT_EVENT_LIMITS,
): EventDraft | undefined {
	const check = checkDraft(value, limits);
	return check.ok ? check.draft : undefined;
}

export interface IngestOptions {
	secret: string;
	maxBytes: number;
	limits: EventLimits;
	/** Bodies read at once; the rest wait (briefly) for a turn. */
	concurrency: number;
	/** A body must arrive within this time once its turn has come. */
	bodyTimeoutMs: number;
}

export interface IngestAnswer {
	status: number;
	body: unknown;
	headers?: Record<string, string>;
}

/** Requests that may wait for a turn to send their body; more are answered 503 at once. */
const MAX_WAITING = 256;
const TURN_WAIT_MS = 5000;

export class Ingest {
	/** Latest drop count per hook process (host/pid/role), to report the sum. */
	private readonly dropsBySource = new Map<string, { dropped: number; seenAt: number }>();
	/** The n8n version the hooks reported last (they run inside n8n, so they know it). */
	private lastN8nVersion: string | undefined;
	private reading = 0;
	private readonly waiting: Array<(granted: boolean) => void> = [];
	/** Signed batches taken, by MAC, until their signature expires (when the store keeps none). */
	private readonly seenBatches = new Map<string, number>();

	constructor(
		private readonly options: IngestOptions,
		private readonly store: EventStore,
		private readonly metrics: RelayMetrics,
		private readonly logger: Logger,
	) {}

	async handle(req: IncomingMessage): Promise<IngestAnswer> {
		const header = req.headers[SIGNATURE_HEADER];
		const signature = parseSignatureHeader(Array.isArray(header) ? header[0] : header);
		if (!signature.ok) return this.badSignature(signature.reason);
		const declared = Number(req.headers['content-length']);
		if (Number.isFinite(declared) && declared > this.options.maxBytes) return this.tooLarge();
		if (!(await this.turn())) {
			this.metrics.ingestBatches.inc({ result: 'busy' });
			return {
				status: 503,
				body: { error: 'busy', message: 'too many batches at once; retry shortly' },
				headers: { 'retry-after': '1' },
			};
		}
		let raw: string;
		try {
			raw = await readBody(req, this.options.maxBytes, this.options.bodyTimeoutMs);
		} catch (error) {
			if (error instanceof BodyTooLarge) return this.tooLarge();
			this.metrics.ingestBatches.inc({ result: 'incomplete' });
			return { status: 408, body: { error: 'incomplete_body' } };
		} finally {
			this.release();
		}
		const check = verifySignature(this.options.secret, raw, signature.header);
		if (!check.ok) return this.badSignature(check.reason);
		let batch: IngestBatch;
		try {
			batch = JSON.parse(raw) as IngestBatch;
			if (!Array.isArray(batch?.events)) throw new Error('no events');
		} catch {
			this.metrics.ingestBatches.inc({ result: 'invalid' });
			return { status: 400, body: { error: 'invalid_batch' } };
		}
		if (!(await this.firstTime(signature.mac))) {
			// The same signed body again: a replay (or a copy); its events are not applied twice.
			this.metrics.ingestBatches.inc({ result: 'replayed' });
			this.metrics.ingestEvents.inc({ result: 'duplicate' }, batch.events.length);
			this.logger.warn('ingest: a signed batch was sent again; ignored');
			const result: IngestResult = { accepted: 0, duplicates: batch.events.length, rejected: 0 };
			return { status: 200, body: result };
		}
		this.noteSource(batch);
		const drafts: EventDraft[] = [];
		let rejected = 0;
		let truncated = 0;
		let firstProblem: string | undefined;
		for (const candidate of batch.events) {
			const draft = checkDraft(candidate, this.options.limits);
			if (draft.ok) {
				drafts.push(draft.draft);
				truncated += draft.truncated;
			} else {
				rejected++;
				firstProblem ??= draft.reason;
			}
		}
		const appended = await this.store.append(drafts);
		const { stored, duplicates } = appended;
		rejected += appended.rejected ?? 0;
		this.metrics.ingestBatches.inc({ result: 'ok' });
		this.metrics.ingestEvents.inc({ result: 'accepted' }, stored.length);
		if (truncated) this.metrics.truncatedStrings.inc(truncated);
		if (duplicates) this.metrics.ingestEvents.inc({ result: 'duplicate' }, duplicates);
		if (rejected) {
			this.metrics.ingestEvents.inc({ result: 'rejected' }, rejected);
			this.logger.warn(
				{ rejected, firstProblem: firstProblem?.slice(0, 200) },
				'ingest: events with an invalid shape were skipped',
			);
		}
		const result: IngestResult = { accepted: stored.length, duplicates, rejected };
		return { status: 200, body: result };
	}

	private badSignature(reason: string): IngestAnswer {
		this.metrics.ingestBatches.inc({ result: 'bad_signature' });
		this.logger.warn({ reason }, 'ingest batch refused: signature');
		return { status: 401, body: { error: 'bad_signature' } };
	}

	private tooLarge(): IngestAnswer {
		this.metrics.ingestBatches.inc({ result: 'too_large' });
		return {
			status: 413,
			body: {
				error: 'payload_too_large',
				message: `a batch may have at most ${this.options.maxBytes} bytes (RELAY_INGEST_MAX_BYTES)`,
			},
		};
	}

	/** Waits for a turn to read a body; false when too many wait or the wait is too long. */
	private turn(): Promise<boolean> {
		if (this.reading < this.options.concurrency) {
			this.reading++;
			return Promise.resolve(true);
		}
		if (this.waiting.length >= MAX_WAITING) return Promise.resolve(false);
		return new Promise((resolve) => {
			const granted = (ok: boolean) => {
				clearTimeout(timer);
				resolve(ok);
			};
			const timer = setTimeout(() => {
				const at = this.waiting.indexOf(granted);
				if (at >= 0) this.waiting.splice(at, 1);
				resolve(false);
			}, TURN_WAIT_MS);
			this.waiting.push(granted);
		});
	}

	private release(): void {
		const next = this.waiting.shift();
		if (next) next(true);
		else this.reading--;
	}

	private async firstTime(mac: string): Promise<boolean> {
		const ttlSeconds = Math.ceil((2 * SIGNATURE_TOLERANCE_MS) / 1000);
		if (this.store.claimOnce) return await this.store.claimOnce(`batch:${mac}`, ttlSeconds);
		const now = Date.now();
		if (this.seenBatches.size >= 100_000) {
			for (const [key, expires] of this.seenBatches) {
				if (expires <= now || this.seenBatches.size >= 100_000) this.seenBatches.delete(key);
				else break;
			}
		}
		const expires = this.seenBatches.get(mac);
		if (expires !== undefined && expires > now) return false;
		this.seenBatches.delete(mac);
		this.seenBatches.set(mac, now + ttlSeconds * 1000);
		return true;
	}

	private noteSource(batch: IngestBatch): void {
		const source = batch.source ?? {};
		const key = `${source.host}/${source.pid}/${source.role}`;
		const dropped = Number.isFinite(batch.dropped) ? Number(batch.dropped) : 0;
		const previous = this.dropsBySource.get(key);
		if (!previous) this.logger.info({ source }, 'hook connected');
		if (dropped > (previous?.dropped ?? 0)) {
			this.logger.warn(
				{ source, dropped, newlyDropped: dropped - (previous?.dropped ?? 0) },
				'hook dropped events while the relay was unreachable',
			);
		}
		if (typeof source.n8nVersion === 'string' && /^\d+\.\d+/.test(source.n8nVersion)) {
			this.lastN8nVersion = source.n8nVersion;
		}
		const now = Date.now();
		this.dropsBySource.set(key, { dropped, seenAt: now });
		let total = 0;
		let recent = 0;
		for (const [k, entry] of this.dropsBySource) {
			total += entry.dropped;
			if (now - entry.seenAt < 5 * 60_000) recent++;
			else if (entry.dropped === 0) this.dropsBySource.delete(k);
		}
		this.metrics.hookDropped.set(total);
		this.metrics.hookSources.set(recent);
	}

	n8nVersion(): string | undefined {
		return this.lastN8nVersion;
	}

	droppedTotal(): number {
		let total = 0;
		for (const entry of this.dropsBySource.values()) total += entry.dropped;
		return total;
	}
}

export class BodyTooLarge extends Error {
	constructor(readonly maxBytes: number) {
		super(`the body is larger than ${maxBytes} bytes`);
		this.name = 'BodyTooLarge';
	}
}

/**
 * The request body as text, at most `maxBytes`. Past the limit it stops keeping what arrives and
 * lets the rest drain, so the sender still reads the answer (a reset would lose it); the server's
 * request timeout bounds how long the rest may take.
 */
export function readBody(
	req: IncomingMessage,
	maxBytes: number,
	timeoutMs = 30_000,
): Promise<string> {
	return new Promise((resolve, reject) => {
		// The sender may have gone while it waited for its turn.
		if (req.destroyed || req.readableAborted) return reject(new Error('aborted'));
		const chunks: Buffer[] = [];
		let size = 0;
		const timer = setTimeout(() => finish(new Error('body timeout')), timeoutMs);
		timer.unref();
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > maxBytes) return finish(new BodyTooLarge(maxBytes));
			chunks.push(chunk);
		};
		const onEnd = () => finish();
		const onError = (error: Error) => finish(error);
		function finish(error?: Error) {
			clearTimeout(timer);
			req.off('data', onData);
			req.off('end', onEnd);
			req.off('error', onError);
			req.off('aborted', onAborted);
			if (error) {
				chunks.length = 0;
				// Keep draining (and discarding) so the answer can still be read.
				req.on('error', () => undefined);
				req.resume();
				reject(error);
			} else resolve(Buffer.concat(chunks).toString('utf8'));
		}
		function onAborted() {
			finish(new Error('aborted'));
		}
		req.on('data', onData);
		req.on('end', onEnd);
		req.on('error', onError);
		req.on('aborted', onAborted);
	});
}
