/**
 * The status relay against real n8n: the hook file loaded through EXTERNAL_HOOK_FILES from the
 * installed community package (as admins set it up), the relay server in this process, real
 * WebSocket subscribers, control through n8n's public API. Runs on 2.41.1 (default) and on 1.123.x
 * (N8N_TEST_VERSION=1.123.x).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { N8n, freePort, requestedVersion, sleep } from '../harness/n8n';
import type { Relay } from '../../status-relay/server/app';
import { RelayApi, RelayStream, StreamError } from '../../status-relay/client/client';
import type { StreamOptions } from '../../status-relay/client/client';
import type {
	Envelope,
	ExecutionSnapshot,
	ServerMessage,
	StreamScope,
	WorkflowSnapshot,
} from '../../status-relay/protocol/types';
import {
	CARD_DETAILS,
	CHECK_ORDER_ERROR,
	FULL_RUN_STATES,
	cardWorkflow,
	hookEnv,
	importMainWorkflows,
	installRelayPackage,
	QUIET_TRAIL,
	mainTrail,
	quietWorkflow,
	slowWorkflow,
	startApprover,
	startTestRelay,
	trail,
	WAITING_RUN_STATES,
} from './relay-fixtures';
import type { Approver } from './relay-fixtures';

const SECRET = `ingest-${randomUUID()}`;
const TOKEN_A = `token-a-${randomUUID()}`;
const TOKEN_ALL = `token-all-${randomUUID()}`;
const HOOK_BUFFER = 30;
/** Long enough to cancel the run while it holds, short enough for n8n to keep it in-process. */
const HOLD_SECONDS = 12;
const MAJOR = Number(requestedVersion().split('.')[0]);

let n8n: N8n;
let userFolder: string;
let relay: Relay;
let relayPort: number;
let approver: Approver;
let mainId: string;
let subId: string;
let otherId: string;
let quietId: string;
let slowId: string;
let webhookPath: string;
let quietPath: string;
let slowPath: string;
let cardId: string;
let cardPath: string;

/** The relay; once n8n is up, with control and state rebuild through n8n's public API. */
async function startRelay(): Promise<Relay> {
	const scoped = [mainId, subId].filter(Boolean);
	return await startTestRelay({
		port: relayPort,
		secret: SECRET,
		tokens: {
			[TOKEN_A]: { workflows: scoped.length ? scoped : ['not-imported-yet'], name: 'tenant A' },
			[TOKEN_ALL]: { workflows: '*', control: true },
		},
		heartbeatMs: 500,
		n8n,
	});
}

async function startN8n(extra: Record<string, string> = {}, installPackage = true): Promise<N8n> {
	return await N8n.start({
		userFolder,
		installPackage,
		// The hook as admins load it: from the community package n8n installed.
		env: ({ packageDir }) => ({
			...hookEnv(packageDir, `http://127.0.0.1:${relayPort}`, SECRET),
			SUPPORT_RELAY_BUFFER_MAX: String(HOOK_BUFFER),
			...extra,
		}),
		log: process.env.N8N_TEST_VERBOSE
			? (line) => process.stderr.write(`[n8n relay] ${line}\n`)
			: undefined,
	});
}

/** A subscriber to a workflow's or an execution's events, once the relay has sent it all so far. */
async function caughtUp(scope: StreamScope, options: StreamOptions): Promise<RelayStream> {
	const stream = await RelayStream.connect(relay.url, scope, options);
	await stream.waitFor((s) => s.messages.some((m) => m.type === 'caught-up'));
	return stream;
}

/** Calls a workflow's Webhook trigger; n8n takes the call (HTTP 200). */
async function callWebhook(path: string, body: unknown): Promise<void> {
	const response = await n8n.callWebhookWhenRegistered(path, body);
	expect(response.status).toBe(200);
	await response.arrayBuffer();
}

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

interface Ask {
	resumeUrl: string;
	executionId: string;
}

/** Resumes a waiting execution as the approver would. */
async function approve(ask: Ask): Promise<string> {
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

async function approveNext(): Promise<string> {
	return await approve(await approver.next(90_000));
}

function isFinished(executionId: string) {
	return (s: RelayStream) =>
		s.events().some((e) => e.type === 'execution.finished' && e.executionId === executionId);
}

function nodeStates(execution: ExecutionSnapshot | undefined): Record<string, string> {
	return Object.fromEntries((execution?.nodes ?? []).map((n) => [n.name, n.state]));
}

/** Polls until `read` returns something other than undefined. */
async function eventually<T>(
	read: () => Promise<T | undefined>,
	what: string,
	timeoutMs = 30_000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await read();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
		await sleep(200);
	}
}

beforeAll(async () => {
	relayPort = await freePort();
	approver = await startApprover();
	userFolder = mkdtempSync(join(tmpdir(), 'n8n-relay-'));
	webhookPath = `relay-main-${randomUUID()}`;
	quietPath = `relay-quiet-${randomUUID()}`;
	slowPath = `relay-slow-${randomUUID()}`;
	cardPath = `relay-card-${randomUUID()}`;
	// The relay starts before n8n so the hook finds it from the first event.
	relay = await startRelay();
	n8n = await startN8n();
	({ subId, mainId } = await importMainWorkflows(n8n, approver, webhookPath));
	await n8n.activate(mainId);
	otherId = await n8n.importWorkflow(quietWorkflow(`relay-other-${randomUUID()}`));
	quietId = await n8n.importWorkflow(quietWorkflow(quietPath));
	await n8n.activate(quietId);
	slowId = await n8n.importWorkflow(slowWorkflow(slowPath, HOLD_SECONDS));
	await n8n.activate(slowId);
	cardId = await n8n.importWorkflow(cardWorkflow(cardPath));
	await n8n.activate(cardId);
	// Token A's workflow list is fixed at relay start, and control needs n8n's API key: restart it.
	await relay.stop();
	relay = await startRelay();
}, 900_000);

afterAll(async () => {
	await relay?.stop();
	await n8n?.stop();
	await approver?.close();
	if (userFolder) rmSync(userFolder, { recursive: true, force: true });
});

describe(`status relay in real n8n ${process.env.N8N_TEST_VERSION ?? 'default'}`, () => {
	let webhookExecutionId: string;

	it('loads the hook from the installed community package', () => {
		const hookFile = n8n.env.EXTERNAL_HOOK_FILES;
		expect(hookFile).toBe(
			join(
				userFolder,
				'.n8n/nodes/node_modules/n8n-nodes-support-email/dist/status-relay/hook/index.js',
			),
		);
		expect(existsSync(hookFile)).toBe(true);
		expect(n8n.logs.join('\n')).toMatch(/status relay hook installed \(lifecycle\) for start/);
	});

	it('starts with one command from its own installed package (npx n8n-support-relay): config checked, dashboard served, clean stop', async () => {
		// The node package that n8n installed brings none of the relay server's dependencies or its
		// command (pino comes through imapflow, the IMAP client).
		const nodesDir = join(userFolder, '.n8n/nodes');
		const installed = readdirSync(join(nodesDir, 'node_modules'));
		expect(installed).toContain('n8n-nodes-support-email');
		expect(installed.filter((name) => ['ioredis', 'prom-client', 'ws'].includes(name))).toEqual([]);
		expect(existsSync(join(nodesDir, 'node_modules/.bin/n8n-support-relay'))).toBe(false);
		// As an admin would: the relay package installed into a folder of its own.
		const relayDir = join(userFolder, 'relay');
		await installRelayPackage(relayDir);
		const run = (env: Record<string, string>, command: string[]) => {
			const child = spawn(command[0], command.slice(1), {
				cwd: relayDir,
				env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			const out: string[] = [];
			child.stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
			child.stderr.on('data', (chunk: Buffer) => out.push(chunk.toString()));
			const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
			return { child, out, exited };
		};
		const bad = run({ RELAY_PORT: 'eighty', RELAY_TOKENS: '{"t": {"workflows": 5}}' }, [
			'npx',
			'--no-install',
			'n8n-support-relay',
		]);
		expect(await bad.exited).toBe(2);
		const problems = bad.out.join('');
		expect(problems).toContain('invalid status relay configuration');
		expect(problems).toContain('RELAY_INGEST_SECRET must be set');
		expect(problems).toContain('RELAY_PORT="eighty" must be a whole number');
		expect(problems).toMatch(/RELAY_TOKENS/);

		const port = await freePort();
		// The program npx runs, started directly so that SIGTERM reaches the relay itself.
		const good = run(
			{
				RELAY_HOST: '127.0.0.1',
				RELAY_PORT: String(port),
				RELAY_INGEST_SECRET: SECRET,
				RELAY_TOKENS: JSON.stringify({ [TOKEN_A]: { workflows: [mainId] } }),
			},
			[join(relayDir, 'node_modules/.bin/n8n-support-relay')],
		);
		try {
			const base = `http://127.0.0.1:${port}`;
			await eventually(
				async () =>
					(await fetch(`${base}/health/ready`).then(
						(r) => r.status,
						() => 0,
					)) === 200
						? true
						: undefined,
				'installed relay ready',
			);
			const page = await fetch(`${base}/`);
			expect(page.status).toBe(200);
			expect(page.headers.get('content-type')).toContain('text/html');
			expect(await page.text()).toContain('dashboard.js');
			const script = await fetch(`${base}/dashboard.js`);
			expect(script.status).toBe(200);
			await script.arrayBuffer();
			const status = await new RelayApi(base, TOKEN_A).request(
				'GET',
				`/api/v1/workflows/${quietId}/status`,
			);
			expect(status.status).toBe(404);
		} finally {
			good.child.kill('SIGTERM');
		}
		expect(await good.exited).toBe(0);
		// Structured logs: JSON lines on stdout, through to the graceful stop.
		const logged = good.out
			.join('')
			.split('\n')
			.filter((line) => line.startsWith('{'))
			.map((line) => (JSON.parse(line) as { msg?: string }).msg);
		expect(logged).toEqual(
			expect.arrayContaining(['status relay shutting down', 'status relay stopped']),
		);
	});

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

		await callWebhook(webhookPath, { orderId: 42 });

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
		expect(trail(events, webhookExecutionId)).toEqual(mainTrail('Webhook'));
		expectGaplessSeq(events, webhookExecutionId);
		expectWaitReported(events, webhookExecutionId);
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
		const sub = await caughtUp(
			{ kind: 'execution', id: enrich.subExecutionId },
			{ token: TOKEN_A },
		);
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
		expect(states).toEqual(FULL_RUN_STATES);
		expect(run.status).toBe('success');

		// The subscriber that dropped got exactly the events it missed, no more, no fewer.
		const full = events.filter((e) => e.executionId === webhookExecutionId).map((e) => e.id);
		const resumed = dropperEvents
			.filter((e) => e.executionId === webhookExecutionId)
			.map((e) => e.id);
		expect(resumed).toEqual(full);
		await watcher.close();
	});

	/**
	 * A run that waited for approval: the waiting node reported no items while it waited, one wait
	 * has one number in its waiting and resumed ids, and the end has the run's start (before the
	 * wait, not the resume) and its whole duration.
	 */
	function expectWaitReported(events: Envelope[], executionId: string): void {
		const ofRun = events.filter((e) => e.executionId === executionId);
		const of = (type: string) => ofRun.find((e) => e.type === type)!;
		const started = of('execution.started').data as { startedAt: string };
		const waiting = of('execution.waiting');
		const resumed = of('execution.resumed');
		expect(resumed.id.split(':').pop()).toBe(waiting.id.split(':').pop());
		const waitingNode = ofRun.find(
			(e) => e.type === 'node.finished' && (e.data as { status: string }).status === 'waiting',
		)!;
		expect(waitingNode.data).toMatchObject({ node: 'Approval', itemsOut: [] });
		const finished = of('execution.finished').data as {
			startedAt: string;
			finishedAt: string;
			durationMs: number;
		};
		expect(Date.parse(finished.startedAt)).toBeLessThanOrEqual(Date.parse(started.startedAt));
		expect(finished.durationMs).toBe(
			Date.parse(finished.finishedAt) - Date.parse(finished.startedAt),
		);
		expect(Date.parse(finished.startedAt)).toBeLessThan(Date.parse(resumed.occurredAt));
	}

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
		const watcher = await caughtUp(
			{ kind: 'workflow', id: mainId },
			{ token: TOKEN_A, via: 'subprotocol' },
		);
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
		expect(trail(events, executionId)).toEqual(mainTrail('Manual'));
		expectGaplessSeq(events, executionId);
		expect(events.find((e) => e.executionId === executionId)?.mode).toBe('cli');
		await watcher.close();
	});

	it('streams an editor run (Execute workflow from the Manual trigger, mode manual) with the same trail', async () => {
		const watcher = await caughtUp({ kind: 'workflow', id: mainId }, { token: TOKEN_A });
		// What the editor sends when someone presses "Execute workflow" (n8n 1.x also wants the
		// workflow itself; 2.x reads it from the database and ignores the extra field).
		const { data: workflowData } = (await (
			await n8n.rest('GET', `/rest/workflows/${mainId}`)
		).json()) as { data: unknown };
		const started = await n8n.rest('POST', `/rest/workflows/${mainId}/run`, {
			workflowData,
			triggerToStartFrom: { name: 'Manual' },
		});
		const { data: run } = (await started.json()) as { data: { executionId?: string } };
		expect(run.executionId).toMatch(/^\d+$/);
		const executionId = await approveNext();
		expect(executionId).toBe(run.executionId);
		await watcher.waitFor(isFinished(executionId), 60_000, 'editor run execution.finished');
		const events = watcher.events();
		expect(trail(events, executionId)).toEqual(mainTrail('Manual'));
		expectGaplessSeq(events, executionId);
		expect(events.find((e) => e.executionId === executionId)?.mode).toBe('manual');
		const check = finishedOf(events, executionId, 'Check Order');
		expect(check).toMatchObject({ status: 'error', continuedOnError: true, itemsOut: [0, 1] });
		expect(check.error.message).toContain(MAJOR >= 2 ? CHECK_ORDER_ERROR : '500');
		expect(finishedOf(events, executionId, 'Enrich').subExecutionId).toMatch(/^\d+$/);
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

	it('execute starts a run through the workflow webhook; pause and resume close and reopen intake', async () => {
		const admin = new RelayApi(relay.url, TOKEN_ALL);
		const tenant = new RelayApi(relay.url, TOKEN_A);
		// Watching is not controlling; another tenant's workflow looks like a missing one.
		for (const action of ['execute', 'pause', 'resume']) {
			const refused = await tenant.request('POST', `/api/v1/workflows/${mainId}/${action}`, {});
			expect(refused.status).toBe(403);
			const hidden = await tenant.request('POST', `/api/v1/workflows/${quietId}/${action}`, {});
			const missing = await tenant.request('POST', `/api/v1/workflows/NoSuchWf/${action}`, {});
			expect(hidden).toEqual(missing);
			expect(hidden.status).toBe(404);
		}

		const watcher = await caughtUp({ kind: 'workflow', id: quietId }, { token: TOKEN_ALL });
		let known = new Set((await n8n.executions(quietId, 100)).map((e) => String(e.id)));
		const started = await admin.request('POST', `/api/v1/workflows/${quietId}/execute`, {
			ticket: 'T-1',
		});
		expect(started).toMatchObject({
			status: 202,
			body: { workflowId: quietId, started: true, webhookStatus: 200 },
		});
		const run = await n8n.waitForExecution(quietId, known);
		expect(run.status).toBe('success');
		expect(run.output('Webhook')[0].json.body).toEqual({ ticket: 'T-1' });
		await watcher.waitFor(isFinished(run.id), 30_000, 'executed run finished');
		expect(trail(watcher.events(), run.id)).toEqual(QUIET_TRAIL);
		expect(watcher.events().find((e) => e.executionId === run.id)?.mode).toBe('webhook');

		const paused = await admin.request('POST', `/api/v1/workflows/${quietId}/pause`);
		expect(paused).toEqual({
			status: 200,
			body: { workflowId: quietId, active: false, webhook: 'not_registered', intake: 'paused' },
		});
		expect((await n8n.api('GET', `/workflows/${quietId}`)).active).toBe(false);
		// n8n stops listening on the trigger (2.x unpublishes through an outbox: a moment later).
		await eventually(async () => {
			const response = await n8n.webhook(quietPath, { probe: true });
			await response.arrayBuffer();
			return response.status === 404 ? true : undefined;
		}, 'webhook unregistered after pause');
		const refused = await admin.request('POST', `/api/v1/workflows/${quietId}/execute`, {});
		expect(refused).toMatchObject({ status: 409, body: { error: 'workflow_inactive' } });

		const resumed = await admin.request('POST', `/api/v1/workflows/${quietId}/resume`);
		expect(resumed).toEqual({
			status: 200,
			body: { workflowId: quietId, active: true, webhook: 'registered', intake: 'open' },
		});
		expect((await n8n.api('GET', `/workflows/${quietId}`)).active).toBe(true);
		await sleep(500);
		known = new Set((await n8n.executions(quietId, 100)).map((e) => String(e.id)));
		const again = await admin.request('POST', `/api/v1/workflows/${quietId}/execute`, {
			ticket: 'T-2',
		});
		expect(again).toMatchObject({ status: 202, body: { started: true } });
		const second = await n8n.waitForExecution(quietId, known);
		expect(second.output('Webhook')[0].json.body).toEqual({ ticket: 'T-2' });
		await watcher.waitFor(isFinished(second.id), 30_000, 'run after resume finished');
		await watcher.close();
	});

	it(
		MAJOR >= 2
			? 'cancel stops a running execution through n8n 2.x public API'
			: 'cancel answers "not supported by this n8n version" on n8n 1.x and leaves the run alone',
		async () => {
			const admin = new RelayApi(relay.url, TOKEN_ALL);
			const tenant = new RelayApi(relay.url, TOKEN_A);
			const watcher = await caughtUp({ kind: 'workflow', id: slowId }, { token: TOKEN_ALL });
			const started = await admin.request('POST', `/api/v1/workflows/${slowId}/execute`, {});
			expect(started.status).toBe(202);
			await watcher.waitFor(
				(s) =>
					s
						.events()
						.some((e) => e.type === 'node.started' && (e.data as { node: string }).node === 'Hold'),
				30_000,
				'Hold started',
			);
			const holdStarted = watcher
				.events()
				.find((e) => e.type === 'node.started' && (e.data as { node: string }).node === 'Hold')!;
			const executionId = holdStarted.executionId;
			const hidden = await tenant.request('POST', `/api/v1/executions/${executionId}/cancel`);
			const missing = await tenant.request('POST', '/api/v1/executions/999999999/cancel');
			expect(hidden).toEqual(missing);
			expect(hidden.status).toBe(404);

			const cancel = await admin.request('POST', `/api/v1/executions/${executionId}/cancel`);
			if (MAJOR >= 2) {
				expect(cancel).toMatchObject({ status: 200, body: { executionId, canceled: true } });
				await watcher.waitFor(isFinished(executionId), 10_000, 'canceled run finished');
				const finished = watcher
					.events()
					.find((e) => e.type === 'execution.finished' && e.executionId === executionId)!;
				expect(finished.data).toMatchObject({ status: 'canceled' });
				// Nothing after the end: the Wait node that the cancel released reports no success.
				await sleep(1000);
				expect(trail(watcher.events(), executionId)).toEqual([
					'execution.started',
					'started Webhook',
					'finished Webhook success',
					'started Hold',
					'execution.finished canceled',
				]);
				// Stopped while it held, not when the hold ran out.
				expect(Date.parse(finished.occurredAt) - Date.parse(holdStarted.occurredAt)).toBeLessThan(
					(HOLD_SECONDS - 4) * 1000,
				);
				const stored = await eventually(async () => {
					const execution = await n8n.execution(executionId);
					return ['running', 'new'].includes(execution.status) ? undefined : execution;
				}, 'n8n stored the canceled run');
				expect(stored.status).toBe('canceled');
				const status = await admin.request<ExecutionSnapshot>(
					'GET',
					`/api/v1/executions/${executionId}/status`,
				);
				expect(status.body.status).toBe('canceled');
				expect(nodeStates(status.body)).toEqual({
					Webhook: 'success',
					Hold: 'canceled',
					'After Hold': 'skipped',
				});
				const again = await admin.request('POST', `/api/v1/executions/${executionId}/cancel`);
				expect([404, 409]).toContain(again.status);
			} else {
				expect(cancel).toMatchObject({
					status: 501,
					body: {
						error: 'not_supported',
						message: expect.stringContaining('not supported by this n8n version'),
					},
				});
				// n8n was not asked to do anything: the run holds, then finishes.
				await watcher.waitFor(
					isFinished(executionId),
					(HOLD_SECONDS + 30) * 1000,
					'uncanceled run finished',
				);
				expect(
					watcher
						.events()
						.find((e) => e.type === 'execution.finished' && e.executionId === executionId)?.data,
				).toMatchObject({ status: 'success' });
			}
			await watcher.close();
		},
	);

	it('a successful item whose data has an `error` field sends no error and none of its data (Continue on Fail node)', async () => {
		const watcher = await caughtUp({ kind: 'workflow', id: cardId }, { token: TOKEN_ALL });
		const known = new Set((await n8n.executions(cardId, 100)).map((e) => String(e.id)));
		await callWebhook(cardPath, {});
		const run = await n8n.waitForExecution(cardId, known);
		expect(run.status).toBe('success');
		// n8n itself took the item for a success: it went on along the success output.
		expect(run.output('Pay')[0].json).toMatchObject({ error: CARD_DETAILS });
		await watcher.waitFor(isFinished(run.id), 30_000, 'card run finished');
		const events = watcher.events().filter((e) => e.executionId === run.id);
		expect(trail(events, run.id)).toEqual([
			'execution.started',
			'started Webhook',
			'finished Webhook success',
			'started Pay',
			'finished Pay success',
			'started Paid',
			'finished Paid success',
			'execution.finished success',
		]);
		expect(finishedOf(events, run.id, 'Pay')).toMatchObject({ itemsOut: [1, 0] });
		expect(finishedOf(events, run.id, 'Pay').error).toBeUndefined();
		expect(JSON.stringify(events)).not.toContain('4111');
		await watcher.close();
	});

	it(
		MAJOR >= 2
			? "cancelling a waiting run through the relay ends it: execution.finished canceled, with the run's start and duration"
			: "cancelling a waiting run in n8n (the editor's stop) ends it: execution.finished canceled, with the run's start and duration",
		async () => {
			const admin = new RelayApi(relay.url, TOKEN_ALL);
			const watcher = await caughtUp({ kind: 'workflow', id: mainId }, { token: TOKEN_A });
			await callWebhook(webhookPath, { orderId: 9 });
			const { executionId } = await approver.next(90_000);
			await watcher.waitFor(
				(s) =>
					s.events().some((e) => e.type === 'execution.waiting' && e.executionId === executionId),
				60_000,
				'execution.waiting',
			);
			await eventually(async () => {
				const stored = await n8n.execution(executionId);
				return stored.status === 'waiting' ? true : undefined;
			}, 'n8n stored the execution as waiting');
			if (MAJOR >= 2) {
				const cancel = await admin.request('POST', `/api/v1/executions/${executionId}/cancel`);
				expect(cancel).toMatchObject({ status: 200, body: { executionId, canceled: true } });
			} else {
				// n8n 1.x's public API has no stop (the relay answers 501); the editor's stop button does.
				const stop = await n8n.rest('POST', `/rest/executions/${executionId}/stop`, {});
				expect(stop.status).toBe(200);
				await stop.arrayBuffer();
			}
			await watcher.waitFor(isFinished(executionId), 30_000, 'canceled waiting run finished');
			const events = watcher.events().filter((e) => e.executionId === executionId);
			const full = mainTrail('Webhook');
			expect(trail(events, executionId)).toEqual([
				...full.slice(0, full.indexOf('execution.waiting') + 1),
				'execution.finished canceled',
			]);
			expectGaplessSeq(events, executionId);
			const started = events.find((e) => e.type === 'execution.started')!.data as {
				startedAt: string;
			};
			const waiting = events.find((e) => e.type === 'execution.waiting')!;
			const finished = events.find((e) => e.type === 'execution.finished')!.data as {
				startedAt: string;
				finishedAt: string;
				durationMs: number;
			};
			expect(Date.parse(finished.startedAt)).toBeLessThanOrEqual(Date.parse(started.startedAt));
			expect(Date.parse(finished.finishedAt)).toBeGreaterThanOrEqual(
				Date.parse(waiting.occurredAt),
			);
			expect(finished.durationMs).toBe(
				Date.parse(finished.finishedAt) - Date.parse(finished.startedAt),
			);
			expect((await n8n.execution(executionId)).status).toBe('canceled');
			const status = await admin.request<ExecutionSnapshot>(
				'GET',
				`/api/v1/executions/${executionId}/status`,
			);
			expect(status.body.status).toBe('canceled');
			await watcher.close();
		},
	);

	it("a relay restart rebuilds state from n8n's public API: reset + a fresh snapshot with waiting and finished runs", async () => {
		const before = await caughtUp({ kind: 'workflow', id: mainId }, { token: TOKEN_A });
		await callWebhook(webhookPath, { orderId: 7 });
		const ask = await approver.next(90_000);
		await before.waitFor(
			(s) =>
				s.events().some((e) => e.type === 'execution.waiting' && e.executionId === ask.executionId),
			60_000,
			'execution.waiting',
		);
		// n8n writes the waiting state right after its hooks ran: a restart comes later than that.
		await eventually(async () => {
			const stored = await n8n.execution(ask.executionId);
			return stored.status === 'waiting' ? true : undefined;
		}, 'n8n stored the execution as waiting');
		const oldCursor = before.cursor!;
		await relay.stop();
		expect((await before.closed).code).toBe(1012);

		relay = await startRelay();
		const detailed = (await fetch(`${relay.url}/health/detailed`).then((r) => r.json())) as {
			rebuiltExecutions: number;
		};
		expect(detailed.rebuiltExecutions).toBeGreaterThanOrEqual(3);
		const after = await caughtUp(
			{ kind: 'workflow', id: mainId },
			{ token: TOKEN_A, cursor: oldCursor },
		);
		expect(after.messages.map((m) => m.type)).toEqual(['hello', 'reset', 'snapshot', 'caught-up']);
		expect(after.messages[1]).toMatchObject({ type: 'reset', reason: 'epoch-changed' });
		const snapshot = (after.messages[2] as Extract<ServerMessage, { type: 'snapshot' }>).workflow!;
		// Running and waiting executions first.
		expect(snapshot.executions[0]).toMatchObject({
			executionId: ask.executionId,
			workflowId: mainId,
			status: 'waiting',
			mode: 'webhook',
			rebuilt: true,
		});
		expect(nodeStates(snapshot.executions[0])).toEqual(WAITING_RUN_STATES);
		const earlier = snapshot.executions.find((e) => e.executionId === webhookExecutionId);
		expect(earlier).toMatchObject({ status: 'success', rebuilt: true });
		expect(nodeStates(earlier)).toEqual(FULL_RUN_STATES);
		const check = earlier!.nodes.find((n) => n.name === 'Check Order')!;
		expect(check).toMatchObject({ continuedOnError: true, itemsOut: [0, 1] });
		expect(check.error?.message).toContain(MAJOR >= 2 ? CHECK_ORDER_ERROR : '500');
		expect(earlier!.nodes.find((n) => n.name === 'Prepare')).toMatchObject({
			runs: 1,
			itemsOut: [1],
			durationMs: expect.any(Number),
		});

		// The waiting run goes on, live, from the rebuilt state.
		await approve(ask);
		await after.waitFor(isFinished(ask.executionId), 60_000, 'resumed run finished');
		const full = mainTrail('Webhook');
		expect(trail(after.events(), ask.executionId)).toEqual(
			full.slice(full.indexOf('execution.resumed')),
		);
		expectGaplessSeq(after.events(), ask.executionId);
		const status = await new RelayApi(relay.url, TOKEN_A).request<ExecutionSnapshot>(
			'GET',
			`/api/v1/executions/${ask.executionId}/status`,
		);
		expect(status.body).toMatchObject({ status: 'success' });
		expect(nodeStates(status.body)).toEqual(FULL_RUN_STATES);
		await after.close();
	});

	it('with the relay down, n8n runs still succeed and the hook counts what it dropped', async () => {
		await relay.stop();
		const known = new Set((await n8n.executions(quietId, 100)).map((e) => String(e.id)));
		// 5 runs x 14 events > the hook's buffer of 30 events.
		for (let run = 0; run < 5; run++) {
			await callWebhook(quietPath, { run });
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
		// What the buffer kept arrives once the relay is back: the newest run's end (the relay's
		// rebuild from n8n's API knows the run too, so look at the events, not the status).
		const last = [...known].pop()!;
		const arrived = await eventually(async () => {
			const logs = await admin.logs('executions', last);
			return logs.status === 200 && logs.body.events.some((e) => e.type === 'execution.finished')
				? logs.body.events
				: undefined;
		}, "the newest run's buffered events");
		expect(arrived.map((e) => e.executionId)).toEqual(arrived.map(() => last));
	});

	it("event-bus fallback (SUPPORT_RELAY_SOURCE=eventbus): every node of a run from n8n's MessageEventBus", async () => {
		// Same user folder and package; the hook told to skip the runHook wrapper.
		await n8n.stop();
		n8n = await startN8n({ SUPPORT_RELAY_SOURCE: 'eventbus' }, false);
		expect(n8n.logs.join('\n')).toMatch(/status relay hook installed \(eventbus\) for start/);
		const watcher = await caughtUp({ kind: 'workflow', id: quietId }, { token: TOKEN_ALL });
		const known = new Set((await n8n.executions(quietId, 100)).map((e) => String(e.id)));
		await callWebhook(quietPath, { via: 'eventbus' });
		const run = await n8n.waitForExecution(quietId, known);
		await watcher.waitFor(isFinished(run.id), 30_000, 'event-bus run finished');
		const events = watcher.events().filter((e) => e.executionId === run.id);
		expect(trail(events, run.id)).toEqual(QUIET_TRAIL);
		expectGaplessSeq(events, run.id);
		expect(events.every((e) => e.workflowId === quietId)).toBe(true);
		await watcher.close();
	});
});
