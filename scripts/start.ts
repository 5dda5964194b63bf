/**
 * `npm start`: builds this package and runs it in a local n8n (SQLite, no account, no key), with
 * a user folder kept in .cache/local-n8n so workflows survive restarts. Prints the editor URL.
 */
import { join } from 'node:path';
import { N8n, OWNER, REPO_ROOT, requestedVersion } from '../test/harness/n8n';

async function main(): Promise<void> {
	const port = Number(process.env.N8N_PORT ?? 5678);
	if (!Number.isInteger(port) || port <= 0 || port > 65535) {
		throw new Error(`N8N_PORT must be a port number (1-65535), got "${process.env.N8N_PORT}"`);
	}
	const version = requestedVersion();
	console.log(
		`Building the package and starting n8n ${version} on port ${port} (first run installs n8n: a few minutes)...`,
	);
	const n8n = await N8n.start({
		version,
		port,
		userFolder: process.env.SUPPORT_EMAIL_N8N_FOLDER ?? join(REPO_ROOT, '.cache', 'local-n8n'),
		log: process.env.N8N_TEST_VERBOSE ? (line) => console.log(`[n8n] ${line}`) : undefined,
	});
	console.log(
		[
			'',
			`n8n ${n8n.version} is running with n8n-nodes-support-email loaded.`,
			`  Editor:   ${n8n.baseUrl}/`,
			`  Login:    ${OWNER.email} / ${OWNER.password}`,
			`  API key:  ${n8n.apiKey}`,
			`  Data:     ${n8n.userFolder}`,
			'Search the node panel for "Support Email". Press Ctrl-C to stop.',
			'',
		].join('\n'),
	);
	let stopping = false;
	const stop = async () => {
		if (stopping) return;
		stopping = true;
		console.log('Stopping n8n...');
		await n8n.stop();
		process.exit(0);
	};
	process.on('SIGINT', () => void stop());
	process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
