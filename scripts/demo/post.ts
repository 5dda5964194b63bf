/**
 * POSTs JSON on a connection of its own. The demo posts to n8n's webhooks and review links, a few
 * dozen requests: with fetch's pooled keep-alive connections, a loaded machine can reuse a socket
 * that n8n has just closed as idle, and the request fails with nothing but "fetch failed" (seen once
 * at load 20, n8n 1.123.x). A fresh connection per request cannot race that way, and a failure says
 * what went wrong.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Posted {
	status: number;
	body: string;
	ok: boolean;
}

/** A network failure before any answer (`code`: ECONNREFUSED, ECONNRESET, ...). */
export class PostError extends Error {
	constructor(
		message: string,
		readonly code: string | undefined,
	) {
		super(message);
	}
}

export function postJson(
	url: string,
	body: unknown,
	headers: Record<string, string> = {},
	timeoutMs = 10 * 60_000,
): Promise<Posted> {
	const payload = Buffer.from(JSON.stringify(body));
	const target = new URL(url);
	const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
	return new Promise((resolve, reject) => {
		const req = send(
			target,
			{
				method: 'POST',
				agent: false,
				headers: {
					'content-type': 'application/json',
					'content-length': String(payload.length),
					...headers,
				},
				timeout: timeoutMs,
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (chunk: Buffer) => chunks.push(chunk));
				res.on('error', (error: NodeJS.ErrnoException) =>
					reject(new PostError(`POST ${url}: ${error.message}`, error.code)),
				);
				res.on('end', () => {
					const status = res.statusCode ?? 0;
					resolve({
						status,
						body: Buffer.concat(chunks).toString('utf8'),
						ok: status >= 200 && status < 300,
					});
				});
			},
		);
		req.on('timeout', () =>
			req.destroy(
				Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }),
			),
		);
		req.on('error', (error: NodeJS.ErrnoException) =>
			reject(new PostError(`POST ${url}: ${error.message}`, error.code)),
		);
		req.end(payload);
	});
}
