/**
 * The floor for the fan-out benchmark: a bare `ws` broadcast server with nothing else. It takes the
 * same HTTP batches as the relay's /ingest (without checking signatures, storing, numbering or
 * folding state) and sends every event to the sockets subscribed to its workflow, serialised once,
 * in the same message shape the relay uses, with the relay's write strategy (each socket corked
 * for the length of a batch). Prints `{"ready": "<url>"}` when it listens.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';

const topics = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

const server = createServer((req, res) => {
	if (req.method !== 'POST' || req.url !== '/ingest') {
		res.writeHead(404).end();
		return;
	}
	const chunks: Buffer[] = [];
	req.on('data', (chunk: Buffer) => chunks.push(chunk));
	req.on('end', () => {
		const batch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
			events: Array<{ workflowId: string }>;
		};
		// The same write strategy as the relay: a socket's events of one batch go in one write.
		const corked = new Set<{ cork(): void; uncork(): void }>();
		for (const event of batch.events) {
			const sockets = topics.get(event.workflowId);
			if (!sockets) continue;
			const text = JSON.stringify({ type: 'event', event });
			for (const socket of sockets) {
				const raw = (socket as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
				if (!corked.has(raw)) {
					raw.cork();
					corked.add(raw);
				}
				socket.send(text);
			}
		}
		for (const raw of corked) raw.uncork();
		res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
	});
});

server.on('upgrade', (req, socket, head) => {
	const match = /^\/w\/([^/?]+)/.exec(req.url ?? '');
	if (!match) {
		socket.destroy();
		return;
	}
	wss.handleUpgrade(req, socket, head, (ws) => {
		const topic = decodeURIComponent(match[1]);
		let sockets = topics.get(topic);
		if (!sockets) topics.set(topic, (sockets = new Set()));
		sockets.add(ws);
		ws.send(JSON.stringify({ type: 'caught-up', cursor: '' }));
		ws.on('close', () => sockets!.delete(ws));
	});
});

server.listen(0, '127.0.0.1', () => {
	const { port } = server.address() as AddressInfo;
	process.stdout.write(`${JSON.stringify({ ready: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
