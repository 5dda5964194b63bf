/**
 * The hook's own cost per event, outside n8n: the calls n8n 2.x makes to
 * ExecutionLifecycleHooks.runHook for one run of the overhead bench's 20-node workflow (Webhook +
 * 19 Set nodes; workflowExecuteBefore, nodeExecuteBefore / nodeExecuteAfter per node with n8n's
 * task data, items and growing run data, workflowExecuteAfter), fed to the hook's handler (the
 * mapper and the sender, posting signed batches to a sink process on loopback) and, side by side in
 * the same process, to a no-op handler that receives the same calls. Slices of runs alternate
 * between the two, so other load on the machine falls on both alike.
 *
 * Printed: the time spent inside the handler per hook call and per workflow run (what n8n waits
 * for), and the process CPU per run including the hook's background work (batching, signing,
 * posting) and garbage collection, for the hook and for the no-op, and their difference.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventMapper } from '../../status-relay/hook/mapper';
import type { HookContext } from '../../status-relay/hook/mapper';
import { Sender } from '../../status-relay/hook/sender';

export interface HookMicroResult {
	runs: number;
	callsPerRun: number;
	eventsPerRun: number;
	/** Inside the handler (synchronous, on n8n's path), per call. */
	hookNsPerCall: number;
	noopNsPerCall: number;
	/** The same, per workflow run. */
	hookUsPerRun: number;
	noopUsPerRun: number;
	/** Process CPU per run (handler, background sending, GC) with the hook and with the no-op. */
	hookCpuUsPerRun: number;
	noopCpuUsPerRun: number;
	eventsSent: number;
	eventsDropped: number;
}

/** One runHook call, and what n8n changes in its run data just before making it. */
type Call = [
	context: HookContext,
	hookName: string,
	parameters: unknown[],
	before: (() => void) | undefined,
];
type Handler = (context: HookContext, hookName: string, parameters: unknown[]) => void;

const NODES = ['Webhook', ...Array.from({ length: 19 }, (_, i) => `Set ${i + 1}`)];

const workflowData = {
	id: 'bench1234abcd',
	name: 'relay bench 20 nodes',
	active: true,
	nodes: NODES.map((name, i) => ({
		id: randomUUID(),
		name,
		type: i === 0 ? 'n8n-nodes-base.webhook' : 'n8n-nodes-base.set',
		typeVersion: i === 0 ? 2 : 3.4,
		position: [220 * i, 0],
		parameters:
			i === 0
				? { httpMethod: 'POST', path: 'bench', responseMode: 'lastNode', options: {} }
				: {
						assignments: {
							assignments: [
								{ id: `a${i}`, name: `step${i}`, value: `={{ ${i} }}`, type: 'number' },
							],
						},
						includeOtherFields: true,
						options: {},
					},
	})),
	connections: Object.fromEntries(
		NODES.slice(0, -1).map((from, i) => [
			from,
			{ main: [[{ node: NODES[i + 1], type: 'main', index: 0 }]] },
		]),
	),
	settings: { executionOrder: 'v1' },
};

/**
 * The calls of one run, with fresh objects as n8n makes them (the Set nodes copy the item). The run
 * data grows as the calls are made, as in n8n: each node's run is added just before its
 * nodeExecuteAfter.
 */
export function oneRun(executionId: string, at: number): Call[] {
	const context: HookContext = { executionId, mode: 'webhook', workflowData };
	const runData: Record<string, unknown[]> = {};
	const runExecutionData = {
		startData: {},
		resultData: { runData, pinData: {}, lastNodeExecuted: undefined as string | undefined },
		executionData: {
			contextData: {},
			nodeExecutionStack: [],
			metadata: {},
			waitingExecution: {},
			waitingExecutionSource: {},
		},
	};
	const calls: Call[] = [
		[context, 'workflowExecuteBefore', [workflowData, runExecutionData], undefined],
	];
	let json: Record<string, unknown> = {
		headers: {
			host: '127.0.0.1:5678',
			'user-agent': 'node',
			'content-type': 'application/json',
			'content-length': '9',
			accept: '*/*',
			connection: 'keep-alive',
		},
		params: {},
		query: {},
		body: { run: at },
		webhookUrl: 'http://127.0.0.1:5678/webhook/bench',
		executionMode: 'production',
	};
	for (const [index, node] of NODES.entries()) {
		const startTime = at + index;
		const source = index ? [{ previousNode: NODES[index - 1] }] : [];
		calls.push([
			context,
			'nodeExecuteBefore',
			[node, { startTime, executionIndex: index, source }],
			undefined,
		]);
		if (index) json = { ...json, [`step${index}`]: index };
		const taskData = {
			hints: [],
			startTime,
			executionIndex: index,
			executionTime: 1,
			executionStatus: 'success',
			source,
			data: { main: [[{ json, pairedItem: { item: 0 } }]] },
		};
		calls.push([
			context,
			'nodeExecuteAfter',
			[node, taskData, runExecutionData],
			() => {
				runData[node] = [taskData];
				runExecutionData.resultData.lastNodeExecuted = node;
			},
		]);
	}
	calls.push([
		context,
		'workflowExecuteAfter',
		[
			{
				data: runExecutionData,
				mode: 'webhook',
				startedAt: new Date(at),
				stoppedAt: new Date(at + 25),
				status: 'success',
				finished: true,
			},
			{},
		],
		undefined,
	]);
	return calls;
}

/** A relay stand-in in its own process: reads each body, answers 200. */
async function startSink(): Promise<{ url: string; child: ChildProcess }> {
	const script = `require('http').createServer((q,s)=>{q.resume();q.on('end',()=>s.writeHead(200,{'content-type':'application/json'}).end('{}'))}).listen(0,'127.0.0.1',function(){process.stdout.write(JSON.stringify({port:this.address().port})+'\\n')})`;
	const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
	const port = await new Promise<number>((resolve, reject) => {
		child.stdout!.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()).port));
		child.once('exit', (code) => reject(new Error(`sink exited with ${code}`)));
	});
	return { url: `http://127.0.0.1:${port}`, child };
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runHookMicro(runs: number): Promise<HookMicroResult> {
	const sink = await startSink();
	const sender = new Sender({
		url: sink.url,
		secret: 'bench-secret-0123456789',
		maxBuffer: 10_000,
		maxBatch: 200,
		flushIntervalMs: 50,
		requestTimeoutMs: 5000,
		source: { host: 'bench', pid: process.pid, role: 'main', hookVersion: '1' },
	});
	sender.start();
	const mapper = new EventMapper();
	let events = 0;
	let hookRuns = 0;
	// The handler install.ts puts in front of n8n's runHook, and a no-op in the same frame.
	const hook: Handler = (context, hookName, parameters) => {
		try {
			const produced = mapper.map(context, hookName, parameters);
			events += produced.length;
			sender.push(produced);
		} catch {
			// counted in install.ts; never here
		}
	};
	let noopCalls = 0;
	const noop: Handler = (context, hookName) => {
		try {
			if (hookName === '') noopCalls += context ? 1 : 0;
		} catch {
			// same shape as the hook
		}
	};
	const totals = {
		hook: { ns: 0n, cpu: 0, runs: 0 },
		noop: { ns: 0n, cpu: 0, runs: 0 },
	};
	let callsPerRun = 0;
	const slice = 20;
	const warmup = Math.min(200, runs);
	try {
		for (let r = 0, n = 0; r * slice < runs + warmup; r++) {
			const order = r % 2 === 0 ? (['noop', 'hook'] as const) : (['hook', 'noop'] as const);
			for (const which of order) {
				const handler = which === 'hook' ? hook : noop;
				// The calls are made before the clock starts: building them is n8n's work, not ours.
				const batch = Array.from({ length: slice }, () => oneRun(`${++n}`, Date.now()));
				callsPerRun = batch[0].length;
				const cpu = process.cpuUsage();
				let ns = 0n;
				if (which === 'hook') hookRuns += slice;
				for (const calls of batch) {
					const started = process.hrtime.bigint();
					for (const [context, name, parameters, before] of calls) {
						before?.();
						handler(context, name, parameters);
					}
					ns += process.hrtime.bigint() - started;
					// n8n awaits between hook calls: the sender's timer and posts get their turn.
					await nextTick();
				}
				// The background work of this slice (the batch post) belongs to it.
				for (let i = 0; i < 3; i++) await nextTick();
				const used = process.cpuUsage(cpu);
				if (r * slice >= warmup) {
					totals[which].ns += ns;
					totals[which].cpu += used.user + used.system;
					totals[which].runs += slice;
				}
			}
		}
		// Everything the hook produced reached the sink (or was counted as dropped).
		for (let i = 0; i < 200 && sender.stats.buffered > 0; i++) {
			sender.flush();
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
	} finally {
		sender.stop();
		sink.child.kill('SIGTERM');
	}
	if (noopCalls) throw new Error('unreachable');
	const per = (t: { ns: bigint; cpu: number; runs: number }) => ({
		nsPerCall: Number(t.ns) / t.runs / callsPerRun,
		usPerRun: Number(t.ns) / t.runs / 1000,
		cpuUsPerRun: t.cpu / t.runs,
	});
	const h = per(totals.hook);
	const o = per(totals.noop);
	return {
		runs: totals.hook.runs,
		callsPerRun,
		eventsPerRun: events / hookRuns,
		hookNsPerCall: h.nsPerCall,
		noopNsPerCall: o.nsPerCall,
		hookUsPerRun: h.usPerRun,
		noopUsPerRun: o.usPerRun,
		hookCpuUsPerRun: h.cpuUsPerRun,
		noopCpuUsPerRun: o.cpuUsPerRun,
		eventsSent: sender.stats.sent,
		eventsDropped: sender.stats.dropped,
	};
}
