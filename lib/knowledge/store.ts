/**
 * Where a knowledge base lives between executions: one JSON file (documents, term counts and the
 * MiniSearch index). Default: `<n8n user folder>/.n8n/support-knowledge/<name>.json`, so it survives
 * restarts; in queue mode every worker must see the same file, so point "Index File" at a shared
 * volume (the README says how). Reads are cached per process and reloaded when the file changes
 * (size or modification time); writes go through a lock file and an atomic rename, so a worker
 * never reads half a file and two writers never lose each other's changes.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { InputError } from '../errors';
import type { SerializedKnowledgeBase } from './base';
import { KnowledgeBase } from './base';

/** A knowledge file larger than this is refused (the bench keeps 10,000 articles far below it). */
export const MAX_INDEX_BYTES = 256 * 1024 * 1024;
const LOCK_WAIT_MS = 15_000;
const STALE_LOCK_MS = 120_000;

/** The folder n8n keeps its data in (`N8N_USER_FOLDER`/.n8n, else ~/.n8n). */
export function n8nDataFolder(): string {
	return join(process.env.N8N_USER_FOLDER || homedir(), '.n8n');
}

/** The file of a named index, or the path given (absolute, or relative to the n8n data folder). */
export function indexFile(name: string, path?: string): string {
	if (path?.trim())
		return isAbsolute(path.trim()) ? path.trim() : join(n8nDataFolder(), path.trim());
	const safe = name.trim().toLowerCase();
	if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(safe) || safe.includes('..'))
		throw new InputError(
			`"${name}" is not a usable knowledge base name`,
			'Use letters, digits, dots, dashes and underscores (e.g. help-centre), at most 64 characters.',
		);
	return join(n8nDataFolder(), 'support-knowledge', `${safe}.json`);
}

interface Cached {
	mtimeMs: number;
	size: number;
	base: KnowledgeBase;
}

const cache = new Map<string, Cached>();

async function statOrUndefined(file: string): Promise<Stats | undefined> {
	try {
		return await fs.stat(file);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw error;
	}
}

/** A knowledge file's text (what the Support Knowledge node writes) as a knowledge base; a clear error otherwise. */
export function parseKnowledgeBase(file: string, content: string): KnowledgeBase {
	let data: SerializedKnowledgeBase;
	try {
		data = JSON.parse(content) as SerializedKnowledgeBase;
	} catch (error) {
		throw new InputError(
			`The knowledge file ${file} is not valid JSON (${(error as Error).message})`,
			'Delete the file and add the articles again (the Support Knowledge node rebuilds it), or point "Index File" at the right file.',
		);
	}
	if (
		data?.format !== 'n8n-nodes-support-email/knowledge' ||
		data.version !== 1 ||
		!Array.isArray(data.docs)
	)
		throw new InputError(
			`${file} is not a knowledge file of this package (format version 1)`,
			'Point "Index File" at a file the Support Knowledge node wrote, or at a new path to start an empty knowledge base.',
		);
	return KnowledgeBase.fromJSON(data);
}

/** The knowledge base in a file (empty when the file does not exist yet). */
export async function loadKnowledgeBase(file: string): Promise<KnowledgeBase> {
	const stat = await statOrUndefined(file);
	if (!stat) {
		cache.delete(file);
		return new KnowledgeBase();
	}
	const hit = cache.get(file);
	if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.base;
	if (stat.size > MAX_INDEX_BYTES)
		throw new InputError(
			`The knowledge file ${file} is ${Math.round(stat.size / 1e6)} MB, over the ${MAX_INDEX_BYTES / 1024 / 1024} MiB limit`,
			'Split the knowledge into several knowledge bases (one per product or language), or remove old past replies.',
		);
	const base = parseKnowledgeBase(file, await fs.readFile(file, 'utf8'));
	cache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, base });
	return base;
}

async function withLock<T>(file: string, work: () => Promise<T>): Promise<T> {
	const lock = `${file}.lock`;
	await fs.mkdir(dirname(file), { recursive: true });
	const deadline = Date.now() + LOCK_WAIT_MS;
	for (;;) {
		try {
			const handle = await fs.open(lock, 'wx');
			await handle.writeFile(`${process.pid}\n`);
			await handle.close();
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			const stat = await statOrUndefined(lock);
			if (stat && Date.now() - stat.mtimeMs > STALE_LOCK_MS) {
				await fs.rm(lock, { force: true });
				continue;
			}
			if (Date.now() > deadline)
				throw new InputError(
					`The knowledge file ${file} stayed locked for ${LOCK_WAIT_MS / 1000} s`,
					`Another execution is updating it; try again. If no update is running, delete ${lock}.`,
				);
			await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 50));
		}
	}
	try {
		return await work();
	} finally {
		await fs.rm(lock, { force: true });
	}
}

/**
 * Changes a knowledge base on disk: the latest file is read under the lock, `change` edits it, and
 * the result replaces the file atomically (only when something changed).
 */
export async function updateKnowledgeBase<T>(
	file: string,
	change: (base: KnowledgeBase) => { result: T; changed: boolean },
): Promise<T> {
	return await withLock(file, async () => {
		const stat = await statOrUndefined(file);
		const base = stat
			? parseKnowledgeBase(file, await fs.readFile(file, 'utf8'))
			: new KnowledgeBase();
		const { result, changed } = change(base);
		if (changed || !stat) {
			const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
			await fs.writeFile(temporary, JSON.stringify(base.toJSON()));
			await fs.rename(temporary, file);
			const written = await fs.stat(file);
			cache.set(file, { mtimeMs: written.mtimeMs, size: written.size, base });
		}
		return result;
	});
}

/** Forgets cached knowledge bases (tests). */
export function clearKnowledgeCache(): void {
	cache.clear();
}
