/**
 * bench/classifier: our Support Classifier (one model call per email) against n8n's own Text
 * Classifier + Sentiment Analysis + Information Extractor (one call each), in the same real n8n,
 * against the same local OpenAI-compatible server answering every request after a fixed delay.
 * See README.md in this folder.
 *
 *   node build-scripts/bench/classifier/run.js [--emails 1000] [--concurrency 20] [--latency-ms 300]
 *        [--warmup 5] [--json results.json] [--show-requests] [--only A,B,C]
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import { N8n, REPO_ROOT } from '../../test/harness/n8n';
import { startLlmServer } from '../../test/servers/llm';
import type { LlmServer } from '../../test/servers/llm';
import { generateEmails } from './emails';
import { measure } from './measure';
import type { MeasureContext, RunResult, RunSpec } from './measure';
import { formatReport } from './report';
import { createBenchResponder, kindOfBody } from './responder';
import { startUsageProxy } from './usage-proxy';
import type { UsageProxy } from './usage-proxy';
import { n8nWorkflow, oursWorkflow } from './workflows';

const USAGE = `Usage: node build-scripts/bench/classifier/run.js [options]
  --emails <n>        emails per run (default 1000)
  --concurrency <n>   the equal concurrency of run C: our Concurrency option and n8n's Batch Size (default 20)
  --latency-ms <n>    the model server's fixed answer delay (default 300)
  --warmup <n>        emails per unmeasured warm-up run of each workflow (default 5; 0: none)
  --only <list>       runs to make, of A,B,C (default all)
  --timeout-s <n>     limit per run (default 120 + 1.5 s per email)
  --json <file>       also write the results as JSON
  --show-requests     print one model request of each kind (what the nodes actually send)
  --help`;

interface Options {
	emails: number;
	concurrency: number;
	latencyMs: number;
	warmup: number;
	only: Set<string>;
	timeoutMs: number;
	json?: string;
	showRequests: boolean;
}

function options(argv: string[]): Options | undefined {
	const { values } = parseArgs({
		args: argv,
		options: {
			emails: { type: 'string', default: '1000' },
			concurrency: { type: 'string', default: '20' },
			'latency-ms': { type: 'string', default: '300' },
			warmup: { type: 'string', default: '5' },
			only: { type: 'string', default: 'A,B,C' },
			'timeout-s': { type: 'string' },
			json: { type: 'string' },
			'show-requests': { type: 'boolean', default: false },
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
	const only = new Set(values.only.split(',').map((s) => s.trim().toUpperCase()));
	for (const key of only)
		if (!['A', 'B', 'C'].includes(key)) throw new Error(`--only takes A, B and C\n${USAGE}`);
	return {
		emails,
		concurrency: int('concurrency', values.concurrency, 1, 64),
		latencyMs: int('latency-ms', values['latency-ms'], 0, 60_000),
		warmup: int('warmup', values.warmup, 0, 100),
		only,
		timeoutMs:
			1000 *
			(values['timeout-s']
				? int('timeout-s', values['timeout-s'], 10, 86_400)
				: 120 + 1.5 * emails),
		json: values.json,
		showRequests: values['show-requests'],
	};
}

async function main(): Promise<number> {
	const opts = options(process.argv.slice(2));
	if (!opts) return 0;
	const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
	const emails = generateEmails(REPO_ROOT, opts.emails);
	const warmupEmails = generateEmails(REPO_ROOT, opts.warmup, 7);
	const responder = createBenchResponder([...emails, ...warmupEmails]);

	let llm: LlmServer | undefined;
	let proxy: UsageProxy | undefined;
	let n8n: N8n | undefined;
	let stopping: Promise<void> | undefined;
	const stop = () =>
		(stopping ??= (async () => {
			await n8n?.stop().catch((error) => log(`stopping n8n: ${String(error)}`));
			await proxy?.close().catch(() => undefined);
			await llm?.close().catch(() => undefined);
		})());
	const onSignal = (signal: NodeJS.Signals) => {
		log(`${signal}: stopping n8n and the model server`);
		void stop().then(() => process.exit(130));
	};
	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);

	try {
		llm = await startLlmServer({ latencyMs: opts.latencyMs, responder: responder.responder });
		proxy = await startUsageProxy(llm.baseUrl);
		log(
			`model server ${llm.baseUrl} (answers after ${opts.latencyMs} ms), usage proxy ${proxy.url}`,
		);
		const started = Date.now();
		n8n = await N8n.start({
			log: process.env.N8N_TEST_VERBOSE ? (line) => log(`[n8n] ${line}`) : undefined,
		});
		log(`n8n ${n8n.version} at ${n8n.baseUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

		const baseUrl = `${proxy.url}/v1`;
		const ourCredential = await n8n.createCredential('supportEmailOpenAiApi', {
			apiKey: llm.apiKeys.openai,
			organizationId: '',
			url: baseUrl,
		});
		const n8nCredential = await n8n.createCredential('openAiApi', {
			apiKey: llm.apiKeys.openai,
			url: baseUrl,
			header: false,
		});

		const c = opts.concurrency;
		const specs: RunSpec[] = [];
		if (opts.only.has('A'))
			specs.push({
				key: 'A',
				label: 'ours, defaults (Concurrency 5)',
				side: 'ours',
				concurrency: 5,
				workflow: oursWorkflow(ourCredential),
			});
		if (opts.only.has('B'))
			specs.push({
				key: 'B',
				label: "n8n's 3 nodes, defaults (Batch Size 5)",
				side: 'n8n',
				concurrency: 5,
				workflow: n8nWorkflow(n8nCredential),
			});
		if (opts.only.has('C'))
			specs.push(
				{
					key: 'C-ours',
					label: `ours, Concurrency ${c}`,
					side: 'ours',
					concurrency: c,
					workflow: oursWorkflow(ourCredential, c),
				},
				{
					key: 'C-n8n',
					label: `n8n's 3 nodes, Batch Size ${c}`,
					side: 'n8n',
					concurrency: c,
					workflow: n8nWorkflow(n8nCredential, c),
				},
			);

		const ctx: MeasureContext = {
			n8n,
			llm,
			proxy,
			responder,
			timeoutMs: opts.timeoutMs,
			log,
		};
		if (opts.warmup > 0) {
			// First use loads modules (LangChain, the SDKs) and JIT-compiles: not part of the figures.
			for (const spec of [
				specs.find((s) => s.side === 'ours'),
				specs.find((s) => s.side === 'n8n'),
			]) {
				if (!spec) continue;
				const warm = await measure(ctx, { ...spec, key: `warm-up ${spec.side}` }, warmupEmails);
				if (warm.problems.length)
					throw new Error(`warm-up of ${spec.label} failed:\n  ${warm.problems.join('\n  ')}`);
				log(`warm-up ${spec.side}: ${warmupEmails.length} emails in ${warm.wallMs} ms`);
				if (opts.showRequests) showRequests(llm, proxy);
			}
		}

		const results: RunResult[] = [];
		for (const spec of specs) {
			log(`run ${spec.key}: ${spec.label}, ${emails.length} emails ...`);
			const result = await measure(ctx, spec, emails);
			results.push(result);
			log(
				`run ${spec.key}: ${(result.wallMs / 1000).toFixed(1)} s, ${result.modelCalls} model calls` +
					(result.problems.length ? `, INVALID: ${result.problems.join('; ')}` : ''),
			);
		}

		const machine = {
			cores: cpus().length,
			cpu: cpus()[0]?.model ?? 'unknown',
			loadAtEnd: loadavg()[0],
		};
		const report = formatReport(results, {
			n8nVersion: n8n.version,
			emails: emails.length,
			latencyMs: opts.latencyMs,
			equalConcurrency: c,
			machine,
		});
		process.stdout.write(`${report}\n`);
		if (opts.json) {
			writeFileSync(
				opts.json,
				JSON.stringify(
					{
						date: new Date().toISOString(),
						n8nVersion: n8n.version,
						latencyMs: opts.latencyMs,
						machine,
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

/** One request of each kind the last run sent, shortened: to see what the nodes put on the wire. */
function showRequests(llm: LlmServer, proxy: UsageProxy): void {
	const seen = new Set<string>();
	for (const request of llm.requests) {
		if (request.method !== 'POST') continue;
		const kind = kindOfBody(request.body);
		if (seen.has(kind)) continue;
		seen.add(kind);
		const { messages, ...rest } = request.body ?? {};
		const shown = {
			...rest,
			messages: (messages ?? []).map((m: any) => ({
				role: m.role,
				content: typeof m.content === 'string' ? shorten(m.content, 1600) : m.content,
			})),
		};
		process.stderr.write(
			`\n--- ${kind}: POST ${request.path}\n${JSON.stringify(shown, null, 2)}\n`,
		);
	}
	const answered = proxy.calls
		.slice(0, 3)
		.map((c) => `${c.kind} ${c.status} ${c.promptTokens}/${c.completionTokens} tokens`);
	process.stderr.write(`--- first answers: ${answered.join(', ')}\n\n`);
}

function shorten(text: string, max: number): string {
	return text.length <= max
		? text
		: `${text.slice(0, max)} … [${text.length - max} more characters]`;
}

main().then(
	(code) => process.exit(code),
	(error) => {
		process.stderr.write(`${String(error)}\n`);
		process.exit(2);
	},
);
