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
import { DemoAborted, readyMessage, startDemo } from './demo/demo';

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
	const running: { stop?: () => Promise<void> } = {};
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
		demo = await startDemo({
			...options,
			signal: abort.signal,
			userFolder: process.env.SUPPORT_EMAIL_N8N_FOLDER || undefined,
			sendSamples: !off('DEMO_SAMPLES'),
			approve: !off('DEMO_APPROVE'),
			log: (line) => console.log(line),
			n8nLog: process.env.N8N_TEST_VERBOSE ? (line) => console.log(`[n8n] ${line}`) : undefined,
		});
	} catch (error) {
		if (error instanceof DemoAborted) {
			console.log('Stopped.');
			process.exit(0);
		}
		throw error;
	}
	running.stop = demo.stop;
	console.log(readyMessage(demo));
	if (abort.signal.aborted || flag('DEMO_EXIT_AFTER_MAIL')) stop(0);
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
