/**
 * Runs this package inside real n8n (DESIGN.md section 6): a pinned n8n from a cached install, a
 * temporary user folder with our packed tarball installed as a community package, SQLite, an owner
 * and an API key. Tests drive it through this small API:
 *
 *   const n8n = await N8n.start();
 *   const run = await n8n.execute({ nodes, connections }, [{ raw: '...' }]);
 *   run.output('Support Email')  // the node's output items
 *   await n8n.stop();
 */
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
	appendFileSync,
	mkdtempSync,
	mkdirSync,
	rmSync,
	writeFileSync,
	existsSync,
	readFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fetchOnce } from '../support/fetch-once';
import { freePort, portIsFree } from '../support/free-port';
import { waitFor } from '../support/wait-for';

const execFileAsync = promisify(execFile);

/** The repository root: the nearest folder above this file with our package.json (source or compiled). */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
	for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
		const manifest = join(dir, 'package.json');
		if (
			existsSync(manifest) &&
			(JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name ===
				'n8n-nodes-support-email'
		) {
			return dir;
		}
	}
	return resolve(start, '../..');
}
export const PACKAGE_NAME = 'n8n-nodes-support-email';
export const DEFAULT_N8N_VERSION = '2.41.1';
export const DEFAULT_N8N1_VERSION = '1.123.81';

/**
 * jest's timeout for a test that stops and starts n8n itself (two or three starts): on a loaded
 * machine one start alone can take over three minutes.
 */
export const RESTART_TEST_TIMEOUT = 15 * 60_000;

export function requestedVersion(): string {
	const asked = process.env.N8N_TEST_VERSION;
	if (!asked) return DEFAULT_N8N_VERSION;
	if (asked === '1' || asked === '1.x' || asked === '1.123' || asked === '1.123.x')
		return DEFAULT_N8N1_VERSION;
	return asked;
}

export interface WorkflowNode {
	id?: string;
	name: string;
	type: string;
	typeVersion: number;
	position?: [number, number];
	parameters: Record<string, unknown>;
	webhookId?: string;
	credentials?: Record<string, { id: string; name: string }>;
	continueOnFail?: boolean;
	onError?: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';
	disabled?: boolean;
}

export interface ConnectionTarget {
	node: string;
	type: string;
	index: number;
}

/** Node name -> connection type ('main', 'ai_languageModel', ...) -> per output, the targets. */
export type Connections = Record<string, Record<string, Array<ConnectionTarget[] | null>>>;

export interface Workflow {
	name?: string;
	nodes: WorkflowNode[];
	connections: Connections;
	settings?: Record<string, unknown>;
}

export interface Item {
	json: Record<string, any>;
	binary?: Record<
		string,
		{ mimeType?: string; fileName?: string; fileSize?: string; data?: string; id?: string }
	>;
	pairedItem?: { item: number; input?: number } | Array<{ item: number; input?: number }>;
	error?: unknown;
}

export interface NodeRun {
	startTime: number;
	executionTime: number;
	executionStatus?: string;
	data?: { main: Array<Item[] | null> };
	error?: {
		message: string;
		description?: string;
		name?: string;
		context?: Record<string, unknown>;
	};
}

/**
 * An execution that has ended and whose run data is saved. n8n 1.x on its default SQLite (pool size
 * 0) saves the end of an execution in two statements, status first and run data second, with no
 * transaction, so a reader can see "success" next to the run data it was created with (no node
 * ran). Every execution our harness starts runs at least its trigger, so empty run data without a
 * workflow error means "not saved yet".
 */
export function isFinishedAndStored(e: ExecutionRecord): boolean {
	if (e.status === 'running' || e.status === 'new' || e.status === 'waiting') return false;
	const result = e.data?.resultData;
	if (!result) return false;
	return Object.keys(result.runData ?? {}).length > 0 || result.error !== undefined;
}

export interface ExecutionRecord {
	id: string;
	status: string;
	finished: boolean;
	mode: string;
	workflowId: string;
	data?: {
		resultData: {
			runData: Record<string, NodeRun[]>;
			error?: { message: string; description?: string; node?: { name: string } };
			lastNodeExecuted?: string;
		};
	};
}

export class ExecutionResult {
	constructor(readonly record: ExecutionRecord) {}

	get id(): string {
		return this.record.id;
	}
	get status(): string {
		return this.record.status;
	}
	/** The workflow-level error, when the execution failed. */
	get error(): { message: string; description?: string; node?: string } | undefined {
		const error = this.record.data?.resultData.error;
		if (!error) return undefined;
		return { message: error.message, description: error.description, node: error.node?.name };
	}
	runsOf(nodeName: string): NodeRun[] {
		return this.record.data?.resultData.runData[nodeName] ?? [];
	}
	/** Items a node put on one of its outputs in one of its runs. */
	output(nodeName: string, outputIndex = 0, runIndex = 0): Item[] {
		const run = this.runsOf(nodeName)[runIndex];
		if (!run) {
			const ran = Object.keys(this.record.data?.resultData.runData ?? {});
			throw new Error(
				`Node "${nodeName}" did not run in execution ${this.id} (status ${this.status}); nodes that ran: ${ran.join(', ')}${this.error ? `; error: ${this.error.message}` : ''}`,
			);
		}
		return run.data?.main[outputIndex] ?? [];
	}
	nodeError(nodeName: string, runIndex = 0): NodeRun['error'] {
		return this.runsOf(nodeName)[runIndex]?.error;
	}
}

export interface StartOptions {
	version?: string;
	/**
	 * Extra environment for n8n (e.g. EXTERNAL_HOOK_FILES). A function is called once the package is
	 * installed, with the user folder and the installed package's folder, for settings that name
	 * files inside it.
	 */
	env?:
		| Record<string, string>
		| ((where: { userFolder: string; packageDir: string }) => Record<string, string>);
	/** The packed package to install; default: pack this repository (built first). */
	tarball?: string;
	/** Install the package at all (false: bare n8n, e.g. to prove a test fails without it). */
	installPackage?: boolean;
	log?: (line: string) => void;
	/** Use this user folder instead of a temporary one (kept on stop). */
	userFolder?: string;
	/** Listen on this port instead of a free one. */
	port?: number;
}

export const OWNER = {
	email: 'owner@harness.test',
	firstName: 'Test',
	lastName: 'Owner',
	password: 'Harness-Passw0rd',
};
/** The `browser-id` the harness logs in with: n8n ties the auth cookie to it. */
export const BROWSER_ID = 'n8n-test-harness';

export class N8n {
	private cookie = '';
	private keepUserFolder = false;
	/** The owner's `n8n-auth` cookie (`name=value`), valid with BROWSER_ID, for a browser. */
	get authCookie(): string {
		return this.cookie;
	}
	apiKey = '';
	readonly logs: string[] = [];

	private constructor(
		readonly version: string,
		readonly installDir: string,
		readonly userFolder: string,
		readonly port: number,
		readonly env: Record<string, string>,
		private readonly process: ChildProcess | undefined,
	) {}

	get major(): number {
		return Number(this.version.split('.')[0]);
	}
	get baseUrl(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	static async start(options: StartOptions = {}): Promise<N8n> {
		const version = options.version ?? requestedVersion();
		const installDir = await ensureN8nInstalled(version);
		const userFolder = options.userFolder ?? mkdtempSync(join(tmpdir(), 'n8n-harness-'));
		mkdirSync(userFolder, { recursive: true });
		if (options.installPackage !== false) {
			const tarball = options.tarball ?? (await packPackage());
			await installPackageInto(userFolder, tarball, version);
		}
		// A port asked for again (a restart on the same URL) may still be held for a moment by the
		// n8n stopped before, or its task runner, on a loaded machine.
		const port = options.port ?? (await freePort());
		if (options.port !== undefined) await waitForPortFree(options.port);
		const extraEnv =
			typeof options.env === 'function'
				? options.env({ userFolder, packageDir: installedPackageDir(userFolder) })
				: options.env;
		const env = n8nEnv(version, userFolder, port, await freePort(), extraEnv);
		const child = spawn(
			nodeBinary(version),
			[join(installDir, 'node_modules/n8n/bin/n8n'), 'start'],
			{
				env,
				stdio: ['ignore', 'pipe', 'pipe'],
				detached: true,
			},
		);
		const instance = new N8n(version, installDir, userFolder, port, env, child);
		instance.keepUserFolder = options.userFolder !== undefined;
		if (!registerStarted(child.pid)) {
			await instance.stop();
			throw new Error(
				'the n8n test run has ended: not starting another n8n (a test went on after its timeout)',
			);
		}
		const onLine = (chunk: Buffer) => {
			for (const line of chunk.toString().split('\n')) {
				if (!line.trim()) continue;
				instance.logs.push(line);
				if (instance.logs.length > 2000) instance.logs.shift();
				options.log?.(line);
			}
		};
		child.stdout?.on('data', onLine);
		child.stderr?.on('data', onLine);
		try {
			await instance.waitUntilReady(child);
			await instance.setupOwnerAndApiKey();
		} catch (error) {
			await instance.stop();
			throw error;
		}
		return instance;
	}

	/** Connects to an instance that another process started (jest globalSetup shares one this way). */
	static attach(state: HarnessState): N8n {
		const instance = new N8n(
			state.version,
			state.installDir,
			state.userFolder,
			state.port,
			state.env,
			undefined,
		);
		instance.cookie = state.cookie;
		instance.apiKey = state.apiKey;
		return instance;
	}

	state(): HarnessState {
		return {
			version: this.version,
			installDir: this.installDir,
			userFolder: this.userFolder,
			port: this.port,
			env: this.env,
			cookie: this.cookie,
			apiKey: this.apiKey,
			pid: this.process?.pid,
		};
	}

	private async waitUntilReady(child: ChildProcess): Promise<void> {
		let exited: number | null = null;
		child.once('exit', (code) => (exited = code ?? -1));
		// n8n 1.x answers health checks before it mounts its REST routes: wait for both (n8n has no
		// readiness event to listen to; its log line depends on the log level).
		await waitFor(
			async () =>
				(await fetch(`${this.baseUrl}/healthz/readiness`)).ok &&
				(await fetch(`${this.baseUrl}/rest/settings`)).ok,
			{
				what: `n8n ${this.version} to answer /healthz/readiness and /rest/settings`,
				// A CI run at load 14 saw a restart of 2.41.1 take over 180 s (its database pings timed out).
				timeoutMs: 300_000,
				intervalMs: 250,
				stopWhen: () =>
					exited === null
						? undefined
						: new Error(
								`n8n ${this.version} exited with code ${exited} while starting:\n${this.logs.slice(-40).join('\n')}`,
							),
			},
		).catch((error: Error) => {
			throw error.name === 'WaitTimeoutError'
				? new Error(`${error.message}:\n${this.logs.slice(-40).join('\n')}`)
				: error;
		});
	}

	private async setupOwnerAndApiKey(): Promise<void> {
		const setup = await fetchOnce(`${this.baseUrl}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID },
			body: JSON.stringify(OWNER),
		});
		let authResponse = setup;
		if (setup.status === 400 && /already/i.test(await setup.clone().text())) {
			// A kept user folder (npm start) already has its owner: log in instead.
			authResponse = await fetchOnce(`${this.baseUrl}/rest/login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID },
				body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
			});
		}
		if (!authResponse.ok) {
			throw new Error(
				`owner setup / login failed: ${authResponse.status} ${await authResponse.text()}`,
			);
		}
		const setCookie = authResponse.headers.getSetCookie().find((c) => c.startsWith('n8n-auth='));
		if (!setCookie) throw new Error('owner setup returned no n8n-auth cookie');
		this.cookie = setCookie.split(';')[0];

		let scopes: string[] | undefined;
		const scopeResponse = await this.rest('GET', '/rest/api-keys/scopes', undefined, false);
		if (scopeResponse.ok) scopes = unwrap(await scopeResponse.json()) as string[];
		const label = 'test harness';
		const existing = await this.rest('GET', '/rest/api-keys', undefined, false);
		if (existing.ok) {
			const listed = unwrap(await existing.json()) as unknown;
			// 2.x pages the list ({ items, count }); 1.x returns the array.
			const keys = (
				Array.isArray(listed) ? listed : ((listed as { items?: unknown[] })?.items ?? [])
			) as Array<{ id: string; label: string }>;
			for (const key of keys) {
				if (key.label === label) await this.rest('DELETE', `/rest/api-keys/${key.id}`);
			}
		}
		const body: Record<string, unknown> = { label, expiresAt: null };
		if (scopes) body.scopes = scopes;
		const created = await this.rest('POST', '/rest/api-keys', body);
		const key = unwrap(await created.json()) as { rawApiKey?: string; apiKey?: string };
		this.apiKey = key.rawApiKey ?? key.apiKey ?? '';
		if (!this.apiKey) throw new Error('could not create an API key');
	}

	/** n8n's internal REST API, as the editor calls it (cookie auth). */
	async rest(method: string, path: string, body?: unknown, throwOnError = true): Promise<Response> {
		const response = await fetchOnce(`${this.baseUrl}${path}`, {
			method,
			headers: {
				cookie: this.cookie,
				'browser-id': BROWSER_ID,
				'content-type': 'application/json',
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		if (throwOnError && !response.ok) {
			throw new Error(`${method} ${path} -> ${response.status}: ${await response.text()}`);
		}
		return response;
	}

	/** n8n's public API (X-N8N-API-KEY). */
	async api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
		const response = await fetchOnce(`${this.baseUrl}/api/v1${path}`, {
			method,
			headers: {
				'X-N8N-API-KEY': this.apiKey,
				'content-type': 'application/json',
				accept: 'application/json',
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		if (!response.ok)
			throw new Error(`public API ${method} ${path} -> ${response.status}: ${text}`);
		return (text ? JSON.parse(text) : undefined) as T;
	}

	/** Node type names n8n has loaded, as the editor sees them. */
	async nodeTypes(): Promise<string[]> {
		const types = await this.typesFile('/types/nodes.json');
		return [...new Set(types.map((t) => t.name))];
	}

	async credentialTypes(): Promise<string[]> {
		return (await this.typesFile('/types/credentials.json')).map((t) => t.name);
	}

	/**
	 * n8n writes these files again when a community package is installed; read while it writes, one is
	 * cut short (seen on 1.123: "Unterminated string in JSON"). Read again until it parses.
	 */
	private async typesFile(path: string, timeoutMs = 60_000): Promise<Array<{ name: string }>> {
		let failure: Error | undefined;
		return await waitFor(
			async () => {
				const text = await (await this.rest('GET', path)).text();
				try {
					return JSON.parse(text) as Array<{ name: string }>;
				} catch (error) {
					if (!(error instanceof SyntaxError)) failure = error as Error;
					return undefined;
				}
			},
			{ what: `${path} to parse as JSON`, timeoutMs, intervalMs: 200, stopWhen: () => failure },
		);
	}

	/** Creates a workflow through the public API, as `n8n import:workflow` would store it. */
	async importWorkflow(workflow: Workflow): Promise<string> {
		const created = await this.api<{ id: string }>('POST', '/workflows', {
			name: workflow.name ?? `harness ${randomUUID().slice(0, 8)}`,
			nodes: workflow.nodes.map((node, index) => ({
				id: node.id ?? randomUUID(),
				position: node.position ?? [index * 220, 0],
				...node,
			})),
			connections: workflow.connections,
			settings: { executionOrder: 'v1', ...(workflow.settings ?? {}) },
		});
		return created.id;
	}

	/** Stores a credential through the public API; returns what a node's `credentials` entry needs. */
	async createCredential(
		type: string,
		data: Record<string, unknown>,
		name = `${type} ${randomUUID().slice(0, 6)}`,
	): Promise<{ id: string; name: string }> {
		let created: { id: string; name: string };
		try {
			created = await this.api('POST', '/credentials', { name, type, data });
		} catch (error) {
			// n8n 1.123 adds "Allowed HTTP Request Domains" to credentials with generic auth, and the schema
			// its public API derives from them contradicts itself (requires, then prohibits allowedDomains).
			// The editor's own endpoint has no such validator.
			if (!/allowedDomains/.test(String(error))) throw error;
			const response = await this.rest('POST', '/rest/credentials', { name, type, data });
			created = unwrap(await response.json()) as { id: string; name: string };
		}
		return { id: created.id, name: created.name };
	}

	/** Runs a credential type's `test` as the editor's "Test" button does: { status: 'OK' | 'Error', message }. */
	async testCredential(
		type: string,
		data: Record<string, unknown>,
	): Promise<{ status: string; message: string }> {
		const { id, name } = await this.createCredential(type, data);
		const response = await this.rest('POST', '/rest/credentials/test', {
			credentials: { id, name, type, data },
		});
		return unwrap(await response.json()) as { status: string; message: string };
	}

	async activate(workflowId: string): Promise<void> {
		for (let attempt = 1; ; attempt++) {
			try {
				await this.api('POST', `/workflows/${workflowId}/activate`);
				return;
			} catch (error) {
				if (!/-> 404/.test(String(error))) throw error;
				// n8n 1.x once answered 404 for a workflow it had just created (under CI load): a few more
				// tries there before the 404 counts.
				if (this.major < 2 && attempt < 5) {
					await sleep(2000);
					continue;
				}
				// n8n 2.x publishes instead; on 1.x the 404 itself is the news.
				await this.api('POST', `/workflows/${workflowId}/publish`, {}).catch((publish: Error) => {
					throw new Error(`${String(error)}\nthen ${publish.message}`);
				});
				return;
			}
		}
	}

	/**
	 * Activates a workflow whose trigger should fail to start, and returns the error as n8n reports
	 * it: 1.x answers the activation call with the error or keeps it as an activation error; 2.x
	 * activates through an outbox and records a trigger's failure in its publication status.
	 */
	async activationError(id: string): Promise<string> {
		try {
			await this.activate(id);
		} catch (error) {
			return String(error);
		}
		return await waitFor(
			async () => {
				for (const path of [
					`/rest/workflows/${id}/publication-status`,
					`/rest/active-workflows/error/${id}`,
				]) {
					const response = await this.rest('GET', path, undefined, false);
					const text = await response.text();
					if (
						response.ok &&
						/errorMessage|problem activating|"data":"/.test(text) &&
						!/"errorMessage":null/.test(text)
					)
						return text;
				}
				return undefined;
			},
			{
				what: `workflow ${id} to report an activation error`,
				timeoutMs: 60_000,
				intervalMs: 250,
			},
		);
	}

	async deactivate(workflowId: string): Promise<void> {
		await this.api('POST', `/workflows/${workflowId}/deactivate`);
	}

	async deleteWorkflow(workflowId: string): Promise<void> {
		await this.api('DELETE', `/workflows/${workflowId}`);
	}

	async executions(workflowId: string, limit = 20): Promise<ExecutionRecord[]> {
		const page = await this.api<{ data: ExecutionRecord[] }>(
			'GET',
			`/executions?workflowId=${encodeURIComponent(workflowId)}&includeData=true&limit=${limit}`,
		);
		return page.data;
	}

	async execution(executionId: string): Promise<ExecutionResult> {
		return new ExecutionResult(
			await this.api<ExecutionRecord>('GET', `/executions/${executionId}?includeData=true`),
		);
	}

	/** Waits for the workflow's next finished execution (one not in `known`). */
	async waitForExecution(
		workflowId: string,
		known: Set<string> = new Set(),
		timeoutMs = 60_000,
	): Promise<ExecutionResult> {
		// n8n's public API has no push of finished executions: ask it again until one is there.
		const done = await waitFor(
			async () =>
				(await this.executions(workflowId, 5))
					.filter((e) => !known.has(String(e.id)))
					.find(isFinishedAndStored),
			{
				what: `a finished execution of workflow ${workflowId}`,
				timeoutMs,
				intervalMs: 200,
			},
		);
		return new ExecutionResult(done);
	}

	/**
	 * Runs `workflow` once over `items`: a Webhook trigger and a Split Out node feed the items into
	 * the workflow's entry nodes (those with no incoming connection). Returns the stored execution.
	 */
	async execute(
		workflow: Workflow,
		items: Array<Record<string, unknown>>,
	): Promise<ExecutionResult> {
		const { workflow: wrapped, path } = wrapWithWebhook(workflow);
		const id = await this.importWorkflow(wrapped);
		try {
			await this.activate(id);
			const response = await this.callWebhookWhenRegistered(path, { items }, 30_000, id);
			if (!response.ok)
				throw new Error(`webhook call failed: ${response.status} ${await response.text()}`);
			await response.arrayBuffer();
			return await this.waitForExecution(id);
		} finally {
			await this.deactivate(id).catch(() => undefined);
		}
	}

	/**
	 * n8n 2.x publishes workflows through an outbox, so a production webhook is registered a moment
	 * after activation returns. "Not registered" (404) means nothing ran, so retrying is safe.
	 *
	 * n8n answers that 404 before it reads the request body and then closes the connection, so a large
	 * body (normalize's 10 MB mail, about 14 MB of JSON) meets a closed socket instead of the 404
	 * ("fetch failed", seen at load 9-15). So first ask with a CORS preflight, which n8n answers from
	 * its webhook table without running anything (204 registered, 404 not yet), then send the body.
	 *
	 * Even then a large body has met a closed socket (EPIPE on normalize's 14 MB POST to n8n 2.41.1, at
	 * CI load): n8n closed the connection before it read the body, so it cannot have run the workflow
	 * with it. With `workflowId`, such a call is sent again (at most twice more) when the workflow
	 * has no execution; any other failure is not (it may have started the workflow).
	 */
	async callWebhookWhenRegistered(
		path: string,
		body: unknown,
		timeoutMs = 30_000,
		workflowId?: string,
	): Promise<Response> {
		await waitFor(
			async () => {
				const probe = await fetchOnce(`${this.baseUrl}/webhook/${path}`, {
					method: 'OPTIONS',
					headers: { origin: this.baseUrl, 'access-control-request-method': 'POST' },
				});
				await probe.arrayBuffer();
				return probe.status !== 404 || undefined;
			},
			{ what: `the webhook /webhook/${path} to answer a preflight`, timeoutMs, intervalMs: 100 },
		);
		// A failed call is not retried (it may have started the workflow), except as said above.
		let failure: Error | undefined;
		let resent = 0;
		return await waitFor(
			async () => {
				const response = await this.webhook(path, body).catch(async (error: Error) => {
					if (
						workflowId &&
						resent < 2 &&
						(error as { code?: string }).code === 'EPIPE' &&
						(await this.executions(workflowId, 1)).length === 0
					) {
						resent++;
						return undefined;
					}
					failure = error;
					return undefined;
				});
				if (!response || response.status !== 404) return response;
				await response.arrayBuffer();
				return undefined;
			},
			{
				what: `the webhook /webhook/${path} to be registered`,
				timeoutMs,
				intervalMs: 100,
				stopWhen: () => failure,
			},
		);
	}

	async webhook(path: string, body: unknown, method = 'POST'): Promise<Response> {
		return await fetchOnce(`${this.baseUrl}/webhook/${path}`, {
			method,
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
	}

	/** Runs a workflow that starts with a Manual Trigger, through the CLI (`n8n execute --id`). */
	async executeManual(workflowId: string): Promise<ExecutionResult> {
		const known = new Set((await this.executions(workflowId, 50)).map((e) => String(e.id)));
		const env = {
			...this.env,
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			N8N_PORT: String(await freePort()),
		};
		try {
			await execFileAsync(
				nodeBinary(this.version),
				[join(this.installDir, 'node_modules/n8n/bin/n8n'), 'execute', `--id=${workflowId}`],
				{
					env,
					maxBuffer: 64 * 1024 * 1024,
					timeout: 180_000,
				},
			);
		} catch (error) {
			// `n8n execute` exits non-zero when the workflow fails; the stored execution says why. The
			// execution row can show up a moment after the CLI exits (the main n8n reads the same
			// database), so wait for it; without one, fail with what the CLI printed.
			try {
				return await this.waitForExecution(workflowId, known, 30_000);
			} catch {
				const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
				const tail = (text: string) => text.trim().split('\n').slice(-40).join('\n');
				throw new Error(
					`n8n execute --id=${workflowId} failed and stored no execution: ${(error as Error).message.split('\n')[0]}\nstdout (last 40 lines):\n${tail(stdout)}\nstderr (last 40 lines):\n${tail(stderr)}`,
				);
			}
		}
		return await this.waitForExecution(workflowId, known);
	}

	async stop(): Promise<void> {
		const pid = this.process?.pid;
		if (pid) await killTree(pid);
		if (pid) unregisterStarted(pid);
		if (!this.keepUserFolder) rmSync(this.userFolder, { recursive: true, force: true });
	}
}

export interface HarnessState {
	version: string;
	installDir: string;
	userFolder: string;
	port: number;
	env: Record<string, string>;
	cookie: string;
	apiKey: string;
	pid?: number;
}

export function wrapWithWebhook(workflow: Workflow): { workflow: Workflow; path: string } {
	const path = `harness-${randomUUID()}`;
	const incoming = new Set<string>();
	// Only main connections make a node a non-entry: a node fed by an AI sub-node alone (embeddings,
	// a chat model) still takes the test items.
	for (const byType of Object.values(workflow.connections)) {
		for (const targets of byType.main ?? [])
			for (const target of targets ?? []) incoming.add(target.node);
	}
	// Sub-nodes (a chat model feeding an ai_languageModel input) have no main output: never entries.
	const subNode = (name: string) => {
		const types = Object.keys(workflow.connections[name] ?? {});
		return types.length > 0 && !types.includes('main');
	};
	const entries = workflow.nodes.filter((n) => !incoming.has(n.name) && !subNode(n.name));
	const nodes: WorkflowNode[] = [
		{
			name: 'Harness Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			webhookId: randomUUID(),
			position: [-440, 0],
			parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
		},
		{
			name: 'Harness Items',
			type: 'n8n-nodes-base.splitOut',
			typeVersion: 1,
			position: [-220, 0],
			parameters: { fieldToSplitOut: 'body.items', include: 'noOtherFields', options: {} },
		},
		...workflow.nodes,
	];
	const connections: Connections = {
		...workflow.connections,
		'Harness Webhook': { main: [[{ node: 'Harness Items', type: 'main', index: 0 }]] },
		'Harness Items': {
			main: [entries.map((n) => ({ node: n.name, type: 'main' as const, index: 0 }))],
		},
	};
	return { workflow: { ...workflow, nodes, connections }, path };
}

// ---------------------------------------------------------------------------------------------
// Installation, packing and process helpers

function cacheDir(): string {
	return process.env.N8N_TEST_CACHE ?? join(REPO_ROOT, '.cache');
}

export function nodeBinary(version: string): string {
	if (Number(version.split('.')[0]) < 2) return process.execPath;
	const node24 = process.env.N8N_TEST_NODE24 ?? '24.9.0';
	return join(cacheDir(), `node-${node24}`, 'bin', 'node');
}

export async function ensureN8nInstalled(version: string): Promise<string> {
	// The script returns at once for a sound cached install, and repairs or installs otherwise.
	const { stdout } = await execFileAsync(
		'bash',
		[join(REPO_ROOT, 'test/harness/install-n8n.sh'), version],
		{
			maxBuffer: 64 * 1024 * 1024,
			timeout: 30 * 60_000,
		},
	);
	return stdout.trim().split('\n').pop()!;
}

let packed: Promise<string> | undefined;

/** Builds and packs this repository once per process; returns the tarball path. */
export async function packPackage(): Promise<string> {
	if (process.env.N8N_TEST_TARBALL) return process.env.N8N_TEST_TARBALL;
	packed ??= packUnderLock('npm run build', []);
	return await packed;
}

/**
 * Builds (`build`, a shell command) and packs (`npm pack` with `packArguments`) this repository under
 * a lock, into a folder of its own, and returns the tarball's path: several test runs may share this
 * work tree, and a build starts by clearing what it builds. --ignore-scripts: built just before, and
 * prepack's output would land in the --json on stdout. `npm test` packs once up front instead
 * (N8N_TEST_TARBALL, RELAY_TEST_TARBALL); this serves a test file run on its own.
 */
export async function packUnderLock(build: string, packArguments: string[]): Promise<string> {
	const out = join(cacheDir(), 'pack');
	mkdirSync(out, { recursive: true });
	const own = mkdtempSync(join(out, 'run-'));
	const { stdout } = await execFileAsync(
		'flock',
		[
			join(out, '.lock'),
			'sh',
			'-c',
			`${build} >&2 && npm pack --json --ignore-scripts ${packArguments.join(' ')} --pack-destination "${own}"`,
		],
		{ cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
	);
	const [info] = JSON.parse(stdout) as Array<{ filename: string }>;
	return join(own, info.filename);
}

/** Where `installPackageInto` puts this package: `<user folder>/.n8n/nodes/node_modules/<name>`. */
export function installedPackageDir(userFolder: string): string {
	return join(userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE_NAME);
}

/** Installs the tarball as n8n installs community packages: `<user folder>/.n8n/nodes`. */
export async function installPackageInto(
	userFolder: string,
	tarball: string,
	version: string,
): Promise<void> {
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	mkdirSync(nodesDir, { recursive: true });
	writeFileSync(
		join(nodesDir, 'package.json'),
		JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }),
	);
	const env = { ...process.env };
	if (Number(version.split('.')[0]) >= 2)
		env.PATH = `${join(nodeBinary(version), '..')}:${env.PATH}`;
	// The dependencies are in npm's cache after the first install of a run, so the cache is used
	// without asking the registry again (--prefer-offline). An install that hangs on a registry
	// connection (seen: 30 min on one established TLS connection, npm's own timeouts never fired) is
	// stopped after INSTALL_ATTEMPT_MS and tried again.
	for (let attempt = 1; ; attempt++) {
		try {
			await execFileAsync(
				'npm',
				[
					'install',
					'--prefer-offline',
					'--legacy-peer-deps',
					'--ignore-scripts',
					'--no-audit',
					'--no-fund',
					'--loglevel=error',
					tarball,
				],
				{
					cwd: nodesDir,
					env,
					maxBuffer: 64 * 1024 * 1024,
					timeout: INSTALL_ATTEMPT_MS,
					killSignal: 'SIGKILL',
				},
			);
			return;
		} catch (error) {
			if (attempt >= INSTALL_ATTEMPTS) throw error;
			const stalled = (error as { killed?: boolean }).killed;
			console.warn(
				`[harness] npm install of the package into ${nodesDir} ${stalled ? `gave no result in ${INSTALL_ATTEMPT_MS / 60_000} min` : `failed (${(error as Error).message.split('\n')[0]})`}; trying again`,
			);
		}
	}
}

/** One npm install of the package (the dependencies usually come from npm's cache: seconds). */
const INSTALL_ATTEMPT_MS = 4 * 60_000;
const INSTALL_ATTEMPTS = 3;

function n8nEnv(
	version: string,
	userFolder: string,
	port: number,
	brokerPort: number,
	extra: Record<string, string> = {},
): Record<string, string> {
	const major = Number(version.split('.')[0]);
	const base: Record<string, string> = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (
			value !== undefined &&
			!key.startsWith('N8N_') &&
			!key.startsWith('DB_') &&
			!key.startsWith('npm_')
		)
			base[key] = value;
	}
	const env: Record<string, string> = {
		...base,
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		WEBHOOK_URL: `http://127.0.0.1:${port}/`,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		// The editor would ask api.n8n.io for banners (1.x): there is no internet here.
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENCRYPTION_KEY: 'n8n-nodes-support-email-test-harness-key',
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_PAYLOAD_SIZE_MAX: '64',
		N8N_LOG_LEVEL: process.env.N8N_TEST_LOG_LEVEL ?? 'warn',
		DB_TYPE: 'sqlite',
		EXECUTIONS_MODE: 'regular',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		NODE_ENV: 'production',
	};
	if (major < 2) env.N8N_EXPRESSION_ENGINE = 'legacy';
	if (major >= 2) env.PATH = `${join(nodeBinary(version), '..')}:${env.PATH ?? ''}`;
	return { ...env, ...extra };
}

/** Waits (up to 2 min) until `port` can be listened on at 127.0.0.1; then n8n's own start says why not. */
async function waitForPortFree(port: number): Promise<void> {
	const deadline = Date.now() + 120_000;
	while (!(await portIsFree(port)) && Date.now() < deadline) await sleep(500);
}

export { fetchOnce, freePort };

/**
 * The n8n processes that tests started and have not stopped, one process group id a line, beside the
 * run's state file. A test that times out goes on running in the background and may start an n8n
 * after its file's afterAll: the global teardown stops whatever is listed here, or jest would never
 * exit. Once the teardown has removed the state file, no n8n starts any more.
 */
function startedRegistry(): string | undefined {
	const state = process.env.N8N_HARNESS_STATE;
	return state ? `${state}.started` : undefined;
}

/** false: the run has ended (the state file is gone), the caller must stop this n8n. */
function registerStarted(pid: number | undefined): boolean {
	const registry = startedRegistry();
	if (!registry || pid === undefined) return true;
	if (!existsSync(process.env.N8N_HARNESS_STATE!)) return false;
	appendFileSync(registry, `${pid}\n`);
	return true;
}

function unregisterStarted(pid: number): void {
	const registry = startedRegistry();
	if (!registry || !existsSync(registry)) return;
	const rest = readFileSync(registry, 'utf8')
		.split('\n')
		.filter((line) => line && line !== String(pid));
	writeFileSync(registry, rest.map((line) => `${line}\n`).join(''));
}

/** For the global teardown: stops every n8n a test left running, and ends the registry. */
export async function stopLeftoverN8n(): Promise<number> {
	const registry = startedRegistry();
	if (!registry || !existsSync(registry)) return 0;
	const pids = readFileSync(registry, 'utf8').split('\n').filter(Boolean).map(Number);
	for (const pid of pids) await killTree(pid);
	rmSync(registry, { force: true });
	return pids.length;
}

async function killTree(pid: number): Promise<void> {
	const alive = () => {
		try {
			process.kill(pid, 0);
			return true;
		} catch {
			return false;
		}
	};
	try {
		process.kill(-pid, 'SIGTERM');
	} catch {
		return;
	}
	// Only a process id here (the group's members are not our children): no exit event to wait on.
	await waitFor(() => !alive(), { what: `process group ${pid} to exit`, timeoutMs: 15_000 }).catch(
		() => undefined,
	);
	if (alive()) {
		try {
			process.kill(-pid, 'SIGKILL');
		} catch {
			// already gone
		}
	}
}

function unwrap(body: unknown): unknown {
	return body && typeof body === 'object' && 'data' in body
		? (body as { data: unknown }).data
		: body;
}

export function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}

export function readJson<T>(path: string): T {
	return JSON.parse(readFileSync(path, 'utf8')) as T;
}
