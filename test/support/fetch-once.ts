import { sendOnOwnConnection } from '../../scripts/demo/post';

/**
 * fetch for the tests (the harness, the relay helpers). n8n and the relay close idle kept-alive
 * connections after a few seconds, and on a loaded machine a request can meet a connection that is
 * just being closed ("other side closed"). A write therefore always goes on a connection of its own,
 * as the demo's posts do (scripts/demo/post.ts), and is never repeated (it may have been acted on); a
 * read gets one more try. n8n's 503 "Database is not ready!" comes from its database health check
 * before the request is handled (seen at load 30), so any request that gets it is sent again, for up
 * to two minutes.
 */
export async function fetchOnce(url: string, init: RequestInit = {}): Promise<Response> {
	const deadline = Date.now() + 120_000;
	for (let attempt = 0; ; attempt++) {
		const response = await fetchOnceRaw(url, init);
		if (response.status !== 503 || Date.now() > deadline) return response;
		const text = await response.clone().text();
		if (!/Database is not ready/i.test(text)) return response;
		await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
	}
}

async function fetchOnceRaw(url: string, init: RequestInit): Promise<Response> {
	const method = (init.method ?? 'GET').toUpperCase();
	if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
		if (init.body !== undefined && init.body !== null && typeof init.body !== 'string')
			throw new TypeError(`fetchOnce sends string bodies only (${method} ${url})`);
		const answer = await sendOnOwnConnection(url, {
			method,
			headers: Object.fromEntries(new Headers(init.headers)),
			body: init.body ?? undefined,
		});
		const headers = new Headers();
		for (const [name, value] of answer.headers) headers.append(name, value);
		const empty = [204, 205, 304].includes(answer.status);
		return new Response(empty ? null : answer.body, { status: answer.status, headers });
	}
	try {
		return await fetch(url, init);
	} catch (error) {
		const code = ((error as { cause?: { code?: string } }).cause ?? {}).code;
		if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return await fetch(url, init);
		throw error;
	}
}
