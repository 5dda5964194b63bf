/**
 * A port for a test server to listen on. The kernel hands out ports of its ephemeral range
 * (net.ipv4.ip_local_port_range) to every `listen(0)` and every outgoing connection, so a port found
 * free there with `listen(0)` and handed to a child process can be taken by anyone before the child
 * binds it: at load 24, with two `npm test` runs side by side, n8n's task broker met "port already in
 * use" that way. Ports are therefore drawn at random below that range, where the kernel never hands
 * them out, and each is checked by listening on it; `listen(0)` remains the fallback.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 10_000;

function ephemeralLow(): number {
	try {
		const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
			.trim()
			.split(/\s+/)
			.map(Number);
		return Number.isInteger(low) && low > LOWEST + 1000 ? low : 0;
	} catch {
		return 0;
	}
}

/** Whether `port` can be listened on at 127.0.0.1 right now. */
export function portIsFree(port: number): Promise<boolean> {
	return new Promise((resolveFree) => {
		const server = createServer();
		server.unref();
		server.once('error', () => resolveFree(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
	});
}

function kernelPort(): Promise<number> {
	return new Promise((resolvePort, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

export async function freePort(): Promise<number> {
	const high = ephemeralLow();
	if (high) {
		for (let attempt = 0; attempt < 50; attempt++) {
			const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
			if (await portIsFree(port)) return port;
		}
	}
	return await kernelPort();
}
