/**
 * The relay's HTTP API (DESIGN.md section 5). Every lookup that a token may not see is answered
 * exactly like a lookup of something that does not exist.
 */
import type { IncomingMessage } from 'node:http';
import type { TokenScope } from './config';
import { Access } from './auth';
import type { EventScope, EventStore } from './store';
import type { ExecutionStates } from './state';
import type { Ingest } from './ingest';
import type { RelayMetrics } from './metrics';
import type { Envelope } from '../protocol/types';
import type { Control } from './control-routes';

/** The dashboard page and its ES modules by path (`/dashboard.js`, `/fold.js`, ...). */
export interface Dashboard {
	html: string;
	modules: Map<string, string>;
}

export interface RouteContext {
	access: Access;
	store: EventStore;
	states: ExecutionStates;
	ingest: Ingest;
	metrics: RelayMetrics;
	control?: Control;
	isReady(): boolean;
	details(withVersions: boolean): Record<string, unknown>;
	dashboard(): Dashboard | undefined;
}

export interface Reply {
	status: number;
	body: unknown;
	contentType?: string;
	headers?: Record<string, string>;
}

const NOT_FOUND: Reply = { status: 404, body: { error: 'not_found', message: 'not found' } };
export const BAD_REQUEST: Reply = {
	status: 400,
	body: {
		error: 'bad_request',
		message: 'the request target is not a valid path (check its slashes and percent-encoding)',
	},
};
export const INTERNAL_ERROR: Reply = {
	status: 500,
	body: { error: 'internal_error', message: 'internal error' },
};
export const STATUS_TEXT: Record<number, string> = {
	400: 'Bad Request',
	401: 'Unauthorized',
	404: 'Not Found',
	503: 'Service Unavailable',
};

/**
 * Metric labels come from this fixed list (and the status codes below), never from the URL: a
 * client cannot make the relay grow a series per request.
 */
const API_ROUTES = {
	workflows: ['status', 'logs', 'intake', 'execute', 'pause', 'resume'],
	executions: ['status', 'logs', 'cancel'],
} as const;
export type RouteName =
	| 'health'
	| 'metrics'
	| 'ingest'
	| 'dashboard'
	| 'token'
	| 'workflows'
	| `workflows.${(typeof API_ROUTES.workflows)[number]}`
	| `executions.${(typeof API_ROUTES.executions)[number]}`
	| 'other';

const STATUS_LABELS = new Set([
	200, 202, 204, 400, 401, 403, 404, 405, 408, 409, 410, 413, 500, 501, 502, 503, 504,
]);

export function statusLabel(status: number): string {
	return STATUS_LABELS.has(status) ? String(status) : 'other';
}

/**
 * The URL of a request target, or undefined when it is not one this relay serves. Origin-form
 * targets (`/path?query`) are read relative to a fixed base, so `//`, `///x` or `/\\x` stay paths
 * rather than becoming hosts; an absolute-form target is reduced to its path.
 */
export function requestTarget(raw: string | undefined): URL | undefined {
	if (!raw || raw.length > 16_384) return undefined;
	try {
		if (raw.startsWith('/')) return new URL(`http://relay.invalid${raw}`);
		const absolute = new URL(raw);
		if (absolute.protocol !== 'http:' && absolute.protocol !== 'https:') return undefined;
		return new URL(`http://relay.invalid${absolute.pathname}${absolute.search}`);
	} catch {
		return undefined;
	}
}

/** A path segment's text, or undefined when its percent-encoding is malformed. */
export function decodePathSegment(segment: string): string | undefined {
	try {
		return decodeURIComponent(segment);
	} catch {
		return undefined;
	}
}
const UNAUTHORIZED: Reply = {
	status: 401,
	body: { error: 'unauthorized', message: 'a valid token is required (Authorization: Bearer …)' },
	headers: { 'www-authenticate': 'Bearer' },
};
const MAX_PAGE = 1000;
/** The page loads only its own script and talks only to this relay. */
const DASHBOARD_HEADERS = {
	'content-security-policy':
		"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	'referrer-policy': 'no-referrer',
};

export async function workflowVisible(
	ctx: RouteContext,
	scope: TokenScope | undefined,
	workflowId: string,
): Promise<boolean> {
	if (!Access.canSee(scope, workflowId)) return false;
	if (scope!.workflows !== '*' || ctx.states.knowsWorkflow(workflowId)) return true;
	// A wildcard token sees the workflows that exist: those the relay has events for, and, when it
	// can ask n8n, those n8n has (so a dashboard can watch a workflow before its first run).
	return ctx.control ? await ctx.control.n8n.workflowExists(workflowId) : false;
}

export function executionVisible(
	ctx: RouteContext,
	scope: TokenScope | undefined,
	executionId: string,
): string | undefined {
	const snapshot = ctx.states.get(executionId);
	if (!snapshot || !Access.canSee(scope, snapshot.workflowId)) return undefined;
	return snapshot.workflowId;
}

export async function route(
	ctx: RouteContext,
	req: IncomingMessage,
	url: URL,
): Promise<{ name: RouteName; reply: Reply }> {
	const method = req.method ?? 'GET';
	const path = url.pathname;

	if (method === 'GET' && path === '/health/live')
		return { name: 'health', reply: { status: 200, body: { status: 'ok' } } };
	if (method === 'GET' && path === '/health/ready') {
		const ready = ctx.isReady();
		return {
			name: 'health',
			reply: { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not_ready' } },
		};
	}
	if (method === 'GET' && path === '/health/detailed') {
		const withVersions = ctx.access.scopeOf(req) !== undefined;
		return {
			name: 'health',
			reply: { status: ctx.isReady() ? 200 : 503, body: ctx.details(withVersions) },
		};
	}
	if (method === 'GET' && path === '/metrics') {
		return {
			name: 'metrics',
			reply: {
				status: 200,
				body: await ctx.metrics.registry.metrics(),
				contentType: ctx.metrics.registry.contentType,
			},
		};
	}
	if (method === 'POST' && path === '/ingest') {
		const { status, body, headers } = await ctx.ingest.handle(req);
		return { name: 'ingest', reply: { status, body, ...(headers ? { headers } : {}) } };
	}
	if (method === 'GET' && path === '/favicon.ico') {
		return { name: 'dashboard', reply: { status: 204, body: '', contentType: 'image/x-icon' } };
	}
	if (method === 'GET' && (path === '/' || /^\/[a-z-]+\.js$/.test(path))) {
		const page = ctx.dashboard();
		const script = path === '/' ? undefined : page?.modules.get(path);
		if (!page || (path !== '/' && script === undefined))
			return { name: 'dashboard', reply: NOT_FOUND };
		return {
			name: 'dashboard',
			reply:
				script === undefined
					? {
							status: 200,
							body: page.html,
							contentType: 'text/html; charset=utf-8',
							headers: DASHBOARD_HEADERS,
						}
					: { status: 200, body: script, contentType: 'text/javascript; charset=utf-8' },
		};
	}

	if (method === 'GET' && (path === '/api/v1/token' || path === '/api/v1/workflows')) {
		const scope = ctx.access.scopeOf(req);
		if (!scope)
			return { name: path === '/api/v1/token' ? 'token' : 'workflows', reply: UNAUTHORIZED };
		if (path === '/api/v1/token') {
			return {
				name: 'token',
				reply: {
					status: 200,
					body: {
						name: scope.name,
						control: scope.control && ctx.control !== undefined,
						workflows: scope.workflows === '*' ? '*' : [...scope.workflows],
					},
				},
			};
		}
		// The workflows this token may see that the relay has events (or rebuilt state) for.
		const workflows = ctx.states
			.workflows()
			.filter((w) => Access.canSee(scope, w.workflowId))
			.map((w) => ({ workflowId: w.workflowId, workflowName: w.workflowName ?? '' }));
		return { name: 'workflows', reply: { status: 200, body: { workflows } } };
	}

	const api = /^\/api\/v1\/(workflows|executions)\/([^/]+)\/([a-z]+)$/.exec(path);
	if (!api) return { name: 'other', reply: NOT_FOUND };
	const [, kind, rawId, action] = api as unknown as [
		string,
		'workflows' | 'executions',
		string,
		string,
	];
	const known = (API_ROUTES[kind] as readonly string[]).includes(action);
	const name: RouteName = known ? (`${kind}.${action}` as RouteName) : 'other';
	const id = decodePathSegment(rawId);
	if (id === undefined) return { name, reply: BAD_REQUEST };
	const scope = ctx.access.scopeOf(req);
	if (!scope) return { name, reply: UNAUTHORIZED };
	if (!known) return { name, reply: NOT_FOUND };

	if (kind === 'workflows') {
		const visible = await workflowVisible(ctx, scope, id);
		if (method === 'GET' && action === 'status') {
			if (!visible) return { name, reply: NOT_FOUND };
			return {
				name,
				reply: { status: 200, body: { ...ctx.states.workflow(id), cursor: ctx.store.head() } },
			};
		}
		if (method === 'GET' && action === 'logs') {
			if (!visible) return { name, reply: NOT_FOUND };
			return { name, reply: await logs(ctx, url, (e) => e.workflowId === id, { workflowId: id }) };
		}
		if (method === 'GET' && action === 'intake') {
			if (!visible) return { name, reply: NOT_FOUND };
			if (!ctx.control) return { name, reply: noControl() };
			return { name, reply: await ctx.control.intake(id) };
		}
		if (method === 'POST' && ['execute', 'pause', 'resume'].includes(action)) {
			if (!Access.canSee(scope, id)) return { name, reply: NOT_FOUND };
			if (!scope.control) return { name, reply: forbidden() };
			if (!ctx.control) return { name, reply: noControl() };
			return { name, reply: await ctx.control.workflowAction(action, id, req) };
		}
		return { name, reply: NOT_FOUND };
	}

	const workflowId = executionVisible(ctx, scope, id);
	if (method === 'GET' && action === 'status') {
		if (!workflowId) return { name, reply: NOT_FOUND };
		return { name, reply: { status: 200, body: ctx.states.get(id) } };
	}
	if (method === 'GET' && action === 'logs') {
		if (!workflowId) return { name, reply: NOT_FOUND };
		return { name, reply: await logs(ctx, url, (e) => e.executionId === id, { executionId: id }) };
	}
	if (method === 'POST' && action === 'cancel') {
		if (!workflowId && !(ctx.control && scope.workflows === '*')) return { name, reply: NOT_FOUND };
		if (!scope.control) return { name, reply: forbidden() };
		if (!ctx.control) return { name, reply: noControl() };
		return { name, reply: await ctx.control.cancel(id, workflowId, scope) };
	}
	return { name, reply: NOT_FOUND };
}

function forbidden(): Reply {
	return {
		status: 403,
		body: { error: 'forbidden', message: 'this token may watch but not control workflows' },
	};
}

function noControl(): Reply {
	return {
		status: 501,
		body: {
			error: 'not_configured',
			message: 'control needs RELAY_N8N_URL and RELAY_N8N_API_KEY (an n8n API key)',
		},
	};
}

async function logs(
	ctx: RouteContext,
	url: URL,
	filter: (event: Envelope) => boolean,
	where: EventScope,
): Promise<Reply> {
	const cursor = url.searchParams.get('cursor') ?? undefined;
	const limitRaw = Number(url.searchParams.get('limit') ?? 100);
	const limit = Number.isInteger(limitRaw) && limitRaw > 0 ? Math.min(limitRaw, MAX_PAGE) : 100;
	const read = await ctx.store.readAfter(cursor, filter, limit, where);
	if (!read.ok) {
		return {
			status: 410,
			body: {
				error: read.reason,
				message:
					'this cursor can no longer be resumed; read the current status and continue from the returned cursor',
				cursor: read.head,
			},
		};
	}
	const last = read.events[read.events.length - 1];
	return {
		status: 200,
		body: {
			events: read.events,
			nextCursor: read.more && last ? last.cursor : read.head,
			hasMore: read.more,
		},
	};
}
