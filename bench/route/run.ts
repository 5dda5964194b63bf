/**
 * bench/route: what the Support Priority Router and the Support Escalation add to a realistic
 * 1,000-email workflow in real n8n.
 *
 *   A  Normalize → Support Classifier → Support Reply Drafter → No Op
 *   B  Normalize → Support Classifier → Support Reply Drafter → Support Priority Router
 *        → (all four priority outputs) → Support Escalation → (all three outputs) → No Op
 *
 * Both workflows run in the same n8n, on the same 1,000 raw emails (the classifier bench's Bitext
 * mail), offline (built-in model, template replies): no network in the measured path. Runs alternate
 * A, B, A, B, ... after a warm-up of each; the figure is the median of n8n's own execution records
 * (stoppedAt − startedAt), printed side by side with the ratio and the added percentage. Also printed:
 * the router's and escalation's own node time (runData executionTime) as a share of B, a second view
 * that host noise (2 cores shared with other processes) disturbs less.
 *
 *   npm run bench:route -- [--emails 1000] [--pairs 7] [--warmup 1] [--target 5] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { N8n, REPO_ROOT, sleep, wrapWithWebhook } from '../../test/harness/n8n';
import type { ExecutionRecord, Workflow, WorkflowNode } from '../../test/harness/n8n';
import { generateEmails } from '../classifier/emails';
import { processGroupCpuSeconds } from '../classifier/measure';

const PREFIX = 'n8n-nodes-support-email';
const NODES = {
	normalize: 'Normalize',
	classifier: 'Support Classifier',
	drafter: 'Support Reply Drafter',
	router: 'Support Priority Router',
	escalation: 'Support Escalation',
	done: 'Done',
} as const;

function node(name: string, type: string, parameters: Record<string, unknown>, x: number) {
	return { name, type, typeVersion: 1, position: [x, 0], parameters } as WorkflowNode;
}

const to = (name: string) => [{ node: name, type: 'main', index: 0 }];

function baseNodes(): WorkflowNode[] {
	return [
		node(
			NODES.normalize,
			`${PREFIX}.supportEmail`,
			{ operation: 'normalize', source: 'field', rawField: 'raw' },
			0,
		),
		node(NODES.classifier, `${PREFIX}.supportClassifier`, { routing: 'single' }, 220),
		node(
			NODES.drafter,
			`${PREFIX}.supportReplyDrafter`,
			{ companyName: 'Acme Shop', agentName: 'Sam' },
			440,
		),
	];
}

/** A: classifier + drafter. */
function workflowA(): Workflow {
	return {
		name: 'bench route A: classifier + drafter',
		nodes: [...baseNodes(), node(NODES.done, 'n8n-nodes-base.noOp', {}, 660)],
		connections: {
			[NODES.normalize]: { main: [to(NODES.classifier)] },
			[NODES.classifier]: { main: [to(NODES.drafter)] },
			[NODES.drafter]: { main: [to(NODES.done)] },
		},
	};
}

/** B: classifier + drafter + router + escalation (every output wired on, as a real workflow does). */
function workflowB(): Workflow {
	return {
		name: 'bench route B: classifier + drafter + router + escalation',
		nodes: [
			...baseNodes(),
			// Explicit zone and holidays: the calendar (date-holidays) is part of what is measured.
			node(
				NODES.router,
				`${PREFIX}.supportPriorityRouter`,
				{ timeZone: 'Europe/Berlin', holidays: 'DE-BE' },
				660,
			),
			node(NODES.escalation, `${PREFIX}.supportEscalation`, {}, 880),
			node(NODES.done, 'n8n-nodes-base.noOp', {}, 1100),
		],
		connections: {
			[NODES.normalize]: { main: [to(NODES.classifier)] },
			[NODES.classifier]: { main: [to(NODES.drafter)] },
			[NODES.drafter]: { main: [to(NODES.router)] },
			[NODES.router]: { main: [0, 1, 2, 3].map(() => to(NODES.escalation)) },
			[NODES.escalation]: { main: [0, 1, 2].map(() => to(NODES.done)) },
		},
	};
}

interface Run {
	side: 'A' | 'B';
	executionId: string;
	executionMs: number;
	/** CPU time of n8n's process group from the webhook call until the execution was stored. */
	cpuMs: number;
	/** Summed runData executionTime per node. */
	nodeMs: Record<string, number>;
	/** Runs per node (a node fed by several outputs runs once per output that has items). */
	runs: Record<string, number>;
	problems: string[];
}

const DONE = (e: { status: string }) =>
	!['running', 'new', 'waiting', 'unknown'].includes(e.status);

async function runOnce(
	n8n: N8n,
	side: 'A' | 'B',
	workflowId: string,
	path: string,
	body: string,
	emails: number,
	known: Set<string>,
): Promise<Run> {
	const cpuBefore = processGroupCpuSeconds(n8n.state().pid);
	for (let attempt = 0; ; attempt++) {
		const response = await fetch(`${n8n.baseUrl}/webhook/${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body,
		});
		const text = await response.text();
		if (response.ok) break;
		if (response.status !== 404 || attempt >= 300)
			throw new Error(`webhook call failed: ${response.status} ${text.slice(0, 300)}`);
		await sleep(100);
	}
	const deadline = Date.now() + 600_000;
	let finished: ExecutionRecord | undefined;
	while (!finished) {
		if (Date.now() > deadline) throw new Error(`workflow ${side}: no finished execution in 600 s`);
		await sleep(500);
		const page = await n8n.api<{ data: ExecutionRecord[] }>(
			'GET',
			`/executions?workflowId=${encodeURIComponent(workflowId)}&limit=5`,
		);
		finished = page.data.find((e) => !known.has(String(e.id)) && DONE(e));
	}
	known.add(String(finished.id));
	const cpuMs = Math.round((processGroupCpuSeconds(n8n.state().pid) - cpuBefore) * 1000);
	const record = (await n8n.execution(String(finished.id))).record;
	const executionMs =
		Date.parse((finished as any).stoppedAt) - Date.parse((finished as any).startedAt);
	const runData = record.data?.resultData.runData ?? {};
	const nodeMs: Record<string, number> = {};
	const runs: Record<string, number> = {};
	for (const [name, list] of Object.entries(runData)) {
		nodeMs[name] = list.reduce((sum, r) => sum + (r.executionTime ?? 0), 0);
		runs[name] = list.length;
	}

	const problems: string[] = [];
	if (record.status !== 'success')
		problems.push(
			`execution ${record.id} ended "${record.status}": ${record.data?.resultData.error?.message ?? ''}`,
		);
	const itemsOf = (name: string) =>
		(runData[name] ?? []).reduce(
			(sum, r) => sum + (r.data?.main ?? []).reduce((s, out) => s + (out?.length ?? 0), 0),
			0,
		);
	if (itemsOf(NODES.drafter) !== emails)
		problems.push(`drafter put out ${itemsOf(NODES.drafter)} items, expected ${emails}`);
	if (side === 'B') {
		for (const name of [NODES.router, NODES.escalation]) {
			if (itemsOf(name) !== emails)
				problems.push(`${name} put out ${itemsOf(name)} items, expected ${emails}`);
		}
		const autoSent = (runData[NODES.escalation] ?? []).reduce(
			(sum, r) => sum + (r.data?.main?.[0]?.length ?? 0),
			0,
		);
		if (autoSent) problems.push(`${autoSent} emails went to Auto Send with auto-send off`);
	}
	return { side, executionId: String(record.id), executionMs, cpuMs, nodeMs, runs, problems };
}

const nodeSum = (run: Run) => Object.values(run.nodeMs).reduce((sum, ms) => sum + ms, 0);

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			emails: { type: 'string', default: '1000' },
			pairs: { type: 'string', default: '7' },
			warmup: { type: 'string', default: '1' },
			target: { type: 'string', default: '5' },
			json: { type: 'string' },
			verbose: { type: 'boolean', default: false },
		},
	});
	const count = Number(values.emails);
	const pairs = Number(values.pairs);
	const warmup = Number(values.warmup);
	const target = Number(values.target);
	const emails = generateEmails(REPO_ROOT, count);
	const body = JSON.stringify({ items: emails.map((e) => ({ raw: e.raw })) });

	const n8n = await N8n.start({
		log: values.verbose ? (line) => process.stderr.write(`[n8n] ${line}\n`) : undefined,
	});
	let failed = false;
	try {
		process.stderr.write(`[bench] n8n ${n8n.version} at ${n8n.baseUrl}\n`);
		const sides = {} as Record<'A' | 'B', { id: string; path: string; known: Set<string> }>;
		for (const [side, wf] of [
			['A', workflowA()],
			['B', workflowB()],
		] as const) {
			const { workflow, path } = wrapWithWebhook(wf);
			const id = await n8n.importWorkflow(workflow);
			await n8n.activate(id);
			sides[side] = { id, path, known: new Set() };
		}
		const runs: Run[] = [];
		const total = warmup + pairs;
		for (let round = 0; round < total; round++) {
			// Alternate which side goes first, so a drift in the host's load hits both alike.
			const order: Array<'A' | 'B'> = round % 2 ? ['B', 'A'] : ['A', 'B'];
			for (const side of order) {
				const s = sides[side];
				const run = await runOnce(n8n, side, s.id, s.path, body, count, s.known);
				const measured = round >= warmup;
				process.stderr.write(
					`[bench] ${measured ? `round ${round - warmup + 1}/${pairs}` : 'warm-up'} ${side}: ${run.executionMs} ms, CPU ${run.cpuMs} ms (execution ${run.executionId})${run.problems.length ? ` PROBLEMS: ${run.problems.join('; ')}` : ''}\n`,
				);
				if (run.problems.length) failed = true;
				if (measured) runs.push(run);
			}
		}
		for (const s of Object.values(sides)) {
			await n8n.deactivate(s.id).catch(() => undefined);
			await n8n.deleteWorkflow(s.id).catch(() => undefined);
		}

		const a = runs.filter((r) => r.side === 'A');
		const b = runs.filter((r) => r.side === 'B');
		const medA = median(a.map((r) => r.executionMs));
		const medB = median(b.map((r) => r.executionMs));
		const ratio = medB / medA;
		const added = (ratio - 1) * 100;
		const routeMs = b.map((r) => (r.nodeMs[NODES.router] ?? 0) + (r.nodeMs[NODES.escalation] ?? 0));
		const share = median(b.map((r, i) => (routeMs[i] / r.executionMs) * 100));
		const perNode = (side: Run[], name: string) => median(side.map((r) => r.nodeMs[name] ?? 0));
		const pad = (s: string, n: number) => s.padEnd(n);
		const lines = [
			'',
			`bench/route: n8n ${n8n.version}, ${count} emails per execution, ${pairs} A/B pairs (alternating) after ${warmup} warm-up each; ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}`,
			'  A = Normalize → Classifier → Reply Drafter → No Op',
			'  B = Normalize → Classifier → Reply Drafter → Priority Router → Escalation → No Op',
			'',
			`${pad('', 44)}${pad('A', 12)}${pad('B', 12)}`,
			`${pad('execution time, median (startedAt→stoppedAt)', 44)}${pad(`${medA} ms`, 12)}${pad(`${medB} ms`, 12)}`,
			`${pad('  runs', 44)}${pad(a.map((r) => r.executionMs).join(' '), 0)}  |  ${b.map((r) => r.executionMs).join(' ')}`,
			...[
				NODES.normalize,
				NODES.classifier,
				NODES.drafter,
				NODES.router,
				NODES.escalation,
				NODES.done,
			].map(
				(name) =>
					`${pad(`  node time ${name}, median`, 44)}${pad(`${perNode(a, name)} ms`, 12)}${pad(`${perNode(b, name)} ms`, 12)}`,
			),
			`${pad('n8n CPU time per execution, median', 44)}${pad(`${median(a.map((r) => r.cpuMs))} ms`, 12)}${pad(`${median(b.map((r) => r.cpuMs))} ms`, 12)}`,
			'',
			`ratio B/A (median n8n CPU time): ${(median(b.map((r) => r.cpuMs)) / median(a.map((r) => r.cpuMs))).toFixed(3)}  → +${((median(b.map((r) => r.cpuMs)) / median(a.map((r) => r.cpuMs)) - 1) * 100).toFixed(1)}%`,
			`ratio B/A (median execution time): ${ratio.toFixed(3)}  → router + escalation add ${added.toFixed(1)}% (target < ${target}%)`,
			`${pad('  all nodes, median', 44)}${pad(`${median(a.map(nodeSum))} ms`, 12)}${pad(`${median(b.map(nodeSum))} ms`, 12)}`,
			`${pad('  runs of Escalation / No Op, median', 44)}${pad(`- / ${median(a.map((r) => r.runs[NODES.done] ?? 0))}`, 12)}${pad(`${median(b.map((r) => r.runs[NODES.escalation] ?? 0))} / ${median(b.map((r) => r.runs[NODES.done] ?? 0))}`, 12)}`,
			'',
			`router + escalation node time, median share of B's execution: ${share.toFixed(1)}%; median router + escalation node time over A's median execution: ${((median(routeMs) / medA) * 100).toFixed(1)}%`,
			`${added < target ? 'PASS' : 'MISS'}: added ${added.toFixed(1)}% ${added < target ? '<' : '>='} ${target}%`,
		];
		process.stdout.write(`${lines.join('\n')}\n`);
		if (values.json)
			writeFileSync(
				values.json,
				JSON.stringify(
					{ version: n8n.version, count, pairs, medA, medB, ratio, added, share, runs },
					null,
					2,
				),
			);
		if (failed) {
			process.stdout.write('FAILED: some runs had problems (see above)\n');
			process.exitCode = 1;
		} else if (added >= target) process.exitCode = 2;
	} finally {
		await n8n.stop();
	}
}

main().catch((error: unknown) => {
	process.stderr.write(
		`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
	);
	process.exit(1);
});
