#!/usr/bin/env node
/**
 * `n8n-support-relay`: starts the status relay with the configuration in the environment (see
 * status-relay/PROTOCOL.md). Exits 2 with every configuration problem listed when it is invalid.
 */
import { ConfigError, loadConfig } from '../server/config';
import { Relay } from '../server/app';

async function main(): Promise<void> {
	let relay: Relay;
	try {
		relay = new Relay(loadConfig(process.env));
	} catch (error) {
		if (error instanceof ConfigError) {
			process.stderr.write(`${error.message}\n`);
			process.exit(2);
		}
		throw error;
	}
	let stopping = false;
	const shutdown = (signal: string) => {
		if (stopping) return;
		stopping = true;
		relay.logger.info({ signal }, 'signal received');
		relay
			.stop()
			.then(() => process.exit(0))
			.catch(() => process.exit(1));
	};
	process.on('SIGTERM', () => shutdown('SIGTERM'));
	process.on('SIGINT', () => shutdown('SIGINT'));
	await relay.start();
}

main().catch((error: unknown) => {
	process.stderr.write(`status relay failed to start: ${String(error)}\n`);
	process.exit(1);
});
