/**
 * Watches a Gmail mailbox through the Gmail API and hands every new message over exactly once
 * (DESIGN.md section 4): the mailbox's history id kept in a store the node persists (n8n's workflow
 * static data), users.history.list from it (messageAdded, filtered by label), a full re-sync by date
 * when Gmail has purged that history (404), and the same Message-ID dedupe as the IMAP watcher for
 * what history ids cannot tell (a re-sync, a restart mid-batch). Our own sent mail and drafts are
 * skipped; messages are fetched as raw MIME and normalised like any other. Free of n8n.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { buildSupportEmail } from '../../email/build';
import { parseMime } from '../../email/parse-mime';
import { readErrorOf, unreadableEmail } from '../../email/unreadable';
import type { SupportEmail } from '../../email/types';
import { SENT_BY_US_HEADER } from '../compose';
import { MailError } from '../errors';
import { describeGmailError } from '../providers/gmail';
import type { InboxLogger, WatchOptions, WatchStateStore } from './watch';
import { silentLogger, readableSource } from './watch';

export interface GmailInboxState {
	/** The mailbox history id up to which every change was handled. */
	historyId?: string;
	/** When the mailbox was last known to be fully handled (ISO, n8n's clock). */
	checkedAt?: string;
	/** internalDate (Gmail's clock, epoch ms) of the newest message known: where a re-sync starts. */
	lastInternalDate?: number;
	/** Set on a first start with "take existing mail": the next sync lists the whole mailbox. */
	fullSync?: boolean;
}

export type GmailStateStore = WatchStateStore<GmailInboxState>;

export interface GmailInboxMessage {
	email: SupportEmail;
	id: string;
	raw?: Buffer;
}

export interface GmailInboxOptions extends WatchOptions<GmailInboxMessage, GmailInboxState> {
	/** A client with a valid token (called before every sync, so a token can be renewed). */
	client: () => Promise<gmail_v1.Gmail>;
	/** Label names or ids; a message must carry all of them (default INBOX). */
	labels?: string[];
	/** A Gmail search query (the search box syntax), applied on top of the labels. */
	query?: string;
	/** Mail from these addresses (our own) is skipped; the mailbox's own address is always added. */
	ownAddresses?: string[];
	/** A sync failed (reported with the number of failures in a row). */
	onSyncError?(error: MailError, failures: number): void;
}

/** How far before the last known message a re-sync starts looking (clock skew, late arrivals). */
const RESYNC_MARGIN_MS = 5 * 60_000;
/** Labels never taken for new mail unless watched on purpose: ours (sent, drafts) and junk. */
const SKIP_LABELS = ['SENT', 'DRAFT', 'SPAM', 'TRASH'];

export class GmailInbox {
	private stopped = false;
	private syncing: Promise<void> | undefined;
	private syncAgain = false;
	private pollTimer: NodeJS.Timeout | undefined;
	private failures = 0;
	private labelIds: string[] = [];
	private ownAddresses: string[] = [];
	private readonly log: InboxLogger;

	constructor(private readonly options: GmailInboxOptions) {
		this.log = options.logger ?? silentLogger;
	}

	/** The account's address, once `open()` has run. */
	emailAddress = '';

	/**
	 * Checks the credential and the labels, and records the starting point when there is none yet.
	 * Errors (a revoked token, a missing label) are thrown, so activation fails with a clear message.
	 */
	async open(): Promise<void> {
		const api = await this.options.client();
		const profile = await call(() => api.users.getProfile({ userId: 'me' }));
		this.emailAddress = (profile.data.emailAddress ?? '').toLowerCase();
		this.ownAddresses = [...(this.options.ownAddresses ?? []), this.emailAddress]
			.map((a) => a.trim().toLowerCase())
			.filter((a) => a.includes('@'));
		this.labelIds = await this.resolveLabels(api);
		await this.baseline(api, String(profile.data.historyId ?? ''));
	}

	/** Catches up with what arrived since the last run, then polls. */
	run(): void {
		this.requestSync();
	}

	async stop(): Promise<void> {
		this.stopped = true;
		clearTimeout(this.pollTimer);
		await this.syncing?.catch(() => undefined);
	}

	/** The newest message(s) matching the filters, ignoring state: for "Fetch Test Event". */
	async latest(count = 1): Promise<GmailInboxMessage[]> {
		const api = await this.options.client();
		const list = await call(() =>
			api.users.messages.list({
				userId: 'me',
				labelIds: this.labelIds,
				q: this.options.query || undefined,
				maxResults: Math.max(count, 10),
			}),
		);
		const ids = (list.data.messages ?? []).map((m) => m.id!).filter(Boolean);
		const messages: GmailInboxMessage[] = [];
		for (const id of ids) {
			if (messages.length >= count) break;
			const message = await this.fetch(api, id);
			if (message) messages.push(message);
		}
		return messages;
	}

	private async resolveLabels(api: gmail_v1.Gmail): Promise<string[]> {
		const wanted = (this.options.labels ?? ['INBOX']).map((l) => l.trim()).filter(Boolean);
		if (!wanted.length) return [];
		const labels = (await call(() => api.users.labels.list({ userId: 'me' }))).data.labels ?? [];
		return wanted.map((name) => {
			const found = labels.find(
				(l) => l.id === name || (l.name ?? '').toLowerCase() === name.toLowerCase(),
			);
			if (!found?.id)
				throw new MailError(
					'not-found',
					`The Gmail label "${name}" does not exist in ${this.emailAddress || 'this mailbox'}`,
					`Choose one of: ${labels
						.map((l) => l.name)
						.filter(Boolean)
						.join(', ')}`,
				);
			return found.id;
		});
	}

	private async baseline(api: gmail_v1.Gmail, historyId: string): Promise<void> {
		if (this.options.state.load().historyId) return;
		if (!historyId) throw new MailError('server', 'Gmail did not say where the mailbox history is');
		const next: GmailInboxState = { historyId, checkedAt: this.now().toISOString() };
		if (this.options.takeExisting) next.fullSync = true;
		else {
			// Mail already there is not new: remember the most recent of it, so a later re-sync (which
			// looks a little before the newest known message) does not take it for new.
			const recent = await this.recentMessageIds(api);
			if (recent.newest !== undefined) next.lastInternalDate = recent.newest;
			if (recent.messageIds.length) await this.options.dedupe.filterNew(recent.messageIds);
		}
		this.options.state.save(next);
		this.log.info('Support Inbox Trigger: Gmail starting point recorded', { ...next });
	}

	/** Message-IDs of the messages within the re-sync margin of the newest one. */
	private async recentMessageIds(
		api: gmail_v1.Gmail,
	): Promise<{ newest?: number; messageIds: string[] }> {
		const messageIds: string[] = [];
		let newest: number | undefined;
		let pageToken: string | undefined;
		do {
			const list = await call(() =>
				api.users.messages.list({
					userId: 'me',
					labelIds: this.labelIds,
					q: this.options.query || undefined,
					maxResults: 50,
					pageToken,
				}),
			);
			for (const { id } of list.data.messages ?? []) {
				if (!id) continue;
				const meta = await call(() =>
					api.users.messages.get({
						userId: 'me',
						id,
						format: 'metadata',
						metadataHeaders: ['Message-ID'],
					}),
				).catch((error: MailError) => {
					if (error.status === 404) return undefined;
					throw error;
				});
				if (!meta) continue;
				const date = Number(meta.data.internalDate ?? 0);
				newest ??= date;
				if (date < newest - RESYNC_MARGIN_MS) return { newest, messageIds };
				const header = (meta.data.payload?.headers ?? []).find(
					(h) => (h.name ?? '').toLowerCase() === 'message-id',
				);
				if (header?.value) messageIds.push(header.value.trim());
			}
			pageToken = list.data.nextPageToken ?? undefined;
		} while (pageToken);
		return { newest, messageIds };
	}

	/** Runs one sync now, or once more after the running one (never two at a time). */
	requestSync(): void {
		if (this.stopped) return;
		if (this.syncing) {
			this.syncAgain = true;
			return;
		}
		clearTimeout(this.pollTimer);
		let delay = this.pollIntervalMs();
		this.syncing = (async () => {
			do {
				this.syncAgain = false;
				try {
					await this.sync();
					this.failures = 0;
				} catch (error) {
					const mailError = error instanceof MailError ? error : describeGmailError(error);
					this.failures++;
					this.log.warn(`Support Inbox Trigger: Gmail sync failed: ${mailError.message}`, {
						failures: this.failures,
					});
					this.options.onSyncError?.(mailError, this.failures);
					if (mailError.retryAfterMs !== undefined)
						delay = Math.max(delay, Math.min(mailError.retryAfterMs, 15 * 60_000));
					break;
				}
			} while (this.syncAgain && !this.stopped);
		})().finally(() => {
			this.syncing = undefined;
			if (!this.stopped) this.pollTimer = setTimeout(() => this.requestSync(), delay);
		});
	}

	private pollIntervalMs(): number {
		return Math.max(1_000, this.options.pollIntervalMs ?? 60_000);
	}

	private now(): Date {
		return (this.options.now ?? (() => new Date()))();
	}

	/** Hands over everything added since the stored history id, in batches, each message once. */
	private async sync(): Promise<void> {
		const api = await this.options.client();
		const state = { ...this.options.state.load() };
		const startedAt = this.now();
		let ids: string[];
		let historyId: string;
		let byQuery = false;

		if (state.fullSync || !state.historyId) {
			historyId = await this.currentHistoryId(api);
			ids = await this.listIds(api, this.options.query);
			byQuery = true;
			this.log.info('Support Inbox Trigger: taking the existing Gmail mail', { count: ids.length });
		} else {
			const changes = await this.history(api, state.historyId);
			if (changes) {
				({ ids, historyId } = changes);
			} else {
				// Gmail keeps history for about a week (sometimes only hours): past that, a full sync.
				historyId = await this.currentHistoryId(api);
				const checked = Date.parse(state.checkedAt ?? '');
				const since =
					(state.lastInternalDate ?? (Number.isNaN(checked) ? 0 : checked)) - RESYNC_MARGIN_MS;
				const after = `after:${Math.max(0, Math.floor(since / 1000))}`;
				ids = await this.listIds(api, [this.options.query, after].filter(Boolean).join(' '));
				byQuery = true;
				this.log.warn(
					'Support Inbox Trigger: the Gmail history id expired; re-synced by date and Message-ID',
					{ was: state.historyId, now: historyId, candidates: ids.length },
				);
			}
		}

		const batchSize = Math.max(1, this.options.batchSize ?? 50);
		const finish = () => {
			state.historyId = historyId;
			state.checkedAt = startedAt.toISOString();
			delete state.fullSync;
		};
		for (let start = 0; start < ids.length && !this.stopped; start += batchSize) {
			let messages: GmailInboxMessage[] = [];
			for (const id of ids.slice(start, start + batchSize)) {
				const message = await this.fetch(api, id);
				if (message) messages.push(message);
			}
			if (!byQuery && this.options.query) messages = await this.matchingQuery(api, messages);
			const fresh = await this.options.dedupe.filterNew(messages.map((m) => m.email.messageId));
			const handOver = messages.filter((m) => fresh.has(m.email.messageId));
			for (const m of messages) {
				const date = Date.parse(m.email.receivedAt);
				if (!Number.isNaN(date))
					state.lastInternalDate = Math.max(state.lastInternalDate ?? 0, date);
			}
			// The history id moves on with the last batch only, saved before it is handed over (n8n
			// persists static data when the trigger emits): a restart mid-way reads the same history
			// again, and the Message-ID dedupe drops what was handed over.
			if (start + batchSize >= ids.length) finish();
			this.options.state.save({ ...state });
			if (handOver.length) await this.options.onMessages(handOver);
		}
		if (this.stopped) return;
		finish();
		this.options.state.save({ ...state });
	}

	private async currentHistoryId(api: gmail_v1.Gmail): Promise<string> {
		const profile = await call(() => api.users.getProfile({ userId: 'me' }));
		return String(profile.data.historyId ?? '');
	}

	/** Ids of messages added since `startHistoryId`, oldest first; undefined when that history is gone. */
	private async history(
		api: gmail_v1.Gmail,
		startHistoryId: string,
	): Promise<{ ids: string[]; historyId: string } | undefined> {
		const ids: string[] = [];
		const seen = new Set<string>();
		let historyId = startHistoryId;
		let pageToken: string | undefined;
		do {
			let response;
			try {
				response = await call(() =>
					api.users.history.list({
						userId: 'me',
						startHistoryId,
						historyTypes: ['messageAdded'],
						labelId: this.labelIds[0],
						maxResults: 500,
						pageToken,
					}),
				);
			} catch (error) {
				if (error instanceof MailError && error.status === 404) return undefined;
				throw error;
			}
			for (const record of response.data.history ?? []) {
				for (const added of record.messagesAdded ?? []) {
					const message = added.message;
					if (!message?.id || seen.has(message.id)) continue;
					const labels = message.labelIds ?? [];
					if (!this.labelIds.every((l) => labels.includes(l))) continue;
					seen.add(message.id);
					ids.push(message.id);
				}
			}
			if (response.data.historyId) historyId = String(response.data.historyId);
			pageToken = response.data.nextPageToken ?? undefined;
		} while (pageToken);
		return { ids, historyId };
	}

	/** Every message id matching the labels and `q`, oldest first. */
	private async listIds(api: gmail_v1.Gmail, q: string | undefined): Promise<string[]> {
		const ids: string[] = [];
		let pageToken: string | undefined;
		do {
			const list = await call(() =>
				api.users.messages.list({
					userId: 'me',
					labelIds: this.labelIds.length ? this.labelIds : undefined,
					q: q || undefined,
					maxResults: 500,
					pageToken,
				}),
			);
			for (const m of list.data.messages ?? []) if (m.id) ids.push(m.id);
			pageToken = list.data.nextPageToken ?? undefined;
		} while (pageToken);
		// Gmail lists newest first.
		return [...new Set(ids)].reverse();
	}

	/** History cannot be filtered by a search query: keep the messages the query finds. */
	private async matchingQuery(
		api: gmail_v1.Gmail,
		messages: GmailInboxMessage[],
	): Promise<GmailInboxMessage[]> {
		if (!messages.length) return messages;
		const earliest = Math.min(...messages.map((m) => Date.parse(m.email.receivedAt)));
		const after = `after:${Math.max(0, Math.floor(earliest / 1000) - 1)}`;
		const found = new Set(await this.listIds(api, `${this.options.query} ${after}`));
		return messages.filter((m) => found.has(m.id));
	}

	/** One message as raw MIME, normalised; undefined for what is not taken (ours, drafts, too big, gone). */
	private async fetch(api: gmail_v1.Gmail, id: string): Promise<GmailInboxMessage | undefined> {
		let data: gmail_v1.Schema$Message;
		try {
			data = (await call(() => api.users.messages.get({ userId: 'me', id, format: 'raw' }))).data;
		} catch (error) {
			if (error instanceof MailError && error.status === 404) return undefined; // deleted since
			throw error;
		}
		const labels = data.labelIds ?? [];
		const skip = SKIP_LABELS.find((l) => labels.includes(l) && !this.labelIds.includes(l));
		if (skip) {
			this.log.debug(`Support Inbox Trigger: skipped Gmail message ${id}: labelled ${skip}`);
			return undefined;
		}
		const max = this.options.maxBytes;
		const context = {
			provider: 'gmail' as const,
			threadId: data.threadId ?? undefined,
			providerMessageId: id,
			labels,
			receivedAt: data.internalDate ? new Date(Number(data.internalDate)) : undefined,
			now: this.options.now,
		};
		const raw = data.raw ? Buffer.from(data.raw, 'base64url') : undefined;
		const size = Number(data.sizeEstimate ?? raw?.length ?? 0);
		const source = readableSource(raw, size, max, 'Gmail returned no raw source for this message');
		if ('error' in source) {
			const { error } = source;
			this.log.warn(
				`Support Inbox Trigger: Gmail message ${id} was not read (${error.message}); passed on with its headers`,
			);
			return {
				email: unreadableEmail(raw, error, context),
				id,
				raw: this.options.includeRaw ? raw : undefined,
			};
		}
		try {
			const parsed = await parseMime(source.raw, { maxBytes: max });
			const from = parsed.from?.address?.toLowerCase();
			if (parsed.header(SENT_BY_US_HEADER).length || (from && this.ownAddresses.includes(from))) {
				this.log.debug(`Support Inbox Trigger: skipped Gmail message ${id}: sent by us`);
				return undefined;
			}
			const email = buildSupportEmail(parsed, {
				...context,
				includeHtml: this.options.includeHtml,
				stripQuotes: this.options.stripQuotes,
			});
			return { email, id, raw: this.options.includeRaw ? raw : undefined };
		} catch (error) {
			this.log.warn(
				`Support Inbox Trigger: Gmail message ${id} could not be read; passed on with its error and raw headers: ${(error as Error).message}`,
			);
			return {
				email: unreadableEmail(raw, readErrorOf(error), context),
				id,
				raw: this.options.includeRaw ? raw : undefined,
			};
		}
	}
}

/** Runs one Gmail API call; failures become MailErrors (with the HTTP status). */
async function call<T>(operation: () => Promise<T>): Promise<T> {
	try {
		return await operation();
	} catch (error) {
		throw describeGmailError(error);
	}
}
