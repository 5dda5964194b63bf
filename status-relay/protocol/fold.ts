/**
 * How events fold into an execution's snapshot (the node states a dashboard shows): one function for
 * the relay's live state (server/state.ts) and the dashboard page, which runs
 * dashboard/fold.js, generated from this file (scripts/generate-dashboard-fold.js). It must stay
 * self-contained: type imports only, no Node APIs, so that it runs unchanged in a browser.
 */
import type { Envelope, EventDraft, ExecutionSnapshot, NodeSnapshot } from './types';

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
