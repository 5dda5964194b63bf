import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { N8n, packPackage } from './n8n';

/** Starts one real n8n for the whole integration run; tests attach to it with `sharedN8n()`. */
export default async function globalSetup(): Promise<void> {
	const started = Date.now();
	const n8n = await N8n.start({
		log: process.env.N8N_TEST_VERBOSE
			? (line) => process.stderr.write(`[n8n] ${line}\n`)
			: undefined,
	});
	const statePath = join(tmpdir(), `n8n-harness-state-${process.pid}.json`);
	writeFileSync(statePath, JSON.stringify(n8n.state()));
	process.env.N8N_HARNESS_STATE = statePath;
	// Tests that start an n8n of their own install the very same build (workers inherit this).
	process.env.N8N_TEST_TARBALL = await packPackage();
	(globalThis as { __n8n?: N8n }).__n8n = n8n;
	process.stderr.write(
		`\n[harness] n8n ${n8n.version} ready at ${n8n.baseUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
	);
}
