/**
 * Turns n8n's execution lifecycle hook calls into relay events. Pure and synchronous: it only
 * reads what n8n passes (never item data beyond counts, error messages and sub-execution ids) and
 * never throws for unexpected shapes (n8n's internals are not a public API).
 */
import type {
	EventDraft,
	EventType,
	EventDataByType,
	ExecutionFinishedData,
	NodeRunStatus,
	WorkflowNodeInfo,
} from '../protocol/types';
import { PROTOCOL_VERSION } from '../protocol/types';

/** What the hook sees as `this` inside ExecutionLifecycleHooks.runHook. */
export interface HookContext {
	executionId?: unknown;
	mode?: unknown;
	workflowData?: unknown;
	retryOf?: unknown;
}

interface Tracked {
	runExecutionData?: Obj;
	/** The node that held the execution: n8n runs it again on resume, which is no new start. */
	resumedNode?: string;
	/** Put to wait by this process: the next node event here means n8n resumed it. */
	waiting?: boolean;
	starts: Map<string, number>;
	touchedAt: number;
}

// n8n's internal objects are read defensively, field by field: they are not a public API.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null;
const iso = (ms: unknown): string | undefined =>
	typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
const toIso = (value: unknown): string | undefined => {
	if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
	if (typeof value === 'string' && value) {
		const date = new Date(value);
		return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
	}
	return iso(value);
};
const str = (value: unknown): string | undefined =>
	value === undefined || value === null || value === '' ? undefined : String(value);

const FINISHED_STATUSES = new Set(['success', 'error', 'canceled', 'crashed']);

export class EventMapper {
	private readonly executions = new Map<string, Tracked>();
	/**
	 * Executions this process saw end. A node can still report after that (a Wait node that a cancel
	 * released returns its items after n8n ran workflowExecuteAfter): such stragglers are no resume
	 * and must not undo the end a dashboard already shows.
	 */
	private readonly ended = new Set<string>();
	/** Queue-mode main: executions whose nodes run in this process, and reports held until then. */
	private readonly runsHere = new Set<string>();
	private readonly held = new Map<string, EventDraft[]>();

	constructor(
		private readonly maxTracked = 2000,
		private readonly now: () => number = Date.now,
		/**
		 * This process is a queue-mode main (or webhook processor): executions it hands to workers
		 * run there, and the worker's hook reports them.
		 */
		private readonly queueMain = false,
	) {}

	get trackedExecutions(): number {
		return this.executions.size;
	}

	/** Maps one runHook call; returns the events it produced (often none). */
	map(context: HookContext, hookName: string, parameters: unknown[]): EventDraft[] {
		const executionId = str(context.executionId);
		if (!executionId) return [];
		const events = this.mapExecution(context, executionId, hookName, parameters);
		return this.queueMain ? this.onQueueMain(executionId, hookName, events) : events;
	}

	/**
	 * A queue-mode main enqueues executions and learns their outcome from the worker that ran them,
	 * whose hook reports them in full; the main's own report of the end could arrive before the
	 * worker's last batch. So the main reports an execution only once it runs one of its nodes
	 * itself (manual runs n8n 1.x keeps on the main), and otherwise only what no worker reports: an
	 * execution canceled in the queue, or crashed.
	 */
	private onQueueMain(executionId: string, hookName: string, events: EventDraft[]): EventDraft[] {
		const local = this.runsHere.has(executionId);
		if (hookName === 'workflowExecuteBefore' || hookName === 'workflowExecuteResume') {
			if (local) return events;
			this.held.set(executionId, [...(this.held.get(executionId) ?? []), ...events]);
			if (this.held.size > this.maxTracked) this.held.delete(this.held.keys().next().value!);
			return [];
		}
		if (hookName === 'nodeExecuteBefore' || hookName === 'nodeExecuteAfter') {
			this.runsHere.add(executionId);
			if (this.runsHere.size > this.maxTracked) {
				this.runsHere.delete(this.runsHere.values().next().value!);
			}
			const held = this.held.get(executionId) ?? [];
			this.held.delete(executionId);
			return [...held, ...events];
		}
		if (hookName === 'workflowExecuteAfter') {
			this.held.delete(executionId);
			const ended = events.some((e) => e.type === 'execution.finished');
			if (ended) this.runsHere.delete(executionId);
			if (local) return events;
			return events.filter(
				(e) =>
					e.type === 'execution.finished' &&
					['canceled', 'crashed'].includes((e as EventDraft<'execution.finished'>).data.status),
			);
		}
		return events;
	}

	private mapExecution(
		context: HookContext,
		executionId: string,
		hookName: string,
		parameters: unknown[],
	): EventDraft[] {
		const params = Array.isArray(parameters) ? parameters : [];
		switch (hookName) {
			case 'workflowExecuteBefore':
				return this.onWorkflowBefore(context, executionId, params[1], false);
			case 'workflowExecuteResume':
				return this.onWorkflowBefore(context, executionId, params[1], true);
			case 'nodeExecuteBefore':
				return this.onNodeBefore(context, executionId, params[0], params[1]);
			case 'nodeExecuteAfter':
				return this.onNodeAfter(context, executionId, params[0], params[1], params[2]);
			case 'workflowExecuteAfter':
				return this.onWorkflowAfter(context, executionId, params[0]);
			default:
				return [];
		}
	}

	private track(executionId: string): Tracked {
		let tracked = this.executions.get(executionId);
		if (!tracked) {
			tracked = { starts: new Map(), touchedAt: this.now() };
			this.executions.set(executionId, tracked);
			if (this.executions.size > this.maxTracked) {
				// Executions that never reported an end (a crashed process) must not grow this forever.
				const oldest = this.executions.keys().next().value;
				if (oldest !== undefined) this.executions.delete(oldest);
			}
		}
		tracked.touchedAt = this.now();
		return tracked;
	}

	private draft<T extends EventType>(
		context: HookContext,
		executionId: string,
		type: T,
		id: string,
		data: EventDataByType[T],
		occurredAt = this.now(),
	): EventDraft<T> {
		const workflow = isObj(context.workflowData) ? context.workflowData : {};
		return {
			v: PROTOCOL_VERSION,
			id,
			type,
			workflowId: str(workflow.id) ?? '',
			workflowName: typeof workflow.name === 'string' ? workflow.name : '',
			executionId,
			mode: str(context.mode) ?? 'unknown',
			occurredAt: new Date(occurredAt).toISOString(),
			data,
		};
	}

	private onWorkflowBefore(
		context: HookContext,
		executionId: string,
		runExecutionData: unknown,
		isResume: boolean,
	): EventDraft[] {
		this.ended.delete(executionId);
		const tracked = this.track(executionId);
		tracked.waiting = false;
		if (isObj(runExecutionData)) tracked.runExecutionData = runExecutionData;
		const runs = totalRuns(runExecutionData);
		// n8n 1.x (and a queue-mode worker) reports a resumed waiting execution as a new
		// workflowExecuteBefore over run data that already has node runs.
		if (isResume || runs > 0) {
			tracked.resumedNode = lastNode(runExecutionData);
			return [
				this.draft(context, executionId, 'execution.resumed', `${executionId}:resumed:${runs}`, {
					node: lastNode(runExecutionData),
				}),
			];
		}
		const parent = isObj(runExecutionData) ? runExecutionData.parentExecution : undefined;
		return [
			this.draft(context, executionId, 'execution.started', `${executionId}:started`, {
				nodes: workflowNodes(context.workflowData),
				startedAt: new Date(this.now()).toISOString(),
				...(isObj(parent) && str(parent.executionId)
					? { parentExecutionId: str(parent.executionId), parentWorkflowId: str(parent.workflowId) }
					: {}),
				...(str(context.retryOf) ? { retryOf: str(context.retryOf) } : {}),
			}),
		];
	}

	private onNodeBefore(
		context: HookContext,
		executionId: string,
		nodeName: unknown,
		taskStarted: unknown,
	): EventDraft[] {
		const node = str(nodeName);
		if (!node || this.ended.has(executionId)) return [];
		const resumed = this.resumedImplicitly(context, executionId, undefined);
		// n8n 1.x resumes by running the node that held the execution again: no new start.
		if (resumed.length) return resumed;
		const tracked = this.track(executionId);
		if (tracked.resumedNode !== undefined) {
			const resumed = tracked.resumedNode === node;
			tracked.resumedNode = undefined;
			if (resumed) return [];
		}
		const recorded = runsOf(tracked.runExecutionData, node);
		const local = tracked.starts.get(node) ?? 0;
		const runIndex = recorded ?? local;
		tracked.starts.set(node, Math.max(local, runIndex) + 1);
		const startedAt = isObj(taskStarted) && iso(taskStarted.startTime);
		return [
			...resumed,
			this.draft(
				context,
				executionId,
				'node.started',
				`${executionId}:node.started:${node}:${runIndex}`,
				{
					node,
					nodeType: nodeTypeOf(context.workflowData, node),
					runIndex,
					startedAt: startedAt || new Date(this.now()).toISOString(),
				},
			),
		];
	}

	private onNodeAfter(
		context: HookContext,
		executionId: string,
		nodeName: unknown,
		taskData: unknown,
		runExecutionData: unknown,
	): EventDraft[] {
		const node = str(nodeName);
		if (!node || !isObj(taskData) || this.ended.has(executionId)) return [];
		const resumed = this.resumedImplicitly(context, executionId, runExecutionData);
		const tracked = this.track(executionId);
		if (isObj(runExecutionData)) tracked.runExecutionData = runExecutionData;
		const runs: unknown = (runExecutionData as Obj | undefined)?.resultData?.runData?.[node];
		let runIndex = Array.isArray(runs) ? runs.indexOf(taskData) : -1;
		if (runIndex < 0) runIndex = Array.isArray(runs) && runs.length ? runs.length - 1 : 0;

		const outputs: unknown[] = Array.isArray(taskData.data?.main) ? taskData.data.main : [];
		const itemsOut = outputs.map((output) => (Array.isArray(output) ? output.length : 0));
		const nodeParams = nodeOf(context.workflowData, node);

		let status = nodeRunStatus(taskData, runExecutionData);
		let error = errorOf(taskData.error);
		let continuedOnError: boolean | undefined;
		if (!error && continuesOnError(nodeParams)) {
			// With "On Error: Continue" n8n records a success and puts the error on the items.
			const message = firstItemError(outputs);
			if (message) {
				error = { message };
				status = 'error';
				continuedOnError = true;
			}
		}
		const startedMs = typeof taskData.startTime === 'number' ? taskData.startTime : undefined;
		const durationMs =
			typeof taskData.executionTime === 'number' ? taskData.executionTime : undefined;
		const finishedMs =
			startedMs !== undefined && durationMs !== undefined ? startedMs + durationMs : this.now();
		const sub = subExecutionOf(taskData, outputs);
		return [
			...resumed,
			this.draft(
				context,
				executionId,
				'node.finished',
				`${executionId}:node.finished:${node}:${runIndex}:${status}`,
				{
					node,
					nodeType: nodeTypeOf(context.workflowData, node),
					runIndex,
					status,
					...(startedMs !== undefined ? { startedAt: iso(startedMs) } : {}),
					finishedAt: new Date(finishedMs).toISOString(),
					...(durationMs !== undefined ? { durationMs } : {}),
					itemsOut,
					...(error ? { error } : {}),
					...(continuedOnError ? { continuedOnError } : {}),
					...(sub ? { subExecutionId: sub.executionId, subWorkflowId: sub.workflowId } : {}),
				},
				finishedMs,
			),
		];
	}

	/**
	 * n8n 1.x resumes a waiting execution without any workflow-level hook (2.x calls
	 * workflowExecuteResume): a node event for an execution this process put to wait, or has never
	 * seen start, is the resume.
	 */
	private resumedImplicitly(
		context: HookContext,
		executionId: string,
		runExecutionData: unknown,
	): EventDraft[] {
		const tracked = this.executions.get(executionId);
		if (tracked && !tracked.waiting) return [];
		const data = isObj(runExecutionData) ? runExecutionData : tracked?.runExecutionData;
		const fresh = this.track(executionId);
		fresh.waiting = false;
		if (isObj(runExecutionData)) fresh.runExecutionData = runExecutionData;
		return [
			this.draft(
				context,
				executionId,
				'execution.resumed',
				`${executionId}:resumed:${totalRuns(data)}`,
				lastNode(data) ? { node: lastNode(data) } : {},
			),
		];
	}

	private onWorkflowAfter(
		context: HookContext,
		executionId: string,
		fullRunData: unknown,
	): EventDraft[] {
		const tracked = this.executions.get(executionId);
		this.executions.delete(executionId);
		const run = isObj(fullRunData) ? fullRunData : {};
		const runExecutionData = isObj(run.data) ? run.data : tracked?.runExecutionData;
		const status = str(run.status);
		const waitTill = toIso(run.waitTill ?? runExecutionData?.waitTill);
		if (status === 'waiting' || (!status && waitTill)) {
			const runs = totalRuns(runExecutionData);
			const waiting = this.track(executionId);
			waiting.waiting = true;
			if (isObj(runExecutionData)) waiting.runExecutionData = runExecutionData;
			return [
				this.draft(context, executionId, 'execution.waiting', `${executionId}:waiting:${runs}`, {
					...(waitTill && !waitTill.startsWith('3000-') ? { waitTill } : {}),
					node: lastNode(runExecutionData),
				}),
			];
		}
		this.ended.add(executionId);
		if (this.ended.size > this.maxTracked) {
			const oldest = this.ended.values().next().value;
			if (oldest !== undefined) this.ended.delete(oldest);
		}
		const finalStatus: ExecutionFinishedData['status'] =
			status && FINISHED_STATUSES.has(status)
				? (status as ExecutionFinishedData['status'])
				: runExecutionData?.resultData?.error
					? 'error'
					: 'success';
		const startedAt = toIso(run.startedAt);
		const finishedAt = toIso(run.stoppedAt) ?? new Date(this.now()).toISOString();
		const resultError = runExecutionData?.resultData?.error;
		const error = errorOf(resultError);
		return [
			this.draft(context, executionId, 'execution.finished', `${executionId}:finished`, {
				status: finalStatus,
				...(startedAt ? { startedAt } : {}),
				finishedAt,
				...(startedAt ? { durationMs: Date.parse(finishedAt) - Date.parse(startedAt) } : {}),
				...(error
					? {
							error: {
								message: error.message,
								...(str(resultError?.node?.name) ? { node: str(resultError.node.name) } : {}),
							},
						}
					: {}),
				...(lastNode(runExecutionData) ? { lastNode: lastNode(runExecutionData) } : {}),
			}),
		];
	}
}

function totalRuns(runExecutionData: unknown): number {
	const runData = (runExecutionData as Obj | undefined)?.resultData?.runData;
	if (!isObj(runData)) return 0;
	let total = 0;
	for (const runs of Object.values(runData)) if (Array.isArray(runs)) total += runs.length;
	return total;
}

function runsOf(runExecutionData: unknown, node: string): number | undefined {
	const runs = (runExecutionData as Obj | undefined)?.resultData?.runData?.[node];
	return Array.isArray(runs) ? runs.length : isObj(runExecutionData) ? 0 : undefined;
}

function lastNode(runExecutionData: unknown): string | undefined {
	return str((runExecutionData as Obj | undefined)?.resultData?.lastNodeExecuted);
}

function workflowNodes(workflowData: unknown): WorkflowNodeInfo[] {
	const nodes = isObj(workflowData) && Array.isArray(workflowData.nodes) ? workflowData.nodes : [];
	return nodes
		.filter((node: unknown) => isObj(node) && typeof node.name === 'string')
		.filter((node: Obj) => !node.disabled && !isStickyNote(node))
		.map((node: Obj) => ({ name: node.name as string, type: String(node.type ?? '') }));
}

function isStickyNote(node: Obj): boolean {
	return node.type === 'n8n-nodes-base.stickyNote';
}

function nodeOf(workflowData: unknown, name: string): Obj | undefined {
	const nodes = isObj(workflowData) && Array.isArray(workflowData.nodes) ? workflowData.nodes : [];
	return nodes.find((node: unknown) => isObj(node) && node.name === name);
}

function nodeTypeOf(workflowData: unknown, name: string): string {
	return String(nodeOf(workflowData, name)?.type ?? '');
}

export function continuesOnError(node: Obj | undefined): boolean {
	if (!node) return false;
	return (
		node.continueOnFail === true ||
		node.onError === 'continueRegularOutput' ||
		node.onError === 'continueErrorOutput'
	);
}

function nodeRunStatus(taskData: Obj, runExecutionData: unknown): NodeRunStatus {
	const given = taskData.executionStatus;
	if (given === 'error' || taskData.error) return 'error';
	if (given === 'canceled') return 'canceled';
	if (given === 'waiting' || (runExecutionData as Obj | undefined)?.waitTill) return 'waiting';
	return 'success';
}

function errorOf(error: unknown): { message: string; description?: string } | undefined {
	if (!isObj(error)) return undefined;
	const message = str(error.message) ?? str(error.name);
	if (!message) return undefined;
	const description = typeof error.description === 'string' ? error.description : undefined;
	return { message, ...(description ? { description } : {}) };
}

export function firstItemError(outputs: unknown[]): string | undefined {
	for (let index = outputs.length - 1; index >= 0; index--) {
		const output = outputs[index];
		if (!Array.isArray(output)) continue;
		for (const item of output) {
			const error = isObj(item) && isObj(item.json) ? item.json.error : undefined;
			if (typeof error === 'string' && error) return error;
			if (isObj(error) && str(error.message)) return str(error.message);
		}
	}
	return undefined;
}

function subExecutionOf(
	taskData: Obj,
	outputs: unknown[],
): { executionId: string; workflowId?: string } | undefined {
	const candidates: unknown[] = [taskData.metadata?.subExecution];
	for (const output of outputs) {
		if (Array.isArray(output) && output.length) candidates.push(output[0]?.metadata?.subExecution);
	}
	for (const candidate of candidates) {
		if (isObj(candidate) && str(candidate.executionId)) {
			return {
				executionId: String(candidate.executionId),
				...(str(candidate.workflowId) ? { workflowId: str(candidate.workflowId) } : {}),
			};
		}
	}
	return undefined;
}
