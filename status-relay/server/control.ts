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

// n8n's public API answers are read defensively, field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

export class Control {
	private n8nMajor: number | undefined;

	constructor(
		private readonly n8n: { url: string; apiKey: string },
		private readonly logger: Logger,
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

	/** n8n's major version, from its settings endpoint (cached). */
	async major(): Promise<number | undefined> {
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
		const paths = action === 'pause' ? ['deactivate'] : ['activate', 'publish'];
		for (const verb of paths) {
			const result = await this.api(
				'POST',
				`/workflows/${encodeURIComponent(workflowId)}/${verb}`,
				verb === 'publish' ? {} : undefined,
			);
			if (result.status === 404 && verb !== paths[paths.length - 1]) continue;
			if (result.status === 404)
				return { status: 404, body: { error: 'not_found', message: 'not found' } };
			if (result.status >= 400) return upstream(result);
			return {
				status: 200,
				body: {
					workflowId,
					active: action === 'resume',
					intake: action === 'resume' ? 'open' : 'paused',
				},
			};
		}
		return { status: 404, body: { error: 'not_found', message: 'not found' } };
	}

	/** Starts a run the way production traffic does: through the workflow's Webhook trigger. */
	private async execute(workflowId: string, req: IncomingMessage): Promise<Reply> {
		const workflow = await this.api('GET', `/workflows/${encodeURIComponent(workflowId)}`);
		if (workflow.status === 404)
			return { status: 404, body: { error: 'not_found', message: 'not found' } };
		if (workflow.status >= 400) return upstream(workflow);
		const webhook = ((workflow.body as Obj).nodes as Obj[] | undefined)?.find(
			(node) => node.type === 'n8n-nodes-base.webhook' && !node.disabled,
		);
		if (!webhook) {
			return {
				status: 409,
				body: {
					error: 'no_webhook_trigger',
					message: 'this workflow has no enabled Webhook trigger to start it through',
				},
			};
		}
		if (!(workflow.body as Obj).active) {
			return {
				status: 409,
				body: {
					error: 'workflow_inactive',
					message: 'the workflow is paused (inactive): resume it first',
				},
			};
		}
		const body = await readBody(req, 1_048_576);
		const method = String(webhook.parameters?.httpMethod ?? 'GET');
		const response = await fetch(`${this.n8n.url}/webhook/${webhook.parameters?.path}`, {
			method,
			headers: { 'content-type': 'application/json' },
			body: method === 'GET' || method === 'HEAD' ? undefined : body || '{}',
			signal: AbortSignal.timeout(30_000),
		});
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
		if (major !== undefined && major < 2) {
			return {
				status: 501,
				body: {
					error: 'not_supported',
					message: `cancel is not supported by this n8n version (${major}.x): n8n's public API can stop executions from 2.0 on`,
				},
			};
		}
		if (!workflowId) {
			const found = await this.api('GET', `/executions/${encodeURIComponent(executionId)}`);
			if (
				found.status >= 400 ||
				!Access.canSee(scope, String((found.body as Obj)?.workflowId ?? ''))
			) {
				return { status: 404, body: { error: 'not_found', message: 'not found' } };
			}
		}
		const result = await this.api('POST', `/executions/${encodeURIComponent(executionId)}/stop`);
		if (result.status === 404)
			return { status: 404, body: { error: 'not_found', message: 'not found' } };
		if (result.status >= 400) return upstream(result);
		return { status: 200, body: { executionId, canceled: true } };
	}

	/**
	 * After a restart: the executions n8n still runs or holds waiting, plus the latest finished one
	 * per workflow, as snapshots marked `rebuilt`.
	 */
	async rebuild(limit = 50): Promise<ExecutionSnapshot[]> {
		const snapshots: ExecutionSnapshot[] = [];
		const workflows = new Map<string, Obj | undefined>();
		for (const status of ['running', 'waiting', 'success', 'error', 'canceled']) {
			const page = await this.api(
				'GET',
				`/executions?status=${status}&includeData=true&limit=${limit}`,
			);
			if (page.status >= 400) {
				this.logger.warn({ status: page.status }, 'rebuild: n8n refused to list executions');
				continue;
			}
			for (const execution of ((page.body as Obj)?.data ?? []) as Obj[]) {
				const workflowId = String(execution.workflowId ?? '');
				if (!workflows.has(workflowId)) {
					const wf = await this.api('GET', `/workflows/${encodeURIComponent(workflowId)}`);
					workflows.set(workflowId, wf.status < 400 ? (wf.body as Obj) : undefined);
				}
				snapshots.push(snapshotFromN8n(execution, workflows.get(workflowId)));
			}
		}
		return snapshots;
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
		const type = String(
			((workflow?.nodes ?? []) as Obj[]).find((n) => n.name === name)?.type ?? '',
		);
		if (!last) {
			nodes.push({ name, type, state: finished ? 'skipped' : 'pending', runs: 0 });
			continue;
		}
		const state: NodeSnapshot['state'] = last.error
			? 'error'
			: last.executionStatus === 'waiting' ||
				  (status === 'waiting' && name === execution.data?.resultData?.lastNodeExecuted)
				? 'waiting'
				: last.executionStatus === 'canceled'
					? 'canceled'
					: 'success';
		nodes.push({
			name,
			type,
			state,
			runs: runs.length,
			...(typeof last.startTime === 'number'
				? { startedAt: new Date(last.startTime).toISOString() }
				: {}),
			...(typeof last.executionTime === 'number' ? { durationMs: last.executionTime } : {}),
			itemsOut: ((last.data?.main ?? []) as unknown[]).map((o) =>
				Array.isArray(o) ? o.length : 0,
			),
			...(last.error?.message ? { error: { message: String(last.error.message) } } : {}),
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
		...(execution.waitTill ? { waitTill: new Date(execution.waitTill).toISOString() } : {}),
		...(error?.message
			? {
					error: {
						message: String(error.message),
						...(error.node?.name ? { node: String(error.node.name) } : {}),
					},
				}
			: {}),
		seq: 0,
		nodes,
		rebuilt: true,
	};
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
