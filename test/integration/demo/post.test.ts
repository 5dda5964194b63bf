/**
 * The demo's posts and the harness's writes (scripts/demo/post.ts, test/support/fetch-once.ts) go on
 * a connection of their own, so a socket the server is closing as idle is never reused for a write.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PostError, postJson } from '../../../scripts/demo/post';
import { fetchOnce } from '../../support/fetch-once';

let server: Server;
let base: string;
const sockets = new Set<Socket>();
const requests: Array<{ method?: string; body: string; socket: Socket }> = [];

beforeAll(async () => {
	server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			requests.push({
				method: req.method,
				body: Buffer.concat(chunks).toString(),
				socket: req.socket,
			});
			if (req.url === '/cookies') {
				res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
				res.end('ok');
			} else if (req.url === '/empty') {
				res.statusCode = 204;
				res.end();
			} else {
				res.setHeader('content-type', 'application/json');
				res.end(JSON.stringify({ method: req.method, got: Buffer.concat(chunks).toString() }));
			}
		});
	});
	server.keepAliveTimeout = 60_000;
	server.on('connection', (s: Socket) => sockets.add(s));
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	server.closeAllConnections();
	await new Promise((r) => server.close(r));
});

beforeEach(() => {
	requests.length = 0;
});

describe('posts on a connection of their own', () => {
	it('postJson sends JSON and reads the answer; each post on a new socket', async () => {
		const first = await postJson(`${base}/echo`, { a: 1 });
		const second = await postJson(`${base}/echo`, { b: 'ü' });
		expect(first).toEqual({ status: 200, ok: true, body: '{"method":"POST","got":"{\\"a\\":1}"}' });
		expect(JSON.parse(second.body).got).toBe('{"b":"ü"}');
		expect(requests[0].socket).not.toBe(requests[1].socket);
	});

	it('fetchOnce writes the same way and returns a Response with every header line', async () => {
		// One after the other: a pooled client would send all three on one kept-alive socket.
		const answers: unknown[] = [];
		for (const method of ['POST', 'PATCH', 'DELETE']) {
			const response = await fetchOnce(`${base}/echo`, {
				method,
				body: 'x',
				headers: { 'content-type': 'text/plain' },
			});
			answers.push(await response.json());
		}
		expect(answers).toEqual([
			{ method: 'POST', got: 'x' },
			{ method: 'PATCH', got: 'x' },
			{ method: 'DELETE', got: 'x' },
		]);
		expect(new Set(requests.map((r) => r.socket)).size).toBe(3);
		const cookies = await fetchOnce(`${base}/cookies`, { method: 'POST' });
		expect(cookies.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
		expect(await cookies.text()).toBe('ok');
		const empty = await fetchOnce(`${base}/empty`, { method: 'POST', body: '{}' });
		expect(empty.status).toBe(204);
		expect(await empty.text()).toBe('');
	});

	it('a refused connection is a PostError with its code', async () => {
		const closed = createServer();
		await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
		const port = (closed.address() as AddressInfo).port;
		await new Promise((r) => closed.close(r));
		const error = await postJson(`http://127.0.0.1:${port}/x`, {}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(PostError);
		expect((error as PostError).code).toBe('ECONNREFUSED');
		expect((error as PostError).message).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/x: /);
	});

	it('fetchOnce refuses a body it cannot send as it is', async () => {
		await expect(
			fetchOnce(`${base}/echo`, { method: 'POST', body: new URLSearchParams({ a: '1' }) }),
		).rejects.toThrow(/string bodies only/);
	});
});
