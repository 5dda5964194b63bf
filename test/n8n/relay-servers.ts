/**
 * Real Redis and PostgreSQL for the relay's tests (DESIGN.md section 7): Debian's `redis-server` and
 * `postgresql`, installed on demand by scripts/ensure-system-deps.sh, run unprivileged (as the
 * calling user, or as `nobody` when the tests run as root) on free loopback ports, with their data
 * in a temporary folder that `stop()` removes.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, freePort, sleep } from '../harness/n8n';

const execFileAsync = promisify(execFile);

const ensured = new Map<string, Promise<void>>();

/** Installs Debian packages when they are missing (quick when they are there). */
export async function ensureSystemPackages(...packages: string[]): Promise<void> {
	const key = packages.join(' ');
	let pending = ensured.get(key);
	if (!pending) {
		pending = execFileAsync(
			'bash',
			[join(REPO_ROOT, 'scripts/ensure-system-deps.sh'), ...packages],
			{
				timeout: 10 * 60_000,
				maxBuffer: 16 * 1024 * 1024,
			},
		).then(() => undefined);
		ensured.set(key, pending);
	}
	await pending;
}

/** Root runs the servers as `nobody`; anyone else as themselves. */
function unprivileged(): { uid?: number; gid?: number } {
	return process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
}

function tempDirFor(prefix: string): string {
	const dir = mkdtempSync(join(tmpdir(), prefix));
	const { uid, gid } = unprivileged();
	if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
	return dir;
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	child.kill(signal);
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<'timeout'>((resolve) => {
		timer = setTimeout(() => resolve('timeout'), 10_000);
	});
	const outcome = await Promise.race([exited, timeout]);
	clearTimeout(timer);
	if (outcome === 'timeout') {
		child.kill('SIGKILL');
		await exited;
	}
}

function collectOutput(child: ChildProcess, lines: string[]): void {
	const onData = (chunk: Buffer) => {
		for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(line);
		if (lines.length > 500) lines.splice(0, lines.length - 500);
	};
	child.stdout?.on('data', onData);
	child.stderr?.on('data', onData);
}

export interface RedisServer {
	host: string;
	port: number;
	url: string;
	/** Sends one command (inline protocol) and returns the raw reply. */
	command(...args: string[]): Promise<string>;
	stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
	await ensureSystemPackages('redis-server');
	const dir = tempDirFor('relay-redis-');
	const port = await freePort();
	const child = spawn(
		'redis-server',
		[
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--dir',
			dir,
			'--save',
			'',
			'--appendonly',
			'no',
			'--daemonize',
			'no',
			'--loglevel',
			'warning',
		],
		{ ...unprivileged(), stdio: ['ignore', 'pipe', 'pipe'] },
	);
	const output: string[] = [];
	collectOutput(child, output);
	const command = (...args: string[]) =>
		new Promise<string>((resolve, reject) => {
			const socket = connect(port, '127.0.0.1');
			let reply = '';
			socket.once('error', reject);
			socket.on('data', (chunk) => {
				reply += chunk.toString();
				if (reply.endsWith('\r\n')) {
					socket.end();
					resolve(reply.trim());
				}
			});
			const encoded = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
			socket.write(encoded);
		});
	const deadline = Date.now() + 20_000;
	for (;;) {
		if (child.exitCode !== null) {
			throw new Error(`redis-server exited (${child.exitCode}): ${output.join('\n')}`);
		}
		const pong = await command('PING').catch(() => '');
		if (pong === '+PONG') break;
		if (Date.now() > deadline) {
			await stopProcess(child, 'SIGKILL');
			throw new Error(`redis-server did not answer on ${port}: ${output.join('\n')}`);
		}
		await sleep(50);
	}
	return {
		host: '127.0.0.1',
		port,
		url: `redis://127.0.0.1:${port}`,
		command,
		stop: async () => {
			await stopProcess(child);
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

export interface PostgresServer {
	host: string;
	port: number;
	user: string;
	database: string;
	/** n8n's settings for this database. */
	n8nEnv(): Record<string, string>;
	stop(): Promise<void>;
}

function postgresBin(): string {
	const root = '/usr/lib/postgresql';
	const versions = existsSync(root)
		? readdirSync(root)
				.filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
				.sort((a, b) => Number(b) - Number(a))
		: [];
	if (!versions.length) throw new Error(`no PostgreSQL server binaries under ${root}`);
	return join(root, versions[0], 'bin');
}

export async function startPostgres(): Promise<PostgresServer> {
	await ensureSystemPackages('postgresql');
	const bin = postgresBin();
	const dir = tempDirFor('relay-pg-');
	const data = join(dir, 'data');
	const user = 'n8n';
	await execFileAsync(
		join(bin, 'initdb'),
		['-D', data, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'],
		{ ...unprivileged(), cwd: dir, maxBuffer: 16 * 1024 * 1024 },
	);
	const port = await freePort();
	const child = spawn(
		join(bin, 'postgres'),
		[
			'-D',
			data,
			'-p',
			String(port),
			'-k',
			dir,
			'-c',
			'listen_addresses=127.0.0.1',
			// A throwaway test database: durability only costs time here.
			'-c',
			'fsync=off',
			'-c',
			'synchronous_commit=off',
			'-c',
			'full_page_writes=off',
			'-c',
			'max_connections=100',
		],
		{ ...unprivileged(), cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
	);
	const output: string[] = [];
	collectOutput(child, output);
	const deadline = Date.now() + 30_000;
	for (;;) {
		if (child.exitCode !== null) {
			throw new Error(`postgres exited (${child.exitCode}): ${output.join('\n')}`);
		}
		const ready = await execFileAsync(join(bin, 'pg_isready'), [
			'-h',
			'127.0.0.1',
			'-p',
			String(port),
			'-U',
			user,
		]).then(
			() => true,
			() => false,
		);
		if (ready) break;
		if (Date.now() > deadline) {
			await stopProcess(child, 'SIGKILL');
			throw new Error(`postgres did not become ready on ${port}: ${output.join('\n')}`);
		}
		await sleep(200);
	}
	return {
		host: '127.0.0.1',
		port,
		user,
		database: 'postgres',
		n8nEnv: () => ({
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(port),
			DB_POSTGRESDB_USER: user,
			DB_POSTGRESDB_PASSWORD: 'unused-trust-auth',
			DB_POSTGRESDB_DATABASE: 'postgres',
			// n8n's defaults (2 connections, 20 s to get one) lose executions on a loaded host: a worker
			// running 10 jobs waits for one of 2 connections, and after 20 s n8n fails the execution
			// before saving its input ("timeout exceeded when trying to connect" in setRunning). One
			// connection per concurrent job, and a minute to get one, as docker/compose.yaml sets.
			DB_POSTGRESDB_POOL_SIZE: '10',
			DB_POSTGRESDB_CONNECTION_TIMEOUT: '60000',
		}),
		stop: async () => {
			// SIGINT: PostgreSQL's "fast" shutdown.
			await stopProcess(child, 'SIGINT');
			rmSync(dir, { recursive: true, force: true });
		},
	};
}
