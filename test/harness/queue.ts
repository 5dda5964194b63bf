/**
 * n8n in queue mode without Docker: the main process (`n8n start`, through the harness's N8n) plus
 * `n8n worker` processes, on a Redis (Bull) and, as n8n supports queue mode officially, PostgreSQL.
 * Every process gets the same settings (user folder, encryption key, database, Redis, the installed
 * package); each worker its own ports. The caller brings Redis and the database (e.g.
 * test/n8n/relay-servers.ts `startRedis()` / `startPostgres()`).
 *
 *   const queue = await QueueN8n.start({ redis, database: postgres.n8nEnv(), workers: 2 });
 *   queue.main.baseUrl ... ; await queue.stop();
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { whenEvent } from '../support/wait-for';
import { N8n, freePort, installedPackageDir, nodeBinary } from './n8n';
import type { StartOptions } from './n8n';

export interface QueueWorker {
	child: ChildProcess;
	logs: string[];
}

export interface QueueStartOptions {
	redis: { host: string; port: number };
	/** The database settings (DB_TYPE=postgresdb, DB_POSTGRESDB_*); SQLite when omitted. */
	database?: Record<string, string>;
	workers?: number;
	/** Jobs each worker runs at once (`n8n worker --concurrency`; n8n's default is 10). */
	concurrency?: number;
	/** More settings for every process; a function receives the installed package's folder. */
	env?: (where: { userFolder: string; packageDir: string }) => Record<string, string>;
	/** Settings for one worker only (e.g. a different relay per worker), on top of `env`. */
	workerEnv?: (index: number, where: { packageDir: string }) => Record<string, string>;
	version?: string;
	tarball?: string;
	log?: (source: string, line: string) => void;
}

export class QueueN8n {
	private constructor(
		readonly main: N8n,
		readonly workers: QueueWorker[],
		private readonly userFolder: string,
	) {}

	static async start(options: QueueStartOptions): Promise<QueueN8n> {
		const userFolder = mkdtempSync(join(tmpdir(), 'n8n-queue-'));
		const queueEnv = {
			...(options.database ?? {}),
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: options.redis.host,
			QUEUE_BULL_REDIS_PORT: String(options.redis.port),
			// The main process only enqueues; its own webhook runs also go to the workers.
			OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		};
		const startOptions: StartOptions = {
			userFolder,
			version: options.version,
			tarball: options.tarball,
			env: (where) => ({ ...queueEnv, ...(options.env?.(where) ?? {}) }),
			log: options.log ? (line) => options.log!('main', line) : undefined,
		};
		let main: N8n | undefined;
		const workers: QueueWorker[] = [];
		try {
			main = await N8n.start(startOptions);
			const packageDir = installedPackageDir(userFolder);
			for (let i = 0; i < (options.workers ?? 2); i++) {
				workers.push(
					await spawnWorker(main, i, options.workerEnv?.(i, { packageDir }) ?? {}, options),
				);
			}
			await Promise.all(workers.map((w, i) => waitForWorker(w, i)));
		} catch (error) {
			await Promise.all(workers.map((w) => stopChild(w.child)));
			await main?.stop();
			rmSync(userFolder, { recursive: true, force: true });
			throw error;
		}
		return new QueueN8n(main, workers, userFolder);
	}

	async stop(): Promise<void> {
		await Promise.all(this.workers.map((w) => stopChild(w.child)));
		await this.main.stop();
		rmSync(this.userFolder, { recursive: true, force: true });
	}
}

async function spawnWorker(
	main: N8n,
	index: number,
	extra: Record<string, string>,
	options: QueueStartOptions,
): Promise<QueueWorker> {
	const env: Record<string, string> = {
		...main.env,
		...extra,
		// Ports of its own: its (unused) HTTP port, task runner broker and health server.
		N8N_PORT: String(await freePort()),
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		QUEUE_HEALTH_CHECK_PORT: String(await freePort()),
	};
	// "n8n worker is now ready" is an info line.
	if (env.N8N_LOG_LEVEL === 'warn' || env.N8N_LOG_LEVEL === 'error') env.N8N_LOG_LEVEL = 'info';
	const child = spawn(
		nodeBinary(main.version),
		[
			join(main.installDir, 'node_modules/n8n/bin/n8n'),
			'worker',
			`--concurrency=${options.concurrency ?? 10}`,
		],
		{ env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
	);
	const logs: string[] = [];
	const onData = (chunk: Buffer) => {
		for (const line of chunk.toString().split('\n')) {
			if (!line.trim()) continue;
			logs.push(line);
			if (logs.length > 2000) logs.shift();
			options.log?.(`worker ${index + 1}`, line);
		}
	};
	child.stdout?.on('data', onData);
	child.stderr?.on('data', onData);
	return { child, logs };
}

async function waitForWorker(worker: QueueWorker, index: number): Promise<void> {
	const { child, logs } = worker;
	// Checked after each chunk of output (the log collector, attached first, has stored its lines).
	await whenEvent(
		[
			[child.stdout!, 'data'],
			[child.stderr!, 'data'],
		],
		() => {
			if (logs.some((line) => line.includes('n8n worker is now ready'))) return true;
			if (child.exitCode !== null)
				throw new Error(
					`n8n worker ${index + 1} exited (${child.exitCode}):\n${logs.slice(-40).join('\n')}`,
				);
			return false;
		},
		{
			what: `n8n worker ${index + 1} to log "n8n worker is now ready"`,
			timeoutMs: 180_000,
			abortOn: [
				[
					child,
					'exit',
					(code) =>
						new Error(
							`n8n worker ${index + 1} exited (${String(code)}):\n${logs.slice(-40).join('\n')}`,
						),
				],
			],
		},
	).catch((error: Error) => {
		throw error.name === 'WaitTimeoutError'
			? new Error(`${error.message}:\n${logs.slice(-40).join('\n')}`)
			: error;
	});
}

/** SIGTERM to the worker's process group (it finishes running jobs), SIGKILL after 20 s. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
	if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	try {
		process.kill(-child.pid, 'SIGTERM');
	} catch {
		return;
	}
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<'late'>(
		(resolve) => (timer = setTimeout(() => resolve('late'), 20_000)),
	);
	if ((await Promise.race([exited, late])) === 'late') {
		try {
			process.kill(-child.pid, 'SIGKILL');
		} catch {
			// gone
		}
	}
	clearTimeout(timer);
}
