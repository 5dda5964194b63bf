/**
 * Help-centre articles from a folder on disk: what Support Knowledge's Sync Folder reads, and what
 * `npm run eval:answers -- --knowledge <folder>` measures.
 */
import { promises as fs } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { InputError } from '../errors';
import type { KnowledgeDoc } from './documents';
import { articleFromFile } from './documents';

/** Largest article file read (a larger one is skipped, with the reason). */
export const MAX_ARTICLE_FILE_BYTES = 2 * 1024 * 1024;
/** Most article files one folder may hold. */
export const MAX_FOLDER_FILES = 20_000;

/** A Markdown / HTML / text file name (.md, .markdown, .html, .htm, .txt, .text). */
export function isArticleFileName(name: string): boolean {
	return /^\.(md|markdown|html?|txt|text)$/i.test(extname(name));
}

/**
 * Every Markdown / HTML / text file under `folder` (hidden entries left out), sorted; an InputError
 * past MAX_FOLDER_FILES. Other errors (a folder that cannot be read) are thrown as they come.
 */
export async function articleFilesIn(folder: string): Promise<string[]> {
	const files: string[] = [];
	const walk = async (dir: string): Promise<void> => {
		for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
			if (entry.name.startsWith('.')) continue;
			const path = join(dir, entry.name);
			if (entry.isDirectory()) await walk(path);
			else if (isArticleFileName(entry.name)) files.push(path);
			if (files.length > MAX_FOLDER_FILES)
				throw new InputError(
					`${folder} holds more than ${MAX_FOLDER_FILES} articles`,
					'Split it into several knowledge bases.',
				);
		}
	};
	await walk(folder);
	return files.sort();
}

/**
 * The articles of a folder (articleFilesIn), each named by its path in the folder (`billing/refunds.md`
 * as `billing__refunds.md`, so its language and id come from the name); a file that is too large or
 * cannot be read as an article is skipped with the reason.
 */
export async function readArticleFolder(
	folder: string,
): Promise<{ docs: KnowledgeDoc[]; skipped: Array<{ file: string; error: string }> }> {
	const docs: KnowledgeDoc[] = [];
	const skipped: Array<{ file: string; error: string }> = [];
	for (const path of await articleFilesIn(folder)) {
		try {
			const stat = await fs.stat(path);
			if (stat.size > MAX_ARTICLE_FILE_BYTES) throw new InputError('larger than 2 MB', '');
			docs.push(
				articleFromFile(
					relative(folder, path).replace(/[\\/]/g, '__'),
					await fs.readFile(path, 'utf8'),
				),
			);
		} catch (error) {
			skipped.push({ file: relative(folder, path), error: (error as Error).message });
		}
	}
	return { docs, skipped };
}
