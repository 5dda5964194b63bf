/**
 * bench/drafter: does the Support Reply Drafter keep the Support Classifier's concurrency behaviour
 * against a local model server? Both nodes run in the same real n8n (the test harness), one after
 * the other, against the same local OpenAI-compatible server (test/servers/llm) that answers every
 * request after a fixed delay, at the same Concurrency setting. Measured per run: the most requests
 * the server had in flight at once, and the node's throughput; printed side by side with the ratios.
 * See README.md in this folder.
 *
 *   node build-scripts/bench/drafter/run.js [--emails 200] [--concurrency 5,20] [--latency-ms 300]
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import { N8n, REPO_ROOT, wrapWithWebhook } from '../../test/harness/n8n';
import type { ExecutionResult, Workflow, WorkflowNode } from '../../test/harness/n8n';
import { generateInstance, startLlmServer } from '../../test/servers/llm';
import type { JsonSchema, LlmRequest, LlmServer, RecordedRequest } from '../../test/servers/llm';
import { generateEmails } from '../classifier/emails';
import type { BenchEmail } from '../classifier/emails';

const PACKAGE = 'n8n-nodes-support-email';
const MODEL = 'llama3.1';

const USAGE = `Usage: node build-scripts/bench/drafter/run.js [options]
  --emails <n>         emails per run (default 200)
  --concurrency <list> Concurrency settings to compare, comma-separated (default 5,20)
  --latency-ms <n>     the model server's fixed answer delay (default 300)
  --warmup <n>         emails per unmeasured warm-up run of each node (default 5; 0: none)
  --timeout-s <n>      limit per run (default 120 + 1 s per email)
  --json <file>        also write the results as JSON
  --help`;

interface Options {
	emails: number;
	concurrency: number[];
	latencyMs: number;
	warmup: number;
	timeoutMs: number;
	json?: string;
}

function options(argv: string[]): Options | undefined {
	const { values } = parseArgs({
		args: argv,
		options: {
			emails: { type: 'string', default: '200' },
			concurrency: { type: 'string', default: '5,20' },
			'latency-ms': { type: 'string', default: '300' },
			warmup: { type: 'string', default: '5' },
			'timeout-s': { type: 'string' },
			json: { type: 'string' },
			help: { type: 'boolean', default: false },
		},
	});
	if (values.help) {
		process.stdout.write(`${USAGE}\n`);
		return undefined;
	}
	const int = (name: string, value: string, min: number, max: number) => {
		const n = Number(value);
		if (!Number.isInteger(n) || n < min || n > max)
			throw new Error(`--${name} must be a whole number from ${min} to ${max}\n${USAGE}`);
		return n;
	};
	const emails = int('emails', values.emails, 1, 20_000);
	return {
		emails,
		concurrency: values.concurrency.split(',').map((c) => int('concurrency', c.trim(), 1, 64)),
		latencyMs: int('latency-ms', values['latency-ms'], 0, 60_000),
		warmup: int('warmup', values.warmup, 0, 100),
		timeoutMs:
			1000 *
			(values['timeout-s'] ? int('timeout-s', values['timeout-s'], 10, 86_400) : 120 + emails),
		json: values.json,
	};
}

/** What a help-centre search would put on the item: the drafter's prompt then carries knowledge. */
const KNOWLEDGE = [
	{
		id: 'kb-delivery',
		title: 'Delivery times',
		text: 'Standard parcels arrive within 3 working days; express parcels the next working day. A tracking link is emailed when the parcel leaves the warehouse.',
		url: 'https://help.acme.test/delivery',
	},
	{
		id: 'kb-refunds',
		title: 'Refunds',
		text: 'Refunds are paid to the original payment method within 14 days of the return arriving at our warehouse.',
		url: 'https://help.acme.test/refunds',
	},
	{
		id: 'kb-account',
		title: 'Account',
		text: 'Passwords can be reset from the sign-in page with "Forgot password". Accounts can be deleted under Settings → Privacy.',
		url: 'https://help.acme.test/account',
	},
];

type Side = 'classifier' | 'drafter';

const NODE_NAME: Record<Side, string> = {
	classifier: 'Support Classifier',
	drafter: 'Support Reply Drafter',
};

const normalize: WorkflowNode = {
	name: 'Support Email',
	type: `${PACKAGE}.supportEmail`,
	typeVersion: 1,
	position: [0, 0],
	parameters: { operation: 'normalize', source: 'field', rawField: 'raw' },
};

/**
 * classifier: Normalize → Support Classifier (provider Local Model Server, single output).
 * drafter: Normalize → Support Classifier (built-in offline model: no model calls) → Support Reply
 * Drafter (provider Local Model Server). Only the measured node talks to the model server.
 */
function workflowFor(
	side: Side,
	credential: { id: string; name: string },
	concurrency: number,
): Workflow {
	const credentials = { supportEmailLocalModelApi: credential };
	const classifier: WorkflowNode = {
		name: NODE_NAME.classifier,
		type: `${PACKAGE}.supportClassifier`,
		typeVersion: 1,
		position: [240, 0],
		parameters:
			side === 'classifier'
				? {
						providers: ['localModel'],
						localModel: MODEL,
						routing: 'single',
						options: { concurrency },
					}
				: { providers: ['offline'], routing: 'single' },
		...(side === 'classifier' ? { credentials } : {}),
	};
	const nodes = [normalize, classifier];
	const connections: Workflow['connections'] = {
		[normalize.name]: { main: [[{ node: classifier.name, type: 'main', index: 0 }]] },
	};
	if (side === 'drafter') {
		nodes.push({
			name: NODE_NAME.drafter,
			type: `${PACKAGE}.supportReplyDrafter`,
			typeVersion: 1,
			position: [480, 0],
			parameters: {
				providers: ['localModel'],
				localModel: MODEL,
				companyName: 'Acme Shop',
				agentName: 'Sam',
				policies: 'Never promise a refund over 50 EUR',
				options: { concurrency },
			},
			credentials,
		});
		connections[classifier.name] = {
			main: [[{ node: NODE_NAME.drafter, type: 'main', index: 0 }]],
		};
	}
	return { name: `bench: ${side} c=${concurrency}`, nodes, connections };
}

/** Valid answers for both nodes' schemas (the server's instance; a fixed grounded draft). */
function responder(request: LlmRequest) {
	const structured = request.structured;
	if (!structured?.schema) return undefined;
	if (structured.name === 'support_reply_draft') {
		return {
			json: {
				reply: 'Hello,\n\nStandard parcels arrive within 3 working days.\n\nBest regards,',
				usedSnippets: ['kb-delivery'],
				knowledgeAnswers: true,
				policyTopic: false,
				promptInjection: false,
				confidence: 0.9,
			},
		};
	}
	const value = generateInstance(structured.schema as JsonSchema, {
		text: request.userText,
	}) as Record<string, unknown>;
	value.confidence = 0.9;
	value.promptInjection = false;
	return { json: value };
}

interface RunResult {
	side: Side;
	concurrency: number;
	emails: number;
	executionId: string;
	/** The measured node's own time (runData executionTime). */
	nodeMs: number;
	/** First request's arrival → last answer written, at the model server. */
	serverSpanMs: number;
	emailsPerMinute: number;
	modelCalls: number;
	/** Most requests the server held at once (arrived, not yet answered). */
	maxInFlight: number;
	/** Time-weighted average of requests in flight over the server span. */
	meanInFlight: number;
	loadBefore: number;
	loadAfter: number;
	problems: string[];
}

/** Sweep over arrivals and answers: the most requests open at once, and the time-weighted mean. */
export function inFlight(requests: RecordedRequest[]): {
	max: number;
	mean: number;
	spanMs: number;
} {
	const events: Array<[number, number]> = [];
	for (const r of requests) {
		events.push([r.time, +1]);
		events.push([r.answeredAt ?? r.time, -1]);
	}
	// At equal times, answers first: a request that starts as another ends does not overlap it.
	events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
	let open = 0;
	let max = 0;
	let area = 0;
	let last = events[0]?.[0] ?? 0;
	for (const [time, delta] of events) {
		area += open * (time - last);
		last = time;
		open += delta;
		max = Math.max(max, open);
	}
	const spanMs = events.length ? events[events.length - 1][0] - events[0][0] : 0;
	return { max, mean: spanMs > 0 ? area / spanMs : 0, spanMs };
}

async function runOnce(
	n8n: N8n,
	llm: LlmServer,
	side: Side,
	workflow: Workflow,
	emails: readonly BenchEmail[],
	concurrency: number,
	timeoutMs: number,
): Promise<RunResult> {
	const { workflow: wrapped, path } = wrapWithWebhook(workflow);
	const id = await n8n.importWorkflow(wrapped);
	try {
		await n8n.activate(id);
		llm.reset();
		const loadBefore = loadavg()[0];
		const items = emails.map((e) => ({ raw: e.raw, support: { knowledge: KNOWLEDGE } }));
		const response = await n8n.callWebhookWhenRegistered(path, { items });
		if (!response.ok)
			throw new Error(`webhook call failed: ${response.status} ${await response.text()}`);
		await response.arrayBuffer();
		const run = await n8n.waitForExecution(id, new Set(), timeoutMs);
		const loadAfter = loadavg()[0];
		return summarise(run, llm, side, emails.length, concurrency, loadBefore, loadAfter);
	} finally {
		await n8n.deactivate(id).catch(() => undefined);
		await n8n.deleteWorkflow(id).catch(() => undefined);
	}
}

function summarise(
	run: ExecutionResult,
	llm: LlmServer,
	side: Side,
	emails: number,
	concurrency: number,
	loadBefore: number,
	loadAfter: number,
): RunResult {
	const problems: string[] = [];
	if (run.status !== 'success')
		problems.push(`execution ${run.id} ended "${run.status}": ${run.error?.message ?? ''}`);
	const node = NODE_NAME[side];
	const runs = run.runsOf(node);
	if (runs.length !== 1) problems.push(`${node} ran ${runs.length} times`);
	const nodeMs = runs.reduce((sum, r) => sum + (r.executionTime ?? 0), 0);
	const items = runs[0]?.data?.main.flat().filter(Boolean).flat() ?? [];
	if (items.length !== emails)
		problems.push(`${node}: ${items.length} items out for ${emails} emails`);
	let notModel = 0;
	for (const item of items as Array<{ json: any }>) {
		const result =
			side === 'classifier' ? item.json.support?.classification : item.json.support?.draft;
		if (item.json.error || result?.provider !== 'localModel' || result?.attempts) notModel++;
	}
	if (notModel)
		problems.push(`${node}: ${notModel} items not answered by the model at the first try`);
	const posts = llm.requests.filter(
		(r) => r.method === 'POST' && /\/chat\/completions$/.test(r.path),
	);
	const nonOk = posts.filter((r) => r.status !== 200).length;
	if (nonOk) problems.push(`${nonOk} model calls were not answered 200`);
	if (posts.length !== emails) problems.push(`${posts.length} model calls for ${emails} emails`);
	const flight = inFlight(posts);
	return {
		side,
		concurrency,
		emails,
		executionId: run.id,
		nodeMs,
		serverSpanMs: flight.spanMs,
		emailsPerMinute: nodeMs > 0 ? (emails * 60_000) / nodeMs : 0,
		modelCalls: posts.length,
		maxInFlight: flight.max,
		meanInFlight: flight.mean,
		loadBefore,
		loadAfter,
		problems,
	};
}

function report(
	results: RunResult[],
	info: { n8nVersion: string; latencyMs: number; emails: number },
): string {
	const lines: string[] = [];
	lines.push(
		`Support Reply Drafter vs Support Classifier: ${info.emails} emails per run, n8n ${info.n8nVersion}, model server answers after ${info.latencyMs} ms, ${cpus().length} cores`,
	);
	lines.push('');
	lines.push(
		'| Concurrency | node | node s | emails/min | calls/email | max in flight | mean in flight | load 1m | valid |',
	);
	lines.push(
		'|------------:|------|-------:|-----------:|------------:|--------------:|---------------:|--------:|------:|',
	);
	for (const r of results) {
		lines.push(
			`| ${r.concurrency} | ${r.side} | ${(r.nodeMs / 1000).toFixed(1)} | ${r.emailsPerMinute.toFixed(0)} | ${(r.modelCalls / r.emails).toFixed(2)} | ${r.maxInFlight} | ${r.meanInFlight.toFixed(2)} | ${r.loadBefore.toFixed(1)}→${r.loadAfter.toFixed(1)} | ${r.problems.length ? 'NO' : 'yes'} |`,
		);
	}
	lines.push('');
	lines.push('Ratios, drafter / classifier, at the same Concurrency:');
	for (const c of [...new Set(results.map((r) => r.concurrency))]) {
		const cl = results.find((r) => r.concurrency === c && r.side === 'classifier');
		const dr = results.find((r) => r.concurrency === c && r.side === 'drafter');
		if (!cl || !dr) continue;
		const ideal = (info.emails / Math.min(c, info.emails)) * info.latencyMs;
		lines.push(
			`  Concurrency ${c}: max in flight ${dr.maxInFlight}/${cl.maxInFlight} = ${(dr.maxInFlight / cl.maxInFlight).toFixed(2)}x, ` +
				`throughput ${(dr.emailsPerMinute / cl.emailsPerMinute).toFixed(2)}x, mean in flight ${(dr.meanInFlight / cl.meanInFlight).toFixed(2)}x ` +
				`(ideal node time ${(ideal / 1000).toFixed(1)} s: classifier ${(cl.nodeMs / 1000).toFixed(1)} s, drafter ${(dr.nodeMs / 1000).toFixed(1)} s)`,
		);
	}
	const problems = results.flatMap((r) =>
		r.problems.map((p) => `  ${r.side} c=${r.concurrency}: ${p}`),
	);
	if (problems.length) lines.push('', 'INVALID runs:', ...problems);
	return lines.join('\n');
}

async function main(): Promise<number> {
	const opts = options(process.argv.slice(2));
	if (!opts) return 0;
	const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
	const emails = generateEmails(REPO_ROOT, opts.emails);
	const warmupEmails = generateEmails(REPO_ROOT, opts.warmup, 7);

	let llm: LlmServer | undefined;
	let n8n: N8n | undefined;
	let stopping: Promise<void> | undefined;
	const stop = () =>
		(stopping ??= (async () => {
			await n8n?.stop().catch((error) => log(`stopping n8n: ${String(error)}`));
			await llm?.close().catch(() => undefined);
		})());
	const onSignal = (signal: NodeJS.Signals) => {
		log(`${signal}: stopping n8n and the model server`);
		void stop().then(() => process.exit(130));
	};
	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);

	try {
		llm = await startLlmServer({ latencyMs: opts.latencyMs, responder });
		log(`model server ${llm.baseUrl} (answers after ${opts.latencyMs} ms)`);
		const started = Date.now();
		n8n = await N8n.start({
			log: process.env.N8N_TEST_VERBOSE ? (line) => log(`[n8n] ${line}`) : undefined,
		});
		log(`n8n ${n8n.version} at ${n8n.baseUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
		const credential = await n8n.createCredential('supportEmailLocalModelApi', {
			url: `${llm.baseUrl}/v1`,
			apiKey: llm.apiKeys.openai,
			structuredMode: 'jsonSchema',
		});

		if (opts.warmup > 0) {
			for (const side of ['classifier', 'drafter'] as Side[]) {
				const warm = await runOnce(
					n8n,
					llm,
					side,
					workflowFor(side, credential, 5),
					warmupEmails,
					5,
					opts.timeoutMs,
				);
				if (warm.problems.length)
					throw new Error(`warm-up of the ${side} failed:\n  ${warm.problems.join('\n  ')}`);
				log(`warm-up ${side}: ${warmupEmails.length} emails in ${warm.nodeMs} ms`);
			}
		}

		const results: RunResult[] = [];
		for (const concurrency of opts.concurrency) {
			for (const side of ['classifier', 'drafter'] as Side[]) {
				log(`run: ${side}, Concurrency ${concurrency}, ${emails.length} emails ...`);
				const result = await runOnce(
					n8n,
					llm,
					side,
					workflowFor(side, credential, concurrency),
					emails,
					concurrency,
					opts.timeoutMs,
				);
				results.push(result);
				log(
					`run: ${side} c=${concurrency}: ${(result.nodeMs / 1000).toFixed(1)} s, max in flight ${result.maxInFlight}` +
						(result.problems.length ? `, INVALID: ${result.problems.join('; ')}` : ''),
				);
			}
		}
		process.stdout.write(
			`${report(results, { n8nVersion: n8n.version, latencyMs: opts.latencyMs, emails: emails.length })}\n`,
		);
		if (opts.json) {
			writeFileSync(
				opts.json,
				JSON.stringify(
					{
						date: new Date().toISOString(),
						n8nVersion: n8n.version,
						latencyMs: opts.latencyMs,
						results,
					},
					null,
					2,
				),
			);
			log(`results written to ${opts.json}`);
		}
		return results.some((r) => r.problems.length) ? 1 : 0;
	} catch (error) {
		log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
		if (n8n) log(`n8n's last log lines:\n${n8n.logs.slice(-30).join('\n')}`);
		return 2;
	} finally {
		await stop();
	}
}

if (require.main === module) {
	main().then(
		(code) => process.exit(code),
		(error) => {
			process.stderr.write(`${String(error)}\n`);
			process.exit(2);
		},
	);
}
