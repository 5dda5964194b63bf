/**
 * Headless Chromium for the integration tests: Debian's `chromium` (installed on demand, as the
 * other system packages are) driven by playwright-core, with a throwaway profile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { ensureSystemPackages } from '../n8n/relay-servers';

export interface Browser {
	context: BrowserContext;
	page: Page;
	/** Uncaught page errors and console errors, in order. */
	problems: string[];
	close(): Promise<void>;
}

export async function launchChromium(viewport: {
	width: number;
	height: number;
}): Promise<Browser> {
	await ensureSystemPackages('chromium');
	const profile = mkdtempSync(join(tmpdir(), 'test-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: '/usr/bin/chromium',
		headless: true,
		viewport,
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
		],
	});
	const page = context.pages()[0] ?? (await context.newPage());
	const problems: string[] = [];
	page.on('pageerror', (error) => problems.push(String(error)));
	page.on('console', (message) => {
		if (message.type() === 'error') problems.push(message.text());
	});
	return {
		context,
		page,
		problems,
		async close() {
			await context.close();
			rmSync(profile, { recursive: true, force: true });
		},
	};
}
