/**
 * registry.npmjs.org on loopback, for n8n's own Settings > Community Nodes install of a package that
 * is not published. n8n names the registry itself (`npm pack|view|install --registry=
 * https://registry.npmjs.org`, and a GET of https://registry.npmjs.org/<name>/<version>); another
 * registry (N8N_COMMUNITY_PACKAGES_REGISTRY) needs an enterprise licence in n8n 1.123 and 2.41.
 *
 * So this is an HTTPS proxy on 127.0.0.1, given to n8n (and the npm it runs) as HTTPS_PROXY: it
 * answers for registry.npmjs.org with a certificate of a CA made here (trusted through
 * NODE_EXTRA_CA_CERTS and npm's cafile, with the machine's own bundle), serves
 * ONE package (packument, version document, tarball) from the tarball under test, and passes every
 * other registry request through, unchanged, to the real registry (the package's dependencies come
 * from there). Any other host is refused (403), so n8n's calls to api.n8n.io fail fast, as offline.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
	createServer,
	type IncomingHttpHeaders,
	type IncomingMessage,
	type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { TLSSocket, createSecureContext } from 'node:tls';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const REGISTRY_HOST = 'registry.npmjs.org';
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const HOP_BY_HOP = new Set([
	'connection',
	'keep-alive',
	'proxy-authorization',
	'proxy-connection',
	'te',
	'trailer',
	'transfer-encoding',
	'upgrade',
]);
/** A pass-through request that takes longer than this is cut off (the real registry is slow at worst). */
const UPSTREAM_TIMEOUT_MS = 120_000;

export interface LoopbackRegistry {
	/** The proxy's URL, for HTTPS_PROXY. */
	proxyUrl: string;
	/** The CA file n8n and npm must trust: the machine's bundle and this proxy's CA. */
	caFile: string;
	/** The package served from the tarball, and its version. */
	name: string;
	version: string;
	/** Every request for that package, in order (`GET /name`, `GET /name/-/name-1.0.0.tgz`, ...). */
	served: string[];
	/** Requests passed through to the real registry. */
	passedThrough: number;
	/** Hosts refused (not the registry). */
	refused: string[];
	/** Environment for n8n: the proxy, the CA, and loopback kept off the proxy. */
	env(): Record<string, string>;
	close(): Promise<void>;
}

/** A CA and a registry.npmjs.org certificate signed by it, made with openssl in `dir`. */
async function makeCertificates(dir: string): Promise<{ ca: string; key: string; cert: string }> {
	const ca = join(dir, 'ca.pem');
	const caKey = join(dir, 'ca.key');
	const key = join(dir, 'registry.key');
	const csr = join(dir, 'registry.csr');
	const cert = join(dir, 'registry.pem');
	const ext = join(dir, 'registry.ext');
	await execFileAsync('openssl', [
		'req',
		'-x509',
		'-newkey',
		'rsa:2048',
		'-nodes',
		'-keyout',
		caKey,
		'-out',
		ca,
		'-days',
		'2',
		'-subj',
		'/CN=n8n-nodes-support-email test registry CA',
		'-addext',
		'basicConstraints=critical,CA:TRUE',
		'-addext',
		'keyUsage=critical,keyCertSign,cRLSign',
	]);
	await execFileAsync('openssl', [
		'req',
		'-newkey',
		'rsa:2048',
		'-nodes',
		'-keyout',
		key,
		'-out',
		csr,
		'-subj',
		`/CN=${REGISTRY_HOST}`,
	]);
	writeFileSync(
		ext,
		`subjectAltName=DNS:${REGISTRY_HOST}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
	);
	await execFileAsync('openssl', [
		'x509',
		'-req',
		'-in',
		csr,
		'-CA',
		ca,
		'-CAkey',
		caKey,
		'-CAcreateserial',
		'-out',
		cert,
		'-days',
		'2',
		'-extfile',
		ext,
	]);
	return { ca, key, cert };
}

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
	const out: Record<string, string | string[]> = {};
	for (const [name, value] of Object.entries(headers)) {
		if (value === undefined || HOP_BY_HOP.has(name.toLowerCase())) continue;
		out[name] = value;
	}
	return out;
}

/**
 * Starts the proxy. `tarball` is an `npm pack` output; `dir` a folder for the certificates.
 */
export async function startLoopbackRegistry(
	tarball: string,
	dir: string,
): Promise<LoopbackRegistry> {
	const bytes = readFileSync(tarball);
	const { stdout } = await execFileAsync('tar', ['-xzOf', tarball, 'package/package.json'], {
		maxBuffer: 16 * 1024 * 1024,
	});
	const manifest = JSON.parse(stdout) as Record<string, unknown> & {
		name: string;
		version: string;
	};
	const { name, version } = manifest;
	const tarballPath = `/${name}/-/${name}-${version}.tgz`;
	const versionDocument = {
		...manifest,
		_id: `${name}@${version}`,
		dist: {
			tarball: `https://${REGISTRY_HOST}${tarballPath}`,
			integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
			shasum: createHash('sha1').update(bytes).digest('hex'),
		},
	};
	const now = new Date().toISOString();
	const packument = {
		_id: name,
		name,
		'dist-tags': { latest: version },
		versions: { [version]: versionDocument },
		time: { created: now, modified: now, [version]: now },
	};

	const { ca, key, cert } = await makeCertificates(dir);
	// npm trusts only its `cafile` when one is set (this machine sets the system bundle), and
	// NODE_EXTRA_CA_CERTS replaces any earlier one: both get the machine's bundle plus this CA.
	const bundle = join(dir, 'trusted.pem');
	const machine = [process.env.NODE_EXTRA_CA_CERTS, SYSTEM_BUNDLE].filter(
		(file, index, all): file is string =>
			Boolean(file) && existsSync(file!) && all.indexOf(file) === index,
	);
	writeFileSync(
		bundle,
		[...machine.map((file) => readFileSync(file, 'utf8')), readFileSync(ca, 'utf8')].join('\n'),
	);
	const secureContext = createSecureContext({
		key: readFileSync(key),
		cert: readFileSync(cert),
	});

	const state = { served: [] as string[], passedThrough: 0, refused: [] as string[] };
	const sockets = new Set<Socket>();

	const sendJson = (res: ServerResponse, method: string, body: unknown) => {
		const text = JSON.stringify(body);
		res.writeHead(200, {
			'content-type': 'application/json',
			'content-length': Buffer.byteLength(text),
			'cache-control': 'no-store',
		});
		res.end(method === 'HEAD' ? undefined : text);
	};

	/** A request to registry.npmjs.org, arrived through the tunnel (or as a plain proxy request). */
	const registry = (req: IncomingMessage, res: ServerResponse, path: string) => {
		const method = req.method ?? 'GET';
		const decoded = decodeURIComponent(path.split('?')[0]);
		if (decoded === `/${name}` || decoded.startsWith(`/${name}/`)) {
			state.served.push(`${method} ${decoded}`);
			if (decoded === `/${name}`) return sendJson(res, method, packument);
			if (decoded === `/${name}/${version}` || decoded === `/${name}/latest`)
				return sendJson(res, method, versionDocument);
			if (decoded === tarballPath) {
				res.writeHead(200, {
					'content-type': 'application/octet-stream',
					'content-length': bytes.length,
					'cache-control': 'no-store',
				});
				return res.end(method === 'HEAD' ? undefined : bytes);
			}
			res.writeHead(404, { 'content-type': 'application/json' });
			return res.end(JSON.stringify({ error: 'Not found' }));
		}
		state.passedThrough++;
		const upstream = httpsRequest(
			{
				host: REGISTRY_HOST,
				port: 443,
				method,
				path,
				headers: { ...forwardHeaders(req.headers), host: REGISTRY_HOST },
				timeout: UPSTREAM_TIMEOUT_MS,
			},
			(answer) => {
				res.writeHead(answer.statusCode ?? 502, forwardHeaders(answer.headers));
				answer.pipe(res);
			},
		);
		upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
		upstream.on('error', (error) => {
			if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
			res.end(`registry pass-through failed: ${error.message}`);
		});
		req.pipe(upstream);
	};

	// Requests that came through a CONNECT tunnel, decrypted with the registry certificate.
	const inner = createServer((req, res) => registry(req, res, req.url ?? '/'));
	const proxy = createServer((req, res) => {
		// A plain proxy request (axios sends `GET https://registry.npmjs.org/...` without CONNECT).
		let target: URL | undefined;
		try {
			target = new URL(req.url ?? '');
		} catch {
			target = undefined;
		}
		if (target?.hostname === REGISTRY_HOST)
			return registry(req, res, `${target.pathname}${target.search}`);
		state.refused.push(target?.host ?? String(req.url));
		res.writeHead(403, { 'content-type': 'text/plain' });
		res.end('this test proxy serves registry.npmjs.org only');
	});
	proxy.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => socket.destroy());
		const [host] = (req.url ?? '').split(':');
		if (host !== REGISTRY_HOST) {
			state.refused.push(req.url ?? '');
			socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
			return;
		}
		socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
		if (head.length) socket.unshift(head);
		const tls = new TLSSocket(socket, { isServer: true, secureContext });
		tls.on('error', () => socket.destroy());
		inner.emit('connection', tls);
	});
	proxy.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolveListen, reject) => {
		proxy.once('error', reject);
		proxy.listen(0, '127.0.0.1', () => resolveListen());
	});
	const { port } = proxy.address() as AddressInfo;
	const proxyUrl = `http://127.0.0.1:${port}`;

	return {
		proxyUrl,
		caFile: bundle,
		name,
		version,
		get served() {
			return state.served;
		},
		get passedThrough() {
			return state.passedThrough;
		},
		get refused() {
			return state.refused;
		},
		env: () => ({
			HTTPS_PROXY: proxyUrl,
			https_proxy: proxyUrl,
			NO_PROXY: '127.0.0.1,localhost',
			no_proxy: '127.0.0.1,localhost',
			NODE_EXTRA_CA_CERTS: bundle,
			npm_config_cafile: bundle,
		}),
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolveClose) => proxy.close(() => resolveClose()));
			inner.close();
		},
	};
}
