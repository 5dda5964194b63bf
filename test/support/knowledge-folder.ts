import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearKnowledgeCache } from '../../lib/knowledge';

/**
 * Call inside a describe block: each of its tests gets a fresh temporary folder (`<prefix>…`) and
 * lib/knowledge's cache of loaded knowledge files cleared; the folder is removed after the test.
 * Returns the current test's folder.
 */
export function knowledgeFolderPerTest(prefix: string): () => string {
	let dir: string;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), prefix));
		clearKnowledgeCache();
	});
	afterEach(() => rmSync(dir, { recursive: true, force: true }));
	return () => dir;
}
