/**
 * Event storage: assigns each new event its per-execution `seq` and its cursor, drops duplicates
 * (same `id`), keeps a bounded history to resume from, and tells listeners about new events.
 */
import { randomBytes } from 'node:crypto';
import type { Envelope, EventDraft, ServerMessage } from '../protocol/types';
import { decodeCursor, encodeCursor } from '../protocol/cursor';

export type ReadResult =
	| { ok: true; events: Envelope[]; head: string; more: boolean }
	| { ok: false; reason: 'cursor-expired' | 'epoch-changed' | 'cursor-invalid'; head: string };

export interface EventScope {
	workflowId?: string;
	executionId?: string;
}

export interface AppendResult {
	stored: Envelope[];
	duplicates: number;
	/** Events that could not be stored (e.g. not serialisable). */
	rejected?: number;
}

export interface EventStore {
	readonly kind: 'memory' | 'redis';
	readonly epoch: string;
	start(): Promise<void>;
	stop(): Promise<void>;
	append(drafts: EventDraft[]): Promise<AppendResult>;
	/**
	 * Events after `cursor` (exclusive) that pass `filter`, oldest first, at most `limit`. `where`
	 * (optional) narrows the events to one workflow or execution before `filter` sees them, so a
	 * store can skip the others cheaply.
	 */
	readAfter(
		cursor: string | undefined,
		filter: (event: Envelope) => boolean,
		limit: number,
		where?: EventScope,
	): Promise<ReadResult>;
	/** The cursor of the newest event (or of the empty store). */
	head(): string;
	/** Compares two cursors of this epoch: <0, 0, >0. */
	compare(a: string, b: string): number;
	/**
	 * New events, oldest first. `payloads`, when the store has them, are the events' `event`
	 * messages as subscribers get them (UTF-8, same order), so a listener need not encode them again.
	 */
	onEvents(listener: (events: Envelope[], payloads?: Buffer[]) => void): void;
	stats(): { events: number; executions: number; bytes?: number };
	/**
	 * True the first time `key` is claimed within `ttlSeconds` (shared by every relay on the
	 * store); used to take each signed batch once. Without it the relay remembers on its own.
	 */
	claimOnce?(key: string, ttlSeconds: number): Promise<boolean>;
	/** False while the store cannot take events (e.g. Redis is unreachable). */
	ready?(): boolean;
	/**
	 * Waits until this instance's live state has caught up with `cursor` (one another relay
	 * instance may have handed out), so a snapshot is never older than the client's cursor.
	 */
	sync?(cursor: string): Promise<void>;
}

/**
 * One retained event: its `event` message as sent to subscribers, plus the fields lookups need. The
 * message's bytes live outside the JavaScript heap (a Buffer): the garbage collector neither copies
 * nor scans the text of the hundred thousand events held for resuming, and fan-out sends the bytes
 * as they are.
 */
interface Stored {
	position: number;
	id: string;
	workflowId: string;
	executionId: string;
	payload: Buffer;
}

const EVENT_MESSAGE_PREFIX = '{"type":"event","event":';
const PREFIX_BYTES = Buffer.byteLength(EVENT_MESSAGE_PREFIX);

/** The `event` message for an event, `{"type":"event","event":<event>}`, as UTF-8. */
export function eventMessageBytes(event: Envelope): Buffer {
	return Buffer.from(JSON.stringify({ type: 'event', event } satisfies ServerMessage), 'utf8');
}

/** The event inside an `event` message made by eventMessageBytes. */
function eventOf(payload: Buffer): Envelope {
	return JSON.parse(payload.toString('utf8', PREFIX_BYTES, payload.length - 1)) as Envelope;
}

/** Tells every listener, even when one of them throws (which it should not). */
export function notify(
	listeners: Array<(events: Envelope[], payloads: Buffer[]) => void>,
	events: Envelope[],
	payloads: Buffer[],
): void {
	for (const listener of listeners) {
		try {
			listener(events, payloads);
		} catch {
			// A listener's own failure is its to log; the others still hear about the events.
		}
	}
}

export class MemoryStore implements EventStore {
	readonly kind = 'memory' as const;
	readonly epoch = `m${randomBytes(6).toString('hex')}`;
	private readonly log: Stored[] = [];
	private start0 = 0;
	private lastPosition = 0;
	private readonly seqByExecution = new Map<string, number>();
	private readonly seenIds = new Map<string, number>();
	private readonly listeners: Array<(events: Envelope[], payloads: Buffer[]) => void> = [];
	/** Bytes of the retained events' payloads. */
	private bytes = 0;

	constructor(
		private readonly retentionEvents: number,
		private readonly retentionExecutions: number,
		/** The retained events' payloads never hold more than this many bytes. */
		private readonly retentionBytes = Number.POSITIVE_INFINITY,
	) {}

	async start(): Promise<void> {}
	async stop(): Promise<void> {}

	onEvents(listener: (events: Envelope[], payloads?: Buffer[]) => void): void {
		this.listeners.push(listener);
	}

	head(): string {
		return encodeCursor(this.epoch, String(this.lastPosition));
	}

	compare(a: string, b: string): number {
		return Number(decodeCursor(a)?.position ?? 0) - Number(decodeCursor(b)?.position ?? 0);
	}

	stats() {
		return {
			events: this.log.length - this.start0,
			executions: this.seqByExecution.size,
			bytes: this.bytes,
		};
	}

	async append(drafts: EventDraft[]): Promise<AppendResult> {
		const stored: Envelope[] = [];
		const payloads: Buffer[] = [];
		let duplicates = 0;
		let rejected = 0;
		const ts = new Date().toISOString();
		for (const draft of drafts) {
			if (this.seenIds.has(draft.id)) {
				duplicates++;
				continue;
			}
			// Position and seq are taken only once the event is encoded: an event that cannot be
			// serialised leaves no gap for a resuming reader to fall into.
			const position = this.lastPosition + 1;
			const seq = (this.seqByExecution.get(draft.executionId) ?? 0) + 1;
			const event: Envelope = {
				...draft,
				seq,
				cursor: encodeCursor(this.epoch, String(position)),
				ts,
			};
			let payload: Buffer;
			try {
				payload = eventMessageBytes(event);
			} catch {
				rejected++;
				continue;
			}
			this.lastPosition = position;
			// Re-insert to keep the map in recency order for eviction.
			this.seqByExecution.delete(draft.executionId);
			this.seqByExecution.set(draft.executionId, seq);
			this.bytes += payload.length;
			this.log.push({
				position,
				id: draft.id,
				workflowId: draft.workflowId,
				executionId: draft.executionId,
				payload,
			});
			this.seenIds.set(draft.id, position);
			stored.push(event);
			payloads.push(payload);
		}
		this.evict();
		if (stored.length) notify(this.listeners, stored, payloads);
		return { stored, duplicates, ...(rejected ? { rejected } : {}) };
	}

	private evict(): void {
		let live = this.log.length - this.start0;
		while (live > this.retentionEvents || (live > 0 && this.bytes > this.retentionBytes)) {
			const dropped = this.log[this.start0];
			this.seenIds.delete(dropped.id);
			this.bytes -= dropped.payload.length;
			// Free the slot's bytes now, not at the next compaction.
			this.log[this.start0] = undefined as unknown as Stored;
			this.start0++;
			live--;
		}
		// Compact the array now and then rather than shifting on every event.
		if (this.start0 > 4096 && this.start0 * 2 > this.log.length) {
			this.log.splice(0, this.start0);
			this.start0 = 0;
		}
		while (this.seqByExecution.size > this.retentionExecutions * 4) {
			const oldest = this.seqByExecution.keys().next().value;
			if (oldest === undefined) break;
			this.seqByExecution.delete(oldest);
		}
	}

	async readAfter(
		cursor: string | undefined,
		filter: (event: Envelope) => boolean,
		limit: number,
		where?: EventScope,
	): Promise<ReadResult> {
		const head = this.head();
		let after = 0;
		if (cursor !== undefined) {
			const parts = decodeCursor(cursor);
			const position = parts ? Number(parts.position) : NaN;
			if (!parts || !Number.isInteger(position) || position < 0) {
				return { ok: false, reason: 'cursor-invalid', head };
			}
			if (parts.epoch !== this.epoch) return { ok: false, reason: 'epoch-changed', head };
			if (position > this.lastPosition) return { ok: false, reason: 'cursor-invalid', head };
			after = position;
		}
		const oldest = this.log[this.start0]?.position ?? this.lastPosition + 1;
		if (cursor !== undefined && after < oldest - 1) {
			return { ok: false, reason: 'cursor-expired', head };
		}
		const events: Envelope[] = [];
		// Positions are dense, so the first candidate's index is known.
		let index = this.start0 + Math.max(0, after - oldest + 1);
		for (; index < this.log.length; index++) {
			const record = this.log[index];
			if (where?.workflowId !== undefined && record.workflowId !== where.workflowId) continue;
			if (where?.executionId !== undefined && record.executionId !== where.executionId) continue;
			const event = eventOf(record.payload);
			if (!filter(event)) continue;
			if (events.length === limit) return { ok: true, events, head, more: true };
			events.push(event);
		}
		return { ok: true, events, head, more: false };
	}
}
