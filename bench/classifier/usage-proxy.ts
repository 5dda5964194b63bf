/**
 * A pass-through HTTP proxy in front of the local model server that reads the `usage` of every
 * chat-completions answer off the wire (the server records requests, not its answers). Both n8n's
 * OpenAI credential and ours point at it, so both sides pay the same extra loopback hop.
 */
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { kindOfBody } from './responder';
import type { RequestKind } from './responder';

export interface ProxiedCall {
	kind: RequestKind;
	method: string;
	path: string;
	status: number;
	promptTokens: number;
	completionTokens: number;
	/** Epoch ms: request received, answer sent. */
	start: number;
	end: number;
}

export interface UsageProxy {
	url: string;
	calls: ProxiedCall[];
	reset(): void;
	close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
	'connection',
	'keep-alive',
	'transfer-encoding',
	'content-length',
	'proxy-connection',
	'upgrade',
]);

export async function startUsageProxy(target: string): Promise<UsageProxy> {
	const upstream = new URL(target);
	const agent = new Agent({ keepAlive: true, maxSockets: 256 });
	const calls: ProxiedCall[] = [];
	const sockets = new Set<Socket>();

	const server = createServer((req, res) => {
		const start = Date.now();
		const parts: Buffer[] = [];
		req.on('data', (chunk: Buffer) => parts.push(chunk));
		req.on('error', () => res.destroy());
		req.on('end', () => {
			const body = Buffer.concat(parts);
			const forward = httpRequest(
				{
					host: upstream.hostname,
					port: upstream.port,
					method: req.method,
					path: req.url,
					headers: { ...clean(req.headers), 'content-length': String(body.length) },
					agent,
				},
				(answer) => {
					const answerParts: Buffer[] = [];
					answer.on('data', (chunk: Buffer) => answerParts.push(chunk));
					answer.on('error', () => res.destroy());
					answer.on('end', () => {
						const payload = Buffer.concat(answerParts);
						res.writeHead(answer.statusCode ?? 502, {
							...clean(answer.headers),
							'content-length': String(payload.length),
						});
						res.end(payload);
						if (
							req.method === 'POST' &&
							/\/chat\/completions$/.test(req.url?.split('?')[0] ?? '')
						) {
							const usage = usageOf(payload.toString('utf8'), answer.headers['content-type']);
							calls.push({
								kind: kindOfBody(parseJson(body.toString('utf8'))),
								method: req.method,
								path: req.url ?? '',
								status: answer.statusCode ?? 0,
								promptTokens: usage.prompt,
								completionTokens: usage.completion,
								start,
								end: Date.now(),
							});
						}
					});
				},
			);
			forward.on('error', () => res.destroy());
			forward.end(body);
		});
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	server.keepAliveTimeout = 5000;
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		calls,
		reset: () => {
			calls.length = 0;
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				for (const socket of sockets) socket.destroy();
				agent.destroy();
			}),
	};
}

function clean(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
	const out: OutgoingHttpHeaders = {};
	for (const [name, value] of Object.entries(headers)) {
		if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
	}
	return out;
}

function parseJson(text: string): any {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/** `usage` of a chat completion, or of the last usage chunk of a stream. */
function usageOf(
	text: string,
	contentType: string | undefined,
): { prompt: number; completion: number } {
	let usage: any;
	if (contentType?.includes('text/event-stream')) {
		for (const line of text.split('\n')) {
			if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
			const chunk = parseJson(line.slice(6));
			if (chunk?.usage) usage = chunk.usage;
		}
	} else {
		usage = parseJson(text)?.usage;
	}
	return { prompt: usage?.prompt_tokens ?? 0, completion: usage?.completion_tokens ?? 0 };
}
