import { createHash } from 'node:crypto';

/** Remembers which messages were handed over; `filterNew` returns the unseen ones and records them. */
export interface DedupeStore {
	filterNew(messageIds: string[]): Promise<Set<string>>;
}

/** Short, fixed-size keys: a Message-ID can be long, and the list lives in workflow static data. */
export function dedupeKey(messageId: string): string {
	return createHash('sha256')
		.update(messageId.trim().toLowerCase())
		.digest('base64url')
		.slice(0, 16);
}

/**
 * The most recent `capacity` Message-IDs, kept in an object the node persists (n8n's workflow static
 * data). Oldest keys fall out first.
 */
export class RecentIdsStore implements DedupeStore {
	constructor(
		private readonly holder: { seenIds?: string[] },
		private readonly capacity = 5000,
	) {}

	async filterNew(messageIds: string[]): Promise<Set<string>> {
		const seen = new Set(this.holder.seenIds ?? []);
		const fresh = new Set<string>();
		const added: string[] = [];
		for (const id of messageIds) {
			const key = dedupeKey(id);
			if (seen.has(key)) continue;
			seen.add(key);
			added.push(key);
			fresh.add(id);
		}
		if (added.length) {
			const list = [...(this.holder.seenIds ?? []), ...added];
			// Assign a new array: n8n notices changes to static data by assignment.
			this.holder.seenIds = list.slice(Math.max(0, list.length - this.capacity));
		}
		return fresh;
	}
}

/** n8n's processed-items helper (`checkProcessedAndRecord`), where the node context offers it. */
export interface ProcessedItemsHelper {
	checkProcessedAndRecord(
		items: string[],
		scope: 'node' | 'workflow',
		options: { mode: 'entries'; maxEntries?: number },
	): Promise<{ new: unknown[]; processed: unknown[] }>;
}

export class ProcessedItemsStore implements DedupeStore {
	constructor(
		private readonly helper: ProcessedItemsHelper,
		private readonly prefix: string,
		private readonly maxEntries = 10000,
	) {}

	async filterNew(messageIds: string[]): Promise<Set<string>> {
		const keys = messageIds.map((id) => `${this.prefix}${dedupeKey(id)}`);
		const result = await this.helper.checkProcessedAndRecord(keys, 'node', {
			mode: 'entries',
			maxEntries: this.maxEntries,
		});
		const fresh = new Set(result.new.map(String));
		return new Set(messageIds.filter((_, index) => fresh.has(keys[index])));
	}
}

/** Both: a message counts as new only when neither store has seen it. */
export class CombinedStore implements DedupeStore {
	constructor(private readonly stores: DedupeStore[]) {}

	async filterNew(messageIds: string[]): Promise<Set<string>> {
		let fresh = new Set(messageIds);
		for (const store of this.stores) {
			const next = await store.filterNew(messageIds);
			fresh = new Set([...fresh].filter((id) => next.has(id)));
		}
		return fresh;
	}
}
