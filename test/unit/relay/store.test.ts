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

	it('an event that cannot be serialised leaves no gap: a reader resuming before it gets the next one', async () => {
		const store = new MemoryStore(100, 10);
		const { stored } = await store.append([draft('a')]);
		// Not JSON (a BigInt): it cannot be stored, and it must not use up a position or a seq.
		const poisoned = { ...draft('p'), data: { node: 'p', runIndex: 0, size: BigInt(1) } };
		const result = await store.append([poisoned as unknown as EventDraft, draft('b')]);
		expect(result.stored.map((e) => [e.id, e.seq])).toEqual([['b', 2]]);
		expect(result.rejected).toBe(1);
		const after = await store.readAfter(stored[0].cursor, () => true, 10);
		expect(after.ok && after.events.map((e) => e.id)).toEqual(['b']);
	});

	it('keeps its retention within a byte budget as well as a count', async () => {
		const budget = 64 * 1024;
		const store = new MemoryStore(100_000, 10, budget);
		const big = (id: string) => ({
			...draft(id),
			data: { node: id, nodeType: 'x'.repeat(4000), runIndex: 0, startedAt: '' },
		});
		for (let i = 0; i < 200; i++) await store.append([big(`n${i}`) as EventDraft]);
		const stats = store.stats();
		expect(stats.bytes).toBeLessThanOrEqual(budget);
		expect(stats.events).toBeGreaterThan(5);
		expect(stats.events).toBeLessThan(20);
		// What is kept is the newest, readable from the start without a gap.
		const all = await store.readAfter(undefined, () => true, 1000);
		expect(all.ok && all.events.at(-1)?.id).toBe('n199');
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

	it('bounds the bytes its snapshots hold, dropping the oldest finished runs first', () => {
		const states = new ExecutionStates(1000, 50, 200_000);
		const snapshot = (i: number, status: 'running' | 'error') => ({
			executionId: String(i),
			workflowId: 'w',
			workflowName: 'w',
			mode: 'webhook',
			status,
			seq: 1,
			startedAt: new Date(i * 1000).toISOString(),
			nodes: [
				{
					name: 'A',
					type: 't',
					state: 'error' as const,
					runs: 1,
					error: { message: 'e'.repeat(10_000) },
				},
			],
		});
		states.put(snapshot(0, 'running'));
		for (let i = 1; i < 100; i++) states.put(snapshot(i, 'error'));
		expect(states.byteSize).toBeLessThanOrEqual(200_000);
		expect(states.size).toBeLessThan(15);
		// The running one is kept while finished ones can go instead.
		expect(states.get('0')?.status).toBe('running');
		expect(states.get('99')).toBeDefined();
	});
});
