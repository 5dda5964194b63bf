import { rmSync } from 'node:fs';
import type { N8n } from './n8n';

export default async function globalTeardown(): Promise<void> {
	const n8n = (globalThis as { __n8n?: N8n }).__n8n;
	if (n8n) await n8n.stop();
	if (process.env.N8N_HARNESS_STATE) rmSync(process.env.N8N_HARNESS_STATE, { force: true });
}
