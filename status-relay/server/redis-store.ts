/**
 * Redis Streams store: several relay instances share one stream, so each serves every event with
 * the same `seq` and the same cursor, and cursors survive a relay restart (durable cursors).
 *
 * - Appending is one Lua script per batch: drop an event whose id was seen (SET NX with a TTL), give
 *   it the execution's next `seq` (INCR), XADD it, and trim to the retention, remembering the last
 *   entry trimmed. Atomic, so two relays ingesting the same fact (queue-mode main and worker) store
 *   it once, and seq has no gaps.
 * - Each instance tails the stream on its own connection (XREAD BLOCK) and hands every entry, its
 *   own appends included, to its listeners in stream order: live state and fan-out follow one order.
 * - A cursor is `<epoch>:<stream entry id>`. The epoch lives in Redis next to the stream, so it
 *   outlives relay restarts; a cursor before the last trimmed entry is `cursor-expired`.
 *
 * All keys share the hash tag `{<name>}`, so they live in one slot.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { Envelope, EventDraft } from '../protocol/types';
import { decodeCursor, encodeCursor } from '../protocol/cursor';
import { checkDraft, DEFAULT_EVENT_LIMITS } from '../protocol/schema';
import type { EventLimits } from '../protocol/schema';
import type { AppendResult, EventScope, EventStore, ReadResult } from './store';
import { notify } from './store';
import type { Logger } from './logger';

export interface RedisStoreOptions {
	url: string;
	/** Stream name; relays with the same name share events. */
	name: string;
	retentionEvents: number;
	/** How long an event id is remembered for dedupe. */
	dedupeSeconds: number;
	logger: Logger;
	/** XREAD BLOCK timeout; also how fast `stop` returns. */
	blockMs?: number;
	/** Entries read back are held to the same shape and limits as ingested events. */
	limits?: EventLimits;
}

/**
 * Which stream entries belong to which workflow and execution, in stream order, for the entries
 * this instance has tailed (bounded like the stream): a page of one execution's logs is read
 * entry by entry from Redis instead of scanning the whole stream for it.
 */
class EntryIndex {
	private readonly all: Array<{ id: string; scopes: [string, string] }> = [];
	private allHead = 0;
	private readonly byScope = new Map<string, { ids: string[]; head: number }>();

	constructor(private readonly capacity: number) {}

	add(id: string, workflowId: string, executionId: string): void {
		const scopes: [string, string] = [`w:${workflowId}`, `x:${executionId}`];
		this.all.push({ id, scopes });
		for (const key of scopes) {
			let list = this.byScope.get(key);
			if (!list) this.byScope.set(key, (list = { ids: [], head: 0 }));
			list.ids.push(id);
		}
		while (this.all.length - this.allHead > this.capacity) {
			const oldest = this.all[this.allHead];
			this.all[this.allHead++] = undefined as unknown as { id: string; scopes: [string, string] };
			for (const key of oldest.scopes) {
				const list = this.byScope.get(key);
				if (!list) continue;
				list.head++;
				if (list.head >= list.ids.length) this.byScope.delete(key);
				else if (list.head > 1024 && list.head * 2 > list.ids.length) {
					list.ids.splice(0, list.head);
					list.head = 0;
				}
			}
		}
		if (this.allHead > 4096 && this.allHead * 2 > this.all.length) {
			this.all.splice(0, this.allHead);
			this.allHead = 0;
		}
	}

	/** Entry ids of the scope after `after` (exclusive), oldest first, from position `from`. */
	after(where: EventScope, after: string): { ids: string[]; start: number } {
		const key =
			where.executionId !== undefined ? `x:${where.executionId}` : `w:${where.workflowId}`;
		const list = this.byScope.get(key);
		if (!list) return { ids: [], start: 0 };
		if (after === '-') return { ids: list.ids, start: list.head };
		// Binary search for the first id after the cursor.
		let lo = list.head;
		let hi = list.ids.length;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if (compareEntryIds(list.ids[mid], after) <= 0) lo = mid + 1;
			else hi = mid;
		}
		return { ids: list.ids, start: lo };
	}
}

/** A waiting execution may resume days later: its seq counter must outlive that. */
const SEQ_TTL_SECONDS = 30 * 24 * 3600;
const PAGE = 1000;

const APPEND_SCRIPT = `
local stream = KEYS[1]
local epochKey = KEYS[2]
local trimmedKey = KEYS[3]
local prefix = ARGV[1]
local maxlen = tonumber(ARGV[2])
local dedupeTtl = tonumber(ARGV[3])
local seqTtl = tonumber(ARGV[4])
local ts = ARGV[5]
redis.call('SET', epochKey, ARGV[6], 'NX')
local slack = tonumber(ARGV[7])
local out = {}
local i = 8
while i <= #ARGV do
  local id = ARGV[i]
  local execution = ARGV[i + 1]
  local body = ARGV[i + 2]
  if redis.call('SET', prefix .. 'id:' .. id, '1', 'NX', 'EX', dedupeTtl) then
    local seqKey = prefix .. 'seq:' .. execution
    local seq = redis.call('INCR', seqKey)
    redis.call('EXPIRE', seqKey, seqTtl)
    local entry = redis.call('XADD', stream, '*', 'seq', seq, 'ts', ts, 'e', body)
    out[#out + 1] = entry
    out[#out + 1] = seq
  else
    out[#out + 1] = false
    out[#out + 1] = 0
  end
  i = i + 3
end
-- Retention, trimmed exactly and remembered: a cursor before the last trimmed entry cannot resume.
local excess = redis.call('XLEN', stream) - maxlen
if excess >= slack then
  local old = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess)
  local last = old[#old][1]
  redis.call('XTRIM', stream, 'MINID', last)
  redis.call('XDEL', stream, last)
  redis.call('SET', trimmedKey, last)
end
return out
`;

type StreamEntry = [id: string, fields: string[]];

/** Stream entry ids are `<ms>-<n>`; compared as numbers, never as strings. */
export function compareEntryIds(a: string, b: string): number {
	const [aMs, aSeq] = a.split('-').map(Number);
	const [bMs, bSeq] = b.split('-').map(Number);
	return aMs !== bMs ? aMs - bMs : (aSeq ?? 0) - (bSeq ?? 0);
}

const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;

export class RedisStore implements EventStore {
	readonly kind = 'redis' as const;
	epoch = '';
	private readonly commands: Redis;
	private readonly reader: Redis;
	private readonly keys: { stream: string; epoch: string; trimmed: string; prefix: string };
	private readonly listeners: Array<(events: Envelope[], payloads: Buffer[]) => void> = [];
	private readonly index: EntryIndex;
	private badEntries = 0;
	/** The last entry this instance has handed to its listeners. */
	private lastId = '0-0';
	private tailing: Promise<void> | undefined;
	private stopped = false;
	private streamLength = 0;
	private readonly executionsSeen = new Set<string>();
	private readonly waiters = new Set<() => void>();

	constructor(private readonly options: RedisStoreOptions) {
		this.index = new EntryIndex(Math.ceil(options.retentionEvents * 1.2) + 1000);
		const tag = `{${options.name}}`;
		this.keys = {
			stream: `${tag}:events`,
			epoch: `${tag}:epoch`,
			trimmed: `${tag}:trimmed`,
			prefix: `${tag}:`,
		};
		const common = {
			lazyConnect: true,
			maxRetriesPerRequest: 2,
			enableAutoPipelining: true,
			retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
		};
		this.commands = new Redis(options.url, { ...common, connectionName: 'relay-commands' });
		// XREAD BLOCK holds its connection: the tail gets its own.
		this.reader = new Redis(options.url, {
			...common,
			enableAutoPipelining: false,
			maxRetriesPerRequest: null,
			connectionName: 'relay-tail',
		});
		for (const client of [this.commands, this.reader]) {
			client.on('error', (error: Error) =>
				options.logger.warn({ err: error.message }, 'redis connection problem'),
			);
		}
		this.commands.defineCommand('relayAppend', { numberOfKeys: 3, lua: APPEND_SCRIPT });
	}

	/** Connected and able to take events. */
	ready(): boolean {
		return this.commands.status === 'ready' && this.reader.status === 'ready' && !this.stopped;
	}

	async start(): Promise<void> {
		await Promise.all([this.commands.connect(), this.reader.connect()]);
		await this.commands.set(this.keys.epoch, `r${randomBytes(6).toString('hex')}`, 'NX');
		this.epoch = (await this.commands.get(this.keys.epoch)) ?? '';
		// What the stream holds becomes this instance's live state before it serves anyone.
		let after = '-';
		for (;;) {
			const page = await this.pageAfter(after);
			if (!page.length) break;
			this.deliver(page);
			after = page[page.length - 1][0];
			if (page.length < PAGE) break;
		}
		this.streamLength = await this.commands.xlen(this.keys.stream);
		this.options.logger.info(
			{ stream: this.keys.stream, epoch: this.epoch, replayed: this.streamLength },
			'redis stream store ready',
		);
		this.tailing = this.tail();
	}

	async stop(): Promise<void> {
		this.stopped = true;
		// A blocked XREAD only ends with its connection.
		this.reader.disconnect();
		await this.tailing?.catch(() => undefined);
		await this.commands.quit().catch(() => this.commands.disconnect());
	}

	onEvents(listener: (events: Envelope[], payloads?: Buffer[]) => void): void {
		this.listeners.push(listener);
	}

	head(): string {
		return encodeCursor(this.epoch, this.lastId);
	}

	compare(a: string, b: string): number {
		const pa = decodeCursor(a)?.position ?? '0-0';
		const pb = decodeCursor(b)?.position ?? '0-0';
		return compareEntryIds(ENTRY_ID.test(pa) ? pa : '0-0', ENTRY_ID.test(pb) ? pb : '0-0');
	}

	stats() {
		return { events: this.streamLength, executions: this.executionsSeen.size };
	}

	async claimOnce(key: string, ttlSeconds: number): Promise<boolean> {
		const set = await this.commands.set(`${this.keys.prefix}${key}`, '1', 'EX', ttlSeconds, 'NX');
		return set === 'OK';
	}

	async append(drafts: EventDraft[]): Promise<AppendResult> {
		if (!drafts.length) return { stored: [], duplicates: 0 };
		const ts = new Date().toISOString();
		const args: string[] = [
			this.keys.prefix,
			String(this.options.retentionEvents),
			String(this.options.dedupeSeconds),
			String(SEQ_TTL_SECONDS),
			ts,
			this.epoch,
			// Trim in steps of about 1% of the retention rather than on every append.
			String(Math.max(1, Math.floor(this.options.retentionEvents / 100))),
		];
		for (const draft of drafts) args.push(draft.id, draft.executionId, JSON.stringify(draft));
		const reply = (await (
			this.commands as unknown as {
				relayAppend(...a: string[]): Promise<Array<string | number | null>>;
			}
		).relayAppend(this.keys.stream, this.keys.epoch, this.keys.trimmed, ...args)) as Array<
			string | number | null
		>;
		const stored: Envelope[] = [];
		let duplicates = 0;
		drafts.forEach((draft, index) => {
			const entryId = reply[index * 2];
			if (typeof entryId !== 'string') {
				duplicates++;
				return;
			}
			stored.push({
				...draft,
				seq: Number(reply[index * 2 + 1]),
				cursor: encodeCursor(this.epoch, entryId),
				ts,
			});
		});
		return { stored, duplicates };
	}

	/** Waits (briefly) until this instance's tail has passed `cursor`, e.g. one another relay gave. */
	async sync(cursor: string, timeoutMs = 2000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (this.compare(cursor, this.head()) > 0 && Date.now() < deadline && !this.stopped) {
			await new Promise<void>((resolve) => {
				const timer = setTimeout(done, 50);
				this.waiters.add(done);
				function done() {
					clearTimeout(timer);
					resolve();
				}
			});
		}
	}

	/** Up to PAGE stream entries after the entry id `after` ('-': from the start). */
	private async pageAfter(after: string): Promise<StreamEntry[]> {
		return (await this.commands.xrange(
			this.keys.stream,
			after === '-' ? '-' : `(${after}`,
			'+',
			'COUNT',
			PAGE,
		)) as StreamEntry[];
	}

	async readAfter(
		cursor: string | undefined,
		filter: (event: Envelope) => boolean,
		limit: number,
		where?: EventScope,
	): Promise<ReadResult> {
		const head = this.head();
		let after = '-';
		if (cursor !== undefined) {
			const parts = decodeCursor(cursor);
			if (!parts || !ENTRY_ID.test(parts.position)) {
				return { ok: false, reason: 'cursor-invalid', head };
			}
			if (parts.epoch !== this.epoch) return { ok: false, reason: 'epoch-changed', head };
			const info = await this.streamInfo();
			if (compareEntryIds(parts.position, info.lastGeneratedId) > 0) {
				return { ok: false, reason: 'cursor-invalid', head };
			}
			// Trimming removed entries after this cursor: resuming would leave a gap.
			if (info.maxDeletedId && compareEntryIds(parts.position, info.maxDeletedId) < 0) {
				return { ok: false, reason: 'cursor-expired', head };
			}
			after = parts.position;
		}
		const events: Envelope[] = [];
		const take = (entries: StreamEntry[]): boolean => {
			for (const entry of entries) {
				const event = this.envelope(entry);
				if (!event || !filter(event)) continue;
				if (events.length === limit) return true;
				events.push(event);
			}
			return false;
		};
		// The entries this instance has tailed: looked up one by one through the index.
		const tailed = this.lastId;
		if (where?.workflowId !== undefined || where?.executionId !== undefined) {
			let from = after;
			for (;;) {
				// Looked up afresh each round: the index moves on (and compacts) while we await.
				const { ids, start } = this.index.after(where, from);
				const chunk: string[] = [];
				const room = Math.min(PAGE, limit + 1 - events.length);
				for (let i = start; i < ids.length && chunk.length < room; i++) {
					if (compareEntryIds(ids[i], tailed) > 0) break;
					chunk.push(ids[i]);
				}
				if (!chunk.length) break;
				const pipeline = this.commands.pipeline();
				for (const id of chunk) pipeline.xrange(this.keys.stream, id, id);
				const replies = (await pipeline.exec()) ?? [];
				const entries = replies.flatMap(([error, reply]) =>
					error ? [] : ((reply as StreamEntry[]) ?? []),
				);
				if (take(entries)) return { ok: true, events, head, more: true };
				from = chunk[chunk.length - 1];
			}
			if (tailed !== '0-0' && (after === '-' || compareEntryIds(after, tailed) < 0)) after = tailed;
		}
		// Without a scope (or past what this instance has tailed): the stream itself, in pages.
		for (;;) {
			const page = await this.pageAfter(after);
			if (take(page)) return { ok: true, events, head, more: true };
			if (page.length < PAGE) break;
			after = page[page.length - 1][0];
		}
		return { ok: true, events, head, more: false };
	}

	private async streamInfo(): Promise<{ lastGeneratedId: string; maxDeletedId?: string }> {
		const [trimmed, lastEntry] = await Promise.all([
			this.commands.get(this.keys.trimmed),
			this.commands.xrevrange(this.keys.stream, '+', '-', 'COUNT', 1) as Promise<StreamEntry[]>,
		]);
		return {
			lastGeneratedId: lastEntry[0]?.[0] ?? trimmed ?? '0-0',
			...(trimmed ? { maxDeletedId: trimmed } : {}),
		};
	}

	private envelope([entryId, fields]: StreamEntry): Envelope | undefined {
		const values = new Map<string, string>();
		for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i], fields[i + 1]);
		try {
			// An entry written before the schema existed (or by anything else) is held to it too.
			const check = checkDraft(
				JSON.parse(values.get('e') ?? ''),
				this.options.limits ?? DEFAULT_EVENT_LIMITS,
			);
			if (!check.ok) throw new Error(check.reason);
			const draft = check.draft;
			return {
				...draft,
				seq: Number(values.get('seq')),
				cursor: encodeCursor(this.epoch, entryId),
				ts: values.get('ts') ?? '',
			};
		} catch (error) {
			if (this.badEntries++ < 20) {
				this.options.logger.warn(
					{ entryId, reason: String(error).slice(0, 200) },
					'skipping an unreadable stream entry',
				);
			}
			return undefined;
		}
	}

	private deliver(entries: StreamEntry[]): void {
		const events: Envelope[] = [];
		for (const entry of entries) {
			const event = this.envelope(entry);
			if (event) {
				events.push(event);
				this.executionsSeen.add(event.executionId);
				this.index.add(entry[0], event.workflowId, event.executionId);
			}
		}
		if (this.executionsSeen.size > 100_000) this.executionsSeen.clear();
		this.lastId = entries[entries.length - 1][0];
		this.streamLength = Math.min(
			this.streamLength + entries.length,
			Math.ceil(this.options.retentionEvents * 1.1),
		);
		if (events.length) notify(this.listeners, events, []);
		for (const wake of [...this.waiters]) {
			this.waiters.delete(wake);
			wake();
		}
	}

	private async tail(): Promise<void> {
		const blockMs = this.options.blockMs ?? 2000;
		while (!this.stopped) {
			try {
				const reply = (await this.reader.xread(
					'COUNT',
					PAGE,
					'BLOCK',
					blockMs,
					'STREAMS',
					this.keys.stream,
					this.lastId,
				)) as Array<[string, StreamEntry[]]> | null;
				const entries = reply?.[0]?.[1];
				if (entries?.length) this.deliver(entries);
			} catch (error) {
				if (this.stopped) return;
				this.options.logger.warn({ err: String(error) }, 'redis stream tail failed; retrying');
				await new Promise((resolve) => setTimeout(resolve, 500));
			}
		}
	}
}
