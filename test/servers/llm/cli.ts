/**
 * Runs the OpenAI / Azure OpenAI / Anthropic stand-in as a process (for benchmarks and the demo).
 *
 *   node test/servers/llm/run-cli.js --port 8787 --latency-ms 300
 *
 * Prints one JSON line with the URLs and keys once it listens, then a line per request unless
 * --quiet. Faults can be queued at start (--fail openai:'{"status":429,"retryAfter":2}') or later
 * through the control routes (POST /__llm/fail, /__llm/latency, /__llm/reset; GET /__llm/requests).
 */
import { parseArgs } from 'node:util';

import { startLlmServer } from './server';
import type { Fault, LlmServer, Provider } from './types';

const USAGE = `Usage: node test/servers/llm/run-cli.js [options]
  --port <n>            port to listen on (default 8787; 0 picks a free one)
  --host <addr>         address to listen on (default 127.0.0.1)
  --latency-ms <n>      added before every generation answer (default 0)
  --openai-key <key>    accepted OpenAI key (default sk-test)
  --anthropic-key <key> accepted Anthropic key (default sk-ant-test)
  --azure-key <key>     accepted Azure OpenAI key (default azure-test-key)
  --fail <p>:<json>     queue a fault, e.g. openai:'{"status":429,"retryAfter":2,"times":3}' (repeatable)
  --quiet               no per-request log lines
  --help`;

export async function main(argv: string[]): Promise<LlmServer | undefined> {
	const { values } = parseArgs({
		args: argv,
		options: {
			port: { type: 'string', default: '8787' },
			host: { type: 'string', default: '127.0.0.1' },
			'latency-ms': { type: 'string', default: '0' },
			'openai-key': { type: 'string' },
			'anthropic-key': { type: 'string' },
			'azure-key': { type: 'string' },
			fail: { type: 'string', multiple: true },
			quiet: { type: 'boolean', default: false },
			help: { type: 'boolean', default: false },
		},
	});
	if (values.help) {
		process.stdout.write(`${USAGE}\n`);
		return undefined;
	}
	const port = Number(values.port);
	const latencyMs = Number(values['latency-ms']);
	if (!Number.isInteger(port) || port < 0 || !Number.isFinite(latencyMs) || latencyMs < 0) {
		throw new Error(`--port and --latency-ms take non-negative numbers\n${USAGE}`);
	}
	const faults: [Provider, Fault][] = (values.fail ?? []).map((spec) => {
		const colon = spec.indexOf(':');
		const provider = spec.slice(0, colon) as Provider;
		if (!['openai', 'azure', 'anthropic'].includes(provider)) {
			throw new Error(`--fail wants openai|azure|anthropic:<json>, got ${spec}`);
		}
		return [provider, JSON.parse(spec.slice(colon + 1)) as Fault];
	});

	const server = await startLlmServer({
		port,
		host: values.host,
		latencyMs,
		apiKeys: {
			...(values['openai-key'] ? { openai: values['openai-key'] } : {}),
			...(values['anthropic-key'] ? { anthropic: values['anthropic-key'] } : {}),
			...(values['azure-key'] ? { azure: values['azure-key'] } : {}),
		},
	});
	for (const [provider, fault] of faults) server.fail(provider, fault);

	process.stdout.write(
		`${JSON.stringify({
			baseUrl: server.baseUrl,
			openaiBaseUrl: server.openaiBaseUrl,
			azureEndpoint: server.azureEndpoint,
			anthropicBaseUrl: server.anthropicBaseUrl,
			apiKeys: server.apiKeys,
			latencyMs,
		})}\n`,
	);

	if (!values.quiet) {
		// Log each request once it has been answered.
		let logged = 0;
		const timer = setInterval(() => {
			while (logged < server.requests.length && server.requests[logged].answeredAt !== undefined) {
				const r = server.requests[logged++];
				const ms = Math.round((r.answeredAt ?? r.time) - r.time);
				const fault = r.fault ? ` fault=${JSON.stringify(r.fault)}` : '';
				process.stdout.write(
					`${r.provider ?? '-'} ${r.method} ${r.path} ${r.status} ${ms}ms${fault}\n`,
				);
			}
			if (server.requests.length > 10000) {
				server.requests.splice(0, logged);
				logged = 0;
			}
		}, 100);
		timer.unref();
	}

	const stop = () => {
		void server.close().then(() => process.exit(0));
	};
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
	return server;
}

if (require.main === module) {
	main(process.argv.slice(2)).catch((error: unknown) => {
		process.stderr.write(`${(error as Error)?.message ?? String(error)}\n`);
		process.exit(1);
	});
}
