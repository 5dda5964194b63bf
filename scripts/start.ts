/**
 * `npm start`: the demo (scripts/demo/demo.ts). Builds this package, starts n8n (SQLite, user
 * folder kept in .cache/local-n8n) with the package and the status-relay hook, the relay and its
 * dashboard, and local mail; imports and activates the webhook workflow; sends the sample mail
 * through it; prints the URLs. Ctrl-C stops everything.
 *
 * Settings (environment):
 *   N8N_PORT=5678  DEMO_RELAY_PORT=5680  DEMO_MAILBOX_PORT=5681   ports (0: any free port)
 *   N8N_TEST_VERSION=1.123.x   run the demo on n8n 1.x instead of 2.41.1
 *   DEMO_APPROVE=0             leave the replies that need approval waiting for you to approve
 *   DEMO_SAMPLES=0             start everything but send no sample mail
 *   DEMO_EXIT_AFTER_MAIL=1     stop once the sample mail went through (exit code 0 when it did)
 *   SUPPORT_EMAIL_N8N_FOLDER   the n8n user folder (default .cache/local-n8n)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, requestedVersion } from '../test/harness/n8n';
import { DemoAborted, readyMessage, startDemo } from './demo/demo';

/** A long step says what it is doing at least this often. */
const PROGRESS_EVERY_MS = 10_000;
/** Top-level packages in node_modules once n8n is installed (counted on 2.41.1 and 1.123.81). */
const N8N_PACKAGES: Record<number, number> = { 1: 1233, 2: 1519 };
/** Object files node-gyp writes for sqlite3 5.x (its amalgamation, the addon's four, one stub). */
const SQLITE_OBJECTS = 6;

function elapsed(since: number): string {
	const seconds = Math.round((Date.now() - since) / 1000);
	return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/**
 * Packages directly under node_modules that npm has unpacked (it creates every folder first and
 * fills them as the tarballs arrive, so a folder with its package.json counts).
 */
function countPackages(nodeModules: string): number {
	let count = 0;
	for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
		if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
		const names = entry.name.startsWith('@')
			? readdirSync(join(nodeModules, entry.name)).map((name) => join(entry.name, name))
			: [entry.name];
		for (const name of names) if (existsSync(join(nodeModules, name, 'package.json'))) count++;
	}
	return count;
}

function objectFiles(dir: string): string[] {
	if (!existsSync(dir)) return [];
	return readdirSync(dir, { recursive: true, encoding: 'utf8' })
		.filter((path) => path.endsWith('.o'))
		.map((path) => path.split('/').pop()!);
}

/** What the n8n install in `dest` is doing now, read from what is on disk. */
function installState(cache: string, dest: string, version: string): string {
	const major = Number(version.split('.')[0]);
	const node24 = process.env.N8N_TEST_NODE24 ?? '24.9.0';
	if (major >= 2 && !existsSync(join(cache, `node-${node24}`, 'bin', 'node'))) {
		return `fetching Node ${node24} (n8n 2.x runs on Node 24) from the npm registry`;
	}
	const nodeModules = join(dest, 'node_modules');
	if (!existsSync(nodeModules)) {
		return `npm is resolving n8n ${version}'s dependency tree (it downloads package metadata first; nothing on disk yet)`;
	}
	if (!existsSync(join(nodeModules, '.package-lock.json'))) {
		return `npm is installing n8n ${version}: ${countPackages(nodeModules).toLocaleString('en-US')} of about ${(N8N_PACKAGES[major] ?? N8N_PACKAGES[2]).toLocaleString('en-US')} packages unpacked`;
	}
	const objects = objectFiles(join(nodeModules, 'sqlite3', 'build'));
	if (objects.length === 0 && !existsSync(join(nodeModules, 'sqlite3', 'build'))) {
		return `building sqlite3 (n8n's database driver) for Node ${major >= 2 ? 24 : 20}: looking for a prebuilt binary`;
	}
	return `compiling sqlite3 from C source for Node ${major >= 2 ? 24 : 20} (no prebuilt binary could be downloaded; the longest step, about ${major >= 2 ? 10 : 8} minutes on 2 cores): ${objects.length} of ${SQLITE_OBJECTS} object files done${objects.length ? ` (${objects.join(', ')})` : ''}`;
}

/**
 * Installs n8n into the test cache on the first run, saying every PROGRESS_EVERY_MS what is being
 * installed and how far it got (npm's own output is switched off by the install script). A later
 * run finds the install complete and returns at once.
 */
async function installN8nWithProgress(version: string, signal: AbortSignal): Promise<void> {
	const cache = process.env.N8N_TEST_CACHE ?? join(REPO_ROOT, '.cache');
	const dest = join(cache, `n8n-${version}`);
	if (existsSync(join(dest, '.complete'))) return;
	mkdirSync(cache, { recursive: true });
	const started = Date.now();
	console.log(
		`First run: installing n8n ${version} into ${dest} (about 2.8 GB; progress every ${PROGRESS_EVERY_MS / 1000} s). Later runs reuse it.`,
	);
	const child = spawn('bash', [join(REPO_ROOT, 'test/harness/install-n8n.sh'), version], {
		stdio: ['ignore', 'ignore', 'pipe'],
		detached: true,
	});
	const stderr: string[] = [];
	child.stderr.on('data', (chunk: Buffer) => {
		for (const line of chunk.toString().split('\n')) {
			if (!line.trim()) continue;
			stderr.push(line);
			if (stderr.length > 200) stderr.shift();
			// The script's own step lines; npm's errors are shown if it fails.
			if (line.startsWith('[install-n8n]')) console.log(`  ${line.replace('[install-n8n] ', '')}`);
		}
	});
	const ticker = setInterval(() => {
		console.log(`  ${elapsed(started)}: ${installState(cache, dest, version)}`);
	}, PROGRESS_EVERY_MS);
	const onAbort = () => {
		try {
			if (child.pid) process.kill(-child.pid, 'SIGTERM');
		} catch {
			// already gone
		}
	};
	signal.addEventListener('abort', onAbort, { once: true });
	try {
		const code = await new Promise<number | null>((resolve, reject) => {
			child.once('error', reject);
			child.once('exit', (exitCode) => resolve(exitCode));
		});
		if (signal.aborted) throw new DemoAborted();
		if (code !== 0) {
			throw new Error(
				`Installing n8n ${version} failed (exit code ${code}) after ${elapsed(started)}:\n${stderr.slice(-40).join('\n')}`,
			);
		}
		console.log(`n8n ${version} installed in ${elapsed(started)}.`);
	} finally {
		clearInterval(ticker);
		signal.removeEventListener('abort', onAbort);
	}
}

function port(name: string, fallback: number): number {
	const raw = process.env[name];
	const value = raw === undefined || raw === '' ? fallback : Number(raw);
	if (!Number.isInteger(value) || value < 0 || value > 65535) {
		throw new Error(
			`${name} must be a port number (1-65535, or 0 for any free port), got "${raw}"`,
		);
	}
	return value;
}

async function main(): Promise<void> {
	const flag = (name: string) => ['1', 'true', 'yes'].includes(process.env[name] ?? '');
	const off = (name: string) => ['0', 'false', 'no'].includes(process.env[name] ?? '');
	const options = {
		n8nPort: port('N8N_PORT', 5678),
		relayPort: port('DEMO_RELAY_PORT', 5680),
		mailboxPort: port('DEMO_MAILBOX_PORT', 5681),
	};
	const abort = new AbortController();
	/** Set once the demo is up. */
	const running: { stop?: () => Promise<void>; heartbeat?: NodeJS.Timeout } = {};
	let stopping: Promise<void> | undefined;
	const stop = (code: number) => {
		if (stopping) {
			// A second Ctrl-C while stopping: the children are in their own process groups and get
			// SIGKILL from the harness after its grace period; just say so.
			console.log('Still stopping (n8n finishes its running executions first)...');
			return;
		}
		if (!running.stop) {
			// Still starting: startDemo stops what it started and rejects with DemoAborted.
			if (!abort.signal.aborted) console.log('\nStopping...');
			abort.abort();
			return;
		}
		console.log('\nStopping n8n, the relay and the mail server...');
		stopping = running.stop().then(
			() => {
				console.log('Stopped.');
				process.exit(code);
			},
			(error: unknown) => {
				console.error(`while stopping: ${String(error)}`);
				process.exit(1);
			},
		);
	};
	process.on('SIGINT', () => stop(0));
	process.on('SIGTERM', () => stop(0));

	let demo;
	try {
		await installN8nWithProgress(requestedVersion(), abort.signal);
		// The steps after the install (building the package, starting n8n) are quicker but can still
		// take a minute: repeat the step being waited on rather than stay silent.
		let lastLine = { text: '', at: Date.now(), since: Date.now() };
		const say = (line: string) => {
			console.log(line);
			lastLine = { text: line, at: Date.now(), since: Date.now() };
		};
		const heartbeat = setInterval(() => {
			if (!lastLine.text || Date.now() - lastLine.at < PROGRESS_EVERY_MS) return;
			console.log(`  still on it (${elapsed(lastLine.since)}): ${lastLine.text}`);
			lastLine.at = Date.now();
		}, 1000);
		heartbeat.unref();
		running.heartbeat = heartbeat;
		demo = await startDemo({
			...options,
			signal: abort.signal,
			userFolder: process.env.SUPPORT_EMAIL_N8N_FOLDER || undefined,
			sendSamples: !off('DEMO_SAMPLES'),
			approve: !off('DEMO_APPROVE'),
			log: say,
			n8nLog: process.env.N8N_TEST_VERBOSE ? (line) => console.log(`[n8n] ${line}`) : undefined,
		});
	} catch (error) {
		if (error instanceof DemoAborted) {
			console.log('Stopped.');
			process.exit(0);
		}
		throw error;
	}
	clearInterval(running.heartbeat);
	running.stop = demo.stop;
	console.log(readyMessage(demo));
	if (abort.signal.aborted || flag('DEMO_EXIT_AFTER_MAIL')) stop(0);
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
