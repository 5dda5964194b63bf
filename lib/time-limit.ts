import { TaskCancelledError, TimeoutStrategy, timeout } from 'cockatiel';

/**
 * Runs `work` for at most `ms` (cockatiel's timeout policy, as the AI calls use); past that, rejects
 * with the error `onTimeout` makes, which should say what did not answer and what to do. The work
 * itself is not stopped: a sub-node's promise (a retriever, an embeddings model) cannot be cancelled.
 */
export async function withinTime<T>(
	work: () => Promise<T>,
	ms: number,
	onTimeout: () => Error,
): Promise<T> {
	try {
		return await timeout(ms, TimeoutStrategy.Aggressive).execute(async () => await work());
	} catch (error) {
		if (error instanceof TaskCancelledError) throw onTimeout();
		throw error;
	}
}
