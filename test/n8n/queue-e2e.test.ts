/**
 * Queue mode proven without Docker (issue 8, part 4): n8n main + 2 workers (`n8n worker`) on Redis
 * (Debian's redis-server) and PostgreSQL (Debian's postgresql), the status relay fed by the hook on
 * every process, and the bundled webhook workflow with the offline model and a real SMTP server.
 * 200 emails go in; every customer email gets exactly one reply or one escalation notice (automatic
 * mail none), and a WebSocket subscriber on the relay receives every node event of every run.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { requestedVersion } from '../harness/n8n';
import { QueueN8n } from '../harness/queue';
import { freePort } from '../harness/n8n';
import { Relay } from '../../status-relay/server/app';
import { loadConfig } from '../../status-relay/server/config';
import { createLogger } from '../../status-relay/server/logger';
import { RelayStream } from '../../status-relay/client/client';
import {
	ExecutionTracker,
	loadWorkflowFile,
	DEMO_WORKFLOW_FILE,
	waitForOutcomes,
	webhookPathOf,
} from '../../scripts/demo/demo';
import { DemoMailbox } from '../../scripts/demo/mailbox';
import {
	SUPPORT_ADDRESS,
	buildSamples,
	loadSamples,
	postSamples,
} from '../../scripts/demo/samples';
import { trail } from './relay-fixtures';
import { waitFor } from '../support/wait-for';
import { startPostgres, startRedis } from './relay-servers';
import type { PostgresServer, RedisServer } from './relay-servers';

const EMAILS = Number(process.env.QUEUE_E2E_EMAILS ?? 200);
const SECRET = randomBytes(24).toString('hex');
const TOKEN = `queue-e2e-${randomBytes(12).toString('hex')}`;
const AUTOMATIC = new Set(['out-of-office', 'bounce', 'noreply-notification']);
/** What the reviewer rejects (flagged as prompt injection); n8n 1.x stops rejected replies. */
const REJECTED = new Set(['injection-en', 'hidden-text-html']);

let redis: RedisServer;
let postgres: PostgresServer;
let queue: QueueN8n;
let relay: Relay;
let mailbox: DemoMailbox;
let stream: RelayStream;
let workflowId: string;
let webhookUrl: string;

beforeAll(async () => {
	[redis, postgres, mailbox] = await Promise.all([
		startRedis(),
		startPostgres(),
		DemoMailbox.start(),
	]);
	const relayPort = await freePort();
	queue = await QueueN8n.start({
		redis,
		database: postgres.n8nEnv(),
		workers: 2,
		env: ({ packageDir }) => ({
			EXTERNAL_HOOK_FILES: `${packageDir}/dist/status-relay/hook/index.js`,
			SUPPORT_RELAY_URL: `http://127.0.0.1:${relayPort}`,
			SUPPORT_RELAY_SECRET: SECRET,
		}),
		log: process.env.N8N_TEST_VERBOSE
			? (source, line) => process.stderr.write(`[${source}] ${line}\n`)
			: undefined,
	});
	relay = await new Relay(
		loadConfig({
			RELAY_HOST: '127.0.0.1',
			RELAY_PORT: String(relayPort),
			RELAY_INGEST_SECRET: SECRET,
			RELAY_TOKENS: JSON.stringify({ [TOKEN]: { workflows: '*' } }),
			RELAY_N8N_URL: queue.main.baseUrl,
			RELAY_N8N_API_KEY: queue.main.apiKey,
			RELAY_RETENTION_EVENTS: '1000000',
			RELAY_CLIENT_BUFFER_BYTES: String(256 * 1024 * 1024),
			RELAY_LOG_LEVEL: 'silent',
		}),
		{ logger: createLogger('silent') },
	).start();
	const credential = await queue.main.createCredential(
		'supportImapSmtpApi',
		mailbox.smtp.credentials(SUPPORT_ADDRESS),
	);
	const workflow = loadWorkflowFile(DEMO_WORKFLOW_FILE, credential);
	workflowId = await queue.main.importWorkflow({ ...workflow, name: `queue e2e ${randomUUID()}` });
	await queue.main.activate(workflowId);
	webhookUrl = `${queue.main.baseUrl}/webhook/${webhookPathOf(workflow)}`;
}, 15 * 60_000);

afterAll(async () => {
	await stream?.close();
	await queue?.stop();
	await relay?.stop();
	await Promise.all([redis?.stop(), postgres?.stop(), mailbox?.stop()]);
}, 120_000);

/**
 * The log lines of the main instance and the workers that name the executions a timeout message
 * lists as failed ("12 (error)"), or that report a stalled, crashed or failed job.
 */
function logLinesAbout(message: string): string {
	const ids = [...message.matchAll(/\b(\d+) \((?:error|crashed|canceled|unknown)\)/g)].map(
		(m) => m[1],
	);
	const pattern = new RegExp(
		[
			...(ids.length ? [`\\b(?:execution|job)\\b.*\\b(?:${ids.join('|')})\\b`] : []),
			'stall',
			'crash',
			'\\berror\\b',
		].join('|'),
		'i',
	);
	const lines = [
		['main', queue.main.logs] as const,
		...queue.workers.map((worker, i) => [`worker ${i + 1}`, worker.logs] as const),
	].flatMap(([name, logs]) =>
		logs
			.filter((line) => pattern.test(line))
			.slice(-20)
			.map((line) => `[${name}] ${line}`),
	);
	return `log lines about executions ${ids.join(', ') || '(none listed)'} and failed jobs:\n${lines.join('\n') || 'none'}`;
}

describe(`queue mode: main + 2 workers, ${EMAILS} emails (${requestedVersion()})`, () => {
	it(
		'every email gets exactly one reply or escalation; every node event reaches a relay subscriber',
		async () => {
			// The hook runs in all three processes.
			expect(queue.main.logs.join('\n')).toMatch(/status relay hook installed/);
			for (const worker of queue.workers)
				expect(worker.logs.join('\n')).toMatch(/status relay hook installed .* for worker/);

			// A dashboard subscriber, attached before the first email.
			stream = await RelayStream.connect(
				relay.url,
				{ kind: 'workflow', id: workflowId },
				{ token: TOKEN },
			);
			await stream.waitFor((s) => s.messages.some((m) => m.type === 'caught-up'));

			const base = loadSamples();
			const samples = Array.from({ length: EMAILS }, (_, i) => {
				const sample = base[i % base.length];
				// Distinct subjects, so each review request names exactly one email.
				return { ...sample, subject: `${sample.subject} [#${i + 1}]` };
			});
			const messages = await buildSamples(samples, randomUUID().slice(0, 8));
			const started = Date.now();
			await postSamples(webhookUrl, messages, { concurrency: 8 });
			const { outcomes, reviewed } = await waitForOutcomes(
				{ n8n: queue.main, mailbox, workflowId },
				messages,
				{ timeoutMs: 12 * 60_000, approveAs: 'reviewer@example.com' },
			).catch((error: Error) => {
				// An email seen missing so far (about one run in ten under load, on 1.123.x): its execution
				// failed before n8n saved its input. What main and the workers logged about it says why.
				throw new Error(`${error.message}\n${logLinesAbout(error.message)}`);
			});
			process.stderr.write(
				`[queue-e2e] ${EMAILS} emails through main + 2 workers in ${((Date.now() - started) / 1000).toFixed(1)} s (reviewer approved ${reviewed.approved}, rejected ${reviewed.rejected})\n`,
			);

			const rejectedStops = queue.main.major < 2;
			const wrong = outcomes
				.map((o) => ({
					id: o.sample.sample.id,
					status: o.executionStatus,
					final: o.outcomes.filter((k) => k !== 'review'),
					messageId: o.sample.messageId,
					subject: o.sample.sample.subject,
				}))
				.filter((row) => {
					if (row.status !== 'success') return true;
					if (AUTOMATIC.has(row.id) || (rejectedStops && REJECTED.has(row.id)))
						return row.final.length !== 0;
					return row.final.length !== 1;
				});
			// What the mailbox holds about each wrong email (seen once under CI load on 1.123.x: a
			// rejected reply of a prompt-injection email was sent), so a rare failure says why.
			const about = (messageId: string, subject: string) =>
				mailbox
					.summaries()
					.filter(
						(m) =>
							m.about === messageId ||
							m.inReplyTo === messageId ||
							m.review?.subject === subject ||
							m.subject.includes(subject),
					)
					.map((m) => ({
						n: m.n,
						kind: m.kind,
						at: m.receivedAt,
						to: m.to,
						subject: m.subject,
						inReplyTo: m.inReplyTo,
						review: m.review,
						text: m.text.slice(0, 600),
					}));
			expect(
				wrong.map(({ messageId, subject, ...row }) => ({
					...row,
					messageId,
					mail: about(messageId, subject),
				})),
			).toEqual([]);
			// Nothing was sent twice: every captured message is a distinct reply, notice or review request.
			const mail = mailbox.summaries();
			// Replies: the approved ones, plus answers from the help centre that cleared the auto-answer
			// threshold and went out with no review (Auto-Submitted: auto-replied).
			const replies = mail.filter((m) => m.kind === 'reply');
			const autoAnswered = replies.filter((m) => m.autoSubmitted === 'auto-replied');
			expect(replies).toHaveLength(reviewed.approved + autoAnswered.length);
			expect(mail.filter((m) => m.kind === 'review')).toHaveLength(
				reviewed.approved + reviewed.rejected,
			);
			expect(new Set(mail.filter((m) => m.about).map((m) => m.about)).size).toBe(
				mail.filter((m) => m.about).length,
			);

			// Every node event of every run reached the subscriber: for each execution n8n stored, the node
			// runs in its data match the subscriber's node.finished events one to one, in order, gapless.
			// (n8n 1.x's public API leaves out some runs it still holds in memory: the tracker lists them
			// through the editor's endpoint there.)
			const executions = await new ExecutionTracker(queue.main, workflowId).list();
			expect(executions).toHaveLength(EMAILS);
			await stream.waitFor(
				(s) =>
					executions.every((x) =>
						s
							.events()
							.some((e) => e.type === 'execution.finished' && e.executionId === String(x.id)),
					),
				120_000,
				'every execution finished on the stream',
			);
			const events = stream.events();
			expect(stream.messages.some((m) => m.type === 'lagged' || m.type === 'reset')).toBe(false);
			for (const { id } of executions) {
				const record = await queue.main.api<{
					data: { resultData: { runData: Record<string, Array<{ executionStatus?: string }>> } };
				}>('GET', `/executions/${id}?includeData=true`);
				const ran = Object.entries(record.data.resultData.runData)
					.map(([node, runs]) => `${node} x${runs.length}`)
					.sort();
				const ofRun = events.filter((e) => e.executionId === String(id));
				const finished = new Map<string, number>();
				for (const e of ofRun) {
					const data = e.data as { node?: string; status?: string };
					if (e.type === 'node.finished' && data.status !== 'waiting')
						finished.set(data.node!, (finished.get(data.node!) ?? 0) + 1);
				}
				const streamed = [...finished].map(([node, n]) => `${node} x${n}`).sort();
				expect({ id, streamed }).toEqual({ id, streamed: ran });
				const t = trail(events, String(id));
				expect(t[0]).toBe('execution.started');
				expect(t[t.length - 1]).toBe('execution.finished success');
				expect(ofRun.map((e) => e.seq)).toEqual(ofRun.map((_, i) => i + 1));
			}
			// Both workers ran jobs and reported them (the main only enqueues).
			const metrics = await fetch(`${relay.url}/metrics`).then((r) => r.text());
			expect(Number(/^relay_hook_sources (\d+)/m.exec(metrics)?.[1])).toBe(2);
		},
		20 * 60_000,
	);

	it(
		'a wait that n8n ends without the reviewer (as when it runs a stalled job again) sends no unapproved reply',
		async () => {
			// A worker under load can let a job's lock lapse; the queue then gives the job to another
			// worker, which runs the stored waiting execution: n8n ends the wait itself and passes the
			// waiting node's stored input on, as it does when "Limit Wait Time" runs out. Ending the wait
			// in the database takes the same path (n8n's wait tracker runs it within a minute).
			const sample = loadSamples().find((s) => s.id === 'injection-en')!;
			const [message] = await buildSamples(
				[{ ...sample, subject: `${sample.subject} [wait ended by n8n]` }],
				randomUUID().slice(0, 8),
			);
			await postSamples(webhookUrl, [message]);
			const tracker = new ExecutionTracker(queue.main, workflowId);
			const statusOf = async () => (await tracker.statuses()).get(message.messageId);
			await waitFor(async () => (await statusOf()) === 'waiting', {
				what: 'the run to wait for review',
				timeoutMs: 5 * 60_000,
				intervalMs: 500,
			});
			// The main test's runs have all finished: this is the one waiting run.
			const waiting = (await tracker.list()).filter((e) => e.status === 'waiting');
			expect(waiting).toHaveLength(1);
			await promisify(execFile)('psql', [
				'-h',
				postgres.host,
				'-p',
				String(postgres.port),
				'-U',
				postgres.user,
				'-d',
				postgres.database,
				'-v',
				'ON_ERROR_STOP=1',
				'-c',
				`UPDATE execution_entity SET "waitTill" = NOW() WHERE id = ${Number(waiting[0].id)}`,
			]);
			await waitFor(
				async () => !['new', 'running', 'waiting'].includes((await statusOf()) ?? 'new'),
				{ what: "n8n's wait tracker to end the wait", timeoutMs: 5 * 60_000, intervalMs: 1000 },
			);
			// What the mailbox holds about the email once its run has finished: a reply, had one gone
			// out, would be there.
			const {
				outcomes: [outcome],
			} = await waitForOutcomes({ n8n: queue.main, mailbox, workflowId }, [message], {
				timeoutMs: 60_000,
			});
			expect(outcome.executionStatus).toBe('success');
			// n8n 2.x passes every output on: the unanswered email goes to Escalate (a notice to the
			// team); n8n 1.x passes the first output (Auto Send) only: it stops there. Never a reply.
			expect([...outcome.outcomes].sort()).toEqual(
				queue.main.major < 2 ? ['review'] : ['escalation', 'review'],
			);
		},
		15 * 60_000,
	);
});
