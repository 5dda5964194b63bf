/**
 * The relay's dashboard page in headless Chromium (Debian's `chromium`, driven by playwright-core)
 * during live runs in real n8n: node states asserted on the page, controls, a relay restart seen as
 * a stale banner and then a self-reconnect. Screenshots go to
 * test-results/relay-dashboard/n8n-<version>/ (gitignored).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../harness/browser';
import type { Browser } from '../harness/browser';
import { N8n, REPO_ROOT, freePort, requestedVersion, sleep } from '../harness/n8n';
import type { Relay } from '../../status-relay/server/app';
import {
	CHECK_ORDER_ERROR,
	FULL_RUN_STATES,
	hookEnv,
	importMainWorkflows,
	slowWorkflow,
	startApprover,
	startTestRelay,
	WAITING_RUN_STATES,
} from './relay-fixtures';
import type { Approver } from './relay-fixtures';
import { waitFor } from '../support/wait-for';

const SECRET = `ingest-${randomUUID()}`;
const TOKEN_OPS = `token-ops-${randomUUID()}`;
const TOKEN_VIEW = `token-view-${randomUUID()}`;
const MAJOR = Number(requestedVersion().split('.')[0]);
/** One folder per n8n version, so that the 2.x and 1.x runs keep their screenshots side by side. */
const SHOTS = join(REPO_ROOT, 'test-results', 'relay-dashboard', `n8n-${requestedVersion()}`);
const HOLD_SECONDS = 15;

let n8n: N8n;
let relay: Relay;
let relayPort: number;
let approver: Approver;
let userFolder: string;
let browser: Browser;
let page: Page;
let mainId: string;
let slowId: string;
let mainPath: string;
let slowPath: string;

async function startRelay(): Promise<Relay> {
	return await startTestRelay({
		port: relayPort,
		secret: SECRET,
		tokens: {
			[TOKEN_OPS]: {
				workflows: [mainId ?? 'none-yet', slowId ?? 'none-yet'],
				control: true,
				name: 'ops',
			},
			[TOKEN_VIEW]: { workflows: [mainId ?? 'none-yet'], name: 'wallboard' },
		},
		heartbeatMs: 1000,
		n8n,
	});
}

const nodeState = (name: string) => page.locator(`li.node[data-node="${name}"]`);

/** Waits until the page shows these node states (read from the DOM, not from the screenshot). */
async function expectStates(expected: Record<string, string>, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let shown: Record<string, string> = {};
	while (Date.now() < deadline) {
		shown = await page.$$eval('li.node', (items) =>
			Object.fromEntries(
				items.map((item) => [item.getAttribute('data-node'), item.getAttribute('data-state')]),
			),
		);
		if (JSON.stringify(shown) === JSON.stringify(expected)) return;
		await sleep(100);
	}
	expect(shown).toEqual(expected);
}

async function shot(name: string): Promise<void> {
	await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
	mkdirSync(SHOTS, { recursive: true });
	relayPort = await freePort();
	approver = await startApprover();
	userFolder = mkdtempSync(join(tmpdir(), 'n8n-relay-dash-'));
	relay = await startRelay();
	n8n = await N8n.start({
		userFolder,
		env: ({ packageDir }) => hookEnv(packageDir, `http://127.0.0.1:${relayPort}`, SECRET),
	});
	mainPath = `relay-dash-${randomUUID()}`;
	({ mainId } = await importMainWorkflows(n8n, approver, mainPath));
	await n8n.activate(mainId);
	slowPath = `relay-dash-slow-${randomUUID()}`;
	slowId = await n8n.importWorkflow(slowWorkflow(slowPath, HOLD_SECONDS));
	await n8n.activate(slowId);
	// The tokens name the workflows, and control needs n8n's API key: start the relay again.
	await relay.stop();
	relay = await startRelay();

	browser = await launchChromium({ width: 1280, height: 860 });
	page = browser.page;
});

afterAll(async () => {
	await browser?.close();
	await relay?.stop();
	await n8n?.stop();
	await approver?.close();
	if (userFolder) rmSync(userFolder, { recursive: true, force: true });
});

describe(`relay dashboard in headless Chromium, n8n ${process.env.N8N_TEST_VERSION ?? 'default'}`, () => {
	it('shows a live run node by node: running, waiting, success, error, skipped, durations, items, errors', async () => {
		const { problems } = browser;
		await page.goto(`${relay.url}/#workflow=${mainId}`);
		await page.locator('#token').fill(TOKEN_OPS);
		await page.locator('#login-form button[type=submit]').click();
		await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 });
		expect(page.url()).not.toContain(TOKEN_OPS);
		await expect(page.locator('#no-execution').isVisible()).resolves.toBe(true);

		const response = await n8n.callWebhookWhenRegistered(mainPath, { orderId: 42 });
		expect(response.status).toBe(200);
		await response.arrayBuffer();
		const ask = await approver.next(60_000);
		await expectStates(WAITING_RUN_STATES);
		expect(await page.locator('#execution-status').textContent()).toBe('waiting');
		expect(await page.locator('#execution-title').textContent()).toBe(`Run #${ask.executionId}`);
		// The heading names the workflow and does not claim to be live: the badge says that.
		expect(await page.locator('#title').textContent()).toMatch(/^relay main /);
		expect(
			await page
				.locator(`tr.execution[data-execution="${ask.executionId}"]`)
				.getAttribute('data-status'),
		).toBe('waiting');
		const prepare = await nodeState('Prepare').locator('.meta').textContent();
		expect(prepare).toMatch(/\d+(\.\d)? (ms|s)/);
		expect(prepare).toContain('items 1');
		expect(await page.locator('#stale-banner').isVisible()).toBe(false);
		await shot('1-waiting-for-approval');

		for (let attempt = 0; ; attempt++) {
			const resumed = await fetch(ask.resumeUrl, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: '{"approved":true}',
			});
			await resumed.arrayBuffer();
			if (resumed.status === 200) break;
			if (attempt > 50) throw new Error(`resume failed: HTTP ${resumed.status}`);
			await sleep(200);
		}
		await expectStates(FULL_RUN_STATES);
		expect(await page.locator('#execution-status').textContent()).toBe('success');
		expect(await nodeState('Check Order').locator('.error').textContent()).toContain(
			MAJOR >= 2 ? CHECK_ORDER_ERROR : '500',
		);
		expect(await nodeState('Check Order').locator('.meta').textContent()).toContain(
			'items per output 0 / 1',
		);
		expect(await nodeState('Enrich').locator('.meta').textContent()).toMatch(
			/sub-workflow run #\d+/,
		);
		await shot('2-finished');
		expect(problems).toEqual([]);
	});

	it('shows a running node, and cancels it when the token allows (2.x) or says why not (1.x)', async () => {
		await page.goto(`${relay.url}/#workflow=${slowId}`);
		await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 });
		const started = await fetch(`${relay.url}/api/v1/workflows/${slowId}/execute`, {
			method: 'POST',
			headers: { authorization: `Bearer ${TOKEN_OPS}` },
		});
		expect(started.status).toBe(202);
		await expectStates({ Webhook: 'success', Hold: 'running', 'After Hold': 'pending' });
		// The running node counts up while the page is live.
		const first = await nodeState('Hold').locator('.meta').textContent();
		expect(first).toMatch(/^running /);
		await waitFor(async () => (await nodeState('Hold').locator('.meta').textContent()) !== first, {
			what: "the running node's time to count up",
			timeoutMs: 15_000,
			intervalMs: 250,
		});
		await shot('3-running');
		await page.locator('#cancel').click();
		if (MAJOR >= 2) {
			await expectStates({ Webhook: 'success', Hold: 'canceled', 'After Hold': 'skipped' }, 10_000);
			expect(await page.locator('#execution-status').textContent()).toBe('canceled');
			await page.locator('#message', { hasText: 'canceled' }).waitFor();
			await shot('4-canceled');
		} else {
			await page.locator('#message', { hasText: 'not supported by this n8n version' }).waitFor();
			await expectStates(
				{ Webhook: 'success', Hold: 'success', 'After Hold': 'success' },
				(HOLD_SECONDS + 20) * 1000,
			);
		}
	});

	it('pause and resume answer once intake has changed in n8n; the page shows intake and only the button that changes it', async () => {
		await page.goto(`${relay.url}/#workflow=${slowId}`);
		await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 });
		await page.locator('#intake[data-intake="open"]').waitFor({ timeout: 10_000 });
		expect(await page.locator('#intake').textContent()).toBe('Intake open');
		expect(await page.locator('#pause').isVisible()).toBe(true);
		expect(await page.locator('#resume').isVisible()).toBe(false);

		await page.locator('#pause').click();
		await page.locator('#message', { hasText: 'Intake paused.' }).waitFor();
		// Paused means paused: the webhook takes nothing from this moment on (no waiting for n8n).
		const refused = await n8n.webhook(slowPath, { probe: 'paused' });
		await refused.arrayBuffer();
		expect(refused.status).toBe(404);
		expect((await n8n.api('GET', `/workflows/${slowId}`)).active).toBe(false);
		await page.locator('#intake[data-intake="paused"]').waitFor();
		expect(await page.locator('#pause').isVisible()).toBe(false);
		expect(await page.locator('#resume').isVisible()).toBe(true);

		await page.locator('#resume').click();
		await page.locator('#message', { hasText: 'Intake open.' }).waitFor();
		// Open means open: the very next call to the webhook starts a run.
		const taken = await n8n.webhook(slowPath, { probe: 'open' });
		await taken.arrayBuffer();
		expect(taken.status).toBe(200);
		expect((await n8n.api('GET', `/workflows/${slowId}`)).active).toBe(true);
		expect(await page.locator('#pause').isVisible()).toBe(true);
		expect(await page.locator('#resume').isVisible()).toBe(false);
		await shot('4b-intake-open');

		// A page opened with a malformed address fragment still works (it used to stay blank).
		await page.goto('about:blank');
		await page.goto(`${relay.url}/#workflow=%E0%A4%A`);
		await page.locator('#app').waitFor({ state: 'visible', timeout: 10_000 });
		// The picker fills once the workflow list has come back, after the app is shown.
		await page.locator('#workflow-select option[value="%E0%A4%A"]').waitFor({
			state: 'attached',
			timeout: 10_000,
		});
		expect(await page.locator('#workflow-select').inputValue()).toBe('%E0%A4%A');

		await page.goto('about:blank');
		await page.goto(`${relay.url}/#workflow=${mainId}`);
		await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 });
	});

	it('never shows a stale state as live: a banner while the relay is gone, then it reconnects by itself', async () => {
		await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 });
		await relay.stop();
		await page.locator('#stale-banner').waitFor({ state: 'visible', timeout: 10_000 });
		expect(['stale', 'connecting']).toContain(
			await page.locator('#connection').getAttribute('data-state'),
		);
		expect(await page.locator('#app').getAttribute('data-stale')).toBe('true');
		expect(await page.locator('#stale-banner').textContent()).toContain('Not live');
		expect(await page.locator('header').textContent()).not.toMatch(/\blive\b/);
		await shot('5-disconnected');
		// Still not live a few seconds (and reconnect attempts) later: nothing pretends to be live
		// while the relay is away.
		await sleep(3000);
		expect(['stale', 'connecting']).toContain(
			await page.locator('#connection').getAttribute('data-state'),
		);
		expect(await page.locator('#stale-banner').isVisible()).toBe(true);
		expect(await page.locator('#app').getAttribute('data-stale')).toBe('true');

		relay = await startRelay();
		await page.locator('#connection[data-state="live"]').waitFor({ timeout: 30_000 });
		expect(await page.locator('#stale-banner').isVisible()).toBe(false);
		expect(await page.locator('#app').getAttribute('data-stale')).toBe('false');
		// The restarted relay rebuilt the finished run from n8n: the page shows it again.
		await expectStates(FULL_RUN_STATES);
		expect(await page.locator('#execution-meta').textContent()).toContain('state rebuilt from n8n');
		await shot('6-reconnected');
	});

	it('a watch-only token gets no controls', async () => {
		await page.locator('#logout').click();
		await page.locator('#token').fill(TOKEN_VIEW);
		await page.locator('#login-form button[type=submit]').click();
		await page.locator('#connection[data-state="live"]').waitFor({ timeout: 15_000 });
		expect(await page.locator('#pause').isVisible()).toBe(false);
		expect(await page.locator('#resume').isVisible()).toBe(false);
		expect(await page.locator('#cancel').isVisible()).toBe(false);
		await page.locator('li.node').nth(8).waitFor({ timeout: 10_000 });
		expect(await page.locator('li.node').count()).toBe(9);
	});
});
