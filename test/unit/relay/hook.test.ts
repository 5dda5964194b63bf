import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventMapper } from '../../../status-relay/hook/mapper';
import { Sender } from '../../../status-relay/hook/sender';
import type { EventDraft } from '../../../status-relay/protocol/types';

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
		const pushedAt = Date.now();
		sender.push(Array.from({ length: 25 }, (_, i) => event(i)));
		expect(Date.now() - pushedAt).toBeLessThan(50);
		expect(sender.stats).toMatchObject({ buffered: 10, dropped: 15 });
		await new Promise((r) => setTimeout(r, 300));
		expect(sender.stats.relayUp).toBe(false);

		server.listen(port, '127.0.0.1');
		const deadline = Date.now() + 10_000;
		while (!received.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
		sender.stop();
		server.close();
		expect(received[0].dropped).toBe(15);
		// The newest events were kept.
		expect(received.flatMap((b) => b.events.map((e) => e.id))).toEqual(
			Array.from({ length: 10 }, (_, i) => `e:${i + 15}`),
		);
	});
});
