import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventMapper, isoTime } from '../../../status-relay/hook/mapper';
import { Sender } from '../../../status-relay/hook/sender';
import type { EventDraft } from '../../../status-relay/protocol/types';
import { waitFor } from '../../support/wait-for';

describe('hook event mapper', () => {
	const context = {
		executionId: '12',
		mode: 'webhook',
		workflowData: {
			id: 'wf',
			name: 'Support',
			nodes: [
				{ name: 'Hook', type: 'n8n-nodes-base.webhook' },
				{ name: 'Call', type: 'n8n-nodes-base.httpRequest', onError: 'continueErrorOutput' },
			],
		},
	};

	it('maps n8n lifecycle calls, and never throws on odd shapes', () => {
		const mapper = new EventMapper();
		const runExecutionData = { resultData: { runData: {} as Record<string, unknown[]> } };
		const started = mapper.map(context, 'workflowExecuteBefore', [{}, runExecutionData]);
		expect(started[0]).toMatchObject({ type: 'execution.started', id: '12:started' });
		const taskData = {
			startTime: 1000,
			executionTime: 5,
			executionStatus: 'success',
			data: { main: [[], [{ json: { error: { message: 'HTTP 500' } } }]] },
		};
		runExecutionData.resultData.runData.Call = [taskData];
		const [finished] = mapper.map(context, 'nodeExecuteAfter', [
			'Call',
			taskData,
			runExecutionData,
		]);
		expect(finished.data).toMatchObject({
			node: 'Call',
			status: 'error',
			itemsOut: [0, 1],
			error: { message: 'HTTP 500' },
			continuedOnError: true,
			durationMs: 5,
		});
		for (const args of [[], [null], [undefined, 7], ['x', 'y', 'z']]) {
			expect(() => mapper.map(context, 'nodeExecuteAfter', args)).not.toThrow();
			expect(() => mapper.map({}, 'workflowExecuteAfter', args)).not.toThrow();
		}
	});
	it('on a queue-mode main, reports only executions it runs itself, and what no worker reports', () => {
		const mapper = new EventMapper(2000, Date.now, true);
		const enqueued = { ...context, executionId: '20' };
		const data = { resultData: { runData: {} } };
		// Enqueued for a worker: the worker's hook reports it; the main's end could overtake it.
		expect(mapper.map(enqueued, 'workflowExecuteBefore', [{}, data])).toEqual([]);
		expect(mapper.map(enqueued, 'workflowExecuteAfter', [{ status: 'success', data }])).toEqual([]);
		const canceled = { ...context, executionId: '21' };
		expect(mapper.map(canceled, 'workflowExecuteBefore', [{}, data])).toEqual([]);
		const stopped = mapper.map(canceled, 'workflowExecuteAfter', [{ status: 'canceled', data }]);
		expect(stopped.map((e) => e.type)).toEqual(['execution.finished']);
		// A manual run n8n 1.x keeps on the main process: reported in full, the start held until
		// its first node shows it runs here.
		const onMain = { ...context, executionId: '22' };
		expect(mapper.map(onMain, 'workflowExecuteBefore', [{}, data])).toEqual([]);
		expect(
			mapper.map(onMain, 'nodeExecuteBefore', ['Hook', { startTime: 1 }]).map((e) => e.type),
		).toEqual(['execution.started', 'node.started']);
		expect(
			mapper.map(onMain, 'workflowExecuteAfter', [{ status: 'success', data }]).map((e) => e.type),
		).toEqual(['execution.finished']);
	});

	it('ignores node reports that come after the execution ended (a Wait node released by a cancel)', () => {
		const mapper = new EventMapper();
		const runExecutionData = { resultData: { runData: {} as Record<string, unknown[]> } };
		mapper.map(context, 'workflowExecuteBefore', [{}, runExecutionData]);
		mapper.map(context, 'nodeExecuteBefore', ['Hook', { startTime: 1 }]);
		const [finished] = mapper.map(context, 'workflowExecuteAfter', [
			{ status: 'canceled', data: runExecutionData },
		]);
		expect(finished).toMatchObject({ type: 'execution.finished', data: { status: 'canceled' } });
		const late = { startTime: 1, executionTime: 5, data: { main: [[{ json: {} }]] } };
		expect(mapper.map(context, 'nodeExecuteAfter', ['Hook', late, runExecutionData])).toEqual([]);
		expect(mapper.map(context, 'nodeExecuteBefore', ['Call', { startTime: 2 }])).toEqual([]);
		// A waiting execution is no end: n8n 1.x resumes it with node events alone.
		const waiting = { ...context, executionId: '13' };
		mapper.map(waiting, 'workflowExecuteBefore', [{}, runExecutionData]);
		mapper.map(waiting, 'workflowExecuteAfter', [
			{ status: 'waiting', waitTill: new Date('3000-01-01'), data: runExecutionData },
		]);
		// n8n 1.x runs the node that held the execution again: resumed, and no second start.
		expect(
			mapper.map(waiting, 'nodeExecuteBefore', ['Call', { startTime: 3 }]).map((e) => e.type),
		).toEqual(['execution.resumed']);
		const after = { startTime: 3, executionTime: 1, data: { main: [[{ json: {} }]] } };
		expect(
			mapper
				.map(waiting, 'nodeExecuteAfter', ['Call', after, runExecutionData])
				.map((e) => [e.type, (e.data as { status?: string }).status]),
		).toEqual([['node.finished', 'success']]);
		expect(mapper.map(waiting, 'nodeExecuteBefore', ['Next', { startTime: 4 }])[0]).toMatchObject({
			type: 'node.started',
			data: { node: 'Next' },
		});
	});
});

describe('hook sender', () => {
	const event = (i: number): EventDraft => ({
		v: 1,
		id: `e:${i}`,
		type: 'node.started',
		workflowId: 'w',
		workflowName: 'w',
		executionId: 'e',
		mode: 'webhook',
		occurredAt: new Date().toISOString(),
		data: { node: `N${i}`, nodeType: 't', runIndex: 0, startedAt: new Date().toISOString() },
	});

	it('keeps a bounded buffer while the relay is away, counts drops, and reports them later', async () => {
		const received: Array<{ dropped: number; events: EventDraft[] }> = [];
		const server = createServer((req, res) => {
			let body = '';
			req.on('data', (c) => (body += c));
			req.on('end', () => {
				received.push(JSON.parse(body));
				res.writeHead(200).end('{}');
			});
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		const port = (server.address() as AddressInfo).port;
		await new Promise<void>((r) => server.close(() => r()));

		const sender = new Sender({
			url: `http://127.0.0.1:${port}`,
			secret: 'x'.repeat(16),
			maxBuffer: 10,
			maxBatch: 100,
			flushIntervalMs: 20,
			requestTimeoutMs: 500,
			source: { host: 'h', pid: 1, role: 'test', hookVersion: '1' },
		});
		sender.start();
		// push() is synchronous and never waits on the relay: it returns nothing to await, and the
		// buffer is already bounded when it returns.
		expect(sender.push(Array.from({ length: 25 }, (_, i) => event(i)))).toBeUndefined();
		expect(sender.stats).toMatchObject({ buffered: 10, dropped: 15 });
		// The first flush finds nobody listening: the sender marks the relay down.
		await waitFor(() => sender.stats.relayUp === false, {
			what: 'the sender to mark the relay down',
			intervalMs: 20,
		});
		expect(received).toEqual([]);

		server.listen(port, '127.0.0.1');
		await waitFor(() => received.length > 0, {
			what: 'the buffered batch at the relay once it listens',
			intervalMs: 20,
		});
		sender.stop();
		server.close();
		expect(received[0].dropped).toBe(15);
		// The newest events were kept.
		expect(received.flatMap((b) => b.events.map((e) => e.id))).toEqual(
			Array.from({ length: 10 }, (_, i) => `e:${i + 15}`),
		);
	});
});

describe('hook event mapper: what it keeps and what it sends', () => {
	const context = {
		executionId: '30',
		mode: 'webhook',
		workflowData: {
			id: 'wf',
			name: 'Support',
			nodes: [
				{ name: 'Hook', type: 'n8n-nodes-base.webhook' },
				{ name: 'Pay', type: 'n8n-nodes-base.set', onError: 'continueErrorOutput' },
				{ name: 'Charge', type: 'n8n-nodes-base.code', onError: 'continueRegularOutput' },
				{ name: 'Approval', type: 'n8n-nodes-base.wait' },
			],
		},
	};
	const CARD = 'Card 4111 1111 1111 1111 of jane.doe@example.com declined (CVV 123)';
	const task = (main: unknown[][], extra: Record<string, unknown> = {}) => ({
		startTime: 1000,
		executionTime: 5,
		executionStatus: 'success',
		data: { main },
		...extra,
	});

	it("never sends a successful item's json.error; only items n8n treats as errors give a message", () => {
		const mapper = new EventMapper();
		const runData: Record<string, unknown[]> = {};
		mapper.map(context, 'workflowExecuteBefore', [{}, { resultData: { runData } }]);
		// A success that carries an `error` field among its data, on the success output.
		const paid = task([[{ json: { customer: 'jane', error: CARD } }], []]);
		runData.Pay = [paid];
		const [pay] = mapper.map(context, 'nodeExecuteAfter', [
			'Pay',
			paid,
			{ resultData: { runData } },
		]);
		expect(pay.data).toMatchObject({ status: 'success', itemsOut: [1, 0] });
		expect(JSON.stringify(pay)).not.toContain('4111');
		const charged = task([[{ json: { customer: 'jane', error: CARD } }]]);
		runData.Charge = [charged];
		const [charge] = mapper.map(context, 'nodeExecuteAfter', [
			'Charge',
			charged,
			{ resultData: { runData } },
		]);
		expect(charge.data).toMatchObject({ status: 'success' });
		expect(JSON.stringify(charge)).not.toContain('4111');
		// What n8n routed to the error output, and an item that passes n8n's own error test.
		const failed = task([[], [{ json: { customer: 'jane', error: 'HTTP 402' } }]]);
		runData.Pay.push(failed);
		const [pay2] = mapper.map(context, 'nodeExecuteAfter', [
			'Pay',
			failed,
			{ resultData: { runData } },
		]);
		expect(pay2.data).toMatchObject({
			status: 'error',
			continuedOnError: true,
			error: { message: 'HTTP 402' },
		});
		const regular = task([[{ json: { error: 'timeout', message: 'no answer' } }]]);
		runData.Charge.push(regular);
		const [charge2] = mapper.map(context, 'nodeExecuteAfter', [
			'Charge',
			regular,
			{ resultData: { runData } },
		]);
		expect(charge2.data).toMatchObject({ status: 'error', error: { message: 'timeout' } });
	});

	it('keeps counts, not run data, for a waiting execution; the waiting node reports no items; ids, start and duration hold across the wait', () => {
		let now = Date.parse('2026-01-01T10:00:00.000Z');
		const mapper = new EventMapper(2000, () => now);
		const big = 'x'.repeat(1_000_000);
		const runData: Record<string, unknown[]> = {};
		const runExecutionData = { resultData: { runData, lastNodeExecuted: 'Hook' } };
		const [started] = mapper.map(context, 'workflowExecuteBefore', [{}, runExecutionData]);
		expect(started.data).toMatchObject({ startedAt: '2026-01-01T10:00:00.000Z' });
		runData.Hook = [task([[{ json: { big } }]], { startTime: now })];
		mapper.map(context, 'nodeExecuteAfter', ['Hook', runData.Hook[0], runExecutionData]);
		now += 1000;
		const waitingTask = task([[{ json: { big } }]], { startTime: now, executionStatus: 'waiting' });
		runData.Approval = [waitingTask];
		runExecutionData.resultData.lastNodeExecuted = 'Approval';
		const [waitingNode] = mapper.map(context, 'nodeExecuteAfter', [
			'Approval',
			waitingTask,
			{ ...runExecutionData, waitTill: new Date('3000-01-01') },
		]);
		expect(waitingNode.data).toMatchObject({ status: 'waiting', itemsOut: [] });
		const [waiting] = mapper.map(context, 'workflowExecuteAfter', [
			{
				status: 'waiting',
				startedAt: new Date(Date.parse('2026-01-01T10:00:00.000Z')),
				waitTill: new Date('3000-01-01'),
				data: runExecutionData,
			},
		]);
		expect(waiting.id).toBe('30:waiting:1');
		// Nothing of n8n's run data (items, megabytes of them) is held while it waits.
		const held = JSON.stringify(
			[...(mapper as unknown as { executions: Map<string, unknown> }).executions.values()],
			(_key, value: unknown) => (value instanceof Map ? [...value.entries()] : value),
		);
		expect(held.length).toBeLessThan(500);
		expect(held).not.toContain('xxxx');

		// 38 s later the approver answers; n8n takes the waiting run out and resumes.
		now += 38_000;
		runData.Approval.pop();
		const [resumed] = mapper.map(context, 'workflowExecuteResume', [{}, runExecutionData]);
		expect(resumed.id).toBe('30:resumed:1');
		const done = task([[{ json: {} }]], { startTime: now });
		runData.Approval.push(done);
		const [approval] = mapper.map(context, 'nodeExecuteAfter', [
			'Approval',
			done,
			runExecutionData,
		]);
		expect(approval.data).toMatchObject({ status: 'success', itemsOut: [1], runIndex: 0 });
		now += 500;
		// n8n's run after a resume says it started at the resume.
		const [finished] = mapper.map(context, 'workflowExecuteAfter', [
			{
				status: 'success',
				startedAt: new Date(now - 500),
				stoppedAt: new Date(now),
				data: runExecutionData,
			},
		]);
		expect(finished.data).toMatchObject({
			status: 'success',
			startedAt: '2026-01-01T10:00:00.000Z',
			durationMs: 39_500,
		});
	});

	it('a waiting execution stopped in n8n ends as canceled, with its start and duration', () => {
		const mapper = new EventMapper();
		const runData = {
			Hook: [task([[{ json: {} }]], { startTime: Date.parse('2026-01-01T10:00:00Z') })],
		};
		const execution = {
			id: '31',
			mode: 'webhook',
			status: 'canceled',
			workflowData: context.workflowData,
			startedAt: new Date('2026-01-01T10:00:00Z'),
			stoppedAt: new Date('2026-01-01T10:05:00Z'),
			data: { resultData: { runData, lastNodeExecuted: 'Approval' } },
		};
		const [finished] = mapper.stoppedWhileWaiting(execution);
		expect(finished).toMatchObject({
			id: '31:finished',
			type: 'execution.finished',
			workflowId: 'wf',
			data: {
				status: 'canceled',
				startedAt: '2026-01-01T10:00:00.000Z',
				finishedAt: '2026-01-01T10:05:00.000Z',
				durationMs: 300_000,
				lastNode: 'Approval',
			},
		});
		// Reported once; a late node report of that execution is no resume.
		expect(mapper.stoppedWhileWaiting(execution)).toEqual([]);
		expect(
			mapper.map({ ...context, executionId: '31' }, 'nodeExecuteBefore', ['Approval', {}]),
		).toEqual([]);
	});

	it('writes times exactly as Date.prototype.toISOString does, for any time', () => {
		const times = [
			0,
			1,
			999,
			1000,
			86_399_999,
			86_400_000,
			951_782_400_000, // 2000-02-29
			4_107_542_399_999, // 2100-02-28T23:59:59.999Z
			253_402_300_799_999, // the last millisecond of 9999
			253_402_300_800_000, // +010000-01-01
			-1,
			-62_198_755_200_000, // year 0
			1.5,
			8.64e15,
			Date.now(),
		];
		let seed = 13;
		const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
		for (let i = 0; i < 20_000; i++) {
			times.push(Math.floor(random() * 253_402_300_800_000));
			// Runs of nearby times, as events have them (the same day, second, millisecond).
			times.push(Date.now() + Math.floor(random() * 200_000_000));
			times.push(times[times.length - 1]);
		}
		const wrong = times.filter((ms) => isoTime(ms) !== new Date(ms).toISOString());
		expect(wrong.map((ms) => [ms, isoTime(ms), new Date(ms).toISOString()])).toEqual([]);
		expect(times.length).toBeGreaterThan(60_000);
		expect(() => isoTime(Number.NaN)).toThrow(RangeError);
	});

	it('finds node types by name in the workflow of each execution, also when two workflows share node names', () => {
		const mapper = new EventMapper();
		const other = {
			executionId: '40',
			mode: 'webhook',
			workflowData: {
				id: 'wf2',
				name: 'Other',
				nodes: [
					{ name: 'Pay', type: 'n8n-nodes-base.code' },
					{ name: 'Hook', type: 'n8n-nodes-base.formTrigger' },
				],
			},
		};
		const types = (ctx: typeof context | typeof other, id: string) => {
			const c = { ...ctx, executionId: id };
			mapper.map(c, 'workflowExecuteBefore', [{}, { resultData: { runData: {} } }]);
			return ['Hook', 'Pay', 'Missing'].map(
				(node) =>
					(
						mapper.map(c, 'nodeExecuteBefore', [
							node,
							{ startTime: 1 },
						])[0] as EventDraft<'node.started'>
					).data.nodeType,
			);
		};
		expect(types(context, '41')).toEqual(['n8n-nodes-base.webhook', 'n8n-nodes-base.set', '']);
		expect(types(other, '42')).toEqual(['n8n-nodes-base.formTrigger', 'n8n-nodes-base.code', '']);
		// A node added to the same workflow object later is found too.
		context.workflowData.nodes.push({ name: 'Missing', type: 'n8n-nodes-base.noOp' });
		try {
			expect(types(context, '43')).toEqual([
				'n8n-nodes-base.webhook',
				'n8n-nodes-base.set',
				'n8n-nodes-base.noOp',
			]);
		} finally {
			context.workflowData.nodes.pop();
		}
	});
});
