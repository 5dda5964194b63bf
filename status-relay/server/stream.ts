/**
 * WebSocket fan-out. A subscriber is attached to live events first, then gets a snapshot, the
 * events after its cursor, and `caught-up`; live events that arrive meanwhile wait in its queue, so
 * nothing falls between replay and live. A subscriber that cannot keep up is told `lagged` (with
 * the cursor to resume from) and closed, so one slow client never holds the relay's memory.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import type { Envelope, ServerMessage, StreamScope } from '../protocol/types';
import { PROTOCOL_VERSION, STREAM_SUBPROTOCOL } from '../protocol/types';
import type { EventStore } from './store';
import { eventMessageBytes } from './store';
import type { ExecutionStates } from './state';
import type { RelayMetrics } from './metrics';
import type { Logger } from './logger';

interface Client {
	ws: WebSocket;
	scope: StreamScope;
	live: boolean;
	queue: Envelope[];
	/** Bytes of the queued events (as sent), bounded like the send buffer. */
	queueBytes: number;
	lastCursor: string;
	/** Heartbeats without a pong in a row. */
	missedPongs: number;
	closed: boolean;
}

export interface StreamOptions {
	relayId: string;
	heartbeatMs: number;
	clientBufferBytes: number;
	maxPayloadBytes: number;
	/** Queued live events a catching-up client may hold before it counts as lagging. */
	maxQueue?: number;
}

const REPLAY_PAGE = 1000;

export class StreamHub {
	private readonly wss: WebSocketServer;
	private readonly clients = new Set<Client>();
	/** Subscribers by scope (`workflow:<id>` / `execution:<id>`): fan-out touches only those. */
	private readonly byScope = new Map<string, Set<Client>>();
	private heartbeat: NodeJS.Timeout | undefined;

	constructor(
		private readonly store: EventStore,
		private readonly states: ExecutionStates,
		private readonly metrics: RelayMetrics,
		private readonly logger: Logger,
		private readonly options: StreamOptions,
	) {
		this.wss = new WebSocketServer({
			noServer: true,
			perMessageDeflate: false,
			maxPayload: options.maxPayloadBytes,
			// Pongs are answered here, within the client's buffer: a peer that pings and never reads
			// must not make the relay queue answers without end.
			autoPong: false,
			// Echo only the stream protocol, never the token subprotocol.
			handleProtocols: (protocols) =>
				protocols.has(STREAM_SUBPROTOCOL) ? STREAM_SUBPROTOCOL : false,
		});
		store.onEvents((events, payloads) => this.fanOut(events, payloads));
	}

	get size(): number {
		return this.clients.size;
	}

	start(): void {
		this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
		this.heartbeat.unref();
	}

	upgrade(
		req: IncomingMessage,
		socket: Duplex,
		head: Buffer,
		scope: StreamScope,
		cursor: string | undefined,
	): void {
		this.wss.handleUpgrade(req, socket, head, (ws) => {
			const client: Client = {
				ws,
				scope,
				live: false,
				queue: [],
				queueBytes: 0,
				lastCursor: this.store.head(),
				missedPongs: 0,
				closed: false,
			};
			this.clients.add(client);
			const key = scopeKey(scope);
			let group = this.byScope.get(key);
			if (!group) this.byScope.set(key, (group = new Set()));
			group.add(client);
			this.metrics.wsClients.set(this.clients.size);
			ws.on('pong', () => (client.missedPongs = 0));
			ws.on('ping', (data) => {
				if (this.roomFor(client)) ws.pong(data);
			});
			ws.on('message', (data) => this.onMessage(client, data.toString()));
			ws.on('close', () => this.drop(client));
			ws.on('error', () => this.drop(client));
			this.catchUp(client, cursor).catch((error: unknown) => {
				this.logger.error({ err: error }, 'stream catch-up failed');
				ws.close(1011, 'internal error');
			});
		});
	}

	/** Closes every subscriber with 1012 (service restart): they resume with their cursor. */
	async close(): Promise<void> {
		if (this.heartbeat) clearInterval(this.heartbeat);
		for (const client of this.clients) client.ws.close(1012, 'relay restarting');
		const deadline = Date.now() + 2000;
		while (this.clients.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
		for (const client of this.clients) client.ws.terminate();
		this.wss.close();
	}

	private matches(scope: StreamScope, event: Envelope): boolean {
		return scope.kind === 'workflow'
			? event.workflowId === scope.id
			: event.executionId === scope.id;
	}

	private async catchUp(client: Client, cursor: string | undefined): Promise<void> {
		this.send(client, {
			type: 'hello',
			v: PROTOCOL_VERSION,
			relayId: this.options.relayId,
			epoch: this.store.epoch,
			heartbeatMs: this.options.heartbeatMs,
		});
		const filter = (event: Envelope) => this.matches(client.scope, event);
		const where =
			client.scope.kind === 'workflow'
				? { workflowId: client.scope.id }
				: { executionId: client.scope.id };
		if (cursor === undefined) {
			this.sendSnapshot(client);
		} else {
			await this.store.sync?.(cursor);
			let read = await this.store.readAfter(cursor, filter, REPLAY_PAGE, where);
			if (!read.ok) {
				this.send(client, { type: 'reset', reason: read.reason, cursor: read.head });
				this.sendSnapshot(client);
			} else {
				this.sendSnapshot(client, false);
				client.lastCursor = cursor;
				for (;;) {
					for (const event of read.events) {
						// Replay goes at the client's pace; only a live client that falls behind lags.
						if (!(await this.drained(client))) return this.lag(client);
						this.sendEvent(client, event);
					}
					if (!read.more || client.closed) break;
					read = await this.store.readAfter(client.lastCursor, filter, REPLAY_PAGE, where);
					if (!read.ok) break;
				}
				if (read.ok && this.store.compare(read.head, client.lastCursor) > 0) {
					client.lastCursor = read.head;
				}
			}
		}
		if (client.closed) return;
		// Live events that came in while we replayed, minus those already sent.
		const queued = client.queue;
		client.queue = [];
		client.queueBytes = 0;
		for (const event of queued) {
			if (this.store.compare(event.cursor, client.lastCursor) > 0) this.sendEvent(client, event);
		}
		client.live = true;
		this.send(client, { type: 'caught-up', cursor: client.lastCursor });
	}

	private async drained(client: Client, timeoutMs = 30_000): Promise<boolean> {
		const deadline = Date.now() + timeoutMs;
		while (client.ws.bufferedAmount > this.options.clientBufferBytes) {
			if (client.closed || Date.now() > deadline) return false;
			await new Promise((resolve) => setTimeout(resolve, 5));
		}
		return !client.closed;
	}

	private sendSnapshot(client: Client, advanceCursor = true): void {
		const head = this.store.head();
		const { scope } = client;
		const message: ServerMessage =
			scope.kind === 'workflow'
				? { type: 'snapshot', scope, workflow: this.states.workflow(scope.id), cursor: head }
				: {
						type: 'snapshot',
						scope,
						...(this.states.get(scope.id) ? { execution: this.states.get(scope.id) } : {}),
						cursor: head,
					};
		this.send(client, message);
		if (advanceCursor) client.lastCursor = head;
	}

	private fanOut(events: Envelope[], payloads?: Buffer[]): void {
		let sent = 0;
		// A subscriber that gets several events of one batch gets them in one write: its socket is
		// corked for the length of this call (an ingest batch), then flushed.
		const corked = new Set<CorkableSocket>();
		try {
			for (let i = 0; i < events.length; i++) {
				const event = events[i];
				const byWorkflow = this.byScope.get(`workflow:${event.workflowId}`);
				const byExecution = this.byScope.get(`execution:${event.executionId}`);
				if (!byWorkflow && !byExecution) continue;
				// One serialisation and one UTF-8 encoding per event (the store's, when it kept them),
				// whatever the number of subscribers: every socket is handed the same bytes.
				let payload: Buffer | undefined;
				let delivered = 0;
				for (let g = 0; g < 2; g++) {
					const group = g === 0 ? byWorkflow : byExecution;
					if (!group) continue;
					for (const client of group) {
						if (client.closed) continue;
						if (!client.live) {
							client.queue.push(event);
							client.queueBytes += payloads?.[i]?.length ?? 512;
							if (
								client.queue.length > (this.options.maxQueue ?? 10_000) ||
								client.queueBytes > Math.max(this.options.clientBufferBytes * 4, 8_388_608)
							) {
								this.lag(client);
							}
							continue;
						}
						const socket = socketOf(client.ws);
						if (socket && !corked.has(socket)) {
							socket.cork();
							corked.add(socket);
						}
						payload ??= payloads?.[i] ?? eventMessageBytes(event);
						if (this.sendEvent(client, event, payload)) delivered++;
					}
				}
				if (delivered) {
					sent += delivered;
					this.metrics.ingestToSend.observe((Date.now() - Date.parse(event.ts)) / 1000);
				}
			}
		} finally {
			for (const socket of corked) socket.uncork();
		}
		if (sent) this.metrics.wsMessages.inc({ type: 'event' }, sent);
	}

	/** Sends one event (pre-serialised when fanned out); false when the client lagged instead. */
	private sendEvent(client: Client, event: Envelope, payload?: Buffer): boolean {
		if (client.closed || client.ws.readyState !== WebSocket.OPEN) return false;
		if (client.ws.bufferedAmount > this.options.clientBufferBytes) {
			this.lag(client);
			return false;
		}
		if (payload === undefined) {
			this.send(client, { type: 'event', event });
			this.metrics.ingestToSend.observe((Date.now() - Date.parse(event.ts)) / 1000);
		} else {
			client.ws.send(payload, TEXT_FRAME);
		}
		client.lastCursor = event.cursor;
		return true;
	}

	/** The subscriber resumes from `cursor` (the last event it was sent) on a new connection. */
	private lag(client: Client): void {
		if (client.closed) return;
		this.send(client, { type: 'lagged', cursor: client.lastCursor, dropped: client.queue.length });
		this.metrics.wsLagged.inc();
		this.logger.info({ scope: client.scope.kind }, 'subscriber lagged: closed with resume cursor');
		client.closed = true;
		client.queue = [];
		client.ws.close(4008, 'lagged');
		// A client that does not read at all would never complete the close handshake.
		setTimeout(() => client.ws.terminate(), 5000).unref();
	}

	private send(client: Client, message: ServerMessage): void {
		if (client.ws.readyState !== WebSocket.OPEN) return;
		client.ws.send(JSON.stringify(message));
		this.metrics.wsMessages.inc({ type: message.type });
	}

	private onMessage(client: Client, text: string): void {
		let message: { type?: string };
		try {
			message = JSON.parse(text) as { type?: string };
		} catch {
			return;
		}
		// An answer only while the client reads what it is sent; one that does not gets `lagged`.
		if (message?.type === 'ping' && this.roomFor(client)) {
			this.send(client, {
				type: 'heartbeat',
				ts: new Date().toISOString(),
				cursor: client.lastCursor,
			});
		}
	}

	/** Whether the client's send buffer has room; when it has none, the client is lagging. */
	private roomFor(client: Client): boolean {
		if (client.closed || client.ws.readyState !== WebSocket.OPEN) return false;
		if (client.ws.bufferedAmount <= this.options.clientBufferBytes) return true;
		this.lag(client);
		return false;
	}

	private beat(): void {
		const ts = new Date().toISOString();
		for (const client of this.clients) {
			// Two silent heartbeats: the peer is gone (or frozen); free its resources.
			if (client.missedPongs >= 2) {
				client.ws.terminate();
				continue;
			}
			client.missedPongs++;
			client.ws.ping();
			// Coalesce: a client with unsent data already hears from us.
			if (client.live && client.ws.bufferedAmount === 0) {
				this.send(client, { type: 'heartbeat', ts, cursor: client.lastCursor });
			}
		}
	}

	private drop(client: Client): void {
		client.closed = true;
		if (this.clients.delete(client)) this.metrics.wsClients.set(this.clients.size);
		const key = scopeKey(client.scope);
		const group = this.byScope.get(key);
		if (group?.delete(client) && !group.size) this.byScope.delete(key);
	}
}

/** A pre-encoded message still goes out as a text frame (browsers would get a Blob otherwise). */
const TEXT_FRAME = { binary: false } as const;

function scopeKey(scope: StreamScope): string {
	return `${scope.kind}:${scope.id}`;
}

interface CorkableSocket {
	cork(): void;
	uncork(): void;
}

/** ws keeps its socket private; corking is an optimisation, so it is skipped when absent. */
function socketOf(ws: WebSocket): CorkableSocket | undefined {
	const socket = (ws as unknown as { _socket?: Partial<CorkableSocket> })._socket;
	return socket && typeof socket.cork === 'function' && typeof socket.uncork === 'function'
		? (socket as CorkableSocket)
		: undefined;
}
