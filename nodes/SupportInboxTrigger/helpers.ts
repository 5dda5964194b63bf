import type {
	IDataObject,
	INodeExecutionData,
	ITriggerFunctions,
	ITriggerResponse,
} from 'n8n-workflow';
import { createHash } from 'node:crypto';
import type { DedupeStore, ProcessedItemsHelper } from '../../lib/mail/inbox/dedupe';
import { CombinedStore, ProcessedItemsStore, RecentIdsStore } from '../../lib/mail/inbox/dedupe';
import type { InboxLogger, WatchStateStore } from '../../lib/mail/inbox/watch';
import { mailNodeError } from '../shared/mail-errors';

/** n8n's processed-items helper is used too where the trigger context offers it (feature-detected). */
export function withProcessedItemsHelper(
	context: ITriggerFunctions,
	fallback: DedupeStore,
): DedupeStore {
	const helper = (context.helpers as unknown as Partial<ProcessedItemsHelper>)
		.checkProcessedAndRecord;
	if (typeof helper !== 'function') return fallback;
	return new CombinedStore([
		fallback,
		new ProcessedItemsStore(context.helpers as unknown as ProcessedItemsHelper, 'support-inbox:'),
	]);
}

/** A watcher that could not start, as the canvas shows it (the mail layer's one translator). */
export function toNodeError(context: ITriggerFunctions, error: unknown): Error {
	return mailNodeError(context.getNode(), error);
}

/** Message-ID dedupe: in memory for a manual test run, else in the workflow's static data. */
export function dedupeStore(
	context: ITriggerFunctions,
	manual: boolean,
	staticData: IDataObject,
): DedupeStore {
	return manual
		? new RecentIdsStore({})
		: withProcessedItemsHelper(context, new RecentIdsStore(staticData as { seenIds?: string[] }));
}

/** n8n's logger for a watcher. */
export function inboxLogger(context: ITriggerFunctions): InboxLogger {
	return {
		debug: (message, meta) => context.logger.debug(message, meta),
		info: (message, meta) => context.logger.info(message, meta),
		warn: (message, meta) => context.logger.warn(message, meta),
		error: (message, meta) => context.logger.error(message, meta),
	};
}

interface WatchedMessage {
	email: unknown;
	raw?: Buffer;
}

/** One message as the trigger's item: support.email, and the source as binary "raw" if kept. */
export function messageToItem(
	context: ITriggerFunctions,
): (message: WatchedMessage) => Promise<INodeExecutionData> {
	return async (message) => {
		const item: INodeExecutionData = {
			json: { support: { email: message.email as unknown as IDataObject } },
		};
		if (message.raw) {
			item.binary = {
				raw: await context.helpers.prepareBinaryData(message.raw, 'message.eml', 'message/rfc822'),
			};
		}
		return item;
	};
}

/** Hands a watcher's batch to n8n: one execution per message or per batch; a manual run takes one. */
export function emitMessages(
	context: ITriggerFunctions,
	manual: boolean,
	emit: 'message' | 'batch' | undefined,
): (messages: WatchedMessage[]) => Promise<void> {
	const toItem = messageToItem(context);
	return async (messages) => {
		if (manual) {
			context.emit([await Promise.all(messages.slice(0, 1).map(toItem))]);
			return;
		}
		if (emit === 'batch') {
			context.emit([await Promise.all(messages.map(toItem))]);
			return;
		}
		// No execution deduplication key: on n8n 2.41 with SQLite, keyed executions emitted back to
		// back lost all but the first. The trigger's own state and Message-ID dedupe suffice.
		for (const message of messages) context.emit([[await toItem(message)]]);
	};
}

interface Watcher {
	open(): Promise<void>;
	run(): void;
	stop(): Promise<void>;
	latest(count?: number): Promise<WatchedMessage[]>;
}

/**
 * Opens the watcher (activation fails with a clear message when it cannot) and starts it; a manual
 * run ("Fetch Test Event") emits the newest message, or waits for the next one in an empty mailbox.
 */
export async function startWatcher(
	context: ITriggerFunctions,
	inbox: Watcher,
	manual: boolean,
): Promise<ITriggerResponse> {
	try {
		await inbox.open();
	} catch (error) {
		await inbox.stop();
		throw toNodeError(context, error);
	}
	const closeFunction = async () => {
		await inbox.stop();
	};
	if (manual) {
		const toItem = messageToItem(context);
		const manualTriggerFunction = async () => {
			const [latest] = await inbox.latest(1);
			if (latest) {
				context.emit([[await toItem(latest)]]);
				return;
			}
			// An empty mailbox: wait for the next message.
			inbox.run();
		};
		return { closeFunction, manualTriggerFunction };
	}
	inbox.run();
	return { closeFunction };
}

/** The "Our Own Addresses" option as a list; entries without an @ are dropped. */
export function ownAddressList(value: string | undefined): string[] {
	return (value ?? '')
		.split(/[,;\s]+/)
		.map((a) => a.trim())
		.filter((a) => a.includes('@'));
}

/**
 * The node's workflow static data. State belongs to one scope (account, mailbox, labels, ...): when
 * the scope changed, an active trigger starts afresh. A manual run leaves it as it is.
 */
export function scopedStaticData(
	context: ITriggerFunctions,
	manual: boolean,
	scopeParts: Array<string | number>,
): IDataObject {
	const staticData = context.getWorkflowStaticData('node');
	const scope = createHash('sha256')
		.update(scopeParts.join('\u0000'))
		.digest('base64url')
		.slice(0, 16);
	if (!manual && staticData.scope !== scope) {
		for (const key of Object.keys(staticData)) delete staticData[key];
		staticData.scope = scope;
	}
	return staticData;
}

/** The watcher's position: `persisted` (in static data), or in memory for a manual run. */
export function stateStore<State extends object>(
	manual: boolean,
	persisted: WatchStateStore<State>,
): WatchStateStore<State> {
	let memoryState = {} as State;
	return manual
		? { load: () => memoryState, save: (next: State) => (memoryState = next) }
		: persisted;
}
