/**
 * POST /ingest: signed batches from the n8n hook. The signature is checked over the raw body before
 * anything is parsed; events are validated one by one (a bad event does not sink its batch).
 */
import type { IncomingMessage } from 'node:http';
import type { EventDraft, IngestBatch, IngestResult } from '../protocol/types';
import { EVENT_TYPES, SIGNATURE_HEADER } from '../protocol/types';
import { verifySignature } from '../protocol/signing';
import type { EventStore } from './store';
import type { RelayMetrics } from './metrics';
import type { Logger } from './logger';

const MAX_ID = 512;

export function validateDraft(value: unknown): EventDraft | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const e = value as Record<string, unknown>;
	const short = (v: unknown, max = MAX_ID) => typeof v === 'string' && v.length <= max;
	if (
		!short(e.id) ||
		!(e.id as string).length ||
		!EVENT_TYPES.includes(e.type as EventDraft['type']) ||
		!short(e.workflowId) ||
		!short(e.workflowName, 1024) ||
		!short(e.executionId) ||
		!(e.executionId as string).length ||
		!short(e.mode, 64) ||
		!short(e.occurredAt, 64) ||
		Number.isNaN(Date.parse(e.occurredAt as string)) ||
		typeof e.data !== 'object' ||
		e.data === null
	) {
		return undefined;
	}
	const data = e.data as Record<string, unknown>;
	if (String(e.type).startsWith('node.') && !short(data.node, 1024)) return undefined;
	if (e.type === 'node.finished' && !Array.isArray(data.itemsOut)) return undefined;
	if (e.type === 'execution.finished' && typeof data.status !== 'string') return undefined;
	return {
		v: typeof e.v === 'number' ? e.v : 1,
		id: e.id as string,
		type: e.type as EventDraft['type'],
		workflowId: e.workflowId as string,
		workflowName: e.workflowName as string,
		executionId: e.executionId as string,
		mode: e.mode as string,
		occurredAt: e.occurredAt as string,
		data: e.data as EventDraft['data'],
	};
}

export class Ingest {
	/** Latest drop count per hook process (host/pid/role), to report the sum. */
	private readonly dropsBySource = new Map<string, { dropped: number; seenAt: number }>();
	/** The n8n version the hooks reported last (they run inside n8n, so they know it). */
	private lastN8nVersion: string | undefined;

	constructor(
		private readonly secret: string,
		private readonly maxBytes: number,
		private readonly store: EventStore,
		private readonly metrics: RelayMetrics,
		private readonly logger: Logger,
	) {}

	async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
		let raw: string;
		try {
			raw = await readBody(req, this.maxBytes);
		} catch {
			this.metrics.ingestBatches.inc({ result: 'too_large' });
			return { status: 413, body: { error: 'payload_too_large' } };
		}
		const header = req.headers[SIGNATURE_HEADER];
		const check = verifySignature(this.secret, raw, Array.isArray(header) ? header[0] : header);
		if (!check.ok) {
			this.metrics.ingestBatches.inc({ result: 'bad_signature' });
			this.logger.warn({ reason: check.reason }, 'ingest batch refused: signature');
			return { status: 401, body: { error: 'bad_signature' } };
		}
		let batch: IngestBatch;
		try {
			batch = JSON.parse(raw) as IngestBatch;
			if (!Array.isArray(batch?.events)) throw new Error('no events');
		} catch {
			this.metrics.ingestBatches.inc({ result: 'invalid' });
			return { status: 400, body: { error: 'invalid_batch' } };
		}
		this.noteSource(batch);
		const drafts: EventDraft[] = [];
		let rejected = 0;
		for (const candidate of batch.events) {
			const draft = validateDraft(candidate);
			if (draft) drafts.push(draft);
			else rejected++;
		}
		const { stored, duplicates } = await this.store.append(drafts);
		this.metrics.ingestBatches.inc({ result: 'ok' });
		this.metrics.ingestEvents.inc({ result: 'accepted' }, stored.length);
		if (duplicates) this.metrics.ingestEvents.inc({ result: 'duplicate' }, duplicates);
		if (rejected) {
			this.metrics.ingestEvents.inc({ result: 'rejected' }, rejected);
			this.logger.warn({ rejected }, 'ingest: events with an invalid shape were skipped');
		}
		const result: IngestResult = { accepted: stored.length, duplicates, rejected };
		return { status: 200, body: result };
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

export function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > maxBytes) {
				reject(new Error('too large'));
				req.destroy();
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}
