/** Small helpers for the mail tests that run inside real n8n (test/n8n/inbox*.test.ts, send*.test.ts). */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionRecord, N8n, WorkflowNode } from '../harness/n8n';
import { freePort, nodeBinary, sleep } from '../harness/n8n';
import { NODE_PREFIX } from '../harness/shared';

export async function createCredential(
	n8n: N8n,
	type: string,
	data: Record<string, unknown>,
	name = `${type} ${Date.now()}`,
): Promise<{ id: string; name: string }> {
	const create = async (body: Record<string, unknown>) =>
		await n8n.api<{ id: string; name: string }>('POST', '/credentials', { name, type, data: body });
	try {
		const created = await create(data);
		return { id: created.id, name: created.name };
	} catch (error) {
		// n8n 1.123 adds "Allowed HTTP Request Domains" to credentials with generic auth, and its
		// public API schema then wants allowedDomains unless the choice is stated.
		if (!/allowedDomains/.test(String(error))) throw error;
		const created = await create({ ...data, allowedHttpRequestDomains: 'all' });
		return { id: created.id, name: created.name };
	}
}

export function triggerNode(
	credential: { id: string; name: string },
	parameters: Record<string, unknown> = {},
	name = 'Support Inbox Trigger',
): WorkflowNode {
	return {
		name,
		type: `${NODE_PREFIX}.supportInboxTrigger`,
		typeVersion: 1,
		parameters: { mailbox: 'INBOX', ...parameters },
		credentials: { supportImapSmtpApi: credential },
	};
}

/** The trigger and a No Op after it, so every execution stores the trigger's items. */
export function inboxWorkflow(trigger: WorkflowNode, name?: string) {
	return {
		name,
		nodes: [
			trigger,
			{ name: 'Received', type: 'n8n-nodes-base.noOp', typeVersion: 1, parameters: {} },
		],
		connections: {
			[trigger.name]: { main: [[{ node: 'Received', type: 'main' as const, index: 0 }]] },
		},
	};
}

/** The workflow's static data, as n8n stored it (the trigger's UIDVALIDITY / last UID). */
export async function staticData(n8n: N8n, workflowId: string): Promise<Record<string, any>> {
	const workflow = await n8n.api<{ staticData?: Record<string, any> | string | null }>(
		'GET',
		`/workflows/${workflowId}`,
	);
	const data = workflow.staticData;
	if (!data) return {};
	return typeof data === 'string' ? (JSON.parse(data) as Record<string, any>) : data;
}

/** Activates and waits until the trigger has recorded its starting point (trigger() returned). */
export async function activateTrigger(
	n8n: N8n,
	workflowId: string,
	nodeName = 'Support Inbox Trigger',
	timeoutMs = 30_000,
): Promise<void> {
	await n8n.activate(workflowId);
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const data = await staticData(n8n, workflowId);
		const state = data[`node:${nodeName}`];
		// IMAP records UIDVALIDITY, Gmail the mailbox history id.
		if (state?.uidValidity || state?.historyId) return;
		await sleep(100);
	}
	throw new Error(
		`the trigger of workflow ${workflowId} recorded no starting point in ${timeoutMs} ms`,
	);
}

/** Every finished execution of a workflow (public API pages of up to 250), with its data or not. */
export async function allExecutions(
	n8n: N8n,
	workflowId: string,
	includeData = true,
): Promise<ExecutionRecord[]> {
	const records: ExecutionRecord[] = [];
	let cursor: string | undefined;
	for (;;) {
		const page = await n8n.api<{ data: ExecutionRecord[]; nextCursor?: string | null }>(
			'GET',
			`/executions?workflowId=${workflowId}&includeData=${includeData}&limit=250${cursor ? `&cursor=${cursor}` : ''}`,
		);
		records.push(...page.data);
		if (!page.nextCursor) break;
		cursor = page.nextCursor;
	}
	return records.filter((e) => e.status !== 'running' && e.status !== 'new');
}

/** The items the trigger emitted, over all executions, oldest first. */
export function emittedEmails(
	executions: ExecutionRecord[],
	nodeName = 'Support Inbox Trigger',
): Array<Record<string, any>> {
	return [...executions]
		.sort((a, b) => Number(a.id) - Number(b.id))
		.flatMap((e) => e.data?.resultData.runData[nodeName]?.[0]?.data?.main[0] ?? [])
		.map((item) => item.json.support.email as Record<string, any>);
}

/**
 * Until the workflow's trigger has emitted `count` emails. Each poll lists executions without their
 * data and reads only the ones it has not read yet: reading every execution with its data on every
 * poll (5,000 emails in 11 executions) kept a loaded n8n busy answering the test itself (a CI run had
 * 4,500 of 5,001 after 180 s).
 */
export async function waitForEmails(
	n8n: N8n,
	workflowId: string,
	count: number,
	timeoutMs = 30_000,
): Promise<Array<Record<string, any>>> {
	const deadline = Date.now() + timeoutMs;
	const read = new Map<string, ExecutionRecord>();
	let emails: Array<Record<string, any>> = [];
	while (Date.now() < deadline) {
		for (const execution of await allExecutions(n8n, workflowId, false)) {
			const id = String(execution.id);
			if (!read.has(id))
				read.set(id, await n8n.api<ExecutionRecord>('GET', `/executions/${id}?includeData=true`));
		}
		emails = emittedEmails([...read.values()]);
		if (emails.length >= count) return emails;
		await sleep(250);
	}
	throw new Error(
		`workflow ${workflowId} emitted ${emails.length} email(s), expected ${count}, in ${timeoutMs} ms`,
	);
}

/** The tarball the jest global setup packed, so a second n8n installs the same build. */
export function packedTarball(): string | undefined {
	return process.env.N8N_TEST_TARBALL;
}

let counter = 0;
export function customerMail(tag: string, extra = ''): string {
	counter++;
	const headers = [
		`From: Customer ${counter} <customer${counter}@customer.test>`,
		'To: support@acme.test',
		`Subject: ${tag}`,
		`Message-ID: <${tag.replace(/[^A-Za-z0-9]+/g, '-')}.${counter}.${Date.now()}@customer.test>`,
		`Date: ${new Date().toUTCString()}`,
	];
	if (extra) headers.push(extra.replace(/\r?\n$/, ''));
	return `${headers.join('\r\n')}\r\n\r\nHello, this is ${tag}.\r\n`;
}

/**
 * Stores a credential with data the public API does not take (an OAuth2 credential's
 * `oauthTokenData`, as n8n keeps it after "Sign in with Google"): through `n8n import:credentials`,
 * which encrypts plain data with the instance's key, into the owner's project.
 */
export async function importCredential(
	n8n: N8n,
	type: string,
	data: Record<string, unknown>,
	name = `${type} ${Date.now()}`,
): Promise<{ id: string; name: string }> {
	const id = randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 16);
	const dir = mkdtempSync(join(tmpdir(), 'n8n-credential-'));
	const file = join(dir, 'credentials.json');
	writeFileSync(file, JSON.stringify([{ id, name, type, data }]));
	const env = {
		...n8n.env,
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		N8N_PORT: String(await freePort()),
		// It reports success at info level.
		N8N_LOG_LEVEL: 'info',
	};
	// The CLI starts a second n8n on the same database: under heavy load it once ended with nothing on
	// stdout or stderr (ciG, 1.123.x). It is a test step, not what is tested: a second try, then the
	// failure with how the CLI ended.
	const run = async () => {
		const { stdout, stderr } = await promisify(execFile)(
			nodeBinary(n8n.version),
			[join(n8n.installDir, 'node_modules/n8n/bin/n8n'), 'import:credentials', `--input=${file}`],
			{ env, maxBuffer: 16 * 1024 * 1024, timeout: 200_000 },
		).catch((error: Error & { code?: unknown; signal?: unknown; killed?: boolean }) => {
			throw new Error(
				`${error.message.trim()} (exit code ${String(error.code)}, signal ${String(error.signal)}${error.killed ? ', killed after 200 s' : ''})`,
			);
		});
		if (!/Successfully imported 1 credential/.test(stdout + stderr))
			throw new Error(`n8n import:credentials did not import: ${stdout}\n${stderr}`);
	};
	try {
		await run().catch(async (error: Error) => {
			process.stderr.write(`[importCredential] retrying once: ${error.message}\n`);
			await run();
		});
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
	return { id, name };
}

export function gmailTriggerNode(
	credential: { id: string; name: string },
	parameters: Record<string, unknown> = {},
	authentication: 'oAuth2' | 'serviceAccount' = 'serviceAccount',
	name = 'Support Inbox Trigger',
): WorkflowNode {
	return {
		name,
		type: `${NODE_PREFIX}.supportInboxTrigger`,
		typeVersion: 1,
		parameters: {
			source: 'gmail',
			gmailAuthentication: authentication,
			labelIds: ['INBOX'],
			gmailOptions: { pollInterval: 1 },
			...parameters,
		},
		credentials: {
			[authentication === 'oAuth2' ? 'supportGmailOAuth2Api' : 'supportGoogleServiceAccountApi']:
				credential,
		},
	};
}
