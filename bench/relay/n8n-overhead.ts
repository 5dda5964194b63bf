/**
 * Hook overhead in real n8n: one 20-node workflow (Webhook + 19 Set nodes, answering when the last
 * node is done), run R times (default 200) on two n8n processes of the same version with this
 * package installed, one with the status relay hook loaded (reporting to a relay process) and one
 * without. Runs alternate in rounds (plain first in even rounds, hooked first in odd ones), so load
 * from anything else on the machine falls on both alike. Every run's events are checked to have
 * reached the relay.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { N8n, freePort } from '../../test/harness/n8n';
import type { Workflow } from '../../test/harness/n8n';

export interface OverheadResult {
	version: string;
	runs: number;
	nodes: number;
	plain: { meanMs: number; medianMs: number; p95Ms: number; totalMs: number };
	hooked: { meanMs: number; medianMs: number; p95Ms: number; totalMs: number };
	ratioMean: number;
	ratioMedian: number;
	/**
	 * CPU time (user + system, all threads, from /proc) per run, taken over each process's own
	 * rounds: n8n without and with the hook, and the relay process (its ingest of the hooked runs'
	 * events; on this shared machine it competes with n8n for the same cores).
	 */
	cpuMsPerRun?: { plain: number; hooked: number; relay: number };
	eventsAtRelay: number;
	expectedEvents: number;
	/** An A/A run: neither n8n had the hook. */
	control: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU ms a process has used so far (Linux /proc; undefined elsewhere). */
function cpuMs(pid: number | undefined): number | undefined {
	if (!pid) return undefined;
	try {
		// Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
	} catch {
		return undefined;
	}
}

function twentyNodes(path: string): Workflow {
	const sets = Array.from({ length: 19 }, (_, i) => `Set ${i + 1}`);
	const to = (node: string) => ({ node, type: 'main', index: 0 });
	return {
		name: `relay bench 20 nodes ${randomUUID().slice(0, 6)}`,
		nodes: [
			{
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				webhookId: randomUUID(),
				parameters: {
					httpMethod: 'POST',
					path,
					responseMode: 'lastNode',
					responseData: 'firstEntryJson',
					options: {},
				},
			},
			...sets.map((name, i) => ({
				name,
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				position: [220 * (i + 1), 0] as [number, number],
				parameters: {
					assignments: {
						assignments: [
							{ id: `a${i}`, name: `step${i + 1}`, value: `={{ ${i} + 1 }}`, type: 'number' },
						],
					},
					includeOtherFields: true,
					options: {},
				},
			})),
		],
		connections: Object.fromEntries(
			['Webhook', ...sets.slice(0, -1)].map((from, i) => [from, { main: [[to(sets[i])]] }]),
		),
	};
}

function stats(samples: number[]) {
	const sorted = [...samples].sort((a, b) => a - b);
	const total = samples.reduce((a, b) => a + b, 0);
	return {
		meanMs: total / samples.length,
		medianMs: sorted[Math.floor(sorted.length / 2)],
		p95Ms: sorted[Math.floor(sorted.length * 0.95)],
		totalMs: total,
	};
}

async function startRelay(port: number, secret: string, token: string): Promise<ChildProcess> {
	const child = spawn(process.execPath, [join(__dirname, 'relay-process.js')], {
		env: {
			...process.env,
			RELAY_HOST: '127.0.0.1',
			RELAY_PORT: String(port),
			RELAY_INGEST_SECRET: secret,
			RELAY_TOKENS: JSON.stringify({ [token]: { workflows: '*' } }),
		},
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	await new Promise<void>((resolve, reject) => {
		child.stdout!.on('data', (chunk: Buffer) => {
			if (chunk.toString().includes('"ready"')) resolve();
		});
		child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
	});
	return child;
}

async function timeRun(n8n: N8n, path: string, i: number): Promise<number> {
	const started = performance.now();
	const response = await fetch(`${n8n.baseUrl}/webhook/${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ run: i }),
	});
	const body = (await response.json()) as Record<string, unknown>;
	const took = performance.now() - started;
	if (response.status !== 200 || body.step19 !== 19) {
		throw new Error(
			`run ${i} did not go through all 20 nodes: ${response.status} ${JSON.stringify(body)}`,
		);
	}
	return took;
}

/**
 * `control`: the second n8n runs without the hook too (an A/A run): the ratio then shows what two
 * n8n processes differ by on this machine with no hook at all, the noise the real ratio sits in.
 */
export async function runOverhead(
	runs: number,
	log: (line: string) => void,
	control = false,
): Promise<OverheadResult> {
	const secret = randomBytes(24).toString('hex');
	const token = `bench-${randomBytes(12).toString('hex')}`;
	const relayPort = await freePort();
	const relay = await startRelay(relayPort, secret, token);
	const folders = [
		mkdtempSync(join(tmpdir(), 'relay-bench-plain-')),
		mkdtempSync(join(tmpdir(), 'relay-bench-hooked-')),
	];
	const started: N8n[] = [];
	try {
		log(
			control
				? 'starting two n8n processes (package installed in both, no hook in either)…'
				: 'starting two n8n processes (package installed in both, the hook in one)…',
		);
		// BENCH_N8N_NODE_OPTIONS: Node flags for both n8n processes (e.g. --cpu-prof --cpu-prof-dir=…).
		const nodeOptions: Record<string, string> = process.env.BENCH_N8N_NODE_OPTIONS
			? { NODE_OPTIONS: process.env.BENCH_N8N_NODE_OPTIONS }
			: {};
		const plain = await N8n.start({ userFolder: folders[0], env: nodeOptions });
		started.push(plain);
		const hooked = await N8n.start({
			userFolder: folders[1],
			env: ({ packageDir }) =>
				control
					? nodeOptions
					: {
							...nodeOptions,
							EXTERNAL_HOOK_FILES: join(packageDir, 'dist/status-relay/hook/index.js'),
							SUPPORT_RELAY_URL: `http://127.0.0.1:${relayPort}`,
							SUPPORT_RELAY_SECRET: secret,
						},
		});
		started.push(hooked);
		if (
			!control &&
			!hooked.logs.some((line) => line.includes('status relay hook installed (lifecycle)'))
		) {
			throw new Error('the hook did not install in the hooked n8n');
		}
		const paths = [`bench-${randomUUID()}`, `bench-${randomUUID()}`];
		const ids: string[] = [];
		for (const [index, n8n] of [plain, hooked].entries()) {
			const id = await n8n.importWorkflow(twentyNodes(paths[index]));
			await n8n.activate(id);
			ids.push(id);
			// Warm up (and wait out 2.x's publishing delay) before measuring.
			for (let i = 0; i < 20; i++) {
				for (;;) {
					const response = await fetch(`${n8n.baseUrl}/webhook/${paths[index]}`, {
						method: 'POST',
						headers: { 'content-type': 'application/json' },
						body: '{}',
					});
					await response.arrayBuffer();
					if (response.status !== 404) break;
					await sleep(100);
				}
			}
		}
		const samples: { plain: number[]; hooked: number[] } = { plain: [], hooked: [] };
		const cpu = { plain: 0, hooked: 0, relay: 0 };
		const pids = { plain: plain.state().pid, hooked: hooked.state().pid };
		const relayCpuBefore = cpuMs(relay.pid);
		const round = 20;
		for (let r = 0; r * round < runs; r++) {
			const order = r % 2 === 0 ? (['plain', 'hooked'] as const) : (['hooked', 'plain'] as const);
			for (const which of order) {
				const n8n = which === 'plain' ? plain : hooked;
				const path = which === 'plain' ? paths[0] : paths[1];
				const before = cpuMs(pids[which]);
				for (let i = 0; i < round && samples[which].length < runs; i++) {
					samples[which].push(await timeRun(n8n, path, i));
				}
				const after = cpuMs(pids[which]);
				if (before !== undefined && after !== undefined) cpu[which] += after - before;
			}
			log(`  round ${r + 1}: ${samples.plain.length} + ${samples.hooked.length} runs`);
		}
		const relayCpuAfter = cpuMs(relay.pid);
		const measuredCpu = relayCpuBefore !== undefined && relayCpuAfter !== undefined;
		if (measuredCpu) cpu.relay = relayCpuAfter - relayCpuBefore;
		// Every hooked run (and warm-up run) reached the relay: 2 execution events + 2 per node.
		const expectedEvents = control ? 0 : (runs + 20) * (2 + 2 * 20);
		let eventsAtRelay = 0;
		for (let attempt = 0; attempt < 50 && !control; attempt++) {
			eventsAtRelay = 0;
			let cursor = '';
			for (;;) {
				const page = (await fetch(
					`http://127.0.0.1:${relayPort}/api/v1/workflows/${ids[1]}/logs?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
					{ headers: { authorization: `Bearer ${token}` } },
				).then((r) => r.json())) as { events: unknown[]; nextCursor: string; hasMore: boolean };
				eventsAtRelay += page.events.length;
				cursor = page.nextCursor;
				if (!page.hasMore) break;
			}
			if (eventsAtRelay >= expectedEvents) break;
			await sleep(200);
		}
		const p = stats(samples.plain);
		const h = stats(samples.hooked);
		return {
			version: plain.version,
			runs,
			nodes: 20,
			plain: p,
			hooked: h,
			ratioMean: h.meanMs / p.meanMs,
			ratioMedian: h.medianMs / p.medianMs,
			eventsAtRelay,
			expectedEvents,
			control,
			...(measuredCpu
				? {
						cpuMsPerRun: {
							plain: cpu.plain / runs,
							hooked: cpu.hooked / runs,
							relay: cpu.relay / runs,
						},
					}
				: {}),
		};
	} finally {
		for (const n8n of started) await n8n.stop();
		relay.kill('SIGTERM');
		for (const folder of folders) rmSync(folder, { recursive: true, force: true });
	}
}
