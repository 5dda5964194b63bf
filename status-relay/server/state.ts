/**
 * Live execution state: folds events into per-execution snapshots (node states a dashboard shows)
 * and keeps a bounded number of them per workflow.
 */
import type { Envelope, ExecutionSnapshot, WorkflowSnapshot } from '../protocol/types';
import { applyEvent } from '../protocol/fold';

export { applyEvent };

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
