import type { ITriggerFunctions } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import type { DedupeStore, ProcessedItemsHelper } from '../../lib/mail/inbox/dedupe';
import { CombinedStore, ProcessedItemsStore } from '../../lib/mail/inbox/dedupe';
import { MailError } from '../../lib/mail/errors';

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

export function toNodeError(context: ITriggerFunctions, error: unknown): Error {
	if (error instanceof MailError) {
		return new NodeApiError(
			context.getNode(),
			{ message: error.message },
			{ message: error.message, description: error.hint },
		);
	}
	return error instanceof Error ? error : new Error(String(error));
}
