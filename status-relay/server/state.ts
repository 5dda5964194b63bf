/**
 * Live execution state: folds events into per-execution snapshots (node states a dashboard shows)
 * and keeps a bounded number of them per workflow.
 */
import type {
	Envelope,
	EventDraft,
	ExecutionSnapshot,
	NodeSnapshot,
	WorkflowSnapshot,
} from '../protocol/types';

export function applyEvent(
	snapshot: ExecutionSnapshot | undefined,
	event: Envelope | EventDraft,
): ExecutionSnapshot {
	const current: ExecutionSnapshot = snapshot ?? {
		executionId: event.executionId,
		workflowId: event.workflowId,
		workflowName: event.workflowName,
		mode: event.mode,
		status: 'running',
		seq: 0,
		nodes: [],
	};
	if (event.workflowName) current.workflowName = event.workflowName;
	if ('seq' in event) current.seq = Math.max(current.seq, event.seq);
	const nodeNamed = (name: string, type = ''): NodeSnapshot => {
		let node = current.nodes.find((n) => n.name === name);
		if (!node) {
			node = { name, type, state: 'pending', runs: 0 };
			current.nodes.push(node);
		}
		if (type && !node.type) node.type = type;
		return node;
	};

	switch (event.type) {
		case 'execution.started': {
			const data = (event as EventDraft<'execution.started'>).data;
			current.mode = event.mode;
			current.startedAt ??= data.startedAt;
			if (current.status === 'waiting') current.status = 'running';
			if (data.parentExecutionId) current.parentExecutionId = data.parentExecutionId;
			for (const node of data.nodes ?? []) nodeNamed(node.name, node.type);
			break;
		}
		case 'execution.waiting': {
			const data = (event as EventDraft<'execution.waiting'>).data;
			current.status = 'waiting';
			if (data.waitTill) current.waitTill = data.waitTill;
			if (data.node) nodeNamed(data.node).state = 'waiting';
			break;
		}
		case 'execution.resumed':
			current.status = 'running';
			delete current.waitTill;
			break;
		case 'node.started': {
			const data = (event as EventDraft<'node.started'>).data;
			const node = nodeNamed(data.node, data.nodeType);
			node.state = 'running';
			node.startedAt = data.startedAt;
			delete node.finishedAt;
			break;
		}
		case 'node.finished': {
			const data = (event as EventDraft<'node.finished'>).data;
			const node = nodeNamed(data.node, data.nodeType);
			node.state = data.status;
			node.runs = Math.max(node.runs, data.runIndex + 1);
			if (data.startedAt) node.startedAt = data.startedAt;
			node.finishedAt = data.finishedAt;
			if (data.durationMs !== undefined) node.durationMs = data.durationMs;
			node.itemsOut = data.itemsOut;
			if (data.error) node.error = data.error;
			else delete node.error;
			if (data.continuedOnError) node.continuedOnError = true;
			if (data.subExecutionId) node.subExecutionId = data.subExecutionId;
			break;
		}
		case 'execution.finished': {
			const data = (event as EventDraft<'execution.finished'>).data;
			current.status = data.status;
			current.startedAt ??= data.startedAt;
			current.finishedAt = data.finishedAt;
			if (current.startedAt) {
				current.durationMs = Date.parse(data.finishedAt) - Date.parse(current.startedAt);
			}
			delete current.waitTill;
			if (data.error) current.error = data.error;
			for (const node of current.nodes) {
				if (node.state === 'pending') node.state = 'skipped';
				else if (node.state === 'running' || node.state === 'waiting') {
					node.state = data.status === 'canceled' ? 'canceled' : 'error';
				}
			}
			if (data.error?.node) {
				const failed = current.nodes.find((n) => n.name === data.error?.node);
				if (failed && failed.state !== 'error') {
					failed.state = 'error';
					failed.error ??= { message: data.error.message };
				}
			}
			break;
		}
	}
	return current;
}

const ACTIVE = new Set(['running', 'waiting']);

/** About how many bytes a snapshot holds (its strings dominate). */
export function snapshotBytes(snapshot: ExecutionSnapshot): number {
	let bytes = 300 + (snapshot.workflowName?.length ?? 0) + (snapshot.error?.message.length ?? 0);
	for (const node of snapshot.nodes) {
		bytes += 200 + node.name.length + node.type.length + (node.itemsOut?.length ?? 0) * 8;
		if (node.error) bytes += node.error.message.length + (node.error.description?.length ?? 0);
	}
	return bytes * 2;
}

export class ExecutionStates {
	private readonly byId = new Map<string, ExecutionSnapshot>();
	private readonly bytesById = new Map<string, number>();
	private readonly byWorkflow = new Map<string, Set<string>>();
	private readonly workflowNames = new Map<string, string>();
	private bytes = 0;

	constructor(
		private readonly maxExecutions: number,
		private readonly recentPerWorkflow = 50,
		/** The snapshots together never hold (about) more than this many bytes. */
		private readonly maxBytes = Number.POSITIVE_INFINITY,
	) {}

	/** About how many bytes the snapshots hold. */
	get byteSize(): number {
		return this.bytes;
	}

	get size(): number {
		return this.byId.size;
	}

	apply(event: Envelope): ExecutionSnapshot {
		const next = applyEvent(this.byId.get(event.executionId), event);
		this.put(next);
		return next;
	}

	/** Adds or replaces a snapshot (e.g. one rebuilt from n8n's API). */
	put(snapshot: ExecutionSnapshot): void {
		this.byId.delete(snapshot.executionId);
		this.byId.set(snapshot.executionId, snapshot);
		const size = snapshotBytes(snapshot);
		this.bytes += size - (this.bytesById.get(snapshot.executionId) ?? 0);
		this.bytesById.set(snapshot.executionId, size);
		if (snapshot.workflowId) {
			let ids = this.byWorkflow.get(snapshot.workflowId);
			if (!ids) this.byWorkflow.set(snapshot.workflowId, (ids = new Set()));
			ids.add(snapshot.executionId);
			if (snapshot.workflowName) this.workflowNames.set(snapshot.workflowId, snapshot.workflowName);
		}
		this.evict();
	}

	get(executionId: string): ExecutionSnapshot | undefined {
		return this.byId.get(executionId);
	}

	/** Every workflow with state here, by name. */
	workflows(): Array<{ workflowId: string; workflowName?: string }> {
		return [...this.byWorkflow.keys()]
			.map((workflowId) => {
				const workflowName = this.workflowNames.get(workflowId);
				return { workflowId, ...(workflowName ? { workflowName } : {}) };
			})
			.sort((a, b) =>
				(a.workflowName ?? a.workflowId).localeCompare(b.workflowName ?? b.workflowId),
			);
	}

	knowsWorkflow(workflowId: string): boolean {
		return this.byWorkflow.has(workflowId);
	}

	workflow(workflowId: string): WorkflowSnapshot {
		const all = [...(this.byWorkflow.get(workflowId) ?? [])]
			.map((id) => this.byId.get(id))
			.filter((s): s is ExecutionSnapshot => s !== undefined);
		const active = all.filter((s) => ACTIVE.has(s.status));
		// Newest started first, like the dashboard's "Started" column.
		const done = all
			.filter((s) => !ACTIVE.has(s.status))
			.sort(byStartDesc)
			.slice(0, this.recentPerWorkflow);
		const name = this.workflowNames.get(workflowId);
		return {
			workflowId,
			...(name ? { workflowName: name } : {}),
			executions: [...active.sort(byStartDesc), ...done],
		};
	}

	private over(): boolean {
		return this.byId.size > this.maxExecutions || this.bytes > this.maxBytes;
	}

	private evict(): void {
		if (!this.over()) return;
		// Oldest first (insertion order = last update); keep running and waiting ones when possible.
		for (const [id, snapshot] of this.byId) {
			if (!this.over()) break;
			if (ACTIVE.has(snapshot.status) && this.byId.size < this.maxExecutions * 2) continue;
			this.remove(id, snapshot);
		}
		// Over the byte budget with only running and waiting ones left: the oldest go too.
		for (const [id, snapshot] of this.byId) {
			if (this.bytes <= this.maxBytes || this.byId.size <= 1) break;
			this.remove(id, snapshot);
		}
	}

	private remove(id: string, snapshot: ExecutionSnapshot): void {
		this.byId.delete(id);
		this.bytes -= this.bytesById.get(id) ?? 0;
		this.bytesById.delete(id);
		const ids = this.byWorkflow.get(snapshot.workflowId);
		ids?.delete(id);
		if (ids && !ids.size) this.byWorkflow.delete(snapshot.workflowId);
	}
}

/** Newest start first; a run whose start is unknown sorts by when it finished. */
function byStartDesc(a: ExecutionSnapshot, b: ExecutionSnapshot): number {
	return (b.startedAt ?? b.finishedAt ?? '').localeCompare(a.startedAt ?? a.finishedAt ?? '');
}
