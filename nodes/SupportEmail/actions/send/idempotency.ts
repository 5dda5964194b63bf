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
 * The send-once key of one operation on one inbound message in one workflow: two workflows may each
 * answer the same message once, one workflow never twice.
 */
export function sendOnceKey(workflowId: string | undefined, key: string): string {
	return `support-email:${dedupeKey(`${workflowId ?? ''}\u0000${key}`)}`;
}

/**
 * A persisted idempotency key: claims `key` (e.g. "reply:" + the inbound Message-ID) for this workflow
 * before a send, so one inbound message never gets two replies from it, across executions and
 * restarts. n8n's processed-items store (a database table, itself kept per workflow) where the node
 * context has it (n8n 1.6x and later), else the workflow's static data; the workflow id is part of
 * the key either way. `release` gives the key back when the send failed, so a retry can send.
 */
export async function claimOnce(
	context: IExecuteFunctions,
	key: string,
	refusal: { message: string; hint: string },
): Promise<{ release: () => Promise<void> }> {
	const workflowId = context.getWorkflow().id;
	const hashed = sendOnceKey(workflowId, key);
	const helpers = context.helpers as unknown as ProcessedHelpers;
	if (typeof helpers.checkProcessedAndRecord === 'function') {
		const check = helpers.checkProcessedAndRecord.bind(helpers);
		// n8n's store reads, changes and writes back one row per workflow: two executions of a
		// workflow claiming at the same moment would lose one key (or fail on the row's first insert).
		// One claim at a time per workflow in this process, and one retry for the insert race.
		const result = await oneAtATime(String(workflowId ?? ''), async () => {
			const attempt = async () =>
				await check([hashed], 'workflow', OPTIONS).then(
					(value) => ({ value, error: undefined }),
					(error: unknown) => ({ value: undefined, error }),
				);
			let outcome = await attempt();
			const said = () => (outcome.error as Error)?.message ?? String(outcome.error);
			if (outcome.error && /unique|duplicate|constraint/i.test(said())) outcome = await attempt();
			if (!outcome.value)
				throw new MailError(
					'server',
					`Could not record that this message is being answered: ${said()}`,
					"n8n's processed-items store failed; nothing was sent. Run the workflow again.",
					{ cause: outcome.error },
				);
			return outcome.value;
		});
		if (result.new.length === 0) throw new MailError('duplicate', refusal.message, refusal.hint);
		return {
			release: async () => {
				const remove = helpers.removeProcessed?.bind(helpers);
				if (typeof remove === 'function')
					await oneAtATime(String(workflowId ?? ''), async () => {
						await remove([hashed], 'workflow', OPTIONS);
					}).catch(() => undefined);
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

const queues = new Map<string, Promise<unknown>>();

/** Runs `operation` after every earlier one queued under `key` has settled. */
async function oneAtATime<T>(key: string, operation: () => Promise<T>): Promise<T> {
	const previous = queues.get(key) ?? Promise.resolve();
	const run = previous.then(operation, operation);
	const tail = run.catch(() => undefined);
	queues.set(key, tail);
	try {
		return await run;
	} finally {
		if (queues.get(key) === tail) queues.delete(key);
	}
}
