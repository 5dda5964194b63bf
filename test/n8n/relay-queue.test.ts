/**
 * The status relay with n8n in queue mode: n8n main + 2 workers (`n8n worker`) on Redis (Debian's
 * redis-server) and PostgreSQL (Debian's postgresql; n8n supports queue mode officially only with
 * PostgreSQL, and warns about SQLite), the hook loaded from the installed package on every process,
 * and two relay instances on Redis Streams, the same Redis that n8n's queue uses. The main process
 * and worker 1 report to relay A, worker 2 to relay B; one subscriber on each must see every node
 * event of every run, identically.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { N8n, freePort, isFinishedAndStored, nodeBinary, sleep } from '../harness/n8n';
import { stopChild } from '../harness/queue';
import { waitFor } from '../support/wait-for';
import { Relay } from '../../status-relay/server/app';
import { loadConfig } from '../../status-relay/server/config';
import { createLogger } from '../../status-relay/server/logger';
import { RelayStream } from '../../status-relay/client/client';
import type { Envelope } from '../../status-relay/protocol/types';
import { decodeCursor } from '../../status-relay/protocol/cursor';
import { compareEntryIds } from '../../status-relay/server/redis-store';
import {
	QUIET_TRAIL,
	installedHookFile,
	mainTrail,
	mainWorkflow,
	quietWorkflow,
	startApprover,
	subWorkflow,
	trail,
} from './relay-fixtures';
import type { Approver } from './relay-fixtures';
import { startPostgres, startRedis } from './relay-servers';
import type { PostgresServer, RedisServer } from './relay-servers';

const SECRET = `ingest-${randomUUID()}`;
const TOKEN = `token-${randomUUID()}`;
const STREAM = `queue-${randomUUID().slice(0, 8)}`;
const MAIN_RUNS = 2;
const QUIET_RUNS = 6;

let redis: RedisServer;
let postgres: PostgresServer;
let relayA: Relay;
let relayB: Relay;
let n8n: N8n;
let userFolder: string;
let approver: Approver;
const workers: Array<{ child: ChildProcess; logs: string[] }> = [];
let mainId: string;
let subId: string;
let quietId: string;
let mainPath: string;
let quietPath: string;

async function startRelay(): Promise<Relay> {
	const relay = new Relay(
		loadConfig({
			RELAY_HOST: '127.0.0.1',
			RELAY_PORT: '0',
			RELAY_INGEST_SECRET: SECRET,
			RELAY_TOKENS: JSON.stringify({ [TOKEN]: { workflows: '*' } }),
			RELAY_REDIS_URL: redis.url,
			RELAY_REDIS_STREAM: STREAM,
			RELAY_LOG_LEVEL: 'silent',
		}),
		{ logger: createLogger('silent') },
	);
	return await relay.start();
}

function hookEnv(packageDir: string, relay: Relay): Record<string, string> {
	return {
		EXTERNAL_HOOK_FILES: installedHookFile(packageDir),
		SUPPORT_RELAY_URL: relay.url,
		SUPPORT_RELAY_SECRET: SECRET,
	};
}

/** `n8n worker` with the main's settings, its own ports, and the hook pointed at `relay`. */
async function startWorker(relay: Relay): Promise<{ child: ChildProcess; logs: string[] }> {
	const env = {
		...n8n.env,
		...hookEnv(join(userFolder, '.n8n/nodes/node_modules/n8n-nodes-support-email'), relay),
		N8N_PORT: String(await freePort()),
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		QUEUE_HEALTH_CHECK_PORT: String(await freePort()),
		N8N_LOG_LEVEL: 'info',
	};
	const child = spawn(
		nodeBinary(n8n.version),
		[join(n8n.installDir, 'node_modules/n8n/bin/n8n'), 'worker', '--concurrency=2'],
		{ env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
	);
	const logs: string[] = [];
	const worker = { child, logs };
	workers.push(worker);
	const onData = (chunk: Buffer) => {
		for (const line of chunk.toString().split('\n')) {
			if (!line.trim()) continue;
			logs.push(line);
			if (process.env.N8N_TEST_VERBOSE) process.stderr.write(`[worker ${child.pid}] ${line}\n`);
		}
	};
	child.stdout?.on('data', onData);
	child.stderr?.on('data', onData);
	const deadline = Date.now() + 180_000;
	while (!logs.some((line) => line.includes('n8n worker is now ready'))) {
		if (child.exitCode !== null) {
			throw new Error(`n8n worker exited (${child.exitCode}):\n${logs.slice(-40).join('\n')}`);
		}
		if (Date.now() > deadline)
			throw new Error(`n8n worker not ready:\n${logs.slice(-40).join('\n')}`);
		await sleep(200);
	}
	return worker;
}

beforeAll(async () => {
	[redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
	[relayA, relayB] = await Promise.all([startRelay(), startRelay()]);
	approver = await startApprover();
	userFolder = mkdtempSync(join(tmpdir(), 'n8n-relay-queue-'));
	n8n = await N8n.start({
		userFolder,
		env: ({ packageDir }) => ({
			...hookEnv(packageDir, relayA),
			...postgres.n8nEnv(),
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: redis.host,
			QUEUE_BULL_REDIS_PORT: String(redis.port),
		}),
		log: process.env.N8N_TEST_VERBOSE
			? (line) => process.stderr.write(`[n8n main] ${line}\n`)
			: undefined,
	});
	await Promise.all([startWorker(relayA), startWorker(relayB)]);
	mainPath = `relay-queue-main-${randomUUID()}`;
	quietPath = `relay-queue-quiet-${randomUUID()}`;
	subId = await n8n.importWorkflow(subWorkflow());
	if (n8n.major >= 2) await n8n.activate(subId);
	mainId = await n8n.importWorkflow(
		mainWorkflow({
			subWorkflowId: subId,
			approverUrl: approver.url,
			ordersUrl: approver.ordersUrl,
			webhookPath: mainPath,
		}),
	);
	quietId = await n8n.importWorkflow(quietWorkflow(quietPath));
	await n8n.activate(mainId);
	await n8n.activate(quietId);
});

afterEach(() => {
	// When a run goes wrong in queue mode, the workers' logs say why.
	const state = expect.getState() as { assertionCalls: number; currentTestName?: string };
	if (process.env.N8N_TEST_VERBOSE || process.env.RELAY_QUEUE_LOGS) {
		for (const worker of workers) {
			process.stderr.write(
				`--- worker ${worker.child.pid} (${state.currentTestName})\n${worker.logs.slice(-60).join('\n')}\n`,
			);
		}
		process.stderr.write(`--- main\n${n8n?.logs.slice(-60).join('\n')}\n`);
	}
});

afterAll(async () => {
	await Promise.all(workers.map((w) => stopChild(w.child)));
	await n8n?.stop();
	await Promise.all([relayA?.stop(), relayB?.stop()]);
	await Promise.all([redis?.stop(), postgres?.stop()]);
	await approver?.close();
	if (userFolder) rmSync(userFolder, { recursive: true, force: true });
});

const MAIN_TRAIL = mainTrail('Webhook');

const shape = (events: Envelope[]) => events.map((e) => [e.id, e.executionId, e.seq, e.cursor]);

type RelayExecution = { executionId: string; status: string };

/** The relay's `GET /api/v1/workflows/{id}/status`: its HTTP status and the executions it lists. */
async function workflowStatus(
	relay: Relay,
	workflowId: string,
): Promise<{ http: number; executions: RelayExecution[] }> {
	const response = await fetch(`${relay.url}/api/v1/workflows/${workflowId}/status`, {
		headers: { authorization: `Bearer ${TOKEN}` },
	});
	if (response.status !== 200) {
		await response.arrayBuffer();
		return { http: response.status, executions: [] };
	}
	const body = (await response.json()) as { executions: RelayExecution[] };
	return { http: 200, executions: body.executions };
}

async function hookSources(relay: Relay): Promise<number> {
	const metrics = await fetch(`${relay.url}/metrics`).then((r) => r.text());
	return Number(/^relay_hook_sources (\d+)/m.exec(metrics)?.[1] ?? -1);
}

describe(`status relay with n8n in queue mode ${process.env.N8N_TEST_VERSION ?? 'default'}`, () => {
	it('main + 2 workers: every node event of every run arrives; two relays on Redis Streams serve the same stream', async () => {
		// The hook is installed on all three processes.
		expect(n8n.logs.join('\n')).toMatch(/status relay hook installed \(lifecycle\) for start/);
		for (const worker of workers) {
			expect(worker.logs.join('\n')).toMatch(
				/status relay hook installed \(lifecycle\) for worker/,
			);
		}
		const subscribe = async (relay: Relay, workflowId: string) => {
			// Without an n8n API key a relay knows a workflow from its events only, and events that a
			// worker sent to the other relay reach this one through Redis a moment later: until then
			// the stream is a 404 (as the API docs say). Wait for the workflow the way a dashboard would.
			const deadline = Date.now() + 30_000;
			for (;;) {
				const { http } = await workflowStatus(relay, workflowId);
				if (http === 200) break;
				if (Date.now() > deadline)
					throw new Error(`relay never knew workflow ${workflowId}: HTTP ${http}`);
				await sleep(100);
			}
			const stream = await RelayStream.connect(
				relay.url,
				{ kind: 'workflow', id: workflowId },
				{ token: TOKEN },
			);
			await stream.waitFor((s) => s.messages.some((m) => m.type === 'caught-up'));
			return stream;
		};
		// A wildcard token sees a workflow once it has events: the quiet runs come first.
		const calls: Array<Promise<Response>> = [];
		for (let i = 0; i < QUIET_RUNS; i++)
			calls.push(n8n.callWebhookWhenRegistered(quietPath, { i }));
		for (const response of await Promise.all(calls)) {
			expect(response.status).toBe(200);
			await response.arrayBuffer();
		}
		// Which runs these were, from the relay (relay A gets every event, through Redis when worker 2
		// sent it to relay B). Not from n8n's execution list: n8n 1.x's main leaves a run out of that
		// list while it counts the run as active, and in queue mode it has been seen to keep counting
		// one that a worker finished minutes before. n8n's record of each run is then read one by one.
		const deadline = Date.now() + 120_000;
		let seen: RelayExecution[] = [];
		while (Date.now() < deadline) {
			seen = (await workflowStatus(relayA, quietId)).executions;
			if (seen.filter((e) => e.status === 'success').length >= QUIET_RUNS) break;
			await sleep(250);
		}
		if (seen.filter((e) => e.status === 'success').length < QUIET_RUNS) {
			// Say which runs did not finish, and what the workers were doing.
			throw new Error(
				`relay A saw ${JSON.stringify(seen.map((e) => [e.executionId, e.status]))} of ${QUIET_RUNS} quiet runs within 120 s\n` +
					workers.map((w) => `worker ${w.child.pid}:\n${w.logs.slice(-30).join('\n')}`).join('\n'),
			);
		}
		expect(seen).toHaveLength(QUIET_RUNS);
		for (const { executionId } of seen) {
			// The hook sends the end of a run from the worker's workflowExecuteAfter, beside the hook that
			// saves the run's final status: the relay can know "success" while n8n's record still says
			// "running" (CI saw it on 2.41.1 on a busy machine). Wait for the record to be stored.
			const record = await waitFor(
				async () => {
					const { record } = await n8n.execution(executionId);
					return isFinishedAndStored(record) && record;
				},
				{ what: `n8n's stored record of quiet run ${executionId}`, intervalMs: 250 },
			);
			expect(record.status).toBe('success');
		}
		const quietRuns = new Set(seen.map((e) => e.executionId));
		const quietA = await subscribe(relayA, quietId);
		const quietB = await subscribe(relayB, quietId);

		const mainCalls = Array.from({ length: MAIN_RUNS }, (_, i) =>
			n8n.callWebhookWhenRegistered(mainPath, { orderId: i }),
		);
		for (const response of await Promise.all(mainCalls)) {
			expect(response.status).toBe(200);
			await response.arrayBuffer();
		}
		// Subscribe on both relays while the runs wait for approval, then approve them.
		const asks = [];
		for (let i = 0; i < MAIN_RUNS; i++) asks.push(await approver.next(120_000));
		const mainA = await subscribe(relayA, mainId);
		const mainB = await subscribe(relayB, mainId);
		const mainRuns = asks.map((ask) => ask.executionId);
		for (const ask of asks) {
			for (let attempt = 0; ; attempt++) {
				const response = await fetch(ask.resumeUrl, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ approved: true }),
				});
				await response.arrayBuffer();
				if (response.status === 200) break;
				if (attempt > 100) throw new Error(`resume failed: HTTP ${response.status}`);
				await sleep(200);
			}
		}
		const finished = (ids: string[]) => (s: RelayStream) =>
			ids.every((id) =>
				s.events().some((e) => e.type === 'execution.finished' && e.executionId === id),
			);
		await Promise.all([
			mainA.waitFor(finished(mainRuns), 120_000, 'main runs finished on relay A'),
			mainB.waitFor(finished(mainRuns), 120_000, 'main runs finished on relay B'),
		]);
		// Give late batches a moment: nothing may follow the end.
		await sleep(1000);

		// Every node event of the approved runs, in order, on both relays, identically.
		const events = mainA.events();
		for (const id of mainRuns) {
			expect(trail(events, id).slice(trail(events, id).indexOf('execution.resumed'))).toEqual(
				MAIN_TRAIL.slice(MAIN_TRAIL.indexOf('execution.resumed')),
			);
			const seqs = events.filter((e) => e.executionId === id).map((e) => e.seq);
			expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
		}
		// Both subscribers see the same events with the same seq and cursor from the moment both
		// were attached (cursors are Redis stream positions, the same on every relay instance).
		const attached = [mainA, mainB]
			.map((stream) => stream.messages.find((m) => m.type === 'caught-up') as { cursor: string })
			.map((m) => decodeCursor(m.cursor)!.position)
			.sort(compareEntryIds)
			.pop()!;
		const after = (stream: RelayStream) =>
			stream
				.events()
				.filter((e) => compareEntryIds(decodeCursor(e.cursor)!.position, attached) > 0);
		expect(after(mainA).length).toBeGreaterThanOrEqual(MAIN_RUNS * 11);
		expect(shape(after(mainB))).toEqual(shape(after(mainA)));

		// The whole story of each run, from the start, as the logs hold it.
		for (const id of mainRuns) {
			const logs = (await fetch(`${relayB.url}/api/v1/executions/${id}/logs?limit=1000`, {
				headers: { authorization: `Bearer ${TOKEN}` },
			}).then((r) => r.json())) as { events: Envelope[] };
			expect(trail(logs.events, id)).toEqual(MAIN_TRAIL);
			expect(logs.events.map((e) => e.seq)).toEqual(logs.events.map((_, i) => i + 1));
			expect(logs.events.every((e) => e.mode === 'webhook')).toBe(true);
		}
		for (const id of quietRuns) {
			const logs = (await fetch(`${relayA.url}/api/v1/executions/${id}/logs?limit=1000`, {
				headers: { authorization: `Bearer ${TOKEN}` },
			}).then((r) => r.json())) as { events: Envelope[] };
			expect(trail(logs.events, id)).toEqual(QUIET_TRAIL);
		}
		// Sub-workflow runs happen on the workers too.
		const enrich = events.find(
			(e) =>
				e.type === 'node.finished' &&
				(e.data as { node: string }).node === 'Enrich' &&
				mainRuns.includes(e.executionId),
		)!.data as { subExecutionId?: string };
		expect(enrich.subExecutionId).toMatch(/^\d+$/);
		const sub = (await fetch(`${relayB.url}/api/v1/executions/${enrich.subExecutionId}/status`, {
			headers: { authorization: `Bearer ${TOKEN}` },
		}).then((r) => r.json())) as { workflowId: string; status: string };
		expect(sub).toMatchObject({ workflowId: subId, status: 'success' });

		// Both workers ran jobs and reported them: relay A heard from worker 1, B from worker 2. The
		// main process only enqueued these runs, so it had nothing to report (see the hook's mapper).
		expect(await hookSources(relayA)).toBe(1);
		expect(await hookSources(relayB)).toBe(1);
		await Promise.all([mainA, mainB, quietA, quietB].map((s) => s.close()));
	});
});
