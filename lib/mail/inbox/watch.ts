/**
 * What the mailbox watchers (IMAP: imap-inbox.ts, Gmail: gmail-inbox.ts) have in common: the
 * options that say how mail is handed over and normalised, where the position is kept, and logging.
 */
import { formatBytes } from '../../email/parse-mime';
import type { DedupeStore } from './dedupe';

export interface InboxLogger {
	debug(message: string, meta?: Record<string, unknown>): void;
	info(message: string, meta?: Record<string, unknown>): void;
	warn(message: string, meta?: Record<string, unknown>): void;
	error(message: string, meta?: Record<string, unknown>): void;
}

export const silentLogger: InboxLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Where a watcher keeps its position (the node persists it in n8n's workflow static data). */
export interface WatchStateStore<State> {
	load(): State;
	save(state: State): void;
}

/** The options of every watcher; `Message` is what it hands over, `State` what it keeps. */
export interface WatchOptions<Message, State> {
	/** On the first start, hand over the mail already in the mailbox (default: only new mail). */
	takeExisting?: boolean;
	pollIntervalMs?: number;
	/** Messages handed over per batch (per `onMessages` call). */
	batchSize?: number;
	includeHtml?: boolean;
	stripQuotes?: boolean;
	includeRaw?: boolean;
	maxBytes?: number;
	/** Mail from these addresses (our own) is skipped. */
	ownAddresses?: string[];
	state: WatchStateStore<State>;
	dedupe: DedupeStore;
	/** Receives each batch; state and dedupe records are saved before it is called. */
	onMessages(messages: Message[]): Promise<void> | void;
	logger?: InboxLogger;
	now?: () => Date;
}

/**
 * A message's source when it can be read, else why not (the server sent none, or it is over "Max
 * Email Size"). Such mail is never dropped in silence: the item carries the error and raw headers.
 */
export function readableSource(
	raw: Buffer | undefined,
	size: number,
	max: number | undefined,
	noSource: string,
): { raw: Buffer } | { error: { message: string; hint?: string } } {
	if (!raw) return { error: { message: noSource } };
	if (max === undefined || size <= max) return { raw };
	return {
		error: {
			message: `The email is ${formatBytes(size)}, over the limit of ${formatBytes(max)}`,
			hint: 'Raise "Max Email Size" in the trigger options to read it, or handle it by hand.',
		},
	};
}
