/**
 * The one-command demo (`npm start`): everything local, no account, no key.
 *
 *   - n8n (SQLite) with this package installed as a community package and the status relay's hook
 *     loaded from it (EXTERNAL_HOOK_FILES);
 *   - the status relay with its live dashboard, fed by that hook;
 *   - local mail: an SMTP server that keeps what the workflow sends, with a page that lists it;
 *   - the webhook variant of the bundled workflow (workflows/support-email-webhook.json), imported
 *     with an SMTP credential for that server and activated; the classifier and the drafter use the
 *     built-in offline model and templates;
 *   - the sample customer mail (sample-emails.json) posted into the workflow, and a wait until every
 *     message has had its outcome (reply, escalation notice, review request, or nothing for
 *     automatic mail).
 *
 * `startDemo()` is what scripts/start.ts runs and what test/n8n/demo.test.ts checks.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionRecord, Workflow } from '../../test/harness/n8n';
import { N8n, OWNER, REPO_ROOT, freePort, requestedVersion, sleep } from '../../test/harness/n8n';
import { Relay } from '../../status-relay/server/app';
import { loadConfig } from '../../status-relay/server/config';
import { createLogger } from '../../status-relay/server/logger';
import { DemoMailbox } from './mailbox';
import { postJson } from './post';
import type { MailKind, MailSummary } from './mailbox';
import { SUPPORT_ADDRESS, buildSamples, loadSamples, postSamples } from './samples';
import type { BuiltSample } from './samples';

export const DEMO_WORKFLOW_FILE = join(REPO_ROOT, 'workflows', 'support-email-webhook.json');
export const DEMO_WORKFLOW_NAME = 'Support email automation (webhook, demo)';
export const DEMO_CREDENTIAL_NAME = 'Demo mail server (local SMTP)';
/** Who approves the waiting replies when the demo plays the reviewer. */
export const DEMO_REVIEWER = 'demo reviewer (npm start)';

/** The placeholder credential id the workflow files use for the IMAP/SMTP credential. */
export const SMTP_CREDENTIAL_PLACEHOLDER = 'REPLACE_WITH_YOUR_IMAP_SMTP_CREDENTIAL';

export interface DemoOptions {
	n8nVersion?: string;
	/** n8n's port (0: a free one). */
	n8nPort?: number;
	relayPort?: number;
	mailboxPort?: number;
	/** The n8n user folder, kept between runs (default .cache/local-n8n). */
	userFolder?: string;
	/** Post the sample mail (default true). */
	sendSamples?: boolean;
	/**
	 * Play the reviewer and approve every reply that waits for approval (default true), so replies
	 * land without a manual step; false leaves them waiting for you to click Approve.
	 */
	approve?: boolean;
	/** How long to wait for every sample's outcome. */
	outcomeTimeoutMs?: number;
	log?: (line: string) => void;
	n8nLog?: (line: string) => void;
	/** Ctrl-C while starting: stop what has started and reject with DemoAborted. */
	signal?: AbortSignal;
}

export class DemoAborted extends Error {
	constructor() {
		super('the demo was stopped while starting');
		this.name = 'DemoAborted';
	}
}

export interface SampleOutcome {
	sample: BuiltSample;
	/** What the mailbox holds about this message: a reply, an escalation notice, a review request. */
	outcomes: MailKind[];
	/** The execution's status in n8n. */
	executionStatus?: string;
}

export interface Demo {
	n8n: N8n;
	relay: Relay;
	mailbox: DemoMailbox;
	workflowId: string;
	webhookUrl: string;
	dashboardToken: string;
	outcomes: SampleOutcome[];
	/** Replies the demo approved or rejected as the reviewer. */
	reviewed: { approved: number; rejected: number };
	urls: { editor: string; dashboard: string; mailbox: string };
	stop(): Promise<void>;
}

/** Reads a bundled workflow file and points its IMAP/SMTP credential at `credential`. */
export function loadWorkflowFile(
	file: string,
	credential?: { id: string; name: string },
): Workflow & { name: string } {
	const workflow = JSON.parse(readFileSync(file, 'utf8')) as Workflow & { name: string };
	if (credential) {
		for (const node of workflow.nodes) {
			for (const [type, ref] of Object.entries(node.credentials ?? {})) {
				if (type === 'supportImapSmtpApi' && ref.id === SMTP_CREDENTIAL_PLACEHOLDER)
					node.credentials![type] = { id: credential.id, name: credential.name };
			}
		}
	}
	return workflow;
}

/** The path of the workflow's Webhook trigger (the entry of the webhook variant). */
export function webhookPathOf(workflow: Workflow): string {
	const trigger = workflow.nodes.find((n) => n.type === 'n8n-nodes-base.webhook');
	const path = trigger?.parameters.path;
	if (typeof path !== 'string' || !path)
		throw new Error('the workflow has no Webhook trigger with a path');
	return path;
}

/** Removes what an earlier demo run left in a kept user folder: its workflow and credential. */
async function removeEarlierRun(n8n: N8n): Promise<void> {
	const listed = await n8n.api<{ data: Array<{ id: string; name: string }> }>(
		'GET',
		'/workflows?limit=250',
	);
	for (const workflow of listed.data.filter((w) => w.name === DEMO_WORKFLOW_NAME)) {
		await n8n.deactivate(workflow.id).catch(() => undefined);
		await n8n.deleteWorkflow(workflow.id);
	}
	const response = await n8n.rest('GET', '/rest/credentials', undefined, false);
	if (response.ok) {
		const body = (await response.json()) as { data?: Array<{ id: string; name: string }> };
		for (const credential of (body.data ?? []).filter((c) => c.name === DEMO_CREDENTIAL_NAME)) {
			await n8n.rest('DELETE', `/rest/credentials/${credential.id}`, undefined, false);
		}
	}
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
	const log = options.log ?? (() => undefined);
	const version = options.n8nVersion ?? requestedVersion();
	const relayPort = options.relayPort || (await freePort());
	const secret = randomBytes(24).toString('hex');
	const dashboardToken = `demo-${randomBytes(12).toString('hex')}`;
	const started: Array<() => Promise<void>> = [];
	const stop = async () => {
		for (const stopOne of started.splice(0).reverse()) await stopOne().catch(() => undefined);
	};
	const step = () => {
		if (options.signal?.aborted) throw new DemoAborted();
	};
	try {
		log('Starting the local mail server...');
		const mailbox = await DemoMailbox.start({ httpPort: options.mailboxPort });
		started.push(() => mailbox.stop());
		step();

		log(
			`Building the package and starting n8n ${version} (the first run installs n8n: a few minutes)...`,
		);
		const n8n = await N8n.start({
			version,
			port: options.n8nPort || undefined,
			userFolder: options.userFolder ?? join(REPO_ROOT, '.cache', 'local-n8n'),
			// The hook as an admin loads it: from the installed community package.
			env: ({ packageDir }) => ({
				EXTERNAL_HOOK_FILES: join(packageDir, 'dist/status-relay/hook/index.js'),
				SUPPORT_RELAY_URL: `http://127.0.0.1:${relayPort}`,
				SUPPORT_RELAY_SECRET: secret,
			}),
			log: options.n8nLog,
		});
		started.push(() => n8n.stop());
		step();

		log('Starting the status relay and its dashboard...');
		const relay = new Relay(
			loadConfig({
				RELAY_HOST: '127.0.0.1',
				RELAY_PORT: String(relayPort),
				RELAY_INGEST_SECRET: secret,
				RELAY_TOKENS: JSON.stringify({
					[dashboardToken]: { workflows: '*', control: true, name: 'demo' },
				}),
				RELAY_N8N_URL: n8n.baseUrl,
				RELAY_N8N_API_KEY: n8n.apiKey,
				RELAY_LOG_LEVEL: 'silent',
			}),
			{ logger: createLogger('silent') },
		);
		await relay.start();
		started.push(() => relay.stop());
		step();

		log('Importing and activating the workflow...');
		await removeEarlierRun(n8n);
		const credential = await n8n.createCredential(
			'supportImapSmtpApi',
			mailbox.smtp.credentials(SUPPORT_ADDRESS),
			DEMO_CREDENTIAL_NAME,
		);
		const workflow = loadWorkflowFile(DEMO_WORKFLOW_FILE, credential);
		const workflowId = await n8n.importWorkflow({ ...workflow, name: DEMO_WORKFLOW_NAME });
		await n8n.activate(workflowId);
		step();
		const webhookUrl = `${n8n.baseUrl}/webhook/${webhookPathOf(workflow)}`;

		const demo: Demo = {
			n8n,
			relay,
			mailbox,
			workflowId,
			webhookUrl,
			dashboardToken,
			outcomes: [],
			reviewed: { approved: 0, rejected: 0 },
			urls: {
				editor: `${n8n.baseUrl}/workflow/${workflowId}`,
				dashboard: `${relay.url}/#workflow=${workflowId}`,
				mailbox: mailbox.url,
			},
			stop,
		};
		if (options.sendSamples !== false) {
			const messages = await buildSamples(loadSamples(), randomUUID().slice(0, 8));
			log(`Sending ${messages.length} sample emails into the workflow...`);
			await postSamples(webhookUrl, messages, { concurrency: 4 });
			({ outcomes: demo.outcomes, reviewed: demo.reviewed } = await waitForOutcomes(
				demo,
				messages,
				{
					timeoutMs: options.outcomeTimeoutMs ?? 180_000,
					approveAs: options.approve === false ? undefined : DEMO_REVIEWER,
				},
			));
		}
		return demo;
	} catch (error) {
		await stop();
		throw error;
	}
}

/**
 * Waits until n8n has an execution for every posted message that is finished or waiting (for a
 * person's approval), and the mail those executions sent has arrived; then says, per message, what
 * the mailbox holds about it.
 */
export async function waitForSettled(
	tracker: ExecutionTracker,
	messages: BuiltSample[],
	timeoutMs: number,
	signal?: AbortSignal,
): Promise<Map<string, string>> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (signal?.aborted) throw new DemoAborted();
		const statuses = await tracker.statuses();
		const settled = messages.filter((m) => {
			const status = statuses.get(m.messageId);
			return status !== undefined && !['new', 'running', 'unknown'].includes(status);
		});
		if (settled.length >= messages.length) return statuses;
		if (Date.now() > deadline) {
			const { listed, unread } = tracker.lastSeen;
			const counts = new Map<string, number>();
			for (const status of statuses.values()) counts.set(status, (counts.get(status) ?? 0) + 1);
			throw new Error(
				`only ${settled.length} of ${messages.length} emails were processed within ${timeoutMs / 1000} s ` +
					`(n8n lists ${listed} executions; by email: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ') || 'none'}; ` +
					`no saved input yet: ${unread.map((e) => `${e.id} (${e.status})`).join(', ') || 'none'})`,
			);
		}
		await sleep(500);
	}
}

/** The review requests in the mailbox that are about one of `messages`. */
export function reviewRequestsFor(mailbox: DemoMailbox, messages: BuiltSample[]): MailSummary[] {
	return mailbox
		.summaries()
		.filter(
			(m) =>
				m.kind === 'review' &&
				messages.some(
					(s) => s.sample.from.address === m.review?.from && s.sample.subject === m.review?.subject,
				),
		);
}

/**
 * Plays the reviewer: for each review request, follows its Approve link and confirms (a POST to the
 * signed resume URL, as the page's button does), except for mail the request flags as a possible
 * prompt injection, which it rejects (the workflow then hands it to the team).
 */
export async function reviewAll(
	requests: MailSummary[],
	reviewer: string,
): Promise<{ approved: number; rejected: number }> {
	const done = { approved: 0, rejected: 0 };
	for (const request of requests) {
		const reject = /^- prompt-injection:/m.test(request.text);
		const url = reject ? request.review?.reject : request.review?.approve;
		if (!url)
			throw new Error(
				`review request "${request.subject}" has no ${reject ? 'Reject' : 'Approve'} link`,
			);
		const body = reject
			? { reviewer, note: 'Looks like an attempt to steer the AI: a person answers this one.' }
			: { reviewer };
		for (let attempt = 0; ; attempt++) {
			const response = await postJson(url, body, { accept: 'application/json' });
			const answer = response.body;
			if (response.ok) break;
			// n8n answers 409 while it is still saving the execution as waiting.
			if ((response.status === 409 || response.status >= 500) && attempt < 50) {
				await sleep(200);
				continue;
			}
			throw new Error(
				`${reject ? 'rejecting' : 'approving'} "${request.subject}" failed: HTTP ${response.status} ${answer}`,
			);
		}
		if (reject) done.rejected++;
		else done.approved++;
	}
	return done;
}

export async function waitForOutcomes(
	demo: Pick<Demo, 'n8n' | 'mailbox' | 'workflowId'>,
	messages: BuiltSample[],
	options: { timeoutMs: number; approveAs?: string; signal?: AbortSignal },
): Promise<{ outcomes: SampleOutcome[]; reviewed: { approved: number; rejected: number } }> {
	const tracker = new ExecutionTracker(demo.n8n, demo.workflowId);
	let statuses = await waitForSettled(tracker, messages, options.timeoutMs, options.signal);
	let reviewed = { approved: 0, rejected: 0 };
	if (options.approveAs) {
		const waiting = messages.filter((m) => statuses.get(m.messageId) === 'waiting');
		// Each waiting run has mailed its review request before it started to wait.
		const deadline = Date.now() + 10_000;
		let requests = reviewRequestsFor(demo.mailbox, waiting);
		while (requests.length < waiting.length && Date.now() < deadline) {
			await sleep(200);
			requests = reviewRequestsFor(demo.mailbox, waiting);
		}
		reviewed = await reviewAll(requests, options.approveAs);
		const until = Date.now() + options.timeoutMs;
		for (;;) {
			if (options.signal?.aborted) throw new DemoAborted();
			statuses = await tracker.statuses();
			const open = messages.filter((m) =>
				['new', 'running', 'waiting'].includes(statuses.get(m.messageId) ?? 'new'),
			);
			if (open.length === 0) break;
			if (Date.now() > until)
				throw new Error(
					`${open.length} approved emails did not finish within ${options.timeoutMs / 1000} s`,
				);
			await sleep(300);
		}
	}
	// The SMTP server has the mail once n8n's send returned; a moment for the last transactions.
	await sleep(500);
	const mail = demo.mailbox.summaries();
	const outcomes = messages.map((message) => ({
		sample: message,
		outcomes: mail
			.filter(
				(m) =>
					m.about === message.messageId ||
					(m.kind === 'review' &&
						m.review?.from === message.sample.from.address &&
						m.review?.subject === message.sample.subject),
			)
			.map((m) => m.kind),
		executionStatus: statuses.get(message.messageId),
	}));
	return { outcomes, reviewed };
}

/**
 * Execution status by the Message-ID of the mail each execution took in (read once per execution
 * from its stored webhook input; statuses from the light listing).
 */
export class ExecutionTracker {
	/** Execution id -> Message-ID (null: not a run that took in mail, e.g. the Error Trigger's). */
	private readonly messageOf = new Map<string, string | null>();

	constructor(
		private readonly n8n: N8n,
		private readonly workflowId: string,
	) {}

	/** What the last `statuses()` saw: every execution listed, and those whose mail is not known yet. */
	lastSeen: { listed: number; unread: Array<{ id: string; status: string }> } = {
		listed: 0,
		unread: [],
	};

	async statuses(): Promise<Map<string, string>> {
		const byMessage = new Map<string, string>();
		const listed = await this.list();
		const unread: Array<{ id: string; status: string }> = [];
		for (const execution of listed) {
			const id = String(execution.id);
			if (!this.messageOf.has(id)) {
				const found = await this.messageIdOf(id);
				if (found !== undefined) this.messageOf.set(id, found);
				else unread.push({ id, status: execution.status });
			}
			const messageId = this.messageOf.get(id);
			if (messageId) byMessage.set(messageId, execution.status);
		}
		this.lastSeen = { listed: listed.length, unread };
		return byMessage;
	}

	/** Every execution of the workflow with its status. */
	async list(): Promise<Array<{ id: string; status: string }>> {
		const all: Array<{ id: string; status: string }> = [];
		if (this.n8n.major < 2) {
			// n8n 1.x's public API leaves out executions it still holds in memory, which includes
			// waiting ones: list through the editor's endpoint there. With a status filter it pages
			// by id (without one, its first page is ordered by start time and paging skips runs).
			const status = ['new', 'running', 'waiting', 'success', 'error', 'crashed', 'canceled'];
			let lastId: string | undefined;
			for (;;) {
				const query = new URLSearchParams({
					filter: JSON.stringify({ workflowId: this.workflowId, status }),
					limit: '100',
					...(lastId ? { lastId } : {}),
				});
				const response = await this.n8n.rest('GET', `/rest/executions?${query}`);
				const body = (await response.json()) as {
					data: { results: Array<{ id: string; status: string }> };
				};
				const page = body.data.results;
				all.push(...page.filter((e) => !all.some((known) => known.id === e.id)));
				if (page.length < 100) return all;
				lastId = String(Math.min(...page.map((e) => Number(e.id))));
			}
		}
		let cursor: string | undefined;
		do {
			const page = await this.n8n.api<{
				data: Array<{ id: string; status: string }>;
				nextCursor?: string | null;
			}>(
				'GET',
				`/executions?workflowId=${this.workflowId}&limit=250${cursor ? `&cursor=${cursor}` : ''}`,
			);
			all.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		return all;
	}

	/** undefined: the execution's data is not saved yet (still running), ask again later. */
	private async messageIdOf(executionId: string): Promise<string | null | undefined> {
		const execution = await this.n8n.api<{ data?: ExecutionRecord['data'] }>(
			'GET',
			`/executions/${executionId}?includeData=true`,
		);
		const runData = execution.data?.resultData?.runData ?? {};
		for (const runs of Object.values(runData)) {
			const json = runs?.[0]?.data?.main?.[0]?.[0]?.json;
			// The webhook variant's request, or the inbox trigger's normalised mail.
			const body = json?.body as { raw?: unknown; messageId?: unknown } | undefined;
			if (typeof body?.raw === 'string')
				return /^Message-ID:\s*(<[^>]+>)/im.exec(body.raw)?.[1] ?? null;
			if (typeof body?.messageId === 'string') return body.messageId;
			const email = (json?.support as { email?: { messageId?: unknown } } | undefined)?.email;
			if (typeof email?.messageId === 'string') return email.messageId;
		}
		// Not a webhook run (e.g. the Error Trigger's), or its data is not saved yet.
		return Object.keys(runData).length ? null : undefined;
	}
}

/** One line per sample: what happened to it. */
export function outcomeTable(outcomes: SampleOutcome[]): string {
	const label = (o: SampleOutcome) => {
		if (o.outcomes.length === 0) {
			return o.sample.sample.kind.match(/auto-reply|bounce|no-reply/)
				? 'no reply (automatic mail)'
				: `nothing sent (execution ${o.executionStatus ?? 'not found'})`;
		}
		const names: Record<MailKind, string> = {
			reply: 'replied',
			escalation: 'escalated to the team',
			review: 'review request',
			error: 'workflow error notice',
			other: 'other mail',
		};
		const waiting = o.executionStatus === 'waiting' ? ' (waiting for your approval)' : '';
		return `${o.outcomes.map((k) => names[k]).join(' -> ')}${waiting}`;
	};
	const width = Math.max(...outcomes.map((o) => o.sample.sample.kind.length));
	return outcomes.map((o) => `  ${o.sample.sample.kind.padEnd(width)}  ${label(o)}`).join('\n');
}

/** How many samples were answered without a person, went to review, or were escalated. */
export function answeredLine(outcomes: SampleOutcome[]): string {
	const automatic = outcomes.filter((o) => o.outcomes[0] === 'reply').length;
	const review = outcomes.filter((o) => o.outcomes.includes('review')).length;
	const escalated = outcomes.filter((o) => o.outcomes.includes('escalation')).length;
	return `Answered and sent automatically (help centre and past replies, no person): ${automatic}; went to review: ${review}; escalated: ${escalated}.`;
}

export function readyMessage(demo: Demo): string {
	const mail = demo.mailbox.summaries();
	const count = (kind: MailKind) => mail.filter((m: MailSummary) => m.kind === kind).length;
	return [
		'',
		`The support-email demo is running (n8n ${demo.n8n.version}, offline model, local mail).`,
		'',
		`  n8n editor:     ${demo.urls.editor}`,
		`                  login ${OWNER.email} / ${OWNER.password}`,
		`  Live dashboard: ${demo.urls.dashboard}`,
		`                  token ${demo.dashboardToken}`,
		`  Sent mail:      ${demo.urls.mailbox}`,
		`  Send more mail: POST ${demo.webhookUrl}  {"raw": "<RFC 822 message>"}`,
		'',
		demo.outcomes.length
			? `${demo.outcomes.length} sample emails went through: ${count('reply')} replies, ${count('escalation')} escalation notices, ${count('review')} review requests${demo.reviewed.approved + demo.reviewed.rejected ? ` (the demo played the reviewer: approved ${demo.reviewed.approved}, rejected ${demo.reviewed.rejected} that look like prompt injection)` : ''}.\n${outcomeTable(demo.outcomes)}`
			: '',
		demo.outcomes.length ? answeredLine(demo.outcomes) : '',
		'',
		'Press Ctrl-C to stop everything.',
		'',
	].join('\n');
}
