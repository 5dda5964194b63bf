/**
 * bench/inbox: our Support Inbox Trigger against n8n's own Email Trigger (IMAP), both watching the
 * same Dovecot mailbox in the same real n8n, while N messages are delivered. Prints, side by side,
 * the time from the first delivery to the last item, and missed and duplicated messages.
 *
 *   npx tsc -p bench/inbox/tsconfig.json && node build-scripts/bench/inbox/run.js [--messages 1000]
 *        [--settle-s 20] [--timeout-s 300] [--json results.json]
 *
 * Each trigger runs with its defaults (ours: IDLE, one execution per message, nothing marked;
 * n8n's: Mark as Read, Simple format, UNSEEN search).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { N8n, sleep } from '../../test/harness/n8n';
import type { ExecutionRecord, Workflow } from '../../test/harness/n8n';
import { Dovecot } from '../../test/servers/dovecot';

const PREFIX = 'n8n-nodes-support-email';

interface Side {
	name: string;
	workflowId: string;
	triggerNode: string;
	messageIdOf(json: Record<string, any>): string | undefined;
}

interface Result {
	trigger: string;
	received: number;
	distinct: number;
	missed: number;
	duplicated: number;
	executions: number;
	/** Executions still running or queued when measured (the run waits for them). */
	unfinished: number;
	timeToLastItemMs: number | null;
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			messages: { type: 'string', default: '1000' },
			'settle-s': { type: 'string', default: '20' },
			'timeout-s': { type: 'string', default: '300' },
			json: { type: 'string' },
			verbose: { type: 'boolean', default: false },
		},
	});
	const total = Number(values.messages);
	const settleMs = Number(values['settle-s']) * 1000;
	const timeoutMs = Number(values['timeout-s']) * 1000;

	const dovecot = await Dovecot.start();
	let n8n: N8n | undefined;
	try {
		n8n = await N8n.start({
			log: values.verbose ? (line) => process.stderr.write(`[n8n] ${line}\n`) : undefined,
		});
		process.stderr.write(
			`[bench] n8n ${n8n.version} at ${n8n.baseUrl}, Dovecot on ${dovecot.port}\n`,
		);
		const ours = await n8n.api<{ id: string; name: string }>('POST', '/credentials', {
			name: 'bench ours',
			type: 'supportImapSmtpApi',
			data: { ...dovecot.credentials(), smtpHost: '', smtpPort: 25, smtpSecurity: 'none' },
		});
		const theirs = await n8n.api<{ id: string; name: string }>('POST', '/credentials', {
			name: 'bench n8n imap',
			type: 'imap',
			data: {
				user: dovecot.user.user,
				password: dovecot.user.password,
				host: dovecot.host,
				port: dovecot.port,
				secure: false,
				allowUnauthorizedCerts: true,
			},
		});
		const oursId = await n8n.importWorkflow(
			withNoOp({
				name: 'Support Inbox Trigger',
				type: `${PREFIX}.supportInboxTrigger`,
				typeVersion: 1,
				parameters: { mailbox: 'INBOX' },
				credentials: { supportImapSmtpApi: { id: ours.id, name: ours.name } },
			}),
		);
		const theirsId = await n8n.importWorkflow(
			withNoOp({
				name: 'Email Trigger (IMAP)',
				type: 'n8n-nodes-base.emailReadImap',
				typeVersion: 2,
				parameters: { mailbox: 'INBOX', format: 'simple', options: {} },
				credentials: { imap: { id: theirs.id, name: theirs.name } },
			}),
		);
		await n8n.activate(oursId);
		await n8n.activate(theirsId);
		await waitForBaseline(n8n, oursId);
		// n8n's trigger has no visible "ready" state: give it time to connect and run its first search.
		await sleep(8_000);

		const sides: Side[] = [
			{
				name: 'Support Inbox Trigger (ours)',
				workflowId: oursId,
				triggerNode: 'Support Inbox Trigger',
				messageIdOf: (json) => json.support?.email?.messageId,
			},
			{
				name: "n8n's Email Trigger (IMAP)",
				workflowId: theirsId,
				triggerNode: 'Email Trigger (IMAP)',
				messageIdOf: (json) => json.metadata?.['message-id'] ?? json.headers?.['message-id'],
			},
		];

		const expected = new Set<string>();
		const messages = Array.from({ length: total }, (_, i) => {
			const id = `<bench.${i}.${Date.now()}@customer.test>`;
			expected.add(id);
			return `From: Customer ${i} <c${i}@customer.test>\r\nTo: support@acme.test\r\nSubject: Bench ${i}\r\nMessage-ID: ${id}\r\nDate: ${new Date().toUTCString()}\r\n\r\nMessage ${i}\r\n`;
		});
		const started = Date.now();
		// Four mail clients delivering at once, as a busy inbox would see.
		const lanes = 4;
		await Promise.all(
			Array.from({ length: lanes }, (_, lane) =>
				dovecot.append(
					'INBOX',
					messages.filter((_, i) => i % lanes === lane),
				),
			),
		);
		const deliveredMs = Date.now() - started;
		process.stderr.write(`[bench] ${total} messages appended in ${deliveredMs} ms\n`);

		const results: Result[] = [];
		const deadline = started + timeoutMs;
		const done = new Map<string, Result>();
		let lastChange = Date.now();
		let lastCounts = '';
		while (Date.now() < deadline) {
			for (const side of sides) done.set(side.name, await measure(n8n, side, expected, started));
			const counts = [...done.values()].map((r) => r.received).join('/');
			if (counts !== lastCounts) {
				lastCounts = counts;
				lastChange = Date.now();
			}
			const allIn = [...done.values()].every((r) => r.distinct >= total);
			const busy = [...done.values()].some((r) => r.unfinished > 0);
			if (
				(allIn && Date.now() - lastChange > 3_000) ||
				(!busy && Date.now() - lastChange > settleMs)
			)
				break;
			await sleep(1_000);
		}
		results.push(...done.values());
		await n8n.deactivate(oursId).catch(() => undefined);
		await n8n.deactivate(theirsId).catch(() => undefined);

		printReport(total, deliveredMs, results);
		if (values.json)
			writeFileSync(
				values.json,
				JSON.stringify({ messages: total, deliveredMs, results }, null, 2),
			);
	} finally {
		await n8n?.stop();
		await dovecot.stop();
	}
}

function withNoOp(trigger: Workflow['nodes'][number]): Workflow {
	return {
		name: `bench inbox: ${trigger.name}`,
		nodes: [
			trigger,
			{ name: 'Received', type: 'n8n-nodes-base.noOp', typeVersion: 1, parameters: {} },
		],
		connections: { [trigger.name]: { main: [[{ node: 'Received', type: 'main', index: 0 }]] } },
	};
}

async function waitForBaseline(n8n: N8n, workflowId: string): Promise<void> {
	const deadline = Date.now() + 60_000;
	while (Date.now() < deadline) {
		const workflow = await n8n.api<{ staticData?: Record<string, any> | null }>(
			'GET',
			`/workflows/${workflowId}`,
		);
		if (workflow.staticData?.['node:Support Inbox Trigger']?.uidValidity) return;
		await sleep(200);
	}
	throw new Error('our trigger did not record its starting point in 60 s');
}

async function executionsOf(n8n: N8n, workflowId: string): Promise<ExecutionRecord[]> {
	const records: ExecutionRecord[] = [];
	let cursor: string | undefined;
	for (;;) {
		const page = await n8n.api<{ data: ExecutionRecord[]; nextCursor?: string | null }>(
			'GET',
			`/executions?workflowId=${workflowId}&includeData=true&limit=250${cursor ? `&cursor=${cursor}` : ''}`,
		);
		records.push(...page.data);
		if (!page.nextCursor) break;
		cursor = page.nextCursor;
	}
	return records;
}

async function measure(
	n8n: N8n,
	side: Side,
	expected: Set<string>,
	started: number,
): Promise<Result> {
	const all = await executionsOf(n8n, side.workflowId);
	const executions = all.filter((e) => e.status !== 'running' && e.status !== 'new');
	const counts = new Map<string, number>();
	let received = 0;
	let last = 0;
	for (const execution of executions) {
		const items = execution.data?.resultData.runData[side.triggerNode]?.[0]?.data?.main[0] ?? [];
		for (const item of items) {
			const id = side.messageIdOf(item.json);
			if (!id || !expected.has(id)) continue;
			received++;
			counts.set(id, (counts.get(id) ?? 0) + 1);
		}
		const stopped = Date.parse((execution as unknown as { stoppedAt?: string }).stoppedAt ?? '');
		if (items.length && Number.isFinite(stopped)) last = Math.max(last, stopped);
	}
	const distinct = counts.size;
	return {
		trigger: side.name,
		received,
		distinct,
		missed: expected.size - distinct,
		duplicated: received - distinct,
		executions: executions.length,
		unfinished: all.length - executions.length,
		timeToLastItemMs: last ? last - started : null,
	};
}

function printReport(total: number, deliveredMs: number, results: Result[]): void {
	const rows: Array<[string, ...string[]]> = [
		['', ...results.map((r) => r.trigger)],
		['messages delivered', ...results.map(() => String(total))],
		['items received', ...results.map((r) => String(r.received))],
		['missed', ...results.map((r) => String(r.missed))],
		['duplicated', ...results.map((r) => String(r.duplicated))],
		['executions', ...results.map((r) => String(r.executions))],
		[
			'time to last item (s)',
			...results.map((r) =>
				r.timeToLastItemMs === null ? '-' : (r.timeToLastItemMs / 1000).toFixed(1),
			),
		],
	];
	const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
	const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ');
	console.log(
		`\nbench/inbox: ${total} messages appended to one Dovecot mailbox in ${(deliveredMs / 1000).toFixed(1)} s\n`,
	);
	for (const row of rows) console.log(line(row));
	const [ours, theirs] = results;
	if (ours?.timeToLastItemMs && theirs?.timeToLastItemMs)
		console.log(
			`\ntime to last item, n8n's / ours: ${(theirs.timeToLastItemMs / ours.timeToLastItemMs).toFixed(2)}x`,
		);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
