/**
 * Turns n8n's execution lifecycle hook calls into relay events. Pure and synchronous: it only
 * reads what n8n passes (never item data beyond counts, the error messages of items n8n itself
 * treats as errors, and sub-execution ids) and never throws for unexpected shapes (n8n's internals
 * are not a public API). Between calls it keeps counts and times per execution, never run data:
 * a waiting execution can hold megabytes of items for days.
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
import { continuesOnError, firstItemError } from '../protocol/node-errors';

/** What the hook sees as `this` inside ExecutionLifecycleHooks.runHook. */
export interface HookContext {
	executionId?: unknown;
	mode?: unknown;
	workflowData?: unknown;
	retryOf?: unknown;
}

interface Tracked {
	/** Runs per node so far, from n8n's run data; unset until this process has seen any. */
	nodeRuns?: Map<string, number>;
	/** The node that ran last (n8n's lastNodeExecuted). */
	lastNode?: string;
	/** The node that held the execution: n8n runs it again on resume, which is no new start. */
	resumedNode?: string;
	/** Put to wait by this process: the next node event here means n8n resumed it. */
	waiting?: boolean;
	/** Node runs before the wait: names both the waiting and the resumed event of one wait. */
	waitPoint?: number;
	/** When the execution started (ms), kept across waits: a resume is no new start. */
	startedAtMs?: number;
	/** Node starts seen here, for run indexes when n8n's run data is unknown. */
	starts: Map<string, number>;
	touchedAt: number;
}

// n8n's internal objects are read defensively, field by field: they are not a public API.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null;

/** Up to the end of year 9999 the ISO form is fixed-width. */
const ISO_FIXED_UNTIL_MS = 253402300800000;
const DAY_MS = 86_400_000;
let isoDay = Number.NaN;
let isoDayPrefix = '';
let isoLastMs = Number.NaN;
let isoLast = '';
const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/**
 * `new Date(ms).toISOString()`, without a Date and V8's formatting per call: every event carries
 * two or three times, and `toISOString` costs about as much as serialising the whole event. The
 * date part is kept per day (JavaScript's UTC days are all 86,400,000 ms long); the last result is
 * kept too (an event's finish and its occurrence are the same instant). Outside 1970..9999, or for
 * a non-finite `ms`, it is `toISOString` itself.
 */
export function isoTime(ms: number): string {
	if (ms === isoLastMs) return isoLast;
	if (!(ms >= 0 && ms < ISO_FIXED_UNTIL_MS)) return new Date(ms).toISOString();
	const whole = Math.floor(ms);
	const day = Math.floor(whole / DAY_MS);
	if (day !== isoDay) {
		isoDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
		isoDay = day;
	}
	let rest = whole - day * DAY_MS;
	const hours = Math.floor(rest / 3_600_000);
	rest -= hours * 3_600_000;
	const minutes = Math.floor(rest / 60_000);
	rest -= minutes * 60_000;
	const seconds = Math.floor(rest / 1000);
	const milli = rest - seconds * 1000;
	isoLast = `${isoDayPrefix}${two(hours)}:${two(minutes)}:${two(seconds)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
	isoLastMs = ms;
	return isoLast;
}

const iso = (ms: unknown): string | undefined =>
	typeof ms === 'number' && Number.isFinite(ms) ? isoTime(ms) : undefined;
const toIso = (value: unknown): string | undefined => {
	if (value instanceof Date) return iso(value.getTime());
	if (typeof value === 'string' && value) return iso(new Date(value).getTime());
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

	/**
	 * A waiting execution stopped through n8n (the editor's stop, `POST /executions/{id}/stop`,
	 * the relay's cancel): n8n only writes `canceled` to its database, with no lifecycle hook, as
	 * nothing runs. `execution` is n8n's execution record after the stop.
	 */
	stoppedWhileWaiting(execution: unknown): EventDraft[] {
		if (!isObj(execution)) return [];
		const executionId = str(execution.id);
		if (!executionId || this.ended.has(executionId)) return [];
		const context: HookContext = {
			executionId,
			mode: execution.mode,
			workflowData: isObj(execution.workflowData)
				? execution.workflowData
				: { id: execution.workflowId },
		};
		const tracked = this.executions.get(executionId);
		this.executions.delete(executionId);
		this.markEnded(executionId);
		const data = isObj(execution.data) ? execution.data : undefined;
		const startedMs = earliest(
			earliest(tracked?.startedAtMs, toMs(execution.startedAt)),
			firstNodeStart(data),
		);
		const finishedAt = toIso(execution.stoppedAt) ?? isoTime(this.now());
		const startedAt = iso(startedMs);
		const last = lastNode(data) ?? tracked?.lastNode;
		return [
			this.draft(
				context,
				executionId,
				'execution.finished',
				`${executionId}:finished`,
				{
					status: 'canceled',
					...(startedAt ? { startedAt } : {}),
					finishedAt,
					...(startedAt ? { durationMs: Date.parse(finishedAt) - Date.parse(startedAt) } : {}),
					...(last ? { lastNode: last } : {}),
				},
				Date.parse(finishedAt),
			),
		];
	}

	private markEnded(executionId: string): void {
		this.ended.add(executionId);
		if (this.ended.size > this.maxTracked) {
			const oldest = this.ended.values().next().value;
			if (oldest !== undefined) this.ended.delete(oldest);
		}
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
			occurredAt: isoTime(occurredAt),
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
		remember(tracked, runExecutionData);
		const runs = totalRuns(runExecutionData);
		// n8n 1.x (and a queue-mode worker) reports a resumed waiting execution as a new
		// workflowExecuteBefore over run data that already has node runs.
		if (isResume || runs > 0) {
			tracked.resumedNode = lastNode(runExecutionData);
			tracked.startedAtMs = earliest(tracked.startedAtMs, firstNodeStart(runExecutionData));
			const point = tracked.waitPoint ?? waitPoint(runExecutionData);
			tracked.waitPoint = undefined;
			return [
				this.draft(context, executionId, 'execution.resumed', `${executionId}:resumed:${point}`, {
					node: lastNode(runExecutionData),
				}),
			];
		}
		const parent = isObj(runExecutionData) ? runExecutionData.parentExecution : undefined;
		tracked.startedAtMs = this.now();
		return [
			this.draft(context, executionId, 'execution.started', `${executionId}:started`, {
				nodes: workflowNodes(context.workflowData),
				startedAt: isoTime(tracked.startedAtMs),
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
		const local = tracked.starts.get(node) ?? 0;
		const runIndex = tracked.nodeRuns ? (tracked.nodeRuns.get(node) ?? 0) : local;
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
					startedAt: startedAt || isoTime(this.now()),
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
		const runs: unknown = (runExecutionData as Obj | undefined)?.resultData?.runData?.[node];
		let runIndex = Array.isArray(runs) ? runs.indexOf(taskData) : -1;
		if (runIndex < 0) runIndex = Array.isArray(runs) && runs.length ? runs.length - 1 : 0;
		// Only this node's count changed: no walk over the whole run data on every node.
		if (tracked.nodeRuns && Array.isArray(runs)) {
			tracked.nodeRuns.set(node, runs.length);
			tracked.lastNode = node;
		} else remember(tracked, runExecutionData);

		const outputs: unknown[] = Array.isArray(taskData.data?.main) ? taskData.data.main : [];
		const nodeParams = nodeOf(context.workflowData, node);

		let status = nodeRunStatus(taskData, runExecutionData);
		// A node that waits (for approval, for a time) hands on its items only when it resumes.
		const itemsOut =
			status === 'waiting'
				? []
				: outputs.map((output) => (Array.isArray(output) ? output.length : 0));
		let error = errorOf(taskData.error);
		let continuedOnError: boolean | undefined;
		if (!error && status !== 'waiting' && continuesOnError(nodeParams)) {
			// With "On Error: Continue" n8n records a success and puts the error on the items.
			const message = firstItemError(outputs, nodeParams?.onError === 'continueErrorOutput');
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
					finishedAt: isoTime(finishedMs),
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
		const fresh = this.track(executionId);
		fresh.waiting = false;
		const point = fresh.waitPoint ?? waitPoint(runExecutionData);
		fresh.waitPoint = undefined;
		const node = fresh.lastNode ?? lastNode(runExecutionData);
		fresh.startedAtMs = earliest(fresh.startedAtMs, firstNodeStart(runExecutionData));
		remember(fresh, runExecutionData);
		return [
			this.draft(
				context,
				executionId,
				'execution.resumed',
				`${executionId}:resumed:${point}`,
				node ? { node } : {},
			),
		];
	}

	private onWorkflowAfter(
		context: HookContext,
		executionId: string,
		fullRunData: unknown,
	): EventDraft[] {
		const tracked = this.executions.get(executionId);
		const run = isObj(fullRunData) ? fullRunData : {};
		const runExecutionData: Obj | undefined = isObj(run.data) ? run.data : undefined;
		const status = str(run.status);
		const waitTill = toIso(run.waitTill ?? runExecutionData?.waitTill);
		const startedMs = earliest(
			earliest(tracked?.startedAtMs, toMs(run.startedAt)),
			firstNodeStart(runExecutionData),
		);
		if (status === 'waiting' || (!status && waitTill)) {
			const waiting = this.track(executionId);
			waiting.waiting = true;
			remember(waiting, runExecutionData);
			waiting.startedAtMs = startedMs;
			waiting.waitPoint = waitPoint(runExecutionData, true);
			return [
				this.draft(
					context,
					executionId,
					'execution.waiting',
					`${executionId}:waiting:${waiting.waitPoint}`,
					{
						...(waitTill && !waitTill.startsWith('3000-') ? { waitTill } : {}),
						node: lastNode(runExecutionData) ?? waiting.lastNode,
					},
				),
			];
		}
		this.executions.delete(executionId);
		this.markEnded(executionId);
		const finalStatus: ExecutionFinishedData['status'] =
			status && FINISHED_STATUSES.has(status)
				? (status as ExecutionFinishedData['status'])
				: runExecutionData?.resultData?.error
					? 'error'
					: 'success';
		// After a resume n8n's run says when it resumed; the run started before the wait.
		const startedAt = iso(startedMs);
		const finishedAt = toIso(run.stoppedAt) ?? isoTime(this.now());
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
				...((lastNode(runExecutionData) ?? tracked?.lastNode)
					? { lastNode: lastNode(runExecutionData) ?? tracked?.lastNode }
					: {}),
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

/** Keeps what the mapper needs of n8n's run data: run counts per node and the last node. */
function remember(tracked: Tracked, runExecutionData: unknown): void {
	const runData = (runExecutionData as Obj | undefined)?.resultData?.runData;
	if (!isObj(runData)) return;
	const counts = new Map<string, number>();
	for (const [node, runs] of Object.entries(runData)) {
		if (Array.isArray(runs)) counts.set(node, runs.length);
	}
	tracked.nodeRuns = counts;
	tracked.lastNode = lastNode(runExecutionData) ?? tracked.lastNode;
}

/**
 * Node runs finished before a wait, the same number whether counted when the execution goes to
 * wait (n8n's run data then ends with the waiting node's run) or when it resumes (n8n has taken
 * that run out again, to run the node anew).
 */
function waitPoint(runExecutionData: unknown, goingToWait = false): number {
	const total = totalRuns(runExecutionData);
	const last = lastNode(runExecutionData);
	const runs = last ? (runExecutionData as Obj).resultData.runData?.[last] : undefined;
	const lastRun = Array.isArray(runs) ? runs[runs.length - 1] : undefined;
	const waitingRun =
		Array.isArray(runs) &&
		runs.length > 0 &&
		(goingToWait || (isObj(lastRun) && lastRun.executionStatus === 'waiting'));
	return waitingRun ? total - 1 : total;
}

/** When the first node run of the execution started (ms), if n8n's run data says. */
function firstNodeStart(runExecutionData: unknown): number | undefined {
	const runData = (runExecutionData as Obj | undefined)?.resultData?.runData;
	if (!isObj(runData)) return undefined;
	let first: number | undefined;
	for (const runs of Object.values(runData)) {
		if (!Array.isArray(runs)) continue;
		for (const run of runs) {
			const start = isObj(run) ? run.startTime : undefined;
			// n8n writes 0 for nodes that never ran (an error before the start).
			if (typeof start === 'number' && start > 0) first = earliest(first, start);
		}
	}
	return first;
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
	if (a === undefined) return b;
	if (b === undefined) return a;
	return Math.min(a, b);
}

function toMs(value: unknown): number | undefined {
	const text = toIso(value);
	return text ? Date.parse(text) : undefined;
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

/**
 * A workflow's nodes by name, per nodes array (n8n keeps one per execution, and it goes with it):
 * no search through the nodes on every event.
 */
const nodesByName = new WeakMap<unknown[], Map<string, Obj>>();

function nodeOf(workflowData: unknown, name: string): Obj | undefined {
	if (!isObj(workflowData) || !Array.isArray(workflowData.nodes)) return undefined;
	const nodes: unknown[] = workflowData.nodes;
	let byName = nodesByName.get(nodes);
	if (!byName) {
		byName = new Map();
		for (const node of nodes) {
			if (isObj(node) && typeof node.name === 'string' && !byName.has(node.name)) {
				byName.set(node.name, node);
			}
		}
		nodesByName.set(nodes, byName);
	}
	const found = byName.get(name);
	if (found?.name === name) return found;
	// Not as when the map was made (n8n's objects are not ours): searched, as without the map.
	return nodes.find((node: unknown) => isObj(node) && node.name === name) as Obj | undefined;
}

function nodeTypeOf(workflowData: unknown, name: string): string {
	return String(nodeOf(workflowData, name)?.type ?? '');
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

function subExecutionOf(
	taskData: Obj,
	outputs: unknown[],
): { executionId: string; workflowId?: string } | undefined {
	const own = subExecutionFrom(taskData.metadata?.subExecution);
	if (own) return own;
	for (const output of outputs) {
		if (!Array.isArray(output) || !output.length) continue;
		const found = subExecutionFrom(output[0]?.metadata?.subExecution);
		if (found) return found;
	}
	return undefined;
}

function subExecutionFrom(
	candidate: unknown,
): { executionId: string; workflowId?: string } | undefined {
	if (!isObj(candidate) || !str(candidate.executionId)) return undefined;
	return {
		executionId: String(candidate.executionId),
		...(str(candidate.workflowId) ? { workflowId: str(candidate.workflowId) } : {}),
	};
}
