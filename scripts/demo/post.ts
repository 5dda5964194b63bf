/**
 * HTTP requests on a connection of their own. The demo posts to n8n's webhooks and review links, a
 * few dozen requests, and the tests' harness writes to n8n's APIs: with fetch's pooled keep-alive
 * connections, a loaded machine can reuse a socket that n8n has just closed as idle, and the request
 * fails with nothing but "fetch failed" (seen at load 20, n8n 1.123.x). A write cannot simply be sent
 * again (it may have been acted on); a fresh connection per request cannot race that way, and a
 * failure says what went wrong.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Answer {
	status: number;
	/** Header lines as received, in order (several `set-cookie` stay several). */
	headers: Array<[string, string]>;
	body: Buffer;
}

export interface Posted {
	status: number;
	body: string;
	ok: boolean;
}

/** A network failure before any answer (`code`: ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...). */
export class PostError extends Error {
	constructor(
		message: string,
		readonly code: string | undefined,
	) {
		super(message);
	}
}

/** Sends one request on a new connection and reads the whole answer. */
export function sendOnOwnConnection(
	url: string,
	options: {
		method?: string;
		headers?: Record<string, string>;
		body?: string | Buffer;
		/** The longest the connection may stay silent. */
		timeoutMs?: number;
	} = {},
): Promise<Answer> {
	const method = (options.method ?? 'GET').toUpperCase();
	const timeoutMs = options.timeoutMs ?? 10 * 60_000;
	const payload =
		options.body === undefined
			? undefined
			: Buffer.isBuffer(options.body)
				? options.body
				: Buffer.from(options.body);
	const target = new URL(url);
	const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
	const failed = (error: NodeJS.ErrnoException) =>
		new PostError(`${method} ${url}: ${error.message}`, error.code);
	return new Promise((resolve, reject) => {
		const req = send(
			target,
			{
				method,
				agent: false,
				headers: {
					...(payload ? { 'content-length': String(payload.length) } : {}),
					...options.headers,
				},
				timeout: timeoutMs,
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (chunk: Buffer) => chunks.push(chunk));
				res.on('error', (error: NodeJS.ErrnoException) => reject(failed(error)));
				res.on('end', () => {
					const headers: Array<[string, string]> = [];
					for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
						headers.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
					resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
				});
			},
		);
		req.on('timeout', () =>
			req.destroy(
				Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }),
			),
		);
		req.on('error', (error: NodeJS.ErrnoException) => reject(failed(error)));
		req.end(payload);
	});
}

export async function postJson(
	url: string,
	body: unknown,
	headers: Record<string, string> = {},
	timeoutMs = 10 * 60_000,
): Promise<Posted> {
	const answer = await sendOnOwnConnection(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body: JSON.stringify(body),
		timeoutMs,
	});
	return {
		status: answer.status,
		body: answer.body.toString('utf8'),
		ok: answer.status >= 200 && answer.status < 300,
	};
}
