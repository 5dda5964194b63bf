/**
 * One measured run: import the workflow behind the harness's Webhook, post every email in one
 * webhook call, wait for the execution through n8n's public API, check that every email was
 * answered by the model (a failed or dropped item invalidates the run), and collect the figures.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

import { sleep, wrapWithWebhook } from '../../test/harness/n8n';
import type { ExecutionRecord, Item, N8n, Workflow } from '../../test/harness/n8n';
import type { LlmServer } from '../../test/servers/llm';
import type { BenchEmail } from './emails';
import type { BenchResponder, RequestKind } from './responder';
import type { UsageProxy } from './usage-proxy';
import { NODE } from './workflows';
import { DEFAULT_CATEGORIES } from '../../lib/classify/categories';

export type Side = 'ours' | 'n8n';

export interface RunSpec {
	key: string;
	label: string;
	side: Side;
	concurrency: number;
	workflow: Workflow;
}

export interface RunResult {
	key: string;
	label: string;
	side: Side;
	concurrency: number;
	emails: number;
	executionId: string;
	/** Webhook call → execution's stoppedAt. */
	wallMs: number;
	/** Execution's startedAt → stoppedAt. */
	executionMs: number;
	/** Time each analysis node reported (runData executionTime), by node name. */
	nodeMs: Record<string, number>;
	modelCalls: number;
	callsByKind: Partial<Record<RequestKind, number>>;
	nonOkAnswers: number;
	inputTokens: number;
	outputTokens: number;
	tokensByKind: Partial<Record<RequestKind, { input: number; output: number }>>;
	/** CPU seconds n8n's processes used during the run. */
	n8nCpuSeconds: number;
	loadBefore: number;
	loadAfter: number;
	problems: string[];
}

export interface MeasureContext {
	n8n: N8n;
	llm: LlmServer;
	proxy: UsageProxy;
	responder: BenchResponder;
	timeoutMs: number;
	log: (line: string) => void;
}

const DONE = (e: { status: string }) =>
	!['running', 'new', 'waiting', 'unknown'].includes(e.status);

export async function measure(
	ctx: MeasureContext,
	spec: RunSpec,
	emails: readonly BenchEmail[],
): Promise<RunResult> {
	const { n8n, llm, proxy, responder } = ctx;
	const { workflow, path } = wrapWithWebhook(spec.workflow);
	const workflowId = await n8n.importWorkflow(workflow);
	try {
		await n8n.activate(workflowId);
		const body = JSON.stringify({ items: emails.map((e) => ({ raw: e.raw })) });
		llm.reset();
		proxy.reset();
		responder.reset();
		const loadBefore = loadavg()[0];
		const cpuBefore = processGroupCpuSeconds(n8n.state().pid);

		// n8n 2.x registers a production webhook shortly after activation: a 404 means nothing ran.
		let t0 = 0;
		const registerDeadline = Date.now() + 30_000;
		for (let attempt = 0; ; attempt++) {
			t0 = Date.now();
			const response = await fetch(`${n8n.baseUrl}/webhook/${path}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body,
			});
			const text = await response.text();
			if (response.ok) break;
			if (response.status !== 404 || Date.now() > registerDeadline || attempt >= 300)
				throw new Error(`webhook call failed: ${response.status} ${text.slice(0, 300)}`);
			await sleep(100);
		}

		const finished = await waitForExecution(n8n, workflowId, ctx.timeoutMs, t0);
		const cpuAfter = processGroupCpuSeconds(n8n.state().pid);
		const loadAfter = loadavg()[0];
		const record = (await n8n.execution(finished.id)).record;
		const stoppedAt = Date.parse((finished as any).stoppedAt);
		const startedAt = Date.parse((finished as any).startedAt);

		const problems: string[] = [];
		if (record.status !== 'success')
			problems.push(
				`execution ${record.id} ended "${record.status}": ${record.data?.resultData.error?.message ?? ''}`,
			);
		const nodeMs: Record<string, number> = {};
		const runData = record.data?.resultData.runData ?? {};
		const analysed =
			spec.side === 'ours' ? [NODE.ours] : [NODE.textClassifier, NODE.sentiment, NODE.extractor];
		for (const name of [NODE.normalize, ...analysed]) {
			const runs = runData[name] ?? [];
			if (runs.length !== 1) problems.push(`${name} ran ${runs.length} times (expected once)`);
			nodeMs[name] = runs.reduce((sum, run) => sum + (run.executionTime ?? 0), 0);
			for (const run of runs)
				if (run.error)
					problems.push(`${name}: ${run.error.message} ${run.error.description ?? ''}`);
		}
		if (spec.side === 'ours') checkOurs(record, emails, problems);
		else checkN8n(record, emails, problems);

		const posts = llm.requests.filter(
			(r) => r.method === 'POST' && /\/chat\/completions$/.test(r.path),
		);
		const nonOk = posts.filter((r) => r.status !== 200).length;
		if (nonOk) problems.push(`${nonOk} model calls were not answered 200`);
		if (responder.unidentified)
			problems.push(`${responder.unidentified} model calls named no known email`);
		if (proxy.calls.length !== posts.length)
			problems.push(`proxy saw ${proxy.calls.length} calls, the server ${posts.length}`);
		const expectedKinds: RequestKind[] =
			spec.side === 'ours'
				? ['supportClassifier']
				: ['textClassifier', 'sentimentAnalysis', 'informationExtractor'];
		for (const kind of Object.keys(responder.kinds) as RequestKind[]) {
			const count = responder.kinds[kind];
			if (count && !expectedKinds.includes(kind))
				problems.push(`${count} unexpected "${kind}" requests`);
		}

		const tokensByKind: RunResult['tokensByKind'] = {};
		const callsByKind: RunResult['callsByKind'] = {};
		for (const call of proxy.calls) {
			const entry = (tokensByKind[call.kind] ??= { input: 0, output: 0 });
			entry.input += call.promptTokens;
			entry.output += call.completionTokens;
			callsByKind[call.kind] = (callsByKind[call.kind] ?? 0) + 1;
		}
		return {
			key: spec.key,
			label: spec.label,
			side: spec.side,
			concurrency: spec.concurrency,
			emails: emails.length,
			executionId: String(record.id),
			wallMs: stoppedAt - t0,
			executionMs: stoppedAt - startedAt,
			nodeMs,
			modelCalls: posts.length,
			callsByKind,
			nonOkAnswers: nonOk,
			inputTokens: proxy.calls.reduce((sum, c) => sum + c.promptTokens, 0),
			outputTokens: proxy.calls.reduce((sum, c) => sum + c.completionTokens, 0),
			tokensByKind,
			n8nCpuSeconds: cpuAfter - cpuBefore,
			loadBefore,
			loadAfter,
			problems,
		};
	} finally {
		await n8n.deactivate(workflowId).catch(() => undefined);
		await n8n.deleteWorkflow(workflowId).catch(() => undefined);
	}
}

/** Polls the public API (without execution data, once a second) until the execution has finished. */
async function waitForExecution(
	n8n: N8n,
	workflowId: string,
	timeoutMs: number,
	since: number,
): Promise<ExecutionRecord> {
	const deadline = Date.now() + timeoutMs;
	for (let poll = 0; Date.now() < deadline && poll < 100_000; poll++) {
		const page = await n8n.api<{ data: ExecutionRecord[] }>(
			'GET',
			`/executions?workflowId=${encodeURIComponent(workflowId)}&limit=5`,
		);
		const done = page.data.find((e) => DONE(e) && (e as any).stoppedAt);
		if (done) return done;
		await sleep(Date.now() - since < 5_000 ? 250 : 1_000);
	}
	throw new Error(
		`workflow ${workflowId}: no finished execution within ${Math.round(timeoutMs / 1000)} s`,
	);
}

function itemsOf(record: ExecutionRecord, node: string): Item[][] {
	const run = record.data?.resultData.runData[node]?.[0];
	return (run?.data?.main ?? []).map((output) => output ?? []);
}

function checkOurs(record: ExecutionRecord, emails: readonly BenchEmail[], problems: string[]) {
	const byAddress = new Map(emails.map((e) => [e.from.address, e]));
	const outputs = itemsOf(record, NODE.ours);
	const items = outputs.flat();
	if (items.length !== emails.length)
		problems.push(`${NODE.ours}: ${items.length} items out for ${emails.length} emails`);
	let notModel = 0;
	let wrong = 0;
	for (const item of items) {
		const support = item.json.support ?? {};
		const classification = support.classification ?? {};
		if (item.json.error || classification.provider !== 'openAi' || classification.attempts)
			notModel++;
		const email = byAddress.get(support.email?.from?.address);
		if (!email || classification.category !== email.category) wrong++;
	}
	if (notModel)
		problems.push(`${NODE.ours}: ${notModel} items not answered by the model at the first try`);
	if (wrong) problems.push(`${NODE.ours}: ${wrong} items not routed to the answered category`);
}

function checkN8n(record: ExecutionRecord, emails: readonly BenchEmail[], problems: string[]) {
	const n = emails.length;
	const classified = itemsOf(record, NODE.textClassifier);
	const routed = classified.flat().length;
	if (routed !== n) problems.push(`${NODE.textClassifier}: ${routed} items out for ${n} emails`);
	const other = classified[classified.length - 1]?.length ?? 0;
	if (other) problems.push(`${NODE.textClassifier}: ${other} items on "Other"`);
	const byAddress = new Map(emails.map((e) => [e.from.address, e]));
	let misrouted = 0;
	classified.forEach((output, index) => {
		for (const item of output) {
			const email = byAddress.get(item.json.support?.email?.from?.address);
			if (!email || DEFAULT_CATEGORIES[index]?.name !== email.category) misrouted++;
		}
	});
	if (misrouted)
		problems.push(`${NODE.textClassifier}: ${misrouted} items not routed to the answered category`);
	const sentiments = itemsOf(record, NODE.sentiment).flat();
	if (sentiments.length !== n)
		problems.push(`${NODE.sentiment}: ${sentiments.length} items out for ${n} emails`);
	if (sentiments.some((i) => !i.json.sentimentAnalysis?.category || i.json.error))
		problems.push(`${NODE.sentiment}: items without a sentiment`);
	const extracted = itemsOf(record, NODE.extractor).flat();
	if (extracted.length !== n)
		problems.push(`${NODE.extractor}: ${extracted.length} items out for ${n} emails`);
	const incomplete = extracted.filter(
		(i) => i.json.error || typeof i.json.output?.intent !== 'string',
	).length;
	if (incomplete) problems.push(`${NODE.extractor}: ${incomplete} items without an extraction`);
}

/** utime + stime of every process in the group (n8n and its task runner), in seconds. */
export function processGroupCpuSeconds(groupId: number | undefined): number {
	if (!groupId) return 0;
	let ticks = 0;
	let entries: string[] = [];
	try {
		entries = readdirSync('/proc');
	} catch {
		return 0;
	}
	for (const entry of entries) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			// After "pid (comm) ": state ppid pgrp ... utime is field 14, stime 15 (1-based overall).
			if (Number(fields[2]) !== groupId) continue;
			ticks += Number(fields[11]) + Number(fields[12]);
		} catch {
			// the process ended meanwhile
		}
	}
	return ticks / 100;
}
