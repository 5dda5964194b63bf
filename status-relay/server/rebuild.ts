/**
 * State lost in a restart, rebuilt from n8n's public API: the executions n8n still runs or holds
 * waiting, plus the latest finished ones, as snapshots marked `rebuilt`, read the way the hook
 * reports live (protocol/node-errors.ts).
 */
import type { ExecutionSnapshot, NodeSnapshot } from '../protocol/types';
import { DEFAULT_EVENT_LIMITS, truncationMarker } from '../protocol/schema';
import { continuesOnError, firstItemError } from '../protocol/node-errors';
import type { Logger } from './logger';
import type { N8nApi, N8nObject } from './n8n-api';

type Obj = N8nObject;

export class StateRebuild {
	constructor(
		private readonly n8n: N8nApi,
		private readonly logger: Logger,
	) {}

	/**
	 * After a restart: the executions n8n still runs or holds waiting, plus the latest finished one
	 * per workflow, as snapshots marked `rebuilt`.
	 */
	async rebuild(limit = 50): Promise<ExecutionSnapshot[]> {
		const snapshots = new Map<string, ExecutionSnapshot>();
		const workflows = new Map<string, Obj | undefined>();
		const add = async (execution: Obj) => {
			const workflowId = String(execution.workflowId ?? '');
			if (!workflows.has(workflowId)) {
				const wf = await this.n8n.workflow(workflowId);
				workflows.set(workflowId, wf.status < 400 ? (wf.body as Obj) : undefined);
			}
			const snapshot = snapshotFromN8n(execution, workflows.get(workflowId));
			snapshots.set(snapshot.executionId, snapshot);
		};
		for (const status of ['running', 'waiting', 'success', 'error', 'canceled']) {
			const page = await this.n8n.request(
				'GET',
				`/executions?status=${status}&includeData=true&limit=${limit}`,
			);
			if (page.status >= 400) {
				this.logger.warn({ status: page.status }, 'rebuild: n8n refused to list executions');
				continue;
			}
			for (const execution of ((page.body as Obj)?.data ?? []) as Obj[]) await add(execution);
		}
		await this.findHiddenActive(snapshots, add);
		return [...snapshots.values()];
	}

	/**
	 * n8n 1.x leaves out of every list but `status=running` the executions its process still holds,
	 * and it holds waiting ones: they never show up as `status=waiting`. Execution ids are sequential,
	 * so the ids missing around the newest listed ones are looked up one by one (bounded).
	 */
	private async findHiddenActive(
		found: Map<string, ExecutionSnapshot>,
		add: (execution: Obj) => Promise<void>,
	): Promise<void> {
		const ids = [...found.keys()].map(Number).filter((id) => Number.isSafeInteger(id) && id > 0);
		if (!ids.length) return;
		const newest = Math.max(...ids);
		let lookups = 0;
		const lookUp = async (id: number): Promise<boolean> => {
			lookups++;
			const one = await this.n8n.execution(id, true);
			if (one.status !== 200) return false;
			const execution = one.body as Obj;
			if (['running', 'waiting', 'new'].includes(String(execution?.status))) await add(execution);
			return true;
		};
		for (let id = newest; id > Math.max(0, newest - 100) && lookups < 60; id--) {
			if (!found.has(String(id))) await lookUp(id);
		}
		for (let id = newest + 1, misses = 0; misses < 3 && lookups < 80; id++) {
			misses = (await lookUp(id)) ? 0 : misses + 1;
		}
	}
}

export function snapshotFromN8n(execution: Obj, workflow: Obj | undefined): ExecutionSnapshot {
	const runData: Obj = execution.data?.resultData?.runData ?? {};
	const status = String(execution.status ?? (execution.finished ? 'success' : 'running'));
	const finished = !['running', 'waiting', 'new'].includes(status);
	const nodes: NodeSnapshot[] = [];
	const names = new Set<string>([
		...((workflow?.nodes ?? []) as Obj[])
			.filter((n) => !n.disabled && n.type !== 'n8n-nodes-base.stickyNote')
			.map((n) => String(n.name)),
		...Object.keys(runData),
	]);
	for (const name of names) {
		const runs = (runData[name] ?? []) as Obj[];
		const last = runs[runs.length - 1];
		const node = ((workflow?.nodes ?? []) as Obj[]).find((n) => n.name === name);
		const type = String(node?.type ?? '');
		if (!last) {
			const holds = status === 'waiting' && name === execution.data?.resultData?.lastNodeExecuted;
			nodes.push({
				name,
				type,
				state: holds ? 'waiting' : finished ? 'skipped' : 'pending',
				runs: 0,
			});
			continue;
		}
		const outputs = (last.data?.main ?? []) as unknown[];
		// As the live stream reports it: a node that continued on error failed, even if n8n says success.
		const itemError =
			!last.error && continuesOnError(node)
				? firstItemError(outputs, node?.onError === 'continueErrorOutput')
				: undefined;
		const state: NodeSnapshot['state'] =
			last.error || itemError
				? 'error'
				: last.executionStatus === 'waiting' ||
					  (status === 'waiting' && name === execution.data?.resultData?.lastNodeExecuted)
					? 'waiting'
					: last.executionStatus === 'canceled'
						? 'canceled'
						: 'success';
		const message = clip(last.error?.message ? String(last.error.message) : itemError);
		nodes.push({
			name,
			type,
			state,
			runs: runs.length,
			...(typeof last.startTime === 'number'
				? { startedAt: new Date(last.startTime).toISOString() }
				: {}),
			...(typeof last.startTime === 'number' && typeof last.executionTime === 'number'
				? { finishedAt: new Date(last.startTime + last.executionTime).toISOString() }
				: {}),
			...(typeof last.executionTime === 'number' ? { durationMs: last.executionTime } : {}),
			itemsOut: outputs.map((o) => (Array.isArray(o) ? o.length : 0)),
			...(message ? { error: { message } } : {}),
			...(itemError ? { continuedOnError: true } : {}),
		});
	}
	const error = execution.data?.resultData?.error;
	return {
		executionId: String(execution.id),
		workflowId: String(execution.workflowId ?? ''),
		workflowName: String(workflow?.name ?? ''),
		mode: String(execution.mode ?? 'unknown'),
		status: (['running', 'waiting', 'success', 'error', 'canceled', 'crashed'].includes(status)
			? status
			: 'running') as ExecutionSnapshot['status'],
		...(execution.startedAt ? { startedAt: new Date(execution.startedAt).toISOString() } : {}),
		...(execution.stoppedAt && finished
			? { finishedAt: new Date(execution.stoppedAt).toISOString() }
			: {}),
		// n8n parks "wait until resumed" executions at the year 3000: that is no deadline.
		...(execution.waitTill &&
		!String(new Date(execution.waitTill).toISOString()).startsWith('3000-')
			? { waitTill: new Date(execution.waitTill).toISOString() }
			: {}),
		...(error?.message
			? {
					error: {
						message: clip(String(error.message)),
						...(error.node?.name ? { node: String(error.node.name) } : {}),
					},
				}
			: {}),
		seq: 0,
		nodes,
		rebuilt: true,
	};
}

/** Error messages from n8n's API are cut like the hook's (protocol/schema.ts). */
function clip<T extends string | undefined>(message: T): T {
	if (message === undefined || message.length <= DEFAULT_EVENT_LIMITS.maxStringLength)
		return message;
	return (message.slice(0, DEFAULT_EVENT_LIMITS.maxStringLength) +
		truncationMarker(message.length - DEFAULT_EVENT_LIMITS.maxStringLength)) as T;
}
