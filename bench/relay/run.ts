/**
 * `npm run bench:relay`: the status relay's benchmarks, each measured side by side in one run.
 *
 *   0. the hook's own cost per event: n8n's runHook calls for a 20-node workflow fed to the hook's
 *      handler and to a no-op handler, alternating, in one process (no n8n);
 *   1. hook overhead in real n8n: a 20-node workflow run 200 times with and without the hook
 *      (target: at most 1.05 times slower with it);
 *   2. fan-out: 1,000 WebSocket subscribers fed 5,000 events/s for 30 s through the relay and
 *      through a bare `ws` broadcast (the floor): p50 / p99, lost events, relay memory
 *      (targets: p99 within 2x the floor and under 50 ms, nothing lost).
 *
 * Options (environment): BENCH_ONLY=hook|n8n|fanout, BENCH_HOOK_RUNS (4000), BENCH_RUNS (200), BENCH_SUBSCRIBERS (1000),
 * BENCH_WORKFLOWS (100), BENCH_RATE (5000), BENCH_SECONDS (30), BENCH_SUBSCRIBER_PROCESSES (2),
 * BENCH_BATCH (200) and BENCH_FLUSH_MS (50) (ingest batching, the hook's defaults), BENCH_SLICE_MS
 * (1000: the fan-out feed alternates between the floor and the relay in slices this long, both
 * servers and their subscribers up all along, so other load on the host falls on both alike),
 * BENCH_SERVER_NODE_ARGS (extra Node flags for the two servers, e.g. --cpu-prof),
 * BENCH_N8N_NODE_OPTIONS (NODE_OPTIONS for both n8n processes of the overhead bench, e.g. --cpu-prof),
 * BENCH_CONTROL=1 (the overhead bench as an A/A run: neither n8n has the hook; shows the noise),
 * N8N_TEST_VERSION (n8n version, as for the tests). Results also go to
 * test-results/bench-relay.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { REPO_ROOT } from '../../test/harness/n8n';
import { runOverhead } from './n8n-overhead';
import type { OverheadResult } from './n8n-overhead';
import { runFanout } from './fanout';
import { runHookMicro } from './hook-micro';
import type { HookMicroResult } from './hook-micro';
import type { FanoutResult } from './fanout';
import { LATENCY_CAP_MS } from './subscribers';

const int = (name: string, fallback: number) => {
	const value = Number(process.env[name] ?? fallback);
	if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
	return value;
};

const log = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

async function main(): Promise<void> {
	const only = process.env.BENCH_ONLY;
	const results: {
		hook?: HookMicroResult;
		overhead?: OverheadResult;
		fanout?: { floor: FanoutResult; relay: FanoutResult };
	} = {};
	let failed = false;
	log(`status relay benchmarks on ${cpus().length} CPU(s), Node ${process.version}`);
	const load = () =>
		loadavg()
			.map((n) => fmt(n))
			.join(' ');

	if (!only || only === 'hook') {
		const runs = int('BENCH_HOOK_RUNS', 4000);
		log(
			`\n== 0. the hook's own cost: n8n's runHook calls of ${runs} runs of the 20-node workflow, to the hook's handler and to a no-op, alternating (load average ${load()})`,
		);
		const m = await runHookMicro(runs);
		results.hook = m;
		log(
			`  ${m.callsPerRun} runHook calls and ${fmt(m.eventsPerRun, 1)} events per run; ${m.eventsSent} events reached the sink, ${m.eventsDropped} dropped`,
		);
		log(
			`                 ns per call   us per run (in the handler)   CPU us per run (all work, GC)`,
		);
		for (const [label, ns, us, cpu] of [
			['hook handler', m.hookNsPerCall, m.hookUsPerRun, m.hookCpuUsPerRun],
			['no-op       ', m.noopNsPerCall, m.noopUsPerRun, m.noopCpuUsPerRun],
		] as const) {
			log(
				`  ${label}  ${fmt(ns, 0).padStart(11)}  ${fmt(us, 1).padStart(28)}  ${fmt(cpu, 1).padStart(30)}`,
			);
		}
		log(
			`  hook/no-op: ${fmt(m.hookNsPerCall / m.noopNsPerCall, 1)}x in the handler, ${fmt(m.hookCpuUsPerRun / m.noopCpuUsPerRun, 2)}x CPU; the hook adds ${fmt(m.hookUsPerRun - m.noopUsPerRun, 1)} us on n8n's path and ${fmt(m.hookCpuUsPerRun - m.noopCpuUsPerRun, 1)} us of CPU per run (load average ${load()})`,
		);
	}

	if (!only || only === 'n8n') {
		const runs = int('BENCH_RUNS', 200);
		log(
			`\n== 1. hook overhead in real n8n: 20-node workflow x ${runs} runs, with and without the hook (load average ${load()})`,
		);
		const control = process.env.BENCH_CONTROL === '1';
		if (control) log('  BENCH_CONTROL=1: an A/A run, the second n8n has no hook either');
		const o = await runOverhead(runs, log, control);
		results.overhead = o;
		const ok = o.ratioMean <= 1.05 && o.eventsAtRelay >= o.expectedEvents;
		failed ||= !ok;
		log(
			`n8n ${o.version}, ${o.nodes} nodes, ${o.runs} runs each (per run: webhook call to last node's answer)`,
		);
		log(`                 mean ms   median ms   p95 ms   total s`);
		for (const [label, s] of [
			['without hook', o.plain],
			[o.control ? 'A/A: no hook' : 'with hook   ', o.hooked],
		] as const) {
			log(
				`  ${label}  ${fmt(s.meanMs).padStart(8)}  ${fmt(s.medianMs).padStart(10)}  ${fmt(s.p95Ms).padStart(7)}  ${fmt(s.totalMs / 1000).padStart(8)}`,
			);
		}
		log(
			`  ratio with/without: mean ${fmt(o.ratioMean, 3)}, median ${fmt(o.ratioMedian, 3)} (target <= 1.05)  ${verdict(o.ratioMean <= 1.05)}`,
		);
		log(
			`  events at the relay: ${o.eventsAtRelay} of ${o.expectedEvents} expected  ${verdict(o.eventsAtRelay >= o.expectedEvents)}`,
		);
		if (o.cpuMsPerRun) {
			const c = o.cpuMsPerRun;
			log(
				`  CPU per run: n8n without hook ${fmt(c.plain)} ms, with hook ${fmt(c.hooked)} ms (${fmt(c.hooked / c.plain, 3)}x); relay ${fmt(c.relay)} ms`,
			);
		}
		log(`  load average at the end: ${load()}`);
	}

	if (!only || only === 'fanout') {
		const options = {
			subscribers: int('BENCH_SUBSCRIBERS', 1000),
			workflows: int('BENCH_WORKFLOWS', 100),
			eventsPerSecond: int('BENCH_RATE', 5000),
			seconds: int('BENCH_SECONDS', 30),
			subscriberProcesses: int('BENCH_SUBSCRIBER_PROCESSES', 2),
			batch: int('BENCH_BATCH', 200),
			flushMs: int('BENCH_FLUSH_MS', 50),
		};
		const perSubscriber = options.eventsPerSecond / options.workflows;
		log(
			`\n== 2. fan-out: ${options.subscribers} subscribers on ${options.workflows} workflows, ${options.eventsPerSecond} events/s for ${options.seconds} s` +
				` (${fmt(perSubscriber, 0)} events/s per subscriber, ${fmt((options.subscribers * options.eventsPerSecond) / options.workflows, 0)} deliveries/s;` +
				` ingest batches of up to ${options.batch} events, at least every ${options.flushMs} ms)`,
		);
		const { floor, relay } = await runFanout(
			{ ...options, sliceMs: int('BENCH_SLICE_MS', 1000) },
			log,
		);
		results.fanout = { floor, relay };
		log(
			`                     sent   delivered   lost  dup  lagged  p50 ms  p99 ms  max ms  peak RSS MB  CPU s: server  subscribers  feeder`,
		);
		for (const r of [floor, relay]) {
			log(
				`  ${r.target === 'floor' ? 'bare ws floor' : 'relay        '}  ${String(r.sent).padStart(7)}  ${String(r.delivered).padStart(10)}  ${String(r.lost).padStart(5)}  ${String(r.duplicates).padStart(3)}  ${String(r.lagged).padStart(6)}  ${fmt(r.p50Ms).padStart(6)}  ${fmt(r.p99Ms).padStart(6)}  ${fmt(r.maxMs).padStart(6)}  ${fmt(r.peakRssMb, 1).padStart(11)}  ${fmt(r.serverCpuSeconds, 1).padStart(13)}  ${fmt(r.subscriberCpuSeconds, 1).padStart(11)}  ${fmt(r.feederCpuSeconds, 1).padStart(6)}`,
			);
			if (r.errors.length) log(`    errors: ${r.errors.slice(0, 5).join('; ')}`);
		}
		const ratioP99 = relay.p99Ms / floor.p99Ms;
		// A p99 at the histogram's ceiling is only a lower bound: the ratio of two is not a result.
		const capped = floor.p99Ms >= LATENCY_CAP_MS || relay.p99Ms >= LATENCY_CAP_MS;
		const okRatio = !capped && ratioP99 <= 2;
		const okAbsolute = relay.p99Ms < 50;
		const okLost = relay.lost === 0;
		failed ||= !(okRatio && okAbsolute && okLost);
		log(
			`  achieved feed rate: floor ${fmt(floor.achievedEventsPerSecond, 0)} events/s, relay ${fmt(relay.achievedEventsPerSecond, 0)} events/s`,
		);
		log(
			`  relay/floor: p50 ${fmt(relay.p50Ms / floor.p50Ms)}x, p99 ${fmt(ratioP99)}x (target <= 2)  ${verdict(okRatio)}` +
				(capped
					? ` (not measured: a p99 reached the ${fmt(LATENCY_CAP_MS / 1000, 0)} s histogram ceiling, the host is saturated)`
					: ''),
		);
		log(`  relay p99 ${fmt(relay.p99Ms)} ms (target < 50 ms)  ${verdict(okAbsolute)}`);
		log(`  relay lost events: ${relay.lost} (target 0)  ${verdict(okLost)}`);
		log(
			`  relay memory: peak RSS ${fmt(relay.peakRssMb, 1)} MB (floor ${fmt(floor.peakRssMb, 1)} MB)`,
		);
	}

	const out = join(REPO_ROOT, 'test-results');
	mkdirSync(out, { recursive: true });
	writeFileSync(
		join(out, 'bench-relay.json'),
		JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2),
	);
	log(`\nresults: test-results/bench-relay.json`);
	process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
	process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(2);
});
