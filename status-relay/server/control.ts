/**
 * Execute / pause / resume / cancel, and state rebuild after a restart, through n8n's public API
 * (X-N8N-API-KEY). Nothing here talks to n8n's internals.
 */
import type { IncomingMessage } from 'node:http';
import type { TokenScope } from './config';
import type { ExecutionSnapshot, NodeSnapshot } from '../protocol/types';
import { readBody } from './ingest';
import type { Reply } from './routes';
import type { Logger } from './logger';
import { Access } from './auth';
import { continuesOnError, firstItemError } from '../hook/mapper';
import { DEFAULT_EVENT_LIMITS, truncationMarker } from '../protocol/schema';

const NOT_FOUND: Reply = { status: 404, body: { error: 'not_found', message: 'not found' } };

// n8n's public API answers are read defensively, field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

export class Control {
	private n8nMajor: number | undefined;
	private readonly existing = new Map<string, number>();

	constructor(
		private readonly n8n: { url: string; apiKey: string },
		private readonly logger: Logger,
		/** The n8n version the hooks last reported, if any. */
		private readonly versionHint: () => string | undefined = () => undefined,
		/** How long pause / resume wait for intake to actually change. */
		private readonly confirmMs = 20_000,
	) {}

	async api(
		method: string,
		path: string,
		body?: unknown,
	): Promise<{ status: number; body: Obj | string | undefined }> {
		const response = await fetch(`${this.n8n.url}/api/v1${path}`, {
			method,
			headers: {
				'X-N8N-API-KEY': this.n8n.apiKey,
				accept: 'application/json',
				...(body !== undefined ? { 'content-type': 'application/json' } : {}),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(15_000),
		});
		const text = await response.text();
		let parsed: unknown = text;
		try {
			parsed = text ? JSON.parse(text) : undefined;
		} catch {
			// keep text
		}
		return { status: response.status, body: parsed as Obj | string | undefined };
	}

	/** Whether n8n has this workflow (for wildcard tokens); a yes is remembered for a minute. */
	async workflowExists(workflowId: string): Promise<boolean> {
		const seen = this.existing.get(workflowId);
		if (seen !== undefined && Date.now() - seen < 60_000) return true;
		try {
			const found = await this.api('GET', `/workflows/${encodeURIComponent(workflowId)}`);
			if (found.status !== 200) return false;
			if (this.existing.size > 10_000) this.existing.clear();
			this.existing.set(workflowId, Date.now());
			return true;
		} catch (error) {
			this.logger.warn({ err: error }, 'could not ask n8n whether a workflow exists');
			return false;
		}
	}

	/**
	 * n8n's major version. The hooks report it (they run inside n8n); n8n answers unauthenticated
	 * settings requests without it, so that is only the fallback for a signed-in setup.
	 */
	async major(): Promise<number | undefined> {
		const reported = this.versionHint();
		if (reported) return Number(reported.split('.')[0]);
		if (this.n8nMajor !== undefined) return this.n8nMajor;
		try {
			const response = await fetch(`${this.n8n.url}/rest/settings`, {
				signal: AbortSignal.timeout(5_000),
			});
			const body = (await response.json()) as { data?: { versionCli?: string } };
			const version = body.data?.versionCli;
			if (version) this.n8nMajor = Number(version.split('.')[0]);
		} catch (error) {
			this.logger.warn({ err: error }, 'could not read the n8n version');
		}
		return this.n8nMajor;
	}

	async workflowAction(action: string, workflowId: string, req: IncomingMessage): Promise<Reply> {
		if (action === 'execute') return await this.execute(workflowId, req);
		// 2.x calls it publish / unpublish (activate / deactivate are deprecated aliases); 1.x has only
		// activate / deactivate. Try the current name first, the other on a 404 for the route.
		const modern = ((await this.major()) ?? 2) >= 2;
		const verbs =
			action === 'pause'
				? modern
					? ['unpublish', 'deactivate']
					: ['deactivate', 'unpublish']
				: modern
					? ['publish', 'activate']
					: ['activate', 'publish'];
		const path = `/workflows/${encodeURIComponent(workflowId)}`;
		const exists = await this.api('GET', path);
		if (exists.status === 404) return NOT_FOUND;
		if (exists.status >= 400) return upstream(exists);
		for (const verb of verbs) {
			const result = await this.api('POST', `${path}/${verb}`, verb === 'publish' ? {} : undefined);
			if (result.status === 404 || result.status === 405) continue;
			if (result.status >= 400) return upstream(result);
			// n8n answers before its triggers follow (2.x registers webhooks through an outbox): the
			// answer waits until intake has really stopped or started.
			const wanted = action === 'resume' ? 'open' : 'paused';
			const state = await this.waitForIntake(workflowId, wanted);
			if (state.intake !== wanted) {
				this.logger.warn(
					{ workflowId, action, via: verb },
					'workflow intake did not change in time',
				);
				return {
					status: 504,
					body: {
						error: 'not_confirmed',
						message: `n8n accepted the ${action}, but intake was still ${state.intake} after ${Math.round(this.confirmMs / 1000)} s (RELAY_INTAKE_CONFIRM_MS); check the workflow in n8n`,
						...state,
					},
				};
			}
			this.logger.info({ workflowId, action, via: verb }, 'workflow intake changed');
			return { status: 200, body: state };
		}
		return upstream({ status: 404, body: `n8n has no ${verbs.join(' / ')} route` });
	}

	/** GET .../intake: whether the workflow takes work now. */
	async intake(workflowId: string): Promise<Reply> {
		const state = await this.intakeState(workflowId);
		if (state === 'missing') return NOT_FOUND;
		if ('status' in state) return state;
		return { status: 200, body: state };
	}

	private async waitForIntake(workflowId: string, wanted: 'open' | 'paused'): Promise<IntakeState> {
		const deadline = Date.now() + this.confirmMs;
		let last: IntakeState = { workflowId, active: wanted === 'paused', intake: 'unknown' };
		for (;;) {
			const state = await this.intakeState(workflowId).catch(() => undefined);
			if (state && state !== 'missing' && !('status' in state)) {
				last = state;
				if (state.intake === wanted) return state;
			}
			if (Date.now() >= deadline) return last;
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
	}

	/**
	 * Intake is open when n8n has the workflow active and, for a Webhook trigger, the webhook
	 * registered: an OPTIONS (CORS preflight) request names the methods n8n has registered for
	 * the path, without running anything.
	 */
	private async intakeState(workflowId: string): Promise<IntakeState | Reply | 'missing'> {
		const workflow = await this.api('GET', `/workflows/${encodeURIComponent(workflowId)}`);
		if (workflow.status === 404) return 'missing';
		if (workflow.status >= 400) return upstream(workflow);
		const active = isActive(workflow.body as Obj);
		const webhook = webhookOf(workflow.body as Obj);
		if (!webhook) return { workflowId, active, intake: active ? 'open' : 'paused' };
		let registered: boolean | undefined;
		try {
			const response = await fetch(`${this.n8n.url}/webhook/${webhook.path}`, {
				method: 'OPTIONS',
				headers: { origin: this.n8n.url, 'access-control-request-method': webhook.method },
				signal: AbortSignal.timeout(5_000),
			});
			await response.arrayBuffer();
			const allowed = (response.headers.get('access-control-allow-methods') ?? '')
				.split(',')
				.map((m) => m.trim().toUpperCase());
			registered = response.ok && allowed.includes(webhook.method.toUpperCase());
		} catch (error) {
			this.logger.warn(
				{ err: String(error) },
				'could not ask n8n whether the webhook is registered',
			);
		}
		const intake =
			registered === undefined
				? 'unknown'
				: active && registered
					? 'open'
					: !active && !registered
						? 'paused'
						: 'changing';
		return { workflowId, active, webhook: registered ? 'registered' : 'not_registered', intake };
	}

	/** Starts a run the way production traffic does: through the workflow's Webhook trigger. */
	private async execute(workflowId: string, req: IncomingMessage): Promise<Reply> {
		const workflow = await this.api('GET', `/workflows/${encodeURIComponent(workflowId)}`);
		if (workflow.status === 404) return NOT_FOUND;
		if (workflow.status >= 400) return upstream(workflow);
		const webhook = webhookOf(workflow.body as Obj);
		if (!webhook) {
			return {
				status: 409,
				body: {
					error: 'no_webhook_trigger',
					message: 'this workflow has no enabled Webhook trigger to start it through',
				},
			};
		}
		if (!isActive(workflow.body as Obj)) {
			return {
				status: 409,
				body: {
					error: 'workflow_inactive',
					message: 'the workflow is paused (inactive): resume it first',
				},
			};
		}
		const body = await readBody(req, 1_048_576);
		const { method, path } = webhook;
		// n8n 2.x registers a just-published trigger a moment later, through an outbox: a 404 there
		// means nothing ran, so it is safe to ask again for a few seconds.
		const deadline = Date.now() + 10_000;
		let response: Response;
		for (;;) {
			response = await fetch(`${this.n8n.url}/webhook/${path}`, {
				method,
				headers: { 'content-type': 'application/json' },
				body: method === 'GET' || method === 'HEAD' ? undefined : body || '{}',
				signal: AbortSignal.timeout(30_000),
			});
			if (response.status !== 404 || Date.now() > deadline) break;
			await response.arrayBuffer();
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
		const text = await response.text();
		return {
			status: response.ok ? 202 : 502,
			body: {
				workflowId,
				started: response.ok,
				webhookStatus: response.status,
				response: safeJson(text),
			},
		};
	}

	async cancel(
		executionId: string,
		workflowId: string | undefined,
		scope: TokenScope,
	): Promise<Reply> {
		const major = await this.major();
		if (major !== undefined && major < 2) return notSupported(major);
		if (!workflowId) {
			const found = await this.api('GET', `/executions/${encodeURIComponent(executionId)}`);
			if (
				found.status >= 400 ||
				!Access.canSee(scope, String((found.body as Obj)?.workflowId ?? ''))
			) {
				return NOT_FOUND;
			}
		}
		const result = await this.api('POST', `/executions/${encodeURIComponent(executionId)}/stop`);
		if (result.status === 404) {
			// Version unknown (no hook has reported yet): an execution n8n has, whose stop route it
			// lacks, is an n8n without the route.
			const found = await this.api('GET', `/executions/${encodeURIComponent(executionId)}`);
			return found.status === 200 ? notSupported(undefined) : NOT_FOUND;
		}
		if (result.status === 409) {
			return {
				status: 409,
				body: {
					error: 'not_running',
					message: 'the execution is not running or waiting any more',
					n8n: result.body,
				},
			};
		}
		if (result.status >= 400) return upstream(result);
		this.logger.info({ executionId }, 'execution canceled through n8n');
		const stopped = (result.body ?? {}) as Obj;
		return {
			status: 200,
			body: {
				executionId,
				canceled: true,
				...(typeof stopped.status === 'string' ? { status: stopped.status } : {}),
			},
		};
	}

	/**
	 * After a restart: the executions n8n still runs or holds waiting, plus the latest finished one
	 * per workflow, as snapshots marked `rebuilt`.
	 */
	async rebuild(limit = 50): Promise<ExecutionSnapshot[]> {
		const snapshots = new Map<string, ExecutionSnapshot>();
		const workflows = new Map<string, Obj | undefined>();
		const add = async (execution: Obj) => {
			const workflowId = String(execution.workflowId ?? '');
			if (!workflows.has(workflowId)) {
				const wf = await this.api('GET', `/workflows/${encodeURIComponent(workflowId)}`);
				workflows.set(workflowId, wf.status < 400 ? (wf.body as Obj) : undefined);
			}
			const snapshot = snapshotFromN8n(execution, workflows.get(workflowId));
			snapshots.set(snapshot.executionId, snapshot);
		};
		for (const status of ['running', 'waiting', 'success', 'error', 'canceled']) {
			const page = await this.api(
				'GET',
				`/executions?status=${status}&includeData=true&limit=${limit}`,
			);
			if (page.status >= 400) {
				this.logger.warn({ status: page.status }, 'rebuild: n8n refused to list executions');
				continue;
			}
			for (const execution of ((page.body as Obj)?.data ?? []) as Obj[]) await add(execution);
		}
		await this.findHiddenActive(snapshots, add);
		return [...snapshots.values()];
	}

	/**
	 * n8n 1.x leaves out of every list but `status=running` the executions its process still holds,
	 * and it holds waiting ones: they never show up as `status=waiting`. Execution ids are sequential,
	 * so the ids missing around the newest listed ones are looked up one by one (bounded).
	 */
	private async findHiddenActive(
		found: Map<string, ExecutionSnapshot>,
		add: (execution: Obj) => Promise<void>,
	): Promise<void> {
		const ids = [...found.keys()].map(Number).filter((id) => Number.isSafeInteger(id) && id > 0);
		if (!ids.length) return;
		const newest = Math.max(...ids);
		let lookups = 0;
		const lookUp = async (id: number): Promise<boolean> => {
			lookups++;
			const one = await this.api('GET', `/executions/${id}?includeData=true`);
			if (one.status !== 200) return false;
			const execution = one.body as Obj;
			if (['running', 'waiting', 'new'].includes(String(execution?.status))) await add(execution);
			return true;
		};
		for (let id = newest; id > Math.max(0, newest - 100) && lookups < 60; id--) {
			if (!found.has(String(id))) await lookUp(id);
		}
		for (let id = newest + 1, misses = 0; misses < 3 && lookups < 80; id++) {
			misses = (await lookUp(id)) ? 0 : misses + 1;
		}
	}
}

export function snapshotFromN8n(execution: Obj, workflow: Obj | undefined): ExecutionSnapshot {
	const runData: Obj = execution.data?.resultData?.runData ?? {};
	const status = String(execution.status ?? (execution.finished ? 'success' : 'running'));
	const finished = !['running', 'waiting', 'new'].includes(status);
	const nodes: NodeSnapshot[] = [];
	const names = new Set<string>([
		...((workflow?.nodes ?? []) as Obj[])
			.filter((n) => !n.disabled && n.type !== 'n8n-nodes-base.stickyNote')
			.map((n) => String(n.name)),
		...Object.keys(runData),
	]);
	for (const name of names) {
		const runs = (runData[name] ?? []) as Obj[];
		const last = runs[runs.length - 1];
		const node = ((workflow?.nodes ?? []) as Obj[]).find((n) => n.name === name);
		const type = String(node?.type ?? '');
		if (!last) {
			const holds = status === 'waiting' && name === execution.data?.resultData?.lastNodeExecuted;
			nodes.push({
				name,
				type,
				state: holds ? 'waiting' : finished ? 'skipped' : 'pending',
				runs: 0,
			});
			continue;
		}
		const outputs = (last.data?.main ?? []) as unknown[];
		// As the live stream reports it: a node that continued on error failed, even if n8n says success.
		const itemError =
			!last.error && continuesOnError(node)
				? firstItemError(outputs, node?.onError === 'continueErrorOutput')
				: undefined;
		const state: NodeSnapshot['state'] =
			last.error || itemError
				? 'error'
				: last.executionStatus === 'waiting' ||
					  (status === 'waiting' && name === execution.data?.resultData?.lastNodeExecuted)
					? 'waiting'
					: last.executionStatus === 'canceled'
						? 'canceled'
						: 'success';
		const message = clip(last.error?.message ? String(last.error.message) : itemError);
		nodes.push({
			name,
			type,
			state,
			runs: runs.length,
			...(typeof last.startTime === 'number'
				? { startedAt: new Date(last.startTime).toISOString() }
				: {}),
			...(typeof last.startTime === 'number' && typeof last.executionTime === 'number'
				? { finishedAt: new Date(last.startTime + last.executionTime).toISOString() }
				: {}),
			...(typeof last.executionTime === 'number' ? { durationMs: last.executionTime } : {}),
			itemsOut: outputs.map((o) => (Array.isArray(o) ? o.length : 0)),
			...(message ? { error: { message } } : {}),
			...(itemError ? { continuedOnError: true } : {}),
		});
	}
	const error = execution.data?.resultData?.error;
	return {
		executionId: String(execution.id),
		workflowId: String(execution.workflowId ?? ''),
		workflowName: String(workflow?.name ?? ''),
		mode: String(execution.mode ?? 'unknown'),
		status: (['running', 'waiting', 'success', 'error', 'canceled', 'crashed'].includes(status)
			? status
			: 'running') as ExecutionSnapshot['status'],
		...(execution.startedAt ? { startedAt: new Date(execution.startedAt).toISOString() } : {}),
		...(execution.stoppedAt && finished
			? { finishedAt: new Date(execution.stoppedAt).toISOString() }
			: {}),
		// n8n parks "wait until resumed" executions at the year 3000: that is no deadline.
		...(execution.waitTill &&
		!String(new Date(execution.waitTill).toISOString()).startsWith('3000-')
			? { waitTill: new Date(execution.waitTill).toISOString() }
			: {}),
		...(error?.message
			? {
					error: {
						message: clip(String(error.message)),
						...(error.node?.name ? { node: String(error.node.name) } : {}),
					},
				}
			: {}),
		seq: 0,
		nodes,
		rebuilt: true,
	};
}

/** Error messages from n8n's API are cut like the hook's (protocol/schema.ts). */
function clip<T extends string | undefined>(message: T): T {
	if (message === undefined || message.length <= DEFAULT_EVENT_LIMITS.maxStringLength)
		return message;
	return (message.slice(0, DEFAULT_EVENT_LIMITS.maxStringLength) +
		truncationMarker(message.length - DEFAULT_EVENT_LIMITS.maxStringLength)) as T;
}

function notSupported(major: number | undefined): Reply {
	return {
		status: 501,
		body: {
			error: 'not_supported',
			message: `cancel is not supported by this n8n version${major !== undefined ? ` (${major}.x)` : ''}: n8n's public API can stop executions from 2.0 on`,
		},
	};
}

interface IntakeState {
	workflowId: string;
	active: boolean;
	webhook?: 'registered' | 'not_registered';
	/** `changing` while n8n's flag and its webhook registration disagree. */
	intake: 'open' | 'paused' | 'changing' | 'unknown';
}

/** The workflow's enabled Webhook trigger: its method and path. */
function webhookOf(workflow: Obj): { method: string; path: string } | undefined {
	const node = (workflow?.nodes as Obj[] | undefined)?.find(
		(n) => n?.type === 'n8n-nodes-base.webhook' && !n.disabled,
	);
	if (!node) return undefined;
	const configured = node.parameters?.httpMethod;
	const method = String((Array.isArray(configured) ? configured[0] : configured) ?? 'GET');
	const path = String(node.parameters?.path ?? node.webhookId ?? '').replace(/^\/+/, '');
	return { method, path };
}

/** n8n 1.x has `active`; 2.x also names the published version (`activeVersionId`). */
function isActive(workflow: Obj): boolean {
	return workflow.active === true || (workflow.active === undefined && !!workflow.activeVersionId);
}

function upstream(result: { status: number; body: unknown }): Reply {
	return {
		status: 502,
		body: { error: 'n8n_error', message: `n8n answered HTTP ${result.status}`, n8n: result.body },
	};
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text.slice(0, 2000);
	}
}
