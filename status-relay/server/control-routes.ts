/**
 * The control routes' answers: execute, pause / resume (and the intake state they wait for) and
 * cancel, each turned into a reply for the relay client. n8n is reached only through N8nApi.
 */
import type { IncomingMessage } from 'node:http';
import type { TokenScope } from './config';
import { readBody } from './ingest';
import type { Reply } from './routes';
import type { Logger } from './logger';
import { Access } from './auth';
import { isActive, webhookOf } from './n8n-api';
import type { N8nAnswer, N8nApi, N8nObject } from './n8n-api';

const NOT_FOUND: Reply = { status: 404, body: { error: 'not_found', message: 'not found' } };

interface IntakeState {
	workflowId: string;
	active: boolean;
	webhook?: 'registered' | 'not_registered';
	/** `changing` while n8n's flag and its webhook registration disagree. */
	intake: 'open' | 'paused' | 'changing' | 'unknown';
}

export class Control {
	constructor(
		readonly n8n: N8nApi,
		private readonly logger: Logger,
		/** How long pause / resume wait for intake to actually change. */
		private readonly confirmMs = 20_000,
	) {}

	async workflowAction(action: string, workflowId: string, req: IncomingMessage): Promise<Reply> {
		if (action === 'execute') return await this.execute(workflowId, req);
		// 2.x calls it publish / unpublish (activate / deactivate are deprecated aliases); 1.x has only
		// activate / deactivate. Try the current name first, the other on a 404 for the route.
		const modern = ((await this.n8n.major()) ?? 2) >= 2;
		const verbs =
			action === 'pause'
				? modern
					? ['unpublish', 'deactivate']
					: ['deactivate', 'unpublish']
				: modern
					? ['publish', 'activate']
					: ['activate', 'publish'];
		const path = `/workflows/${encodeURIComponent(workflowId)}`;
		const exists = await this.n8n.workflow(workflowId);
		if (exists.status === 404) return NOT_FOUND;
		if (exists.status >= 400) return upstream(exists);
		for (const verb of verbs) {
			const result = await this.n8n.request(
				'POST',
				`${path}/${verb}`,
				verb === 'publish' ? {} : undefined,
			);
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
	 * registered.
	 */
	private async intakeState(workflowId: string): Promise<IntakeState | Reply | 'missing'> {
		const workflow = await this.n8n.workflow(workflowId);
		if (workflow.status === 404) return 'missing';
		if (workflow.status >= 400) return upstream(workflow);
		const active = isActive(workflow.body as N8nObject);
		const webhook = webhookOf(workflow.body as N8nObject);
		if (!webhook) return { workflowId, active, intake: active ? 'open' : 'paused' };
		const registered = await this.n8n.webhookRegistered(webhook);
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
		const workflow = await this.n8n.workflow(workflowId);
		if (workflow.status === 404) return NOT_FOUND;
		if (workflow.status >= 400) return upstream(workflow);
		const webhook = webhookOf(workflow.body as N8nObject);
		if (!webhook) {
			return {
				status: 409,
				body: {
					error: 'no_webhook_trigger',
					message: 'this workflow has no enabled Webhook trigger to start it through',
				},
			};
		}
		if (!isActive(workflow.body as N8nObject)) {
			return {
				status: 409,
				body: {
					error: 'workflow_inactive',
					message: 'the workflow is paused (inactive): resume it first',
				},
			};
		}
		const body = await readBody(req, 1_048_576);
		const response = await this.n8n.callWebhook(webhook, body);
		return {
			status: response.ok ? 202 : 502,
			body: {
				workflowId,
				started: response.ok,
				webhookStatus: response.status,
				response: safeJson(response.text),
			},
		};
	}

	async cancel(
		executionId: string,
		workflowId: string | undefined,
		scope: TokenScope,
	): Promise<Reply> {
		const major = await this.n8n.major();
		if (major !== undefined && major < 2) return notSupported(major);
		if (!workflowId) {
			const found = await this.n8n.execution(executionId);
			if (
				found.status >= 400 ||
				!Access.canSee(scope, String((found.body as N8nObject)?.workflowId ?? ''))
			) {
				return NOT_FOUND;
			}
		}
		const result = await this.n8n.request(
			'POST',
			`/executions/${encodeURIComponent(executionId)}/stop`,
		);
		if (result.status === 404) {
			// Version unknown (no hook has reported yet): an execution n8n has, whose stop route it
			// lacks, is an n8n without the route.
			const found = await this.n8n.execution(executionId);
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
		const stopped = (result.body ?? {}) as N8nObject;
		return {
			status: 200,
			body: {
				executionId,
				canceled: true,
				...(typeof stopped.status === 'string' ? { status: stopped.status } : {}),
			},
		};
	}
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

function upstream(result: N8nAnswer): Reply {
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
