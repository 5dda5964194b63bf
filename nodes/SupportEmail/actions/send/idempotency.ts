import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { dedupeKey } from '../../../../lib/mail/inbox/dedupe';
import { MailError } from '../../../../lib/mail/errors';

interface ProcessedHelpers {
	checkProcessedAndRecord?: (
		items: string[],
		scope: 'node' | 'workflow',
		options: { mode: 'entries'; maxEntries?: number },
	) => Promise<{ new: unknown[]; processed: unknown[] }>;
	removeProcessed?: (
		items: string[],
		scope: 'node' | 'workflow',
		options: { mode: 'entries'; maxEntries?: number },
	) => Promise<void>;
}

const OPTIONS = { mode: 'entries' as const, maxEntries: 100_000 };
const STATIC_KEY = 'supportEmailSent';
const STATIC_CAPACITY = 5000;

/**
 * A persisted idempotency key: claims `key` before a send, so one inbound message never gets two
 * replies, across executions and restarts. n8n's processed-items store (a database table) where the
 * node context has it (n8n 1.6x and later), else the workflow's static data. `release` gives the key
 * back when the send failed, so a retry can send.
 */
export async function claimOnce(
	context: IExecuteFunctions,
	key: string,
	refusal: { message: string; hint: string },
): Promise<{ release: () => Promise<void> }> {
	const hashed = `support-email:${dedupeKey(key)}`;
	const helpers = context.helpers as unknown as ProcessedHelpers;
	if (typeof helpers.checkProcessedAndRecord === 'function') {
		const result = await helpers.checkProcessedAndRecord([hashed], 'workflow', OPTIONS);
		if (result.new.length === 0) throw new MailError('duplicate', refusal.message, refusal.hint);
		return {
			release: async () => {
				if (typeof helpers.removeProcessed === 'function')
					await helpers.removeProcessed([hashed], 'workflow', OPTIONS).catch(() => undefined);
			},
		};
	}
	const data = context.getWorkflowStaticData('global') as IDataObject;
	const seen = (data[STATIC_KEY] as string[] | undefined) ?? [];
	if (seen.includes(hashed)) throw new MailError('duplicate', refusal.message, refusal.hint);
	data[STATIC_KEY] = [...seen, hashed].slice(-STATIC_CAPACITY);
	return {
		release: async () => {
			data[STATIC_KEY] = ((data[STATIC_KEY] as string[] | undefined) ?? []).filter(
				(k) => k !== hashed,
			);
		},
	};
}
