/**
 * Watches one IMAP mailbox and hands every new message over exactly once (DESIGN.md section 4):
 * UIDVALIDITY + last UID kept in a store the node persists (n8n's workflow static data), Message-ID
 * dedupe for what UIDs cannot tell (a UIDVALIDITY change, a restart mid-batch), IDLE where the server
 * has it and polling where it does not, reconnect with backoff. Free of n8n, so it is unit-testable.
 */
import type { FetchMessageObject, ImapFlow, SearchObject } from 'imapflow';
import { buildSupportEmail } from '../../email/build';
import { parseMime } from '../../email/parse-mime';
import { readErrorOf, unreadableEmail } from '../../email/unreadable';
import type { SupportEmail } from '../../email/types';
import type { ImapSmtpCredentials } from '../credentials';
import { MailError } from '../errors';
import { connectImap, describeImapError } from '../imap';
import { SENT_BY_US_HEADER } from '../compose';
import type { InboxLogger, WatchOptions, WatchStateStore } from './watch';
import { silentLogger, readableSource } from './watch';

export interface InboxState {
	uidValidity?: string;
	lastUid?: number;
	/** When the mailbox was last known to be fully handled (ISO, n8n's clock). */
	checkedAt?: string;
	/** INTERNALDATE (server clock) of the newest message known: where a re-sync after a UIDVALIDITY change starts. */
	lastInternalDate?: string;
}

export type StateStore = WatchStateStore<InboxState>;

export interface InboxFilter {
	unseenOnly?: boolean;
	from?: string;
	to?: string;
	subject?: string;
	body?: string;
}

export type AfterProcessing = 'nothing' | 'seen' | 'flag' | 'move';

export interface InboxMessage {
	email: SupportEmail;
	uid: number;
	raw?: Buffer;
}

export interface InboxOptions extends WatchOptions<InboxMessage, InboxState> {
	credentials: ImapSmtpCredentials;
	mailbox: string;
	filter?: InboxFilter;
	afterProcessing?: AfterProcessing;
	moveTo?: string;
	/** 'auto': IDLE when the server announces it, else poll; 'poll': always poll. */
	mode?: 'auto' | 'poll';
	/** A connection problem the watcher keeps retrying (reported once per outage). */
	onConnectionError?(error: MailError, attempt: number): void;
	/** Minimum and maximum reconnect delay. */
	reconnectDelayMs?: { min: number; max: number };
}

const SYNC_WINDOW_MARGIN_MS = 5 * 60_000;
const SKIP_MAILBOX_USE = new Set(['\\Drafts', '\\Sent', '\\Trash', '\\Junk']);

export class ImapInbox {
	private client: ImapFlow | undefined;
	private stopped = false;
	private syncing: Promise<void> | undefined;
	private syncAgain = false;
	private pollTimer: NodeJS.Timeout | undefined;
	private reconnectTimer: NodeJS.Timeout | undefined;
	private reconnectAttempt = 0;
	private idleSupported = false;
	private readonly log: InboxLogger;
	/** Set when the watched mailbox is itself Drafts / Sent: then nothing is skipped for being ours. */
	private mailboxSpecialUse: string | undefined;

	constructor(private readonly options: InboxOptions) {
		this.log = options.logger ?? silentLogger;
	}

	get usesIdle(): boolean {
		return this.idleSupported && this.options.mode !== 'poll';
	}

	/**
	 * Connects, opens the mailbox and records the starting point when there is none yet. Errors here
	 * (wrong password, unreachable server, TLS mismatch, missing mailbox) are thrown, so activating
	 * the workflow fails with a clear message. Mail is fetched by `run()` afterwards.
	 */
	async open(): Promise<void> {
		this.client = await this.connect();
		await this.baseline();
	}

	/** Catches up with what arrived since the last run, then waits for new mail. */
	run(): void {
		this.requestSync();
	}

	async stop(): Promise<void> {
		this.stopped = true;
		clearTimeout(this.pollTimer);
		clearTimeout(this.reconnectTimer);
		await this.syncing?.catch(() => undefined);
		const client = this.client;
		this.client = undefined;
		if (client) {
			await Promise.race([client.logout().catch(() => undefined), sleep(2_000)]);
			client.close();
		}
	}

	/** The newest message(s) of the mailbox, ignoring state: for "Fetch Test Event". */
	async latest(count = 1): Promise<InboxMessage[]> {
		const client = this.requireClient();
		const lock = await client.getMailboxLock(this.options.mailbox);
		try {
			const mailbox = client.mailbox;
			if (!mailbox || mailbox.exists === 0) return [];
			const uids = (await this.searchUids(client, 1)).slice(-count);
			return await this.fetchMessages(client, uids);
		} finally {
			lock.release();
		}
	}

	private async connect(): Promise<ImapFlow> {
		const client = await connectImap(this.options.credentials, {
			disableAutoIdle: true,
			maxIdleTime: 4.5 * 60_000,
		});
		this.idleSupported = client.capabilities.has('IDLE');
		client.on('exists', () => this.requestSync());
		client.on('close', () => this.onClose(client));
		try {
			const list = await client.list();
			const entry = list.find(
				(box) => box.path.toLowerCase() === this.options.mailbox.toLowerCase(),
			);
			if (!entry) {
				const names = list.map((box) => box.path).join(', ');
				throw new MailError(
					'not-found',
					`The mailbox "${this.options.mailbox}" does not exist on the server`,
					`Choose one of: ${names}`,
				);
			}
			this.mailboxSpecialUse = entry.specialUse;
		} catch (error) {
			client.close();
			throw error instanceof MailError ? error : describeImapError(error, this.options.credentials);
		}
		return client;
	}

	private requireClient(): ImapFlow {
		if (!this.client || !this.client.usable)
			throw new MailError('connection', 'Not connected to the IMAP server', undefined, {
				retryable: true,
			});
		return this.client;
	}

	private async baseline(): Promise<void> {
		const state = this.options.state.load();
		if (state.uidValidity !== undefined) return;
		const client = this.requireClient();
		const lock = await client.getMailboxLock(this.options.mailbox);
		try {
			const mailbox = client.mailbox;
			if (!mailbox) throw new MailError('server', `Could not open "${this.options.mailbox}"`);
			const next: InboxState = {
				uidValidity: String(mailbox.uidValidity),
				lastUid: this.options.takeExisting ? 0 : Math.max(0, Number(mailbox.uidNext) - 1),
				checkedAt: this.now().toISOString(),
			};
			if (!this.options.takeExisting) {
				const newest = await this.newest(client);
				if (newest) {
					next.lastInternalDate = newest.internalDate;
					// Existing mail is not new: a later re-sync must not take the newest one for new.
					if (newest.messageId) await this.options.dedupe.filterNew([newest.messageId]);
				}
			}
			this.options.state.save(next);
			this.log.info('Support Inbox Trigger: starting point recorded', {
				mailbox: this.options.mailbox,
				...next,
			});
		} finally {
			lock.release();
		}
	}

	/** Runs one sync now, or once more after the running one (never two at a time). */
	requestSync(): void {
		if (this.stopped) return;
		if (this.syncing) {
			this.syncAgain = true;
			return;
		}
		clearTimeout(this.pollTimer);
		this.syncing = (async () => {
			do {
				this.syncAgain = false;
				try {
					await this.sync();
				} catch (error) {
					const mailError =
						error instanceof MailError ? error : describeImapError(error, this.options.credentials);
					this.log.warn(`Support Inbox Trigger: sync failed: ${mailError.message}`);
					if (!this.client?.usable) break;
				}
			} while (this.syncAgain && !this.stopped);
		})().finally(() => {
			this.syncing = undefined;
			this.waitForMail();
		});
	}

	private waitForMail(): void {
		if (this.stopped || !this.client?.usable) return;
		if (this.usesIdle) {
			// IDLE is broken by imapflow whenever a command is queued (the next sync).
			void this.client.idle().catch(() => undefined);
		}
		// A safety net even with IDLE (a missed notification); the only mechanism without it.
		this.pollTimer = setTimeout(
			() => this.requestSync(),
			this.usesIdle ? Math.max(this.pollIntervalMs(), 60_000) : this.pollIntervalMs(),
		);
	}

	private pollIntervalMs(): number {
		return Math.max(1_000, this.options.pollIntervalMs ?? 60_000);
	}

	private onClose(client: ImapFlow): void {
		if (this.stopped || client !== this.client) return;
		this.client = undefined;
		clearTimeout(this.pollTimer);
		this.log.warn('Support Inbox Trigger: IMAP connection closed; reconnecting');
		this.scheduleReconnect();
	}

	private scheduleReconnect(): void {
		if (this.stopped) return;
		const { min, max } = this.options.reconnectDelayMs ?? { min: 1_000, max: 60_000 };
		const exponential = Math.min(max, min * 2 ** this.reconnectAttempt);
		const delay = exponential / 2 + Math.random() * (exponential / 2);
		this.reconnectAttempt++;
		this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
	}

	private async reconnect(): Promise<void> {
		if (this.stopped) return;
		try {
			const client = await this.connect();
			if (this.stopped) {
				client.close();
				return;
			}
			this.client = client;
			this.reconnectAttempt = 0;
			this.log.info('Support Inbox Trigger: reconnected');
			this.requestSync();
		} catch (error) {
			const mailError =
				error instanceof MailError ? error : describeImapError(error, this.options.credentials);
			this.options.onConnectionError?.(mailError, this.reconnectAttempt);
			this.log.warn(`Support Inbox Trigger: reconnect failed: ${mailError.message}`, {
				attempt: this.reconnectAttempt,
			});
			this.scheduleReconnect();
		}
	}

	private now(): Date {
		return (this.options.now ?? (() => new Date()))();
	}

	/** Hands over everything after the last handled UID, in batches, each message once. */
	private async sync(): Promise<void> {
		const client = this.requireClient();
		const lock = await client.getMailboxLock(this.options.mailbox);
		try {
			if (!this.usesIdle) await client.noop();
			const mailbox = client.mailbox;
			if (!mailbox) return;
			const state = { ...this.options.state.load() };
			const uidValidity = String(mailbox.uidValidity);
			const startedAt = this.now();
			let candidates: number[];

			if (state.uidValidity !== undefined && state.uidValidity !== uidValidity) {
				candidates = await this.uidsAfterValidityChange(client, state);
				this.log.warn(
					'Support Inbox Trigger: UIDVALIDITY changed; re-synced by date and Message-ID',
					{
						mailbox: this.options.mailbox,
						was: state.uidValidity,
						now: uidValidity,
						candidates: candidates.length,
					},
				);
				state.uidValidity = uidValidity;
				state.lastUid = 0;
			} else {
				// Always search: the UIDNEXT imapflow saw at SELECT is not updated by EXISTS notifications.
				candidates = await this.searchUids(client, (state.lastUid ?? 0) + 1);
			}
			const highest = Math.max(Number(mailbox.uidNext) - 1, state.lastUid ?? 0);

			const batchSize = Math.max(1, this.options.batchSize ?? 50);
			for (let start = 0; start < candidates.length && !this.stopped; start += batchSize) {
				const uids = candidates.slice(start, start + batchSize);
				const messages = await this.fetchMessages(client, uids);
				const fresh = await this.options.dedupe.filterNew(messages.map((m) => m.email.messageId));
				const handOver = messages.filter((m) => fresh.has(m.email.messageId));
				// State first: n8n persists the static data when the trigger emits.
				state.lastUid = Math.max(state.lastUid ?? 0, ...uids);
				state.uidValidity = uidValidity;
				if (start + batchSize >= candidates.length) {
					state.lastUid = Math.max(state.lastUid, highest);
					state.checkedAt = startedAt.toISOString();
				}
				this.options.state.save({ ...state });
				if (handOver.length) {
					await this.options.onMessages(handOver);
					await this.afterProcessing(
						client,
						handOver.map((m) => m.uid),
					);
				}
			}
			const newest = await this.newest(client);
			if (candidates.length === 0 || newest?.internalDate !== state.lastInternalDate) {
				state.lastUid = Math.max(state.lastUid ?? 0, highest);
				state.uidValidity = uidValidity;
				state.checkedAt = startedAt.toISOString();
				if (newest?.internalDate) state.lastInternalDate = newest.internalDate;
				this.options.state.save({ ...state });
			}
		} finally {
			lock.release();
		}
	}

	/**
	 * After a UIDVALIDITY change every remembered UID is void. Mail that arrived since the last
	 * complete check (by INTERNALDATE, with a margin) is looked at again; Message-ID dedupe drops what
	 * was handed over before. Older mail is the baseline, as on a first start.
	 */
	private async uidsAfterValidityChange(client: ImapFlow, state: InboxState): Promise<number[]> {
		const since = state.lastInternalDate
			? new Date(state.lastInternalDate)
			: new Date((state.checkedAt ? Date.parse(state.checkedAt) : 0) - SYNC_WINDOW_MARGIN_MS);
		const uids = await this.searchUids(client, 1, {
			since: new Date(since.getTime() - 86_400_000),
		});
		if (!uids.length) return [];
		const dates = await client.fetchAll(uids, { uid: true, internalDate: true }, { uid: true });
		return dates
			.filter((m) => {
				const date = m.internalDate ? new Date(m.internalDate).getTime() : Date.now();
				return date >= since.getTime();
			})
			.map((m) => m.uid)
			.sort((a, b) => a - b);
	}

	/** The newest message of the selected mailbox: its INTERNALDATE and Message-ID. */
	private async newest(
		client: ImapFlow,
	): Promise<{ internalDate?: string; messageId?: string } | undefined> {
		if (!client.mailbox || client.mailbox.exists === 0) return undefined;
		const message = await client.fetchOne('*', { uid: true, internalDate: true, envelope: true });
		if (!message) return undefined;
		return {
			internalDate: message.internalDate ? new Date(message.internalDate).toISOString() : undefined,
			messageId: message.envelope?.messageId,
		};
	}

	private async searchUids(
		client: ImapFlow,
		fromUid: number,
		extra: SearchObject = {},
	): Promise<number[]> {
		const filter = this.options.filter ?? {};
		const query: SearchObject = { uid: `${fromUid}:*`, ...extra };
		if (filter.unseenOnly) query.seen = false;
		if (filter.from) query.from = filter.from;
		if (filter.to) query.to = filter.to;
		if (filter.subject) query.subject = filter.subject;
		if (filter.body) query.body = filter.body;
		const found = await client.search(query, { uid: true });
		// "N:*" matches the highest UID even when it is below N (RFC 3501), so filter again.
		return (Array.isArray(found) ? found : [])
			.filter((uid) => uid >= fromUid)
			.sort((a, b) => a - b);
	}

	private async fetchMessages(client: ImapFlow, uids: number[]): Promise<InboxMessage[]> {
		if (!uids.length) return [];
		const fetched: FetchMessageObject[] = await client.fetchAll(
			uids,
			{ uid: true, flags: true, internalDate: true, size: true, source: true },
			{ uid: true },
		);
		const messages: InboxMessage[] = [];
		for (const message of fetched.sort((a, b) => a.uid - b.uid)) {
			if (!uids.includes(message.uid)) continue;
			const skip = this.skipReason(message);
			if (skip) {
				this.log.debug(`Support Inbox Trigger: skipped UID ${message.uid}: ${skip}`);
				continue;
			}
			const raw = message.source;
			const context = {
				provider: 'imap' as const,
				mailbox: this.options.mailbox,
				uid: message.uid,
				receivedAt: message.internalDate ? new Date(message.internalDate) : undefined,
			};
			const max = this.options.maxBytes;
			const size = message.size ?? raw?.length ?? 0;
			const source = readableSource(
				raw,
				size,
				max,
				'The server returned no source for this message',
			);
			if ('error' in source) {
				const { error } = source;
				this.log.warn(
					`Support Inbox Trigger: UID ${message.uid} in ${this.options.mailbox} was not read (${error.message}); passed on with its headers`,
				);
				messages.push(this.unreadable(raw, error, context));
				continue;
			}
			try {
				const parsed = await parseMime(source.raw, { maxBytes: max });
				if (this.isOurOwn(parsed.header(SENT_BY_US_HEADER), parsed.from?.address)) continue;
				const email = buildSupportEmail(parsed, {
					...context,
					includeHtml: this.options.includeHtml,
					stripQuotes: this.options.stripQuotes,
				});
				messages.push({ email, uid: message.uid, raw: this.options.includeRaw ? raw : undefined });
			} catch (error) {
				this.log.warn(
					`Support Inbox Trigger: UID ${message.uid} in ${this.options.mailbox} could not be read; passed on with its error and raw headers: ${(error as Error).message}`,
				);
				messages.push(this.unreadable(raw, readErrorOf(error), context));
			}
		}
		return messages;
	}

	/** An item for mail that could not be read; the raw source goes along when "Include Raw" is on. */
	private unreadable(
		raw: Buffer | undefined,
		error: { message: string; hint?: string },
		context: Parameters<typeof unreadableEmail>[2] & { uid: number },
	): InboxMessage {
		return {
			email: unreadableEmail(raw, error, { ...context, now: this.options.now }),
			uid: context.uid,
			raw: this.options.includeRaw ? raw : undefined,
		};
	}

	private skipReason(message: FetchMessageObject): string | undefined {
		if (message.flags?.has('\\Draft')) return 'a draft';
		if (message.flags?.has('\\Deleted')) return 'marked deleted';
		return undefined;
	}

	private isOurOwn(sentByUs: string[], from: string | undefined): boolean {
		if (this.mailboxSpecialUse && SKIP_MAILBOX_USE.has(this.mailboxSpecialUse)) return false;
		if (sentByUs.length) return true;
		const own = (this.options.ownAddresses ?? []).map((a) => a.toLowerCase());
		return !!from && own.includes(from.toLowerCase());
	}

	private async afterProcessing(client: ImapFlow, uids: number[]): Promise<void> {
		const action = this.options.afterProcessing ?? 'nothing';
		if (action === 'nothing' || !uids.length) return;
		try {
			if (action === 'seen') await client.messageFlagsAdd(uids, ['\\Seen'], { uid: true });
			else if (action === 'flag') await client.messageFlagsAdd(uids, ['\\Flagged'], { uid: true });
			else if (action === 'move' && this.options.moveTo)
				await client.messageMove(uids, this.options.moveTo, { uid: true });
		} catch (error) {
			this.log.warn(
				`Support Inbox Trigger: after-processing action "${action}" failed: ${(error as Error).message}`,
			);
		}
	}
}

function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}
