/**
 * The relay as a process of its own for the benchmarks (configured from the environment, like the
 * `n8n-support-relay` command). Prints one JSON line `{"ready": "<url>"}` when it listens.
 */
import { loadConfig } from '../../status-relay/server/config';
import { Relay } from '../../status-relay/server/app';
import { createLogger } from '../../status-relay/server/logger';

async function main(): Promise<void> {
	const relay = new Relay(loadConfig(process.env), { logger: createLogger('warn') });
	await relay.start();
	process.stdout.write(`${JSON.stringify({ ready: relay.url })}\n`);
	const stop = () => {
		relay.stop().then(
			() => process.exit(0),
			() => process.exit(1),
		);
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
	process.stderr.write(`bench relay failed: ${String(error)}\n`);
	process.exit(1);
});
