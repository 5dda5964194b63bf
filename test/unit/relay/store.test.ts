import { MemoryStore } from '../../../status-relay/server/store';
import type { EventDraft } from '../../../status-relay/protocol/types';
import { applyEvent, ExecutionStates } from '../../../status-relay/server/state';

function draft(
	id: string,
	executionId = 'e1',
	type: EventDraft['type'] = 'node.started',
): EventDraft {
	return {
		v: 1,
		id,
		type,
		workflowId: 'w1',
		workflowName: 'Support',
		executionId,
		mode: 'webhook',
		occurredAt: new Date().toISOString(),
		data: {
			node: id,
			nodeType: 'n8n-nodes-base.noOp',
			runIndex: 0,
			startedAt: new Date().toISOString(),
		},
	} as EventDraft;
}

describe('memory store', () => {
	it('numbers events per execution without gaps and drops duplicates by id', async () => {
		const store = new MemoryStore(100, 10);
		const first = await store.append([draft('a'), draft('b'), draft('x', 'e2')]);
		const again = await store.append([draft('b'), draft('c')]);
		expect(first.stored.map((e) => [e.executionId, e.seq])).toEqual([
			['e1', 1],
			['e1', 2],
			['e2', 1],
		]);
		expect(again.duplicates).toBe(1);
		expect(again.stored.map((e) => e.seq)).toEqual([3]);
	});

	it('reads exactly the events after a cursor, paged, filtered', async () => {
		const store = new MemoryStore(100, 10);
		const { stored } = await store.append(['a', 'b', 'c', 'd', 'e'].map((id) => draft(id)));
		const page = await store.readAfter(stored[1].cursor, () => true, 2);
		expect(page).toMatchObject({ ok: true, more: true });
		expect(page.ok && page.events.map((e) => e.id)).toEqual(['c', 'd']);
		const rest = await store.readAfter(stored[3].cursor, () => true, 2);
		expect(rest.ok && rest.events.map((e) => e.id)).toEqual(['e']);
		expect(rest.ok && rest.more).toBe(false);
		const filtered = await store.readAfter(undefined, (e) => e.id > 'c', 10);
		expect(filtered.ok && filtered.events.map((e) => e.id)).toEqual(['d', 'e']);
	});

	it('says reset when a cursor fell out of retention or comes from another epoch', async () => {
		const store = new MemoryStore(3, 10);
		const { stored } = await store.append(['a', 'b', 'c', 'd', 'e'].map((id) => draft(id)));
		expect(await store.readAfter(stored[0].cursor, () => true, 10)).toMatchObject({
			ok: false,
			reason: 'cursor-expired',
		});
		// The oldest retained event is 'c': a cursor at 'b' still resumes without a gap.
		const fromB = await store.readAfter(stored[1].cursor, () => true, 10);
		expect(fromB.ok && fromB.events.map((e) => e.id)).toEqual(['c', 'd', 'e']);
		const other = new MemoryStore(3, 10);
		expect(await other.readAfter(stored[1].cursor, () => true, 10)).toMatchObject({
			ok: false,
			reason: 'epoch-changed',
		});
		expect(await store.readAfter('garbage!', () => true, 10)).toMatchObject({
			ok: false,
			reason: 'cursor-invalid',
		});
	});
});

describe('execution state', () => {
	it('marks nodes that never ran as skipped and keeps error messages', () => {
		let snap = applyEvent(undefined, {
			...draft('s', 'e1', 'execution.started'),
			data: {
				nodes: [
					{ name: 'A', type: 't' },
					{ name: 'B', type: 't' },
					{ name: 'C', type: 't' },
				],
				startedAt: new Date().toISOString(),
			},
		} as EventDraft);
		expect(snap.nodes.map((n) => n.state)).toEqual(['pending', 'pending', 'pending']);
		snap = applyEvent(snap, {
			...draft('A'),
			data: { ...draft('A').data, node: 'A' },
		} as EventDraft);
		expect(snap.nodes[0].state).toBe('running');
		snap = applyEvent(snap, {
			...draft('fa', 'e1', 'node.finished'),
			data: {
				node: 'A',
				nodeType: 't',
				runIndex: 0,
				status: 'error',
				finishedAt: new Date().toISOString(),
				itemsOut: [0, 2],
				error: { message: 'boom' },
			},
		} as EventDraft);
		snap = applyEvent(snap, {
			...draft('f', 'e1', 'execution.finished'),
			data: { status: 'error', finishedAt: new Date().toISOString() },
		} as EventDraft);
		expect(snap.status).toBe('error');
		expect(snap.nodes.map((n) => [n.name, n.state])).toEqual([
			['A', 'error'],
			['B', 'skipped'],
			['C', 'skipped'],
		]);
		expect(snap.nodes[0]).toMatchObject({ itemsOut: [0, 2], error: { message: 'boom' } });
	});

	it('bounds the executions it keeps', () => {
		const states = new ExecutionStates(5);
		for (let i = 0; i < 20; i++) {
			states.put({
				executionId: String(i),
				workflowId: 'w',
				workflowName: 'w',
				mode: 'webhook',
				status: 'success',
				seq: 1,
				nodes: [],
				finishedAt: new Date(i * 1000).toISOString(),
			});
		}
		expect(states.size).toBe(5);
		expect(states.workflow('w').executions[0].executionId).toBe('19');
	});
});
