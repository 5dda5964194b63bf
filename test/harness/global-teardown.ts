import { rmSync } from 'node:fs';
import type { N8n } from './n8n';
import { stopLeftoverN8n } from './n8n';

export default async function globalTeardown(): Promise<void> {
	const n8n = (globalThis as { __n8n?: N8n }).__n8n;
	if (n8n) await n8n.stop();
	// First the state file: an n8n that a timed-out test is starting right now sees it gone and stops.
	if (process.env.N8N_HARNESS_STATE) rmSync(process.env.N8N_HARNESS_STATE, { force: true });
	const leftover = await stopLeftoverN8n();
	if (leftover)
		process.stderr.write(
			`\n[harness] stopped ${leftover} n8n that tests left running (a test went on after its timeout)\n`,
		);
}
