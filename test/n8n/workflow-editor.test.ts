/**
 * The bundled workflows in n8n's own editor, in headless Chromium (Debian's `chromium`, driven by
 * playwright-core), as a team imports them: logged in as the owner, a new workflow, the file given
 * to the editor's "Import from File" input. Every node of the file is then on the canvas with its
 * name and type (none unknown to n8n), our nodes show their icon from the package, the sticky notes
 * are there, and the page logs no error. Screenshots go to
 * test-results/workflow-editor/n8n-<version>/ (gitignored; docs/workflow.png is one of them). Runs
 * on 2.41.1 and on 1.123.x (N8N_TEST_VERSION=1.123.x).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { N8n, Workflow } from '../harness/n8n';
import { BROWSER_ID, REPO_ROOT, readJson, requestedVersion } from '../harness/n8n';
import { waitFor } from '../support/wait-for';
import { NODE_PREFIX, sharedN8n } from '../harness/shared';
import { launchChromium } from '../harness/browser';
import type { Browser } from '../harness/browser';

const SHOTS = join(REPO_ROOT, 'test-results', 'workflow-editor', `n8n-${requestedVersion()}`);
const FILES = {
	automation: join(REPO_ROOT, 'workflows/support-email-automation.json'),
	webhook: join(REPO_ROOT, 'workflows/support-email-webhook.json'),
};

let n8n: N8n;
let browser: Browser;
let page: Page;

beforeAll(async () => {
	n8n = sharedN8n();
	mkdirSync(SHOTS, { recursive: true });
	browser = await launchChromium({ width: 1600, height: 1000 });
	page = browser.page;
	const [name, ...value] = n8n.authCookie.split('=');
	await browser.context.addCookies([{ name, value: value.join('='), url: n8n.baseUrl }]);
	// n8n accepts the cookie only from the browser it was issued to (its `browser-id` header, which
	// the editor sends from local storage).
	await browser.context.addInitScript({
		content: `localStorage.setItem('n8n-browserId', ${JSON.stringify(BROWSER_ID)});`,
	});
});

afterAll(async () => {
	await browser?.close();
});

interface CanvasNode {
	name: string;
	type: string;
	/** Icon images inside the node: their source and whether they loaded. */
	icons: Array<{ src: string; loaded: boolean }>;
}

/** The nodes the canvas shows, read from the DOM once their count stops changing. */
async function canvasNodes(expected: number, timeoutMs = 60_000): Promise<CanvasNode[]> {
	let nodes: CanvasNode[] = [];
	const read = async () => {
		nodes = await page.$$eval('[data-node-type]', (elements) =>
			elements.map((element) => ({
				name: element.getAttribute('data-node-name') ?? '',
				type: element.getAttribute('data-node-type') ?? '',
				icons: Array.from(
					element.querySelectorAll('img') as unknown as ArrayLike<{
						complete: boolean;
						naturalWidth: number;
						getAttribute(name: string): string | null;
					}>,
				).map((img) => ({
					src: img.getAttribute('src') ?? '',
					loaded: img.complete && img.naturalWidth > 0,
				})),
			})),
		);
		const iconsPending = nodes.some(
			(node) => node.type.startsWith(NODE_PREFIX) && !node.icons.some((icon) => icon.loaded),
		);
		return nodes.length >= expected && !iconsPending;
	};
	// The DOM of the canvas: checked again after a short pause. On timeout the nodes seen last are
	// returned, so the assertion shows which are missing.
	await waitFor(read, {
		what: `${expected} nodes on the canvas with their icons`,
		timeoutMs,
		intervalMs: 250,
	}).catch(() => undefined);
	return nodes;
}

describe(`bundled workflows in the n8n editor (headless Chromium), n8n ${process.env.N8N_TEST_VERSION ?? 'default'}`, () => {
	it.each(Object.entries(FILES))(
		'%s: imports through the editor, every node on the canvas with its type and icon',
		async (label, file) => {
			const workflow = readJson<Workflow>(file);
			const expected = workflow.nodes.map((node) => ({ name: node.name, type: node.type }));
			await page.goto(`${n8n.baseUrl}/workflow/new`);
			const input = page.locator('[data-test-id="workflow-import-input"]');
			await input.waitFor({ state: 'attached', timeout: 60_000 });
			await input.setInputFiles(file);

			const shown = await canvasNodes(expected.length);
			const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
			expect(shown.map(({ name, type }) => ({ name, type })).sort(byName)).toEqual(
				[...expected].sort(byName),
			);
			// Our nodes draw their own icon, served by n8n from the installed package.
			for (const node of shown.filter((n) => n.type.startsWith(NODE_PREFIX))) {
				expect({ node: node.name, icons: node.icons.filter((icon) => icon.loaded).length }).toEqual(
					{ node: node.name, icons: 1 },
				);
				expect(node.icons.find((icon) => icon.loaded)!.src).toMatch(/n8n-nodes-support-email/);
			}
			await page.screenshot({ path: join(SHOTS, `${label}.png`) });
			expect(browser.problems).toEqual([]);
		},
	);
});
