import type { HarnessState } from './n8n';
import { N8n, readJson } from './n8n';

/** The n8n started by the integration project's globalSetup. */
export function sharedN8n(): N8n {
	const statePath = process.env.N8N_HARNESS_STATE;
	if (!statePath)
		throw new Error(
			'N8N_HARNESS_STATE is not set: run integration tests through `npm run test:n8n`',
		);
	return N8n.attach(readJson<HarnessState>(statePath));
}

export const NODE_PREFIX = 'n8n-nodes-support-email';
