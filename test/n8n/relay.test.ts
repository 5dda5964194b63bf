/**
 * The status relay against real n8n: the hook file loaded through EXTERNAL_HOOK_FILES, the relay
 * server in this process, real WebSocket subscribers. Runs on 2.41.1 (default) and on 1.123.x
 * (N8N_TEST_VERSION=1.123.x).
 */
import { randomUUID } from 'node:crypto';
import { N8n, freePort, sleep } from '../harness/n8n';
import type { Workflow } from '../harness/n8n';
import { Relay } from '../../status-relay/server/app';
import { loadConfig } from '../../status-relay/server/config';
import { createLogger } from '../../status-relay/server/logger';
import { RelayApi, RelayStream, StreamError } from '../../status-relay/client/client';
import type { Envelope, WorkflowSnapshot } from '../../status-relay/protocol/types';
import {
	CHECK_ORDER_ERROR,
	compiledHookFile,
	mainWorkflow,
	startApprover,
	subWorkflow,
} from './relay-fixtures';
import type { Approver } from './relay-fixtures';

const SECRET = `ingest-${randomUUID()}`;
const TOKEN_A = `token-a-${randomUUID()}`;
const TOKEN_ALL = `token-all-${randomUUID()}`;
const HOOK_BUFFER = 30;

let n8n: N8n;
let relay: Relay;
let relayPort: number;
let approver: Approver;
let mainId: string;
let subId: string;
let otherId: string;
let quietId: string;
let webhookPath: string;
let quietPath: string;

function relayConfig(workflowsForA: string[]) {
	return loadConfig({
		RELAY_HOST: '127.0.0.1',
		RELAY_PORT: String(relayPort),
		RELAY_INGEST_SECRET: SECRET,
		RELAY_TOKENS: JSON.stringify({
			[TOKEN_A]: { workflows: workflowsForA, name: 'tenant A' },
			[TOKEN_ALL]: { workflows: '*', control: true },
		}),
		RELAY_HEARTBEAT_MS: '500',
		RELAY_LOG_LEVEL: 'silent',
	});
}

async function startRelay(): Promise<Relay> {
	const scoped = [mainId, subId].filter(Boolean);
	const started = new Relay(relayConfig(scoped.length ? scoped : ['not-imported-yet']), {
		logger: createLogger('silent'),
	});
	return await started.start();
}

function quietWorkflow(path: string): Workflow {
	const to = (node: string) => ({ node, type: 'main' as const, index: 0 });
	const steps = ['Step 1', 'Step 2', 'Step 3', 'Step 4', 'Step 5'];
	return {
		name: `relay quiet ${randomUUID().slice(0, 6)}`,
		nodes: [
			{
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				webhookId: randomUUID(),
				parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
			},
			...steps.map((name) => ({
				name,
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				parameters: {},
			})),
		],
		connections: Object.fromEntries(
			['Webhook', ...steps.slice(0, -1)].map((from, i) => [from, { main: [[to(steps[i])]] }]),
		),
	};
}

/** The (type, node, status) trail of one execution, as a subscriber received it. */
function trail(events: Envelope[], executionId: string): string[] {
	return events
		.filter((e) => e.executionId === executionId)
		.map((e) => {
			const data = e.data as { node?: string; status?: string };
			if (e.type === 'node.started') return `started ${data.node}`;
			if (e.type === 'node.finished') return `finished ${data.node} ${data.status}`;
			if (e.type === 'execution.finished') return `execution.finished ${data.status}`;
			return e.type;
		});
}

const EXPECTED_TRAIL = (trigger: 'Webhook' | 'Manual') => [
	'execution.started',
	`started ${trigger}`,
	`finished ${trigger} success`,
	'started Prepare',
	'finished Prepare success',
	'started Notify Approver',
	'finished Notify Approver success',
	'started Approval',
	'finished Approval waiting',
	'execution.waiting',
	'execution.resumed',
	'finished Approval success',
	'started Enrich',
	'finished Enrich success',
	'started Done',
	'finished Done success',
	'started Check Order',
	'finished Check Order error',
	'started Handle Failure',
	'finished Handle Failure success',
	'execution.finished success',
];

function finishedOf(events: Envelope[], executionId: string, node: string): any {
	return events.find(
		(e) =>
			e.executionId === executionId &&
			e.type === 'node.finished' &&
			(e.data as { node: string }).node === node &&
			(e.data as { status: string }).status !== 'waiting',
	)?.data;
}

function expectGaplessSeq(events: Envelope[], executionId: string): void {
	const seqs = events.filter((e) => e.executionId === executionId).map((e) => e.seq);
	expect(seqs).toEqual(seqs.map((_, i) => i + 1));
}

async function approveNext(): Promise<string> {
	const ask = await approver.next(90_000);
	// The approver may answer before n8n has saved the execution as waiting (409 on a running
	// execution; 500 while `n8n execute` has not yet written its data): a person would click a
	// moment later, so try again briefly.
	for (let attempt = 0; ; attempt++) {
		const response = await fetch(ask.resumeUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ approved: true }),
		});
		const text = await response.text();
		if (response.status === 200) break;
		if ((response.status !== 409 && response.status !== 500) || attempt > 50) {
			throw new Error(`resume failed: ${response.status} ${text}`);
		}
		await sleep(200);
	}
	return ask.executionId;
}

beforeAll(async () => {
	relayPort = await freePort();
	approver = await startApprover();
	webhookPath = `relay-main-${randomUUID()}`;
	quietPath = `relay-quiet-${randomUUID()}`;
	// The relay starts before n8n so the hook finds it from the first event.
	relay = await startRelay();
	n8n = await N8n.start({
		installPackage: false,
		env: {
			EXTERNAL_HOOK_FILES: compiledHookFile(),
			SUPPORT_RELAY_URL: `http://127.0.0.1:${relayPort}`,
			SUPPORT_RELAY_SECRET: SECRET,
			SUPPORT_RELAY_BUFFER_MAX: String(HOOK_BUFFER),
		},
		log: process.env.N8N_TEST_VERBOSE
			? (line) => process.stderr.write(`[n8n relay] ${line}\n`)
			: undefined,
	});
	subId = await n8n.importWorkflow(subWorkflow());
	if (n8n.major >= 2) await n8n.activate(subId);
	mainId = await n8n.importWorkflow(
		mainWorkflow({
			subWorkflowId: subId,
			approverUrl: approver.url,
			ordersUrl: approver.ordersUrl,
			webhookPath,
		}),
	);
	await n8n.activate(mainId);
	otherId = await n8n.importWorkflow(quietWorkflow(`relay-other-${randomUUID()}`));
	quietId = await n8n.importWorkflow(quietWorkflow(quietPath));
	await n8n.activate(quietId);
	// Token A's workflow list is fixed at relay start: restart it now that the ids are known.
	await relay.stop();
	relay = await startRelay();
});

afterAll(async () => {
	await relay?.stop();
	await n8n?.stop();
	await approver?.close();
});

describe(`status relay in real n8n ${process.env.N8N_TEST_VERSION ?? 'default'}`, () => {
	let webhookExecutionId: string;
	let fullStream: Envelope[] = [];

	it('streams a webhook run node by node: order, status, durations, items, error, wait and resume, sub-workflow', async () => {
		const watcher = await RelayStream.connect(
			relay.url,
			{ kind: 'workflow', id: mainId },
			{ token: TOKEN_A },
		);
		// A second subscriber that drops mid-run and comes back with its cursor.
		const dropper = await RelayStream.connect(
			relay.url,
			{ kind: 'workflow', id: mainId },
			{ token: TOKEN_A, via: 'subprotocol' },
		);
		await watcher.waitFor((s) => s.messages.some((m) => m.type === 'caught-up'));
		expect(watcher.messages.map((m) => m.type).slice(0, 3)).toEqual([
			'hello',
			'snapshot',
			'caught-up',
		]);

		const response = await n8n.callWebhookWhenRegistered(webhookPath, { orderId: 42 });
		expect(response.status).toBe(200);
		await response.arrayBuffer();

		webhookExecutionId = await approveNextWithDrop(dropper);
		await watcher.waitFor(
			(s) =>
				s
					.events()
					.some((e) => e.type === 'execution.finished' && e.executionId === webhookExecutionId),
			60_000,
			'execution.finished',
		);
		const events = watcher.events();
		fullStream = events;
		expect(trail(events, webhookExecutionId)).toEqual(EXPECTED_TRAIL('Webhook'));
		expectGaplessSeq(events, webhookExecutionId);
		expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
		for (const e of events.filter((x) => x.executionId === webhookExecutionId)) {
			expect(e).toMatchObject({ v: 1, workflowId: mainId, mode: 'webhook' });
			expect(typeof e.cursor).toBe('string');
		}

		const prepare = finishedOf(events, webhookExecutionId, 'Prepare');
		expect(prepare.itemsOut).toEqual([1]);
		expect(prepare.durationMs).toBeGreaterThanOrEqual(0);
		expect(Date.parse(prepare.finishedAt)).toBeGreaterThanOrEqual(Date.parse(prepare.startedAt));
		const check = finishedOf(events, webhookExecutionId, 'Check Order');
		expect(check.status).toBe('error');
		expect(check.error.message).toContain(n8n.major >= 2 ? CHECK_ORDER_ERROR : '500');
		expect(check.itemsOut).toEqual([0, 1]);
		expect(check.continuedOnError).toBe(true);
		const enrich = finishedOf(events, webhookExecutionId, 'Enrich');
		expect(enrich.subExecutionId).toMatch(/^\d+$/);

		// The sub-workflow's run streams under its own workflow, linked to the parent.
		const sub = await RelayStream.connect(
			relay.url,
			{ kind: 'execution', id: enrich.subExecutionId },
			{ token: TOKEN_A },
		);
		await sub.waitFor((s) => s.messages.some((m) => m.type === 'caught-up'));
		const snapshot = sub.messages.find((m) => m.type === 'snapshot');
		expect(snapshot).toMatchObject({
			execution: {
				workflowId: subId,
				parentExecutionId: webhookExecutionId,
				status: 'success',
				nodes: [
					{ name: 'Sub Start', state: 'success' },
					{ name: 'Lookup Customer', state: 'success', itemsOut: [1] },
				],
			},
		});
		await sub.close();

		// Node states for a dashboard.
		const api = new RelayApi(relay.url, TOKEN_A);
		const status = await api.workflowStatus(mainId);
		expect(status.status).toBe(200);
		const run = (status.body as WorkflowSnapshot).executions.find(
			(e) => e.executionId === webhookExecutionId,
		)!;
		const states = Object.fromEntries(run.nodes.map((n) => [n.name, n.state]));
		expect(states).toEqual({
			Webhook: 'success',
			Manual: 'skipped',
			Prepare: 'success',
			'Notify Approver': 'success',
			Approval: 'success',
			Enrich: 'success',
			Done: 'success',
			'Check Order': 'error',
			'Handle Failure': 'success',
		});
		expect(run.status).toBe('success');

		// The subscriber that dropped got exactly the events it missed, no more, no fewer.
		const full = events.filter((e) => e.executionId === webhookExecutionId).map((e) => e.id);
		const resumed = dropperEvents
			.filter((e) => e.executionId === webhookExecutionId)
			.map((e) => e.id);
		expect(resumed).toEqual(full);
		await watcher.close();
	});

	let dropperEvents: Envelope[] = [];
	/** Approves the wait while `dropper` is gone, then brings it back with its cursor. */
	async function approveNextWithDrop(dropper: RelayStream): Promise<string> {
		await dropper.waitFor(
			(s) => s.events().some((e) => e.type === 'execution.waiting'),
			60_000,
			'execution.waiting',
		);
		const before = dropper.events();
		const cursor = dropper.cursor!;
		dropper.kill();
		const executionId = await approveNext();
		// Let the rest of the run happen while the subscriber is away.
		await sleep(1500);
		const back = await RelayStream.connect(
			relay.url,
			{ kind: 'workflow', id: mainId },
			{ token: TOKEN_A, cursor },
		);
		await back.waitFor(
			(s) =>
				s.events().some((e) => e.type === 'execution.finished' && e.executionId === executionId),
			60_000,
			'resumed execution.finished',
		);
		const types = back.messages.map((m) => m.type);
		expect(types.slice(0, 2)).toEqual(['hello', 'snapshot']);
		expect(types).not.toContain('reset');
		const missed = back.events();
		expect(missed[0].seq).toBe(before[before.length - 1].seq + 1);
		dropperEvents = [...before, ...missed];
		await back.close();
		return executionId;
	}

	it('streams a manual run (n8n execute) with the same trail, token in the subprotocol', async () => {
		const watcher = await RelayStream.connect(
			relay.url,
			{ kind: 'workflow', id: mainId },
			{ token: TOKEN_A, via: 'subprotocol' },
		);
		await watcher.waitFor((s) => s.messages.some((m) => m.type === 'caught-up'));
		const manual = n8n.executeManual(mainId);
		const executionId = await approveNext();
		const stored = await manual;
		expect(stored.id).toBe(executionId);
		await watcher.waitFor(
			(s) =>
				s.events().some((e) => e.type === 'execution.finished' && e.executionId === executionId),
			60_000,
			'manual execution.finished',
		);
		const events = watcher.events();
		expect(trail(events, executionId)).toEqual(EXPECTED_TRAIL('Manual'));
		expectGaplessSeq(events, executionId);
		expect(events.find((e) => e.executionId === executionId)?.mode).toBe('cli');
		await watcher.close();
	});

	it('a token for workflow A sees workflow B exactly as a workflow that does not exist', async () => {
		const api = new RelayApi(relay.url, TOKEN_A);
		const admin = new RelayApi(relay.url, TOKEN_ALL);
		// B exists and has runs (the admin token sees them); A's token must not tell.
		const response = await n8n.callWebhookWhenRegistered(quietPath, {});
		await response.arrayBuffer();
		const bRun = await n8n.waitForExecution(quietId);
		let adminView: { status: number; body: any } = { status: 0, body: undefined };
		for (let i = 0; i < 50 && adminView.status !== 200; i++) {
			adminView = await admin.workflowStatus(quietId);
			if (adminView.status !== 200) await sleep(100);
		}
		expect(adminView.status).toBe(200);

		const missing = 'NoSuchWorkflow123';
		for (const [kind, action] of [
			['workflows', 'status'],
			['workflows', 'logs'],
		] as const) {
			const b = await api.request('GET', `/api/v1/${kind}/${quietId}/${action}`);
			const none = await api.request('GET', `/api/v1/${kind}/${missing}/${action}`);
			expect(b).toEqual(none);
			expect(b.status).toBe(404);
		}
		const bExec = await api.request('GET', `/api/v1/executions/${bRun.id}/status`);
		const noExec = await api.request('GET', `/api/v1/executions/999999999/status`);
		expect(bExec).toEqual(noExec);
		expect((await admin.request('GET', `/api/v1/executions/${bRun.id}/status`)).status).toBe(200);

		const refusal = async (scope: { kind: 'workflow' | 'execution'; id: string }) =>
			await RelayStream.connect(relay.url, scope, { token: TOKEN_A }).then(
				() => 'connected',
				(error: StreamError) => `${error.status} ${error.body}`,
			);
		expect(await refusal({ kind: 'workflow', id: quietId })).toBe(
			await refusal({ kind: 'workflow', id: missing }),
		);
		expect(await refusal({ kind: 'execution', id: bRun.id })).toBe(
			await refusal({ kind: 'execution', id: '999999999' }),
		);
		expect(await refusal({ kind: 'workflow', id: quietId })).toMatch(/^404 /);
		// And an unrelated workflow that never ran looks the same too.
		expect((await api.request('GET', `/api/v1/workflows/${otherId}/status`)).status).toBe(404);
	});

	it('a relay restart gives reset + a fresh snapshot for an old cursor, never a silent gap', async () => {
		const before = await RelayStream.connect(
			relay.url,
			{ kind: 'workflow', id: mainId },
			{ token: TOKEN_A },
		);
		await before.waitFor((s) => s.messages.some((m) => m.type === 'caught-up'));
		const oldCursor = fullStream[fullStream.length - 1].cursor;
		await relay.stop();
		const closed = await before.closed;
		expect(closed.code).toBe(1012);
		relay = await startRelay();
		const after = await RelayStream.connect(
			relay.url,
			{ kind: 'workflow', id: mainId },
			{ token: TOKEN_A, cursor: oldCursor },
		);
		await after.waitFor((s) => s.messages.some((m) => m.type === 'caught-up'));
		expect(after.messages.map((m) => m.type)).toEqual(['hello', 'reset', 'snapshot', 'caught-up']);
		expect(after.messages[1]).toMatchObject({ type: 'reset', reason: 'epoch-changed' });
		await after.close();
	});

	it('with the relay down, n8n runs still succeed and the hook counts what it dropped', async () => {
		await relay.stop();
		const known = new Set<string>();
		// 5 runs x 14 events > the hook's buffer of 30 events.
		for (let run = 0; run < 5; run++) {
			const response = await n8n.callWebhookWhenRegistered(quietPath, { run });
			expect(response.status).toBe(200);
			await response.arrayBuffer();
			const execution = await n8n.waitForExecution(quietId, known);
			known.add(execution.id);
			expect(execution.status).toBe('success');
		}
		relay = await startRelay();
		const admin = new RelayApi(relay.url, TOKEN_ALL);
		let dropped = 0;
		for (let i = 0; i < 200 && dropped === 0; i++) {
			const metrics = await fetch(`${relay.url}/metrics`).then((r) => r.text());
			dropped = Number(/^relay_hook_dropped_events (\d+)/m.exec(metrics)?.[1] ?? 0);
			if (!dropped) await sleep(100);
		}
		expect(dropped).toBeGreaterThanOrEqual(5 * 14 - HOOK_BUFFER);
		const detailed = (await fetch(`${relay.url}/health/detailed`).then((r) => r.json())) as {
			hookDroppedEvents: number;
		};
		expect(detailed.hookDroppedEvents).toBe(dropped);
		// What the buffer kept arrives once the relay is back: the newest runs.
		const last = [...known].pop()!;
		let status = 0;
		for (let i = 0; i < 100 && status !== 200; i++) {
			status = (await admin.request('GET', `/api/v1/executions/${last}/status`)).status;
			if (status !== 200) await sleep(100);
		}
		expect(status).toBe(200);
	});
});
