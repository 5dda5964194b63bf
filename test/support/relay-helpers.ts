/** Shared by the relay's unit tests: a relay on a free loopback port, signed batches, raw requests. */
import { connect } from 'node:net';
import { Relay } from '../../status-relay/server/app';
import { loadConfig } from '../../status-relay/server/config';
import { createLogger } from '../../status-relay/server/logger';
import { signBody } from '../../status-relay/protocol/signing';
import type { EventDraft } from '../../status-relay/protocol/types';
import { fetchOnce } from './fetch-once';

export const SECRET = 'unit-test-ingest-secret';
export const TOKEN = 'unit-test-token-0123456789';
/** Sees another tenant's workflow only. */
export const OTHER_TOKEN = 'unit-test-other-tenant-token';

export async function startRelay(env: Record<string, string> = {}): Promise<Relay> {
	return await new Relay(
		loadConfig({
			RELAY_HOST: '127.0.0.1',
			RELAY_PORT: '0',
			RELAY_INGEST_SECRET: SECRET,
			RELAY_TOKENS: JSON.stringify({
				[TOKEN]: { workflows: ['wf1'] },
				[OTHER_TOKEN]: { workflows: ['other'] },
			}),
			RELAY_HEARTBEAT_MS: '60000',
			...env,
		}),
		{ logger: createLogger('silent') },
	).start();
}

export function nodeEvent(executionId: string, i: number, workflowId = 'wf1'): EventDraft {
	return {
		v: 1,
		id: `${executionId}:node.started:N${i}:0`,
		type: 'node.started',
		workflowId,
		workflowName: 'Support',
		executionId,
		mode: 'webhook',
		occurredAt: new Date().toISOString(),
		data: {
			node: `N${i}`,
			nodeType: 'n8n-nodes-base.noOp',
			runIndex: 0,
			startedAt: new Date().toISOString(),
		},
	};
}

export function failedNode(executionId: string, message: string, i = 0): EventDraft {
	return {
		v: 1,
		id: `${executionId}:node.finished:N${i}:0:error`,
		type: 'node.finished',
		workflowId: 'wf1',
		workflowName: 'Support',
		executionId,
		mode: 'webhook',
		occurredAt: new Date().toISOString(),
		data: {
			node: `N${i}`,
			nodeType: 'n8n-nodes-base.httpRequest',
			runIndex: 0,
			status: 'error',
			finishedAt: new Date().toISOString(),
			itemsOut: [0],
			error: { message },
		},
	};
}

export function batchBody(events: unknown[]): string {
	return JSON.stringify({
		v: 1,
		source: { host: 'h', pid: 1, role: 'start', hookVersion: '1' },
		dropped: 0,
		sentAt: new Date().toISOString(),
		events,
	});
}

export async function postSigned(
	relay: Relay,
	body: string,
	signature = signBody(SECRET, body),
): Promise<{ status: number; body: Record<string, number> }> {
	const response = await fetch(`${relay.url}/ingest`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-relay-signature': signature },
		body,
	});
	return { status: response.status, body: (await response.json()) as Record<string, number> };
}

export async function ingest(relay: Relay, events: unknown[]) {
	return await postSigned(relay, batchBody(events));
}

/**
 * Sends bytes as they are on a new connection and returns what comes back until the server closes
 * the connection or `idleMs` passes without data (a server that hangs gives '').
 */
export function rawRequest(port: number, request: string | Buffer, idleMs = 2000): Promise<string> {
	return new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1');
		const chunks: Buffer[] = [];
		let timer = setTimeout(done, idleMs);
		function done() {
			clearTimeout(timer);
			socket.destroy();
			resolve(Buffer.concat(chunks).toString('latin1'));
		}
		socket.on('data', (chunk) => {
			chunks.push(chunk);
			clearTimeout(timer);
			// An answer is complete enough once its head is in; stop waiting soon after.
			timer = setTimeout(done, 100);
		});
		socket.on('error', done);
		socket.on('close', done);
		socket.write(request);
	});
}

/** The status code of a raw HTTP answer, or 0 when there was none. */
export function statusOf(answer: string): number {
	const match = /^HTTP\/1\.1 (\d{3})/.exec(answer);
	return match ? Number(match[1]) : 0;
}

/** The lines of /metrics that are series (not comments), without their values. */
export async function metricSeries(relay: Relay): Promise<string[]> {
	const text = await fetch(`${relay.url}/metrics`).then((r) => r.text());
	return text
		.split('\n')
		.filter((line) => line && !line.startsWith('#'))
		.map((line) => line.replace(/ [^ ]+$/, ''));
}

/**
 * GET with the read token, as JSON, through fetchOnce: a read that meets a kept-alive connection the
 * relay is just closing as idle (ECONNRESET, seen at load 24 after a burst of ingests) is sent once more.
 */
export async function getJson<T>(url: string, token = TOKEN): Promise<T> {
	const response = await fetchOnce(url, { headers: { authorization: `Bearer ${token}` } });
	return (await response.json()) as T;
}
