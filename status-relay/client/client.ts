/**
 * A small typed client for the relay's WebSocket stream and REST API (Node, `ws`). It remembers the
 * cursor of the last event it saw, so `reconnect()` resumes exactly where it stopped.
 */
import WebSocket from 'ws';
import type { Envelope, ServerMessage, StreamScope } from '../protocol/types';
import { STREAM_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../protocol/types';

export interface StreamOptions {
	token: string;
	/** Send the token as `Authorization: Bearer` (default) or as the `bearer.<token>` subprotocol. */
	via?: 'header' | 'subprotocol';
	cursor?: string;
}

export class StreamError extends Error {
	constructor(
		message: string,
		readonly status?: number,
		readonly body?: string,
	) {
		super(message);
	}
}

export class RelayStream {
	readonly messages: ServerMessage[] = [];
	/** Cursor of the last event or caught-up / reset / lagged message. */
	cursor: string | undefined;
	readonly closed: Promise<{ code: number; reason: string }>;
	private waiters: Array<() => void> = [];

	private constructor(
		readonly ws: WebSocket,
		readonly scope: StreamScope,
	) {
		ws.on('message', (data) => {
			const message = JSON.parse(data.toString()) as ServerMessage;
			this.messages.push(message);
			if (message.type === 'event') this.cursor = message.event.cursor;
			else if (message.type === 'caught-up' || message.type === 'lagged')
				this.cursor = message.cursor;
			for (const waiter of this.waiters.splice(0)) waiter();
		});
		this.closed = new Promise((resolve) => {
			ws.on('close', (code, reason) => {
				resolve({ code, reason: reason.toString() });
				for (const waiter of this.waiters.splice(0)) waiter();
			});
		});
	}

	static connect(
		baseUrl: string,
		scope: StreamScope,
		options: StreamOptions,
	): Promise<RelayStream> {
		const path = `/api/v1/${scope.kind === 'workflow' ? 'workflows' : 'executions'}/${encodeURIComponent(scope.id)}/stream`;
		const url = new URL(path, baseUrl.replace(/^http/, 'ws'));
		if (options.cursor) url.searchParams.set('cursor', options.cursor);
		const protocols =
			options.via === 'subprotocol'
				? [STREAM_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${options.token}`]
				: [STREAM_SUBPROTOCOL];
		const ws = new WebSocket(url, protocols, {
			perMessageDeflate: false,
			headers: options.via === 'subprotocol' ? {} : { authorization: `Bearer ${options.token}` },
		});
		const stream = new RelayStream(ws, scope);
		return new Promise((resolve, reject) => {
			ws.once('open', () => resolve(stream));
			ws.once('unexpected-response', (_req, res) => {
				let body = '';
				res.on('data', (chunk: Buffer) => (body += chunk));
				res.on('end', () =>
					reject(new StreamError(`HTTP ${res.statusCode}`, res.statusCode, body)),
				);
			});
			ws.once('error', (error) => reject(error));
		});
	}

	events(): Envelope[] {
		return this.messages.flatMap((m) => (m.type === 'event' ? [m.event] : []));
	}

	/** Waits until `predicate` holds over what has arrived so far. */
	async waitFor(
		predicate: (stream: RelayStream) => boolean,
		timeoutMs = 30_000,
		what = 'condition',
	): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (!predicate(this)) {
			const left = deadline - Date.now();
			if (left <= 0 || this.ws.readyState === WebSocket.CLOSED) {
				if (predicate(this)) return;
				throw new Error(
					`stream: ${what} not reached within ${timeoutMs} ms (socket ${this.ws.readyState}); last messages: ${JSON.stringify(this.messages.slice(-5)).slice(0, 1500)}`,
				);
			}
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, Math.min(left, 250));
				this.waiters.push(() => {
					clearTimeout(timer);
					resolve();
				});
			});
		}
	}

	close(): Promise<{ code: number; reason: string }> {
		if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
			this.ws.close(1000);
		}
		return this.closed;
	}

	/** Drops the connection without a close handshake (a network failure, as the relay sees it). */
	kill(): void {
		this.ws.terminate();
	}
}

export class RelayApi {
	constructor(
		readonly baseUrl: string,
		readonly token: string,
	) {}

	async request<T = unknown>(
		method: string,
		path: string,
		body?: unknown,
	): Promise<{ status: number; body: T }> {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: {
				authorization: `Bearer ${this.token}`,
				...(body !== undefined ? { 'content-type': 'application/json' } : {}),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		let parsed: unknown = text;
		try {
			parsed = JSON.parse(text);
		} catch {
			// not JSON
		}
		return { status: response.status, body: parsed as T };
	}

	workflowStatus(workflowId: string) {
		return this.request('GET', `/api/v1/workflows/${encodeURIComponent(workflowId)}/status`);
	}

	logs(kind: 'workflows' | 'executions', id: string, cursor?: string, limit?: number) {
		const query = new URLSearchParams();
		if (cursor) query.set('cursor', cursor);
		if (limit) query.set('limit', String(limit));
		return this.request<{ events: Envelope[]; nextCursor: string; hasMore: boolean }>(
			'GET',
			`/api/v1/${kind}/${encodeURIComponent(id)}/logs?${query}`,
		);
	}
}
