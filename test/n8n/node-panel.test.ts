/**
 * Finding the nodes in n8n's node panel, in headless Chromium, as a canvas user does: logged in as
 * the owner, the panel opened from a workflow's "+" (after a trigger) and from an empty workflow's
 * first step, a term typed into its search bar. "Support" lists all seven nodes, each once (the AI root
 * nodes need "Root Nodes" in their codex to be found; Support Escalation also sits in n8n's Human in
 * the Loop group and must not show twice); "classifier" lists ours next to n8n's Text Classifier; a
 * Support Classifier added from the panel shows two outputs, Classified and Unsure (version 2).
 * Runs on 2.41.1 and 1.123.x (N8N_TEST_VERSION=1.123.x).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { N8n } from '../harness/n8n';
import { BROWSER_ID, REPO_ROOT, requestedVersion } from '../harness/n8n';
import { sharedN8n } from '../harness/shared';
import { launchChromium } from '../harness/browser';
import type { Browser } from '../harness/browser';

const SHOTS = join(REPO_ROOT, 'test-results', 'node-panel', `n8n-${requestedVersion()}`);
const OURS = [
	'Support Classifier',
	'Support Email',
	'Support Escalation',
	'Support Inbox Trigger',
	'Support Knowledge',
	'Support Priority Router',
	'Support Reply Drafter',
];
const ITEMS = [
	'node-creator-node-item',
	'node-creator-action-item',
	'node-creator-restricted-item',
	'node-creator-category-item',
]
	.map((id) => `[data-test-id="${id}"]`)
	.join(', ');

let n8n: N8n;
let browser: Browser;
let page: Page;
let workflowId: string;

beforeAll(async () => {
	n8n = sharedN8n();
	mkdirSync(SHOTS, { recursive: true });
	browser = await launchChromium({ width: 1600, height: 1000 });
	page = browser.page;
	const [name, ...value] = n8n.authCookie.split('=');
	await browser.context.addCookies([{ name, value: value.join('='), url: n8n.baseUrl }]);
	await browser.context.addInitScript({
		content: `localStorage.setItem('n8n-browserId', ${JSON.stringify(BROWSER_ID)});`,
	});
	workflowId = await n8n.importWorkflow({
		name: 'node panel test',
		nodes: [
			{
				name: 'When clicking',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				parameters: {},
			},
		],
		connections: {},
	});
});

afterAll(async () => {
	await browser?.close();
	await n8n?.deleteWorkflow(workflowId).catch(() => undefined);
});

/** Opens the node panel: from the "+" of a workflow with a trigger, or as an empty workflow's first step. */
async function openPanel(from: 'after a trigger' | 'first step'): Promise<void> {
	if (from === 'after a trigger') {
		await page.goto(`${n8n.baseUrl}/workflow/${workflowId}`);
		await page.locator('[data-test-id="node-creator-plus-button"]').click({ timeout: 120_000 });
	} else {
		await page.goto(`${n8n.baseUrl}/workflow/new`);
		await page.locator('[data-test-id="canvas-add-button"]').click({ timeout: 120_000 });
	}
	await page.locator('[data-test-id="node-creator-search-bar"]').waitFor({ timeout: 60_000 });
}

/**
 * Types `term` into the panel's search and returns the names listed once `expected` are all there
 * (the list is rendered in one pass, so a duplicate would be there too).
 */
async function search(term: string, expected: string[]): Promise<string[]> {
	const bar = page.locator('[data-test-id="node-creator-search-bar"]');
	await bar.fill('');
	await bar.pressSequentially(term);
	const listed = () =>
		page.$$eval(ITEMS, (elements) =>
			elements.map((element) =>
				(
					element.querySelector('[data-test-id="node-creator-item-name"]')?.textContent ??
					element.textContent ??
					''
				).trim(),
			),
		);
	// Playwright waits for each name to be rendered (no fixed delay).
	await Promise.all(
		expected.map((name) =>
			page
				.locator(ITEMS)
				.filter({ has: page.getByText(name, { exact: true }) })
				.first()
				.waitFor({ timeout: 30_000 })
				.catch(() => undefined),
		),
	);
	return await listed();
}

function counts(names: string[]): Record<string, number> {
	const result: Record<string, number> = {};
	for (const name of names) result[name] = (result[name] ?? 0) + 1;
	return result;
}

describe(`the node panel in n8n ${process.env.N8N_TEST_VERSION ?? 'default'} (headless Chromium)`, () => {
	it.each(['after a trigger', 'first step'] as const)(
		'%s: "Support" lists all seven nodes, each once',
		async (from) => {
			await openPanel(from);
			const names = await search('Support', OURS);
			await page.screenshot({ path: join(SHOTS, `support-${from.replace(/ /g, '-')}.png`) });
			const ours = names.filter((name) => name.startsWith('Support '));
			expect(counts(ours)).toEqual(Object.fromEntries(OURS.map((name) => [name, 1])));
		},
	);

	it('"classifier" lists the Support Classifier next to n8n\'s Text Classifier', async () => {
		await openPanel('after a trigger');
		const names = await search('classifier', ['Support Classifier', 'Text Classifier']);
		await page.screenshot({ path: join(SHOTS, 'classifier.png') });
		expect(counts(names)).toMatchObject({ 'Support Classifier': 1, 'Text Classifier': 1 });
	});

	it('a Support Classifier added from the panel has two outputs: Classified and Unsure', async () => {
		await openPanel('after a trigger');
		await search('Support Classifier', ['Support Classifier']);
		await page
			.locator(ITEMS)
			.filter({ has: page.getByText('Support Classifier', { exact: true }) })
			.first()
			.click();
		// n8n 2.x shows an installed community node's details first, with an "Add to workflow" button.
		const node = page.locator('[data-node-type][data-node-name="Support Classifier"]');
		const addButton = page.getByRole('button', { name: 'Add to workflow' });
		await Promise.race([
			node.waitFor({ state: 'attached', timeout: 60_000 }),
			addButton.waitFor({ timeout: 60_000 }),
		]);
		if (await addButton.isVisible()) await addButton.click();
		await node.waitFor({ state: 'attached', timeout: 60_000 });
		// Adding a node opens its settings: close them to see the canvas.
		await page.keyboard.press('Escape');
		const handles =
			'.vue-flow__node:has([data-node-name="Support Classifier"]) .canvas-node-handle-main-output';
		// The editor draws the handles once it has computed the outputs expression.
		await page
			.locator(handles)
			.first()
			.waitFor({ state: 'attached', timeout: 60_000 })
			.catch(async (error: Error) => {
				await page.screenshot({ path: join(SHOTS, 'classifier-added.png') });
				const html = await page
					.locator('.vue-flow__node:has([data-node-name="Support Classifier"])')
					.evaluate((element) => element.outerHTML.slice(0, 4000))
					.catch(() => 'no .vue-flow__node');
				throw new Error(`${error.message}\n${html}`);
			});
		await page.screenshot({ path: join(SHOTS, 'classifier-added.png') });
		const labels = await page.$$eval(handles, (elements) =>
			elements.map((element) => (element.textContent ?? '').trim()),
		);
		expect(labels).toEqual(['Classified', 'Unsure']);
	});

	it('"Support Classifier" and "Reply Drafter" find the AI root nodes by their names', async () => {
		await openPanel('after a trigger');
		expect(await search('Support Classifier', ['Support Classifier'])).toContain(
			'Support Classifier',
		);
		expect(await search('Reply Drafter', ['Support Reply Drafter'])).toContain(
			'Support Reply Drafter',
		);
		expect(browser.problems.filter((problem) => /support-email/i.test(problem))).toEqual([]);
	});
});
