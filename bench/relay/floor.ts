/**
 * The floor for the fan-out benchmark: a bare `ws` broadcast server with nothing else. It takes the
 * same HTTP batches as the relay's /ingest (without checking signatures, storing, numbering or
 * folding state) and sends every event to the sockets subscribed to its workflow, serialised and
 * encoded once, in the same message shape and size the relay uses (the envelope's `seq`, `cursor`
 * and `ts` fields included, so the bytes on the wire match), with the relay's write strategy (each
 * socket corked for the length of a batch, one text frame per event). Prints `{"ready": "<url>"}`
 * when it listens.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';

const topics = new Map<string, Set<WebSocket>>();
const TEXT_FRAME = { binary: false } as const;
const epoch = `f${Date.now().toString(16).slice(-12)}`;
let position = 0;
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
		const ts = new Date().toISOString();
		// The same write strategy as the relay: a socket's events of one batch go in one write.
		const corked = new Set<{ cork(): void; uncork(): void }>();
		for (const event of batch.events) {
			const sockets = topics.get(event.workflowId);
			if (!sockets) continue;
			// The relay's envelope fields, of the same length (seq per execution there; here a count).
			position++;
			const cursor = Buffer.from(`${epoch}:${position}`, 'utf8').toString('base64url');
			const payload = Buffer.from(
				JSON.stringify({ type: 'event', event: { ...event, seq: position, cursor, ts } }),
				'utf8',
			);
			for (const socket of sockets) {
				const raw = (socket as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
				if (!corked.has(raw)) {
					raw.cork();
					corked.add(raw);
				}
				socket.send(payload, TEXT_FRAME);
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
