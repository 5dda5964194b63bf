/**
 * Shared pieces of the status relay's real-n8n tests: where the installed package keeps the hook, the
 * test workflows (>= 5 nodes, a failing branch, a Wait for approval, a sub-workflow), and a small HTTP
 * server that plays the approver who receives the Wait node's resume URL.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { packUnderLock } from '../harness/n8n';
import type { N8n, Workflow, WorkflowNode } from '../harness/n8n';
import { Relay } from '../../status-relay/server/app';
import { loadConfig } from '../../status-relay/server/config';
import { createLogger } from '../../status-relay/server/logger';
import type { Envelope } from '../../status-relay/protocol/types';

/**
 * The hook file as admins point n8n at it: inside the installed community package,
 * `<user folder>/.n8n/nodes/node_modules/n8n-nodes-support-email/dist/status-relay/hook/index.js`.
 */
export function installedHookFile(packageDir: string): string {
	return join(packageDir, 'dist/status-relay/hook/index.js');
}

/** n8n's settings that load the hook from the installed package and point it at a relay. */
export function hookEnv(
	packageDir: string,
	relayUrl: string,
	secret: string,
): Record<string, string> {
	return {
		EXTERNAL_HOOK_FILES: installedHookFile(packageDir),
		SUPPORT_RELAY_URL: relayUrl,
		SUPPORT_RELAY_SECRET: secret,
	};
}

/**
 * A relay on 127.0.0.1:`port` with these tokens, not logging; once n8n has an API key, with control
 * and state rebuild through n8n's public API.
 */
export async function startTestRelay(options: {
	port: number;
	secret: string;
	tokens: Record<string, unknown>;
	heartbeatMs: number;
	n8n: N8n | undefined;
}): Promise<Relay> {
	const { n8n } = options;
	const config = loadConfig({
		RELAY_HOST: '127.0.0.1',
		RELAY_PORT: String(options.port),
		RELAY_INGEST_SECRET: options.secret,
		RELAY_TOKENS: JSON.stringify(options.tokens),
		RELAY_HEARTBEAT_MS: String(options.heartbeatMs),
		RELAY_LOG_LEVEL: 'silent',
		...(n8n?.apiKey ? { RELAY_N8N_URL: n8n.baseUrl, RELAY_N8N_API_KEY: n8n.apiKey } : {}),
	});
	return await new Relay(config, { logger: createLogger('silent') }).start();
}

/**
 * Imports the sub-workflow (activated on n8n 2.x) and the main workflow that calls it and asks
 * `approver`; the main workflow is not activated.
 */
export async function importMainWorkflows(
	n8n: N8n,
	approver: Approver,
	webhookPath: string,
): Promise<{ subId: string; mainId: string }> {
	const subId = await n8n.importWorkflow(subWorkflow());
	if (n8n.major >= 2) await n8n.activate(subId);
	const mainId = await n8n.importWorkflow(
		mainWorkflow({
			subWorkflowId: subId,
			approverUrl: approver.url,
			ordersUrl: approver.ordersUrl,
			webhookPath,
		}),
	);
	return { subId, mainId };
}

/**
 * Builds and packs the status relay package (the status-relay/ workspace) and installs the tarball
 * into `folder` as an admin would (`npm install <tarball>`, production dependencies only). Packed
 * under the lock the harness packs the node package with: a build clears dist/ first.
 */
export async function installRelayPackage(folder: string): Promise<void> {
	const run = promisify(execFile);
	// `npm test` packs it once before the tests start (RELAY_TEST_TARBALL): a build here would clear
	// status-relay/dist/ while the other n8n pass, or the unit tests beside it, read it.
	const tarball =
		process.env.RELAY_TEST_TARBALL ??
		(await packUnderLock('npm run --silent build:relay', ['--workspace', 'status-relay']));
	mkdirSync(folder, { recursive: true });
	writeFileSync(join(folder, 'package.json'), '{"name":"relay-host","private":true}\n');
	await run(
		'npm',
		[
			'install',
			'--omit=dev',
			'--ignore-scripts',
			'--no-audit',
			'--no-fund',
			'--loglevel=error',
			tarball,
		],
		{ cwd: folder, maxBuffer: 64 * 1024 * 1024 },
	);
}

/** The (type, node, status) trail of one execution, as a subscriber received it. */
export function trail(events: Envelope[], executionId: string): string[] {
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

export interface Approver {
	url: string;
	/** Answers 500: the failing branch's order check. */
	ordersUrl: string;
	/** Resolves with the next resume URL the workflow sent. */
	next(timeoutMs?: number): Promise<{ resumeUrl: string; executionId: string }>;
	close(): Promise<void>;
}

export async function startApprover(): Promise<Approver> {
	const queue: Array<{ resumeUrl: string; executionId: string }> = [];
	const waiters: Array<(value: { resumeUrl: string; executionId: string }) => void> = [];
	const server: Server = createServer((req, res) => {
		if (req.url?.startsWith('/orders/')) {
			req.resume();
			res
				.writeHead(500, { 'content-type': 'application/json' })
				.end(JSON.stringify({ message: CHECK_ORDER_ERROR }));
			return;
		}
		let body = '';
		req.on('data', (chunk) => (body += chunk));
		req.on('end', () => {
			try {
				const parsed = JSON.parse(body) as { resumeUrl: string; executionId: string };
				const waiter = waiters.shift();
				if (waiter) waiter(parsed);
				else queue.push(parsed);
			} catch {
				// ignored: not from our workflow
			}
			res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/approve`,
		ordersUrl: `http://127.0.0.1:${port}/orders/42`,
		next: (timeoutMs = 60_000) =>
			new Promise((resolve, reject) => {
				const queued = queue.shift();
				if (queued) return resolve(queued);
				const timer = setTimeout(
					() => reject(new Error('no approval request within timeout')),
					timeoutMs,
				);
				waiters.push((value) => {
					clearTimeout(timer);
					resolve(value);
				});
			}),
		close: () => new Promise((resolve) => server.close(() => resolve())),
	};
}

export function subWorkflow(): Workflow {
	return {
		name: `relay sub ${randomUUID().slice(0, 6)}`,
		nodes: [
			{
				name: 'Sub Start',
				type: 'n8n-nodes-base.executeWorkflowTrigger',
				typeVersion: 1.1,
				position: [0, 0],
				parameters: { inputSource: 'passthrough' },
			},
			{
				name: 'Lookup Customer',
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				position: [220, 0],
				parameters: {
					assignments: {
						assignments: [{ id: 'a1', name: 'tier', value: 'gold', type: 'string' }],
					},
					includeOtherFields: true,
					options: {},
				},
			},
		],
		connections: {
			'Sub Start': { main: [[{ node: 'Lookup Customer', type: 'main', index: 0 }]] },
		},
	};
}

const to = (node: string) => ({ node, type: 'main' as const, index: 0 });

export const MAIN_NODES = [
	'Webhook',
	'Manual',
	'Prepare',
	'Notify Approver',
	'Approval',
	'Enrich',
	'Done',
	'Check Order',
	'Handle Failure',
] as const;

export const CHECK_ORDER_ERROR = 'Order 42 failed validation';

/** Each node's state while a run of mainWorkflow started by its Webhook waits for approval. */
export const WAITING_RUN_STATES = {
	Webhook: 'success',
	Manual: 'pending',
	Prepare: 'success',
	'Notify Approver': 'success',
	Approval: 'waiting',
	Enrich: 'pending',
	Done: 'pending',
	'Check Order': 'pending',
	'Handle Failure': 'pending',
};

/** Each node's state after a run of mainWorkflow started by its Webhook and approved. */
export const FULL_RUN_STATES = {
	Webhook: 'success',
	Manual: 'skipped',
	Prepare: 'success',
	'Notify Approver': 'success',
	Approval: 'success',
	Enrich: 'success',
	Done: 'success',
	'Check Order': 'error',
	'Handle Failure': 'success',
};

/** mainWorkflow's trail (see `trail`) for a run started by `trigger` and approved. */
export const mainTrail = (trigger: 'Webhook' | 'Manual') => [
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

/**
 * Webhook or Manual Trigger -> Prepare -> (top branch) Notify Approver -> Approval (Wait, resumed
 * by webhook) -> Enrich (sub-workflow) -> Done; (bottom branch) Check Order (an HTTP 500, error
 * output) -> Handle Failure. n8n's v1 order runs the top branch first.
 */
export function mainWorkflow(options: {
	subWorkflowId: string;
	approverUrl: string;
	ordersUrl: string;
	webhookPath: string;
}): Workflow {
	const nodes: WorkflowNode[] = [
		{
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			webhookId: randomUUID(),
			position: [0, 0],
			parameters: {
				httpMethod: 'POST',
				path: options.webhookPath,
				responseMode: 'onReceived',
				options: {},
			},
		},
		{
			name: 'Manual',
			type: 'n8n-nodes-base.manualTrigger',
			typeVersion: 1,
			position: [0, 200],
			parameters: {},
		},
		{
			name: 'Prepare',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [220, 100],
			parameters: {
				assignments: {
					assignments: [
						{ id: 'p1', name: 'orderId', value: '42', type: 'string' },
						{ id: 'p2', name: 'customer', value: 'ada@example.test', type: 'string' },
					],
				},
				options: {},
			},
		},
		{
			name: 'Notify Approver',
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			position: [440, 0],
			parameters: {
				method: 'POST',
				url: options.approverUrl,
				sendBody: true,
				specifyBody: 'json',
				jsonBody:
					'={{ JSON.stringify({ resumeUrl: $execution.resumeUrl, executionId: $execution.id }) }}',
				options: {},
			},
		},
		{
			name: 'Approval',
			type: 'n8n-nodes-base.wait',
			typeVersion: 1.1,
			position: [660, 0],
			webhookId: randomUUID(),
			parameters: { resume: 'webhook', httpMethod: 'POST', options: {} },
		},
		{
			name: 'Enrich',
			type: 'n8n-nodes-base.executeWorkflow',
			typeVersion: 1.2,
			position: [880, 0],
			parameters: {
				source: 'database',
				workflowId: { __rl: true, value: options.subWorkflowId, mode: 'id' },
				mode: 'once',
				options: { waitForSubWorkflow: true },
			},
		},
		{
			name: 'Done',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [1100, 0],
			parameters: {},
		},
		{
			name: 'Check Order',
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			position: [440, 300],
			onError: 'continueErrorOutput',
			parameters: { method: 'GET', url: options.ordersUrl, options: {} },
		},
		{
			name: 'Handle Failure',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [660, 300],
			parameters: {},
		},
	];
	return {
		name: `relay main ${randomUUID().slice(0, 6)}`,
		nodes,
		connections: {
			Webhook: { main: [[to('Prepare')]] },
			Manual: { main: [[to('Prepare')]] },
			Prepare: { main: [[to('Notify Approver'), to('Check Order')]] },
			'Notify Approver': { main: [[to('Approval')]] },
			Approval: { main: [[to('Enrich')]] },
			Enrich: { main: [[to('Done')]] },
			'Check Order': { main: [[], [to('Handle Failure')]] },
		},
	};
}

function webhookNode(path: string): WorkflowNode {
	return {
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		webhookId: randomUUID(),
		position: [0, 0],
		parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
	};
}

/** quietWorkflow's trail (see `trail`) with its default 5 steps. */
export const QUIET_TRAIL = [
	'execution.started',
	...['Webhook', 'Step 1', 'Step 2', 'Step 3', 'Step 4', 'Step 5'].flatMap((node) => [
		`started ${node}`,
		`finished ${node} success`,
	]),
	'execution.finished success',
];

/** Webhook -> Step 1 ... Step 5 (No Operation nodes): a short run with a known trail. */
export function quietWorkflow(path: string, steps = 5): Workflow {
	const names = Array.from({ length: steps }, (_, i) => `Step ${i + 1}`);
	return {
		name: `relay quiet ${randomUUID().slice(0, 6)}`,
		nodes: [
			webhookNode(path),
			...names.map((name, i) => ({
				name,
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				position: [220 * (i + 1), 0] as [number, number],
				parameters: {},
			})),
		],
		connections: Object.fromEntries(
			['Webhook', ...names.slice(0, -1)].map((from, i) => [from, { main: [[to(names[i])]] }]),
		),
	};
}

/**
 * Webhook -> Hold (Wait for `seconds`, under 65 s so n8n keeps the execution running in-process
 * rather than parking it as waiting) -> After Hold: a run that is still running when a test cancels it.
 */
export function slowWorkflow(path: string, seconds: number): Workflow {
	return {
		name: `relay slow ${randomUUID().slice(0, 6)}`,
		nodes: [
			webhookNode(path),
			{
				name: 'Hold',
				type: 'n8n-nodes-base.wait',
				typeVersion: 1.1,
				webhookId: randomUUID(),
				position: [220, 0],
				parameters: { resume: 'timeInterval', amount: seconds, unit: 'seconds' },
			},
			{
				name: 'After Hold',
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				position: [440, 0],
				parameters: {},
			},
		],
		connections: { Webhook: { main: [[to('Hold')]] }, Hold: { main: [[to('After Hold')]] } },
	};
}

/** What a payment API's answer might hold: it must never reach a dashboard. */
export const CARD_DETAILS = 'Card 4111 1111 1111 1111 of jane.doe@example.com declined (CVV 123)';

/**
 * Webhook -> Pay (a Set node with "On Error: Continue (using error output)" whose successful item
 * carries an `error` field among its data) -> Paid: a node that succeeds with data shaped like an
 * error, which n8n itself does not treat as one.
 */
export function cardWorkflow(path: string): Workflow {
	return {
		name: `relay card ${randomUUID().slice(0, 6)}`,
		nodes: [
			webhookNode(path),
			{
				name: 'Pay',
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				position: [220, 0],
				onError: 'continueErrorOutput',
				parameters: {
					assignments: {
						assignments: [
							{ id: 'c1', name: 'customer', value: 'jane', type: 'string' },
							{ id: 'c2', name: 'error', value: CARD_DETAILS, type: 'string' },
						],
					},
					options: {},
				},
			},
			{
				name: 'Paid',
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				position: [440, 0],
				parameters: {},
			},
		],
		connections: { Webhook: { main: [[to('Pay')]] }, Pay: { main: [[to('Paid')], []] } },
	};
}
