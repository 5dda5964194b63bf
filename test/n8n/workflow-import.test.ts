/**
 * The bundled workflows (workflows/*.json) in real n8n, as a team adopts them: imported through
 * `n8n import:workflow` and through the API, every node type known to n8n, only our nodes and n8n's
 * core nodes, credentials as placeholders; and the webhook variant run end to end with the offline
 * model and a real SMTP server: each customer email gets exactly one reply or one escalation notice,
 * automatic mail none, and a failing run mails the error notice. Runs on 2.41.1 and on 1.123.x
 * (N8N_TEST_VERSION=1.123.x).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { N8n, Workflow } from '../harness/n8n';
import { REPO_ROOT, freePort, nodeBinary, readJson } from '../harness/n8n';
import { waitFor } from '../support/wait-for';
import { NODE_PREFIX, sharedN8n } from '../harness/shared';
import { Dovecot } from '../servers/dovecot';
import {
	ExecutionTracker,
	SMTP_CREDENTIAL_PLACEHOLDER,
	loadWorkflowFile,
	waitForOutcomes,
	webhookPathOf,
} from '../../scripts/demo/demo';
import { DEMO_TEAM, DemoMailbox } from '../../scripts/demo/mailbox';
import {
	SUPPORT_ADDRESS,
	buildSamples,
	loadSamples,
	postSamples,
} from '../../scripts/demo/samples';

const execFileAsync = promisify(execFile);

const FILES = {
	automation: join(REPO_ROOT, 'workflows/support-email-automation.json'),
	webhook: join(REPO_ROOT, 'workflows/support-email-webhook.json'),
};

const OUR_NODES = [
	'supportInboxTrigger',
	'supportClassifier',
	'supportPriorityRouter',
	'supportReplyDrafter',
	'supportEscalation',
	'supportEmail',
].map((name) => `${NODE_PREFIX}.${name}`);

let n8n: N8n;
let nodeTypes: Array<{ name: string; version: number | number[] }>;

beforeAll(async () => {
	n8n = sharedN8n();
	// The first request of a test file sometimes meets a closed keep-alive socket: ask again.
	nodeTypes = await waitFor(
		async () => (await (await n8n.rest('GET', '/types/nodes.json')).json()) as typeof nodeTypes,
		{ what: "n8n's /types/nodes.json", timeoutMs: 30_000, intervalMs: 1000 },
	);
});

/** `n8n import:workflow --input=<file>` against the running instance's database. */
async function cliImport(file: string): Promise<string> {
	const env = {
		...n8n.env,
		N8N_PORT: String(await freePort()),
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		// "Successfully imported" is an info line.
		N8N_LOG_LEVEL: 'info',
	};
	try {
		const { stdout, stderr } = await execFileAsync(
			nodeBinary(n8n.version),
			[join(n8n.installDir, 'node_modules/n8n/bin/n8n'), 'import:workflow', `--input=${file}`],
			{ env, maxBuffer: 16 * 1024 * 1024, timeout: 180_000 },
		);
		return `${stdout}\n${stderr}`;
	} catch (error) {
		const { stdout, stderr } = error as { stdout?: string; stderr?: string };
		throw new Error(`n8n import:workflow failed:\n${stdout ?? ''}\n${stderr ?? ''}`.slice(-3000));
	}
}

function stored(workflow: { nodes: Workflow['nodes']; connections: Workflow['connections'] }) {
	return {
		nodes: workflow.nodes
			.map((n) => ({
				name: n.name,
				type: n.type,
				typeVersion: n.typeVersion,
				parameters: n.parameters,
				credentials: n.credentials,
			}))
			.sort((a, b) => a.name.localeCompare(b.name)),
		connections: workflow.connections,
	};
}

describe.each(Object.entries(FILES))('workflows/%s', (variant, file) => {
	const workflow = readJson<Workflow & { id: string; name: string }>(file);

	it('uses only our nodes and n8n core nodes, each a type and version this n8n has', () => {
		for (const node of workflow.nodes) {
			expect(node.type).toMatch(new RegExp(`^(n8n-nodes-base|${NODE_PREFIX})\\.`));
			const known = nodeTypes.filter((t) => t.name === node.type);
			expect({ node: node.name, known: known.length > 0 }).toEqual({
				node: node.name,
				known: true,
			});
			const versions = known.flatMap((t) => (Array.isArray(t.version) ? t.version : [t.version]));
			expect({ node: node.name, version: versions.includes(node.typeVersion) }).toEqual({
				node: node.name,
				version: true,
			});
		}
		const types = new Set(workflow.nodes.map((n) => n.type));
		for (const ours of OUR_NODES.filter((t) =>
			variant === 'webhook' ? !t.endsWith('supportInboxTrigger') : true,
		))
			expect(types).toContain(ours);
		expect(types).toContain('n8n-nodes-base.errorTrigger');
	});

	it('has credentials only as placeholders, and a sticky note for each step', () => {
		const refs = workflow.nodes.flatMap((n) => Object.entries(n.credentials ?? {}));
		expect(refs.length).toBeGreaterThanOrEqual(4);
		for (const [type, ref] of refs) {
			expect(type).toBe('supportImapSmtpApi');
			expect(ref.id).toBe(SMTP_CREDENTIAL_PLACEHOLDER);
		}
		const notes = workflow.nodes.filter((n) => n.type === 'n8n-nodes-base.stickyNote');
		const text = notes.map((n) => String(n.parameters.content)).join('\n');
		for (const step of ['Receive', 'Understand', 'Prioritise', 'Draft', 'Decide', 'Act', 'error'])
			expect(text).toContain(step);
		// Every connection names nodes that exist, and every node but the notes is connected.
		const names = new Set(workflow.nodes.map((n) => n.name));
		const connected = new Set<string>(Object.keys(workflow.connections));
		for (const [from, byType] of Object.entries(workflow.connections)) {
			expect(names).toContain(from);
			for (const outputs of Object.values(byType))
				for (const targets of outputs)
					for (const target of targets ?? []) {
						expect(names).toContain(target.node);
						connected.add(target.node);
					}
		}
		for (const node of workflow.nodes.filter((n) => n.type !== 'n8n-nodes-base.stickyNote'))
			expect(connected).toContain(node.name);
	});

	it('imports through `n8n import:workflow` unchanged', async () => {
		// n8n's CLI import needs the workflow's id in the file (and updates that workflow on re-import).
		expect(workflow.id).toMatch(/^[A-Za-z0-9]{16}$/);
		const output = await cliImport(file);
		expect(output).toMatch(/Successfully imported 1 workflow/);
		const saved = await n8n.api<Workflow>('GET', `/workflows/${workflow.id}`);
		expect(saved.name).toBe(workflow.name);
		expect(stored(saved)).toEqual(stored(workflow));
	});

	it('imports through the API (as the editor does) unchanged', async () => {
		const id = await n8n.importWorkflow({ ...workflow, name: `${workflow.name} (API)` });
		const saved = await n8n.api<Workflow>('GET', `/workflows/${id}`);
		expect(stored(saved)).toEqual(stored(workflow));
	});
});

describe('workflows/support-email-webhook.json end to end (offline model, real SMTP)', () => {
	let mailbox: DemoMailbox;
	let workflowId: string;
	let webhookUrl: string;

	beforeAll(async () => {
		mailbox = await DemoMailbox.start();
		const credential = await n8n.createCredential(
			'supportImapSmtpApi',
			mailbox.smtp.credentials(SUPPORT_ADDRESS),
		);
		const workflow = loadWorkflowFile(FILES.webhook, credential);
		// A path of its own, so this run never meets another copy of the workflow.
		const trigger = workflow.nodes.find((n) => n.type === 'n8n-nodes-base.webhook')!;
		trigger.parameters.path = `support-email-${randomUUID()}`;
		workflowId = await n8n.importWorkflow({ ...workflow, name: `webhook e2e ${randomUUID()}` });
		await n8n.activate(workflowId);
		webhookUrl = `${n8n.baseUrl}/webhook/${webhookPathOf(workflow)}`;
	});

	afterAll(async () => {
		await n8n.deactivate(workflowId).catch(() => undefined);
		await mailbox?.stop();
	});

	it('every sample email gets exactly one reply or one escalation notice; automatic mail none', async () => {
		const messages = await buildSamples(loadSamples(), randomUUID().slice(0, 8));
		await postSamples(webhookUrl, messages, { concurrency: 4 });
		const { outcomes, reviewed } = await waitForOutcomes({ n8n, mailbox, workflowId }, messages, {
			timeoutMs: 240_000,
			approveAs: 'reviewer@example.com',
		});
		const automatic = new Set(['out-of-office', 'bounce', 'noreply-notification']);
		const summary = outcomes.map((o) => ({
			id: o.sample.sample.id,
			status: o.executionStatus,
			final: o.outcomes.filter((k) => k !== 'review'),
		}));
		// n8n 1.x continues a resumed node on its first output only (Auto Send): a rejected reply
		// stops there, with no notice (the Support Escalation node documents this).
		const rejectedStops = n8n.major < 2;
		for (const row of summary) {
			if (automatic.has(row.id)) expect(row).toEqual({ ...row, status: 'success', final: [] });
			else if (rejectedStops && ['injection-en', 'hidden-text-html'].includes(row.id))
				expect(row).toEqual({ ...row, status: 'success', final: [] });
			else
				expect({ ...row, final: row.final.length === 1 ? 'one' : row.final }).toEqual({
					...row,
					status: 'success',
					final: 'one',
				});
		}
		// The offline drafter's template replies always go to a reviewer; rejected ones to the team.
		// An answer from the help centre above the auto-answer threshold goes out with no review
		// (marked Auto-Submitted: auto-replied): in the samples, the newsletter unsubscribe question, the
		// Spanish "can't log in" mail and the French cancellation-fee question (0.965 as a whole mail,
		// raised by its asking sentence to 0.974: lib/knowledge/search.ts, focusedSearch).
		expect(reviewed.approved).toBeGreaterThan(0);
		const mail = mailbox.summaries();
		const replies = mail.filter((m) => m.kind === 'reply');
		const autoAnswered = replies.filter((m) => m.autoSubmitted === 'auto-replied');
		const idOf = (reply: (typeof replies)[number]) =>
			messages.find((m) => m.messageId === reply.inReplyTo)?.sample.id;
		expect(autoAnswered.map(idOf).sort()).toEqual([
			'cancellation-fee-fr',
			'newsletter-en',
			'password-es',
		]);
		expect(byIdOutcomes(outcomes).get('cancellation-fee-fr')).toEqual(['reply']);
		expect(byIdOutcomes(outcomes).get('newsletter-en')).toEqual(['reply']);
		expect(byIdOutcomes(outcomes).get('password-es')).toEqual(['reply']);
		expect(replies).toHaveLength(reviewed.approved + autoAnswered.length);
		expect(mail.filter((m) => m.kind === 'review')).toHaveLength(
			reviewed.approved + reviewed.rejected,
		);
		// Legal threats and GDPR requests escalate without a review.
		const byId = byIdOutcomes(outcomes);
		expect(byId.get('legal-en')).toEqual(['escalation']);
		expect(byId.get('delete-account-en')).toEqual(['escalation']);
		// The reviewer (waitForOutcomes) rejects what the request flags as prompt injection: the
		// injection attempt and the hidden instructions in HTML.
		for (const id of ['injection-en', 'hidden-text-html'])
			expect(byId.get(id)).toEqual(rejectedStops ? ['review'] : ['review', 'escalation']);
		expect(reviewed.rejected).toBe(2);
		// Replies are threaded answers to the customer, sent once, as a person approved them (or, for the
		// automatic answer, as the knowledge answered it).
		for (const reply of replies) {
			const message = messages.find((m) => m.messageId === reply.inReplyTo)!;
			expect(message).toBeDefined();
			expect(reply.to).toEqual([message.sample.from.address]);
			expect(reply.subject).toBe(
				/^re:/i.test(message.sample.subject)
					? message.sample.subject
					: `Re: ${message.sample.subject}`,
			);
			expect(reply.autoSubmitted).toBe(autoAnswered.includes(reply) ? 'auto-replied' : undefined);
			expect(reply.text.length).toBeGreaterThan(40);
		}
		// Escalation notices reach the team's address and say why.
		for (const notice of mail.filter((m) => m.kind === 'escalation')) {
			expect(notice.to).toEqual([DEMO_TEAM.escalation]);
			expect(notice.text).toMatch(/^Why:\n- \S/m);
		}
	}, 600_000);

	it('takes JSON mail too (the shape of n8n mail nodes)', async () => {
		const messageId = `<json-${randomUUID()}@customer.example>`;
		const before = mailbox.smtp.messages.length;
		const response = await fetch(webhookUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({
				from: 'Nora Blake <nora.blake@example.com>',
				to: SUPPORT_ADDRESS,
				subject: 'I was charged twice and my lawyer will hear about it',
				text: 'You charged me twice for order 20931. Refund it today or my lawyer files a claim.',
				messageId,
				date: new Date().toUTCString(),
			}),
		});
		expect(response.status).toBe(200);
		await response.arrayBuffer();
		const tracker = new ExecutionTracker(n8n, workflowId);
		const status = await waitFor(
			async () => {
				const current = (await tracker.statuses()).get(messageId);
				return current !== 'running' && current !== 'new' && current;
			},
			{ what: `the execution for ${messageId} to finish`, timeoutMs: 60_000, intervalMs: 300 },
		);
		expect(status).toBe('success');
		await mailbox.smtp.waitForMessages(before + 1, 10_000);
		const notice = mailbox.summaries().find((m) => m.about === messageId);
		expect(notice).toMatchObject({ kind: 'escalation', to: [DEMO_TEAM.escalation] });
		expect(notice!.text).toContain('From: Nora Blake <nora.blake@example.com>');
	});

	it('a run that fails mails the error notice (Error Trigger branch)', async () => {
		const before = mailbox.smtp.messages.length;
		const response = await fetch(webhookUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ note: 'not an email at all' }),
		});
		expect(response.status).toBe(200);
		await response.arrayBuffer();
		await mailbox.smtp.waitForMessages(before + 1, 60_000);
		const notice = mailbox.summaries()[before];
		expect(notice).toMatchObject({ kind: 'error', to: [DEMO_TEAM.errors] });
		expect(notice.subject).toMatch(/failed in Normalize Email/);
		expect(notice.text).toMatch(/Error: No email found on the item/);
	});
});

describe('workflows/support-email-automation.json end to end (real IMAP: Dovecot, real SMTP)', () => {
	const user = { user: 'support@acme.test', password: `inbox-${randomUUID().slice(0, 8)}` };
	let dovecot: Dovecot;
	let mailbox: DemoMailbox;
	let workflowId: string;

	beforeAll(async () => {
		dovecot = await Dovecot.start({ users: [user] });
		mailbox = await DemoMailbox.start({ smtp: { users: [user] } });
		// One credential, as the sticky note says: IMAP for the trigger, SMTP for the mail nodes.
		const credential = await n8n.createCredential('supportImapSmtpApi', {
			...dovecot.credentials(user),
			smtpHost: mailbox.smtp.host,
			smtpPort: mailbox.smtp.port,
			smtpSecurity: 'none',
		});
		const workflow = loadWorkflowFile(FILES.automation, credential);
		workflowId = await n8n.importWorkflow({ ...workflow, name: `inbox e2e ${randomUUID()}` });
		await n8n.activate(workflowId);
		// The trigger takes only mail that arrives after it started: wait for its starting point.
		// The trigger's first connect is visible only in the workflow's stored static data.
		await waitFor(
			async () => {
				const saved = await n8n.api<{ staticData?: Record<string, any> | string | null }>(
					'GET',
					`/workflows/${workflowId}`,
				);
				const data =
					typeof saved.staticData === 'string' ? JSON.parse(saved.staticData) : saved.staticData;
				return data?.['node:Support Inbox Trigger']?.uidValidity;
			},
			{
				what: 'the Support Inbox Trigger to store its UIDVALIDITY',
				timeoutMs: 60_000,
				intervalMs: 200,
			},
		);
	}, 300_000);

	afterAll(async () => {
		await n8n.deactivate(workflowId).catch(() => undefined);
		await mailbox?.stop();
		await dovecot?.stop();
	});

	it('mail arriving in the mailbox gets one reply or one escalation notice; automatic mail none', async () => {
		const picked = ['refund-fr', 'legal-en', 'out-of-office', 'password-en'];
		const samples = loadSamples().filter((s) => picked.includes(s.id));
		const messages = await buildSamples(samples, randomUUID().slice(0, 8));
		await dovecot.append(
			'INBOX',
			messages.map((m) => m.raw),
			{ user },
		);
		const { outcomes, reviewed } = await waitForOutcomes({ n8n, mailbox, workflowId }, messages, {
			timeoutMs: 180_000,
			approveAs: 'reviewer@example.com',
		});
		const byId = Object.fromEntries(
			outcomes.map((o) => [o.sample.sample.id, [o.executionStatus, ...o.outcomes]]),
		);
		expect(byId).toEqual({
			'refund-fr': ['success', 'review', 'reply'],
			'legal-en': ['success', 'escalation'],
			'out-of-office': ['success'],
			'password-en': ['success', 'review', 'reply'],
		});
		expect(reviewed).toEqual({ approved: 2, rejected: 0 });
		const replies = mailbox.summaries().filter((m) => m.kind === 'reply');
		for (const reply of replies) {
			expect(reply.from).toBe(user.user);
			expect(messages.map((m) => m.messageId)).toContain(reply.inReplyTo);
		}
	}, 400_000);
});

/** Each sample's outcomes (the kinds of mail it caused, in order), by sample id. */
function byIdOutcomes(
	outcomes: Array<{ sample: { sample: { id: string } }; outcomes: string[] }>,
): Map<string, string[]> {
	return new Map(outcomes.map((o) => [o.sample.sample.id, o.outcomes]));
}
