/**
 * The relay: composes config, store, state, ingest, stream, routes and metrics into one HTTP server,
 * with readiness and a graceful shutdown.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RelayConfig } from './config';
import type { Logger } from './logger';
import { createLogger } from './logger';
import { Access } from './auth';
import { MemoryStore } from './store';
import type { EventStore } from './store';
import { RedisStore } from './redis-store';
import { ExecutionStates } from './state';
import { Ingest } from './ingest';
import { RelayMetrics } from './metrics';
import { StreamHub } from './stream';
import {
	route,
	workflowVisible,
	executionVisible,
	requestTarget,
	decodePathSegment,
	statusLabel,
	BAD_REQUEST,
	INTERNAL_ERROR,
	STATUS_TEXT,
} from './routes';
import type { Dashboard, Reply, RouteContext, RouteName } from './routes';
import { Control } from './control-routes';
import { N8nApi } from './n8n-api';
import { StateRebuild } from './rebuild';
import type { StreamScope } from '../protocol/types';

export interface RelayOptions {
	logger?: Logger;
	/** Use this store instead of the one the config names (tests, Redis). */
	store?: EventStore;
}

export class Relay {
	readonly id = `relay-${randomBytes(4).toString('hex')}`;
	readonly logger: Logger;
	readonly metrics = new RelayMetrics();
	readonly store: EventStore;
	readonly states: ExecutionStates;
	/** n8n's public API, when the relay is given a URL and an API key (control and rebuild). */
	readonly n8n: N8nApi | undefined;
	readonly control: Control | undefined;
	private readonly access: Access;
	private readonly ingest: Ingest;
	private readonly hub: StreamHub;
	private readonly server: Server;
	private ready = false;
	private stopping: Promise<void> | undefined;
	private readonly startedAt = Date.now();
	private rebuiltExecutions = 0;

	constructor(
		readonly config: RelayConfig,
		options: RelayOptions = {},
	) {
		this.logger = options.logger ?? createLogger(config.logLevel);
		this.store =
			options.store ??
			(config.redisUrl
				? new RedisStore({
						url: config.redisUrl,
						name: config.redisStream,
						retentionEvents: config.retentionEvents,
						dedupeSeconds: config.redisDedupeSeconds,
						logger: this.logger,
					})
				: new MemoryStore(
						config.retentionEvents,
						config.retentionExecutions,
						config.retentionBytes,
					));
		this.states = new ExecutionStates(config.retentionExecutions, 50, config.stateMaxBytes);
		this.store.onEvents((events) => {
			for (const event of events) {
				// One event that does not fold (a shape the schema let through, or an entry stored
				// before it existed) must not stop the others, their fan-out or a Redis replay.
				try {
					this.states.apply(event);
				} catch (error) {
					this.logger.warn(
						{ err: String(error), eventId: event.id?.slice(0, 200), type: event.type },
						'an event could not be applied to the live state; skipped',
					);
				}
			}
		});
		this.access = new Access(config.tokens);
		this.ingest = new Ingest(
			{
				secret: config.ingestSecret,
				maxBytes: config.ingestMaxBytes,
				limits: { maxStringLength: config.eventStringMax, maxEventBytes: config.eventMaxBytes },
				concurrency: config.ingestConcurrency,
				bodyTimeoutMs: Math.min(config.requestTimeoutMs, 10_000),
			},
			this.store,
			this.metrics,
			this.logger,
		);
		this.n8n = config.n8n
			? new N8nApi(config.n8n, this.logger, () => this.ingest.n8nVersion())
			: undefined;
		this.control = this.n8n
			? new Control(this.n8n, this.logger, config.intakeConfirmMs)
			: undefined;
		this.hub = new StreamHub(this.store, this.states, this.metrics, this.logger, {
			relayId: this.id,
			heartbeatMs: config.heartbeatMs,
			clientBufferBytes: config.clientBufferBytes,
			maxPayloadBytes: config.maxPayloadBytes,
		});
		const ctx: RouteContext = {
			access: this.access,
			store: this.store,
			states: this.states,
			ingest: this.ingest,
			metrics: this.metrics,
			...(this.control ? { control: this.control } : {}),
			isReady: () => this.ready && (this.store.ready?.() ?? true),
			details: (withVersions) => this.details(withVersions),
			dashboard: () => loadDashboard(),
		};
		this.server = createServer((req, res) => this.onRequest(ctx, req, res));
		// Node's default lets a request take 300 s; a slow or stalled sender is cut off sooner.
		this.server.requestTimeout = config.requestTimeoutMs;
		this.server.headersTimeout = Math.min(config.requestTimeoutMs, 60_000);
		this.server.on('upgrade', (req, socket, head) => this.onUpgrade(ctx, req, socket, head));
		// CONNECT (proxy tunnels) is not served; without a listener Node would just drop the socket.
		this.server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
			socket.on('error', () => socket.destroy());
			socket.end(
				'HTTP/1.1 405 Method Not Allowed\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
			);
		});
		this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
			// Malformed requests never reach a handler: answer 400 (or just close) and carry on.
			if (error.code === 'ECONNRESET' || !socket.writable) {
				socket.destroy();
				return;
			}
			socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
		});
	}

	/** Every request ends in an answer; nothing a client sends can throw out of here. */
	private onRequest(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): void {
		const answer = (name: RouteName, reply: Reply): void => {
			this.metrics.httpRequests.inc({ route: name, status: statusLabel(reply.status) });
			if (res.headersSent || res.destroyed) return;
			const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? null);
			res.writeHead(reply.status, {
				'content-type': reply.contentType ?? 'application/json; charset=utf-8',
				'cache-control': 'no-store',
				'x-content-type-options': 'nosniff',
				...(reply.headers ?? {}),
			});
			res.end(body);
		};
		let url: URL | undefined;
		try {
			url = requestTarget(req.url);
			if (!url) return answer('other', BAD_REQUEST);
			const path = url.pathname;
			route(ctx, req, url)
				.then(({ name, reply }) => answer(name, reply))
				.catch((error: unknown) => {
					this.logger.error({ err: error, path: path.slice(0, 200) }, 'request failed');
					answer('other', INTERNAL_ERROR);
				});
		} catch (error) {
			this.logger.error({ err: error }, 'request failed');
			answer('other', INTERNAL_ERROR);
		}
	}

	private onUpgrade(ctx: RouteContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
		// Until ws takes the socket over, a reset from the peer must not become an uncaught error.
		const onError = () => socket.destroy();
		socket.on('error', onError);
		const refuse = (status: number, error: string): void => {
			this.metrics.wsRejected.inc();
			const body = JSON.stringify({ error, message: error.replace('_', ' ') });
			if (!socket.writable) {
				socket.destroy();
				return;
			}
			socket.end(
				`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
			);
		};
		try {
			if (!this.ready) return refuse(503, 'not_ready');
			const url = requestTarget(req.url);
			if (!url) return refuse(400, 'bad_request');
			const match = /^\/api\/v1\/(workflows|executions)\/([^/]+)\/stream$/.exec(url.pathname);
			if (!match) return refuse(404, 'not_found');
			const id = decodePathSegment(match[2]);
			if (id === undefined) return refuse(400, 'bad_request');
			const scopeToken = this.access.scopeOf(req);
			if (!scopeToken) return refuse(401, 'unauthorized');
			const scope: StreamScope =
				match[1] === 'workflows' ? { kind: 'workflow', id } : { kind: 'execution', id };
			const visible =
				scope.kind === 'workflow'
					? workflowVisible(ctx, scopeToken, id)
					: Promise.resolve(executionVisible(ctx, scopeToken, id) !== undefined);
			const cursor = url.searchParams.get('cursor') ?? undefined;
			visible
				.then((ok): void => {
					if (!ok) return refuse(404, 'not_found');
					if (!this.ready) return refuse(503, 'not_ready');
					if (socket.destroyed) return;
					socket.off('error', onError);
					this.hub.upgrade(req, socket, head, scope, cursor || undefined);
				})
				.catch((error: unknown) => {
					this.logger.error({ err: error }, 'stream upgrade failed');
					socket.destroy();
				});
		} catch (error) {
			this.logger.error({ err: error }, 'stream upgrade failed');
			socket.destroy();
		}
	}

	get url(): string {
		const address = this.server.address() as AddressInfo | null;
		return `http://127.0.0.1:${address?.port ?? this.config.port}`;
	}

	get port(): number {
		return (this.server.address() as AddressInfo).port;
	}

	async start(): Promise<this> {
		await this.store.start();
		if (this.n8n) await this.rebuild(this.n8n);
		await new Promise<void>((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(this.config.port, this.config.host, () => {
				this.server.off('error', reject);
				resolve();
			});
		});
		this.hub.start();
		this.ready = true;
		this.logger.info(
			{ url: this.url, store: this.store.kind, epoch: this.store.epoch, relayId: this.id },
			'status relay listening',
		);
		return this;
	}

	/** State lost in a restart comes back from n8n's public API (running, waiting, recent runs). */
	private async rebuild(n8n: N8nApi): Promise<void> {
		try {
			const snapshots = await new StateRebuild(n8n, this.logger).rebuild();
			for (const snapshot of snapshots) {
				if (!this.states.get(snapshot.executionId)) this.states.put(snapshot);
			}
			this.rebuiltExecutions = snapshots.length;
			this.logger.info({ executions: snapshots.length }, 'state rebuilt from n8n');
		} catch (error) {
			this.logger.warn({ err: error }, 'could not rebuild state from n8n; starting empty');
		}
	}

	private details(withVersions: boolean): Record<string, unknown> {
		const store = this.store.stats();
		this.metrics.storeEvents.set(store.events);
		this.metrics.trackedExecutions.set(this.states.size);
		return {
			status: this.ready && (this.store.ready?.() ?? true) ? 'ready' : 'not_ready',
			relayId: this.id,
			uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
			store: { kind: this.store.kind, epoch: this.store.epoch, ...store },
			executions: this.states.size,
			rebuiltExecutions: this.rebuiltExecutions,
			subscribers: this.hub.size,
			hookDroppedEvents: this.ingest.droppedTotal(),
			// Versions tell an attacker what to try: only a token holder sees them.
			...(withVersions
				? { n8nVersion: this.ingest.n8nVersion() ?? null, nodeVersion: process.version }
				: {}),
			n8nControl: this.control !== undefined,
		};
	}

	/** Stops taking requests, tells subscribers to come back (1012), then closes the store. */
	async stop(): Promise<void> {
		this.stopping ??= (async () => {
			this.ready = false;
			this.logger.info('status relay shutting down');
			const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
			await this.hub.close();
			this.server.closeIdleConnections();
			const timeout = new Promise<void>((resolve) =>
				setTimeout(resolve, this.config.shutdownTimeoutMs).unref(),
			);
			await Promise.race([closed, timeout]);
			this.server.closeAllConnections();
			await this.store.stop();
			this.logger.info('status relay stopped');
		})();
		await this.stopping;
	}
}

let dashboardCache: Dashboard | undefined;

function loadDashboard(): Dashboard | undefined {
	if (dashboardCache) return dashboardCache;
	// The page ships as plain files next to the compiled server (dist) or the sources: index.html
	// and its ES modules (dashboard.js imports the others).
	for (const dir of [
		join(__dirname, '../dashboard'),
		join(__dirname, '../../../status-relay/dashboard'),
	]) {
		if (existsSync(join(dir, 'index.html'))) {
			const modules = new Map<string, string>();
			for (const name of readdirSync(dir).filter((file) => /^[a-z-]+\.js$/.test(file))) {
				modules.set(`/${name}`, readFileSync(join(dir, name), 'utf8'));
			}
			dashboardCache = { html: readFileSync(join(dir, 'index.html'), 'utf8'), modules };
			return dashboardCache;
		}
	}
	return undefined;
}
