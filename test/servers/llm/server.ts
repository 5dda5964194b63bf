import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { handleAnthropic } from './anthropic';
import { type Ctx, now, sendJson } from './common';
import { handleAzure, handleOpenAi } from './openai';
import type {
	Fault,
	LlmServer,
	LlmServerOptions,
	Provider,
	RecordedRequest,
	Responder,
} from './types';

const DEFAULT_KEYS: Record<Provider, string> = {
	openai: 'sk-test',
	anthropic: 'sk-ant-test',
	azure: 'azure-test-key',
};

const DEFAULT_DEPLOYMENTS: Record<string, string> = {
	'gpt-4o-mini': 'gpt-4o-mini',
	'gpt-4o': 'gpt-4o',
	'gpt-4.1-mini': 'gpt-4.1-mini',
	'gpt-4.1-nano': 'gpt-4.1-nano',
};

/** Which provider a request belongs to, from its path (and, for the shared /v1/models, headers). */
export function providerFor(req: IncomingMessage, path: string): Provider | undefined {
	if (path === '/anthropic' || path.startsWith('/anthropic/')) return 'anthropic';
	if (path.startsWith('/openai/')) return 'azure';
	if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return 'anthropic';
	if (path === '/v1/models' || path.startsWith('/v1/models/')) {
		const h = req.headers;
		if (h['anthropic-version'] || h['x-api-key']) return 'anthropic';
		return 'openai';
	}
	if (path.startsWith('/v1/')) return 'openai';
	return undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		const parts: Buffer[] = [];
		req.on('data', (c: Buffer) => parts.push(c));
		req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
		req.on('error', reject);
	});
}

interface QueuedFault {
	fault: Fault;
	remaining: number;
}

/**
 * Starts the OpenAI / Azure OpenAI / Anthropic stand-in on 127.0.0.1 and a free port.
 * See README.md in this folder for the routes, the wire formats and the faults.
 */
export async function startLlmServer(options: LlmServerOptions = {}): Promise<LlmServer> {
	const apiKeys: Record<Provider, string> = { ...DEFAULT_KEYS, ...(options.apiKeys ?? {}) };
	const queues: Record<Provider, QueuedFault[]> = { openai: [], azure: [], anthropic: [] };
	const requests: RecordedRequest[] = [];
	const timers = new Set<NodeJS.Timeout>();
	const sockets = new Set<Socket>();
	let latency = Math.max(0, options.latencyMs ?? 0);
	let responder: Responder | undefined = options.responder;
	const settings: Ctx['options'] = {
		apiKeys,
		azureDeployments: options.azureDeployments ?? DEFAULT_DEPLOYMENTS,
		models: options.models ?? {},
		strictSchemaCheck: options.strictSchemaCheck ?? true,
	};

	const takeFault = (provider: Provider): Fault | undefined => {
		const queue = queues[provider];
		const head = queue[0];
		if (!head) return undefined;
		head.remaining--;
		if (head.remaining <= 0) queue.shift();
		return head.fault;
	};

	const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		const time = now();
		const rawBody = await readBody(req);
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		let body: unknown;
		if (rawBody.length) {
			try {
				body = JSON.parse(rawBody);
			} catch {
				body = undefined;
			}
		}
		if (url.pathname.startsWith('/__llm/')) return control(req, res, url.pathname, body);
		const provider = providerFor(req, url.pathname);
		const record: RecordedRequest = {
			provider,
			method: req.method ?? 'GET',
			path: url.pathname,
			query: Object.fromEntries(url.searchParams),
			headers: req.headers,
			body,
			rawBody,
			time,
		};
		requests.push(record);

		const ctx: Ctx = {
			req,
			res,
			record,
			url,
			options: settings,
			takeFault,
			latencyMs: () => latency,
			respond: async (r) => (responder ? responder(r) : undefined),
			wait: (ms) =>
				new Promise<boolean>((resolve) => {
					if (res.destroyed) return resolve(false);
					const onClose = () => {
						clearTimeout(timer);
						timers.delete(timer);
						resolve(false);
					};
					const timer = setTimeout(() => {
						timers.delete(timer);
						res.off('close', onClose);
						resolve(!res.destroyed);
					}, ms);
					timers.add(timer);
					res.once('close', onClose);
				}),
		};

		try {
			if (provider === 'openai') await handleOpenAi(ctx);
			else if (provider === 'azure') await handleAzure(ctx);
			else if (provider === 'anthropic') await handleAnthropic(ctx);
			else {
				sendJson(
					ctx,
					404,
					{},
					{
						error: {
							message: `Invalid URL (${record.method} ${url.pathname})`,
							type: 'invalid_request_error',
							param: null,
							code: null,
						},
					},
				);
			}
		} catch (error) {
			// A bug here or in a responder: say so loudly rather than hang the client.
			console.error('[llm test server]', error);
			sendJson(
				ctx,
				500,
				{},
				{
					error: {
						message: `llm test server: ${(error as Error)?.message ?? String(error)}`,
						type: 'server_error',
						param: null,
						code: null,
					},
				},
			);
		}
	};

	/**
	 * Control routes for a server running in another process (cli.ts): the same knobs as the
	 * object API. Not recorded in `requests`.
	 */
	const control = (req: IncomingMessage, res: ServerResponse, path: string, body: any): void => {
		const reply = (status: number, value: unknown) => {
			const text = JSON.stringify(value);
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(text);
		};
		const provider = body?.provider as Provider;
		if (req.method === 'GET' && path === '/__llm/requests') return reply(200, requests);
		if (req.method === 'POST' && path === '/__llm/fail' && provider in queues) {
			const { provider: _p, ...fault } = body;
			api.fail(provider, fault as Fault);
			return reply(200, { provider, pending: api.pendingFaults(provider) });
		}
		if (req.method === 'POST' && path === '/__llm/latency' && typeof body?.ms === 'number') {
			api.setLatency(body.ms);
			return reply(200, { latencyMs: latency });
		}
		if (req.method === 'POST' && path === '/__llm/reset') {
			api.reset();
			return reply(200, { ok: true });
		}
		return reply(404, { error: `unknown control request ${req.method} ${path}` });
	};

	const server = createServer((req, res) => {
		// A client that goes away while sending its body: nothing to answer.
		handle(req, res).catch(() => res.destroy());
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	server.keepAliveTimeout = 5000;

	const host = options.host ?? '127.0.0.1';
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const port = (server.address() as AddressInfo).port;
	const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

	const api: LlmServer = {
		baseUrl,
		port,
		openaiBaseUrl: `${baseUrl}/v1`,
		azureEndpoint: baseUrl,
		anthropicBaseUrl: `${baseUrl}/anthropic`,
		apiKeys,
		requests,
		fail(provider, fault) {
			const times = fault.times ?? 1;
			if (times > 0) queues[provider].push({ fault, remaining: times });
			return api;
		},
		pendingFaults(provider) {
			return queues[provider].reduce((n, q) => n + q.remaining, 0);
		},
		clearFaults(provider) {
			for (const p of provider ? [provider] : (Object.keys(queues) as Provider[])) {
				queues[p].length = 0;
			}
		},
		setLatency(ms) {
			latency = Math.max(0, ms);
		},
		setResponder(r) {
			responder = r;
		},
		reset() {
			requests.length = 0;
			api.clearFaults();
		},
		close() {
			for (const t of timers) clearTimeout(t);
			timers.clear();
			return new Promise<void>((resolve) => {
				server.close(() => resolve());
				for (const s of sockets) s.destroy();
			});
		},
	};
	return api;
}
