/**
 * `npm run bench:e2e`: N customer emails through the bundled workflow (workflows/support-email-
 * webhook.json: Normalize, Classifier with the offline model, Priority Router, Reply Drafter with its
 * offline templates, Escalation, mail out through a real local SMTP server) in real n8n, measured
 * side by side in one run:
 *
 *   A. n8n in one process (regular mode, SQLite: what `npm start` runs);
 *   B. the same in one process on PostgreSQL (so the comparison with C is about the workers);
 *   C. queue mode: n8n main + 2 workers (`n8n worker`) on Redis and PostgreSQL.
 *
 * Each email is posted to the workflow's webhook; it counts as handled when the workflow's mail for
 * it reaches the SMTP server: the reply (Auto Send), the approval request to the reviewer (Human
 * Review: the run then waits for a person, whose time is not the workflow's) or the escalation
 * notice. Load is closed-loop: `--concurrency` emails in flight, the next posted as one is handled.
 * Prints emails per hour and p50 / p95 seconds per email (post to handled) for each setup.
 *
 *   npm run bench:e2e -- [--emails 500] [--concurrency 8] [--only A,B,C] [--json FILE]
 *
 * N8N_TEST_VERSION picks the n8n version as for the tests (default 2.41.1).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { N8n, REPO_ROOT, packPackage, requestedVersion } from '../../test/harness/n8n';
import { QueueN8n } from '../../test/harness/queue';
import { startPostgres, startRedis } from '../../test/n8n/relay-servers';
import { DEMO_WORKFLOW_FILE, loadWorkflowFile, webhookPathOf } from '../../scripts/demo/demo';
import { DemoMailbox } from '../../scripts/demo/mailbox';
import type { BuiltSample } from '../../scripts/demo/samples';
import { SUPPORT_ADDRESS, buildSamples, loadSamples } from '../../scripts/demo/samples';

const AUTOMATIC = new Set(['out-of-office', 'bounce', 'noreply-notification']);

interface Result {
	setup: string;
	emails: number;
	handled: number;
	failed: number;
	seconds: number;
	perHour: number;
	p50: number;
	p95: number;
	max: number;
	outcomes: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
	if (!sorted.length) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Resolves per email when the workflow's mail about it arrives at the SMTP server. */
class Arrivals {
	private readonly waiting = new Map<string, (kind: string) => void>();
	private seen = 0;
	private stopped = false;

	constructor(
		private readonly mailbox: DemoMailbox,
		private readonly subjectToId: Map<string, string>,
	) {
		this.seen = mailbox.smtp.messages.length;
		void this.loop();
	}

	private async loop(): Promise<void> {
		while (!this.stopped) {
			try {
				await this.mailbox.smtp.waitForMessages(this.seen + 1, 1000);
			} catch {
				continue; // nothing new within a second
			}
			const all = this.mailbox.summaries();
			for (const mail of all.slice(this.seen)) {
				const id =
					mail.about ?? (mail.review ? this.subjectToId.get(mail.review.subject) : undefined);
				const wake = id ? this.waiting.get(id) : undefined;
				if (wake && id) {
					this.waiting.delete(id);
					wake(mail.kind);
				}
			}
			this.seen = all.length;
		}
	}

	wait(messageId: string, timeoutMs: number): Promise<string> {
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.waiting.delete(messageId);
				reject(new Error(`no mail for ${messageId} within ${timeoutMs} ms`));
			}, timeoutMs);
			this.waiting.set(messageId, (kind) => {
				clearTimeout(timer);
				resolve(kind);
			});
		});
	}

	stop(): void {
		this.stopped = true;
	}
}

async function runSetup(
	setup: string,
	main: N8n,
	mailbox: DemoMailbox,
	messages: BuiltSample[],
	concurrency: number,
	log: (line: string) => void,
): Promise<Result> {
	const credential = await main.createCredential(
		'supportImapSmtpApi',
		mailbox.smtp.credentials(SUPPORT_ADDRESS),
	);
	const workflow = loadWorkflowFile(DEMO_WORKFLOW_FILE, credential);
	const id = await main.importWorkflow({ ...workflow, name: `bench e2e ${setup}` });
	await main.activate(id);
	const url = `${main.baseUrl}/webhook/${webhookPathOf(workflow)}`;
	const subjectToId = new Map(messages.map((m) => [m.sample.subject, m.messageId]));
	const arrivals = new Arrivals(mailbox, subjectToId);

	const post = async (message: BuiltSample) => {
		for (let attempt = 0; ; attempt++) {
			const response = await fetch(url, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ raw: message.raw }),
			});
			await response.arrayBuffer();
			if (response.ok) return;
			if (response.status === 404 && attempt < 150) {
				await new Promise((r) => setTimeout(r, 200));
				continue;
			}
			throw new Error(`webhook answered HTTP ${response.status}`);
		}
	};
	// One warm-up email (first-run compilation, connection pools), not measured.
	const [warm, ...measured] = messages;
	const warmWait = arrivals.wait(warm.messageId, 120_000);
	await post(warm);
	await warmWait;

	const latencies: number[] = [];
	const outcomes: Record<string, number> = {};
	let failed = 0;
	const queue = [...measured];
	const started = performance.now();
	let done = 0;
	const worker = async () => {
		for (let next = queue.shift(); next; next = queue.shift()) {
			const t0 = performance.now();
			const arrived = arrivals.wait(next.messageId, 180_000);
			try {
				await post(next);
				const kind = await arrived;
				latencies.push((performance.now() - t0) / 1000);
				outcomes[kind] = (outcomes[kind] ?? 0) + 1;
			} catch (error) {
				arrived.catch(() => undefined);
				failed++;
				if (failed <= 3) log(`  [${setup}] ${String(error)}`);
			}
			if (++done % 100 === 0) log(`  [${setup}] ${done}/${measured.length}`);
		}
	};
	await Promise.all(Array.from({ length: concurrency }, worker));
	const seconds = (performance.now() - started) / 1000;
	arrivals.stop();
	await main.deactivate(id).catch(() => undefined);
	const sorted = [...latencies].sort((a, b) => a - b);
	return {
		setup,
		emails: measured.length,
		handled: latencies.length,
		failed,
		seconds,
		perHour: (latencies.length / seconds) * 3600,
		p50: percentile(sorted, 50),
		p95: percentile(sorted, 95),
		max: sorted[sorted.length - 1] ?? NaN,
		outcomes,
	};
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			emails: { type: 'string', default: '500' },
			concurrency: { type: 'string', default: '8' },
			only: { type: 'string', default: 'A,B,C' },
			json: { type: 'string' },
			verbose: { type: 'boolean', default: false },
		},
	});
	const total = Number(values.emails);
	const concurrency = Number(values.concurrency);
	if (!Number.isInteger(total) || total < 2)
		throw new Error('--emails must be a whole number >= 2');
	if (!Number.isInteger(concurrency) || concurrency < 1)
		throw new Error('--concurrency must be a whole number >= 1');
	const only = new Set(values.only!.split(',').map((s) => s.trim().toUpperCase()));
	const log = (line: string) => process.stdout.write(`${line}\n`);
	const n8nLog = values.verbose
		? (line: string) => process.stderr.write(`[n8n] ${line}\n`)
		: undefined;
	const version = requestedVersion();

	// Customer mail only (automatic mail gets no mail back, so it has no end to measure), each email
	// with its own Message-ID and subject.
	const base = loadSamples().filter((s) => !AUTOMATIC.has(s.id));
	const samplesFor = (setup: string) =>
		buildSamples(
			Array.from({ length: total + 1 }, (_, i) => {
				const sample = base[i % base.length];
				return { ...sample, subject: `${sample.subject} [${setup}#${i}]` };
			}),
			randomUUID().slice(0, 8),
		);

	log(
		`bench:e2e — ${total} emails through workflows/support-email-webhook.json in real n8n ${version}, ${concurrency} in flight; ${cpus().length} CPU(s), Node ${process.version}`,
	);
	const tarball = await packPackage();
	const results: Result[] = [];
	const mailbox = await DemoMailbox.start();
	const redis = only.has('C') ? await startRedis() : undefined;
	try {
		if (only.has('A')) {
			log('\n== A. one process, SQLite');
			const n8n = await N8n.start({ version, tarball, log: n8nLog });
			try {
				results.push(await runSetup('A', n8n, mailbox, await samplesFor('A'), concurrency, log));
			} finally {
				await n8n.stop();
			}
		}
		if (only.has('B')) {
			log('\n== B. one process, PostgreSQL');
			const postgres = await startPostgres();
			const n8n = await N8n.start({ version, tarball, log: n8nLog, env: postgres.n8nEnv() });
			try {
				results.push(await runSetup('B', n8n, mailbox, await samplesFor('B'), concurrency, log));
			} finally {
				await n8n.stop();
				await postgres.stop();
			}
		}
		if (only.has('C')) {
			log('\n== C. queue mode: main + 2 workers, Redis, PostgreSQL');
			const postgres = await startPostgres();
			const queue = await QueueN8n.start({
				redis: redis!,
				database: postgres.n8nEnv(),
				workers: 2,
				version,
				tarball,
				log: values.verbose
					? (source, line) => process.stderr.write(`[${source}] ${line}\n`)
					: undefined,
			});
			try {
				results.push(
					await runSetup('C', queue.main, mailbox, await samplesFor('C'), concurrency, log),
				);
			} finally {
				await queue.stop();
				await postgres.stop();
			}
		}
	} finally {
		await redis?.stop();
		await mailbox.stop();
	}

	const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
	const labels: Record<string, string> = {
		A: 'A. 1 process, SQLite',
		B: 'B. 1 process, PostgreSQL',
		C: 'C. main + 2 workers (queue)',
	};
	log(`\nn8n ${version}, ${total} emails per setup, ${concurrency} in flight (closed loop)`);
	log(
		`${'setup'.padEnd(30)}${'emails/hour'.padStart(13)}${'p50 s'.padStart(9)}${'p95 s'.padStart(9)}${'max s'.padStart(9)}${'handled'.padStart(10)}${'failed'.padStart(8)}  outcomes`,
	);
	for (const r of results) {
		log(
			`${labels[r.setup].padEnd(30)}${Math.round(r.perHour).toLocaleString('en-US').padStart(13)}${fmt(r.p50).padStart(9)}${fmt(r.p95).padStart(9)}${fmt(r.max).padStart(9)}${`${r.handled}/${r.emails}`.padStart(10)}${String(r.failed).padStart(8)}  ${Object.entries(
				r.outcomes,
			)
				.map(([k, n]) => `${k} ${n}`)
				.join(', ')}`,
		);
	}
	const a = results.find((r) => r.setup === 'A');
	const b = results.find((r) => r.setup === 'B');
	const c = results.find((r) => r.setup === 'C');
	if (c && b)
		log(
			`queue (C) vs one process on the same database (B): ${fmt(c.perHour / b.perHour)}x emails/hour`,
		);
	if (c && a)
		log(`queue (C) vs one process on SQLite (A): ${fmt(c.perHour / a.perHour)}x emails/hour`);
	if (a)
		log(
			`targets (2-core machine): A >= 50,000 emails/hour: ${a.perHour >= 50_000 ? 'met' : 'NOT met'}; A p95 < 2 s: ${a.p95 < 2 ? 'met' : 'NOT met'}; project plan 1,000/hour and < 30 s: ${a.perHour >= 1000 && a.p95 < 30 ? 'met' : 'NOT met'}`,
		);
	const file = values.json ?? join(REPO_ROOT, 'test-results', 'bench-e2e.json');
	mkdirSync(dirname(file), { recursive: true });
	writeFileSync(file, JSON.stringify({ version, total, concurrency, results }, null, 2));
	log(`(figures also in ${file})`);
	if (results.some((r) => r.failed > 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
	process.stderr.write(
		`bench:e2e failed: ${error instanceof Error ? error.stack : String(error)}\n`,
	);
	process.exit(2);
});
