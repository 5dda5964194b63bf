/**
 * The relay's only way into n8n: its public API (X-N8N-API-KEY), its settings endpoint for the
 * version, and the workflow's own webhook. Nothing here talks to n8n's internals, and nothing here
 * decides what a relay client is told: that is control-routes.ts and rebuild.ts.
 */
import type { Logger } from './logger';

// n8n's public API answers are read defensively, field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type N8nObject = Record<string, any>;

export interface N8nAnswer {
	status: number;
	body: N8nObject | string | undefined;
}

/** A workflow's enabled Webhook trigger. */
export interface WebhookTrigger {
	method: string;
	path: string;
}

export class N8nApi {
	private n8nMajor: number | undefined;
	private readonly existing = new Map<string, number>();

	constructor(
		private readonly n8n: { url: string; apiKey: string },
		private readonly logger: Logger,
		/** The n8n version the hooks last reported, if any. */
		private readonly versionHint: () => string | undefined = () => undefined,
	) {}

	/** One call to n8n's public API (`/api/v1<path>`); the body is parsed JSON when it is JSON. */
	async request(method: string, path: string, body?: unknown): Promise<N8nAnswer> {
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
		return { status: response.status, body: parsed as N8nObject | string | undefined };
	}

	workflow(workflowId: string): Promise<N8nAnswer> {
		return this.request('GET', `/workflows/${encodeURIComponent(workflowId)}`);
	}

	execution(executionId: string | number, withData = false): Promise<N8nAnswer> {
		const query = withData ? '?includeData=true' : '';
		return this.request('GET', `/executions/${encodeURIComponent(String(executionId))}${query}`);
	}

	/** Whether n8n has this workflow (for wildcard tokens); a yes is remembered for a minute. */
	async workflowExists(workflowId: string): Promise<boolean> {
		const seen = this.existing.get(workflowId);
		if (seen !== undefined && Date.now() - seen < 60_000) return true;
		try {
			const found = await this.workflow(workflowId);
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

	/**
	 * Whether n8n has the webhook registered: an OPTIONS (CORS preflight) request names the methods
	 * n8n has registered for the path, without running anything. Undefined when n8n did not answer.
	 */
	async webhookRegistered(webhook: WebhookTrigger): Promise<boolean | undefined> {
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
			return response.ok && allowed.includes(webhook.method.toUpperCase());
		} catch (error) {
			this.logger.warn(
				{ err: String(error) },
				'could not ask n8n whether the webhook is registered',
			);
			return undefined;
		}
	}

	/**
	 * Calls the workflow's webhook as production traffic does. n8n 2.x registers a just-published
	 * trigger a moment later, through an outbox: a 404 there means nothing ran, so it is safe to
	 * ask again for a few seconds.
	 */
	async callWebhook(
		webhook: WebhookTrigger,
		body: string,
	): Promise<{ status: number; ok: boolean; text: string }> {
		const { method, path } = webhook;
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
		return { status: response.status, ok: response.ok, text: await response.text() };
	}
}

/** The workflow's enabled Webhook trigger: its method and path. */
export function webhookOf(workflow: N8nObject): WebhookTrigger | undefined {
	const node = (workflow?.nodes as N8nObject[] | undefined)?.find(
		(n) => n?.type === 'n8n-nodes-base.webhook' && !n.disabled,
	);
	if (!node) return undefined;
	const configured = node.parameters?.httpMethod;
	const method = String((Array.isArray(configured) ? configured[0] : configured) ?? 'GET');
	const path = String(node.parameters?.path ?? node.webhookId ?? '').replace(/^\/+/, '');
	return { method, path };
}

/** n8n 1.x has `active`; 2.x also names the published version (`activeVersionId`). */
export function isActive(workflow: N8nObject): boolean {
	return workflow.active === true || (workflow.active === undefined && !!workflow.activeVersionId);
}
