/**
 * The dashboard is plain ES modules with no build step. It folds events with the server's own
 * reducer: dashboard/fold.js is generated from protocol/fold.ts, and these tests hold the file in git
 * to the generator's output and the generated module to the server's answers. They also check how
 * the relay serves the page and its modules.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyEvent as serverApply, ExecutionStates } from '../../../status-relay/server/state';
import { Relay } from '../../../status-relay/server/app';
import { loadConfig } from '../../../status-relay/server/config';
import { createLogger } from '../../../status-relay/server/logger';
import type { Envelope, ExecutionSnapshot, EventType } from '../../../status-relay/protocol/types';

const DASHBOARD = join(__dirname, '../../../status-relay/dashboard');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const generator = require('../../../status-relay/scripts/generate-dashboard-fold.js') as {
	generate(): string;
	TARGET: string;
};
// Plain JavaScript ES modules, as the browser loads them (babel-jest makes them CommonJS here).
const dashboard = {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	...(require('../../../status-relay/dashboard/fold.js') as {
		applyEvent(snapshot: unknown, event: unknown): ExecutionSnapshot;
	}),
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	...(require('../../../status-relay/dashboard/runs.js') as {
		sortRuns(executions: ExecutionSnapshot[]): ExecutionSnapshot[];
		workflowFromHash(hash: string): string;
		intakeButtons(intake: string): { pause: boolean; resume: boolean };
	}),
};

const NODES = ['Webhook', 'Prepare', 'Approval', 'Check Order', 'Done'];

function envelope(type: EventType, seq: number, data: Record<string, unknown>): Envelope {
	return {
		v: 1,
		id: `x:${seq}`,
		type,
		workflowId: 'wf',
		workflowName: seq % 7 === 0 ? `Support ${seq}` : '',
		executionId: 'e1',
		mode: 'webhook',
		seq,
		cursor: `c${seq}`,
		occurredAt: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
		ts: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
		data: data as never,
	};
}

/** A small deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
		return state / 2 ** 31;
	};
}

function randomEvent(next: () => number, seq: number): Envelope {
	const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)];
	const node = pick(NODES);
	const at = new Date(1_700_000_000_000 + seq * 1000).toISOString();
	switch (
		pick([
			'execution.started',
			'node.started',
			'node.finished',
			'node.finished',
			'execution.waiting',
			'execution.resumed',
			'execution.finished',
		] as const)
	) {
		case 'execution.started':
			return envelope('execution.started', seq, {
				nodes: NODES.map((name) => ({ name, type: `t.${name}` })),
				startedAt: at,
				...(next() < 0.3 ? { parentExecutionId: '7' } : {}),
			});
		case 'node.started':
			return envelope('node.started', seq, {
				node,
				nodeType: `t.${node}`,
				runIndex: 0,
				startedAt: at,
			});
		case 'node.finished':
			return envelope('node.finished', seq, {
				node,
				nodeType: next() < 0.5 ? `t.${node}` : '',
				runIndex: Math.floor(next() * 3),
				status: pick(['success', 'error', 'canceled', 'waiting'] as const),
				...(next() < 0.5 ? { startedAt: at } : {}),
				finishedAt: at,
				...(next() < 0.7 ? { durationMs: Math.floor(next() * 500) } : {}),
				itemsOut: next() < 0.5 ? [1] : [0, 2],
				...(next() < 0.3 ? { error: { message: 'boom' } } : {}),
				...(next() < 0.2 ? { continuedOnError: true } : {}),
				...(next() < 0.2 ? { subExecutionId: '99' } : {}),
			});
		case 'execution.waiting':
			return envelope('execution.waiting', seq, {
				node,
				...(next() < 0.5 ? { waitTill: at } : {}),
			});
		case 'execution.resumed':
			return envelope('execution.resumed', seq, { node });
		default:
			return envelope('execution.finished', seq, {
				status: pick(['success', 'error', 'canceled', 'crashed'] as const),
				...(next() < 0.5 ? { startedAt: at } : {}),
				finishedAt: at,
				...(next() < 0.5 ? { error: { message: 'failed', node } } : {}),
			});
	}
}

describe('dashboard state folding', () => {
	it("is generated from the server's reducer (protocol/fold.ts), and the file in git is current", () => {
		expect(generator.TARGET).toBe(join(DASHBOARD, 'fold.js'));
		const inGit = readFileSync(generator.TARGET, 'utf8');
		expect(inGit).toBe(generator.generate());
		expect(inGit).toMatch(/^\/\/ Generated from status-relay\/protocol\/fold\.ts/);
		expect(inGit).toMatch(/export function applyEvent\(snapshot, event\)/);
		// Plain JavaScript a browser runs: no TypeScript left, nothing imported.
		expect(inGit).not.toMatch(/^import |: ExecutionSnapshot|as EventDraft/m);
	});

	it('the generated module answers as the server on 300 random event sequences, step by step', () => {
		for (let seed = 1; seed <= 300; seed++) {
			const next = random(seed);
			let server: ExecutionSnapshot | undefined;
			let page: ExecutionSnapshot | undefined;
			const length = 1 + Math.floor(next() * 25);
			for (let seq = 1; seq <= length; seq++) {
				const event = randomEvent(next, seq);
				server = serverApply(server, event);
				page = dashboard.applyEvent(page, JSON.parse(JSON.stringify(event)));
				expect({ seed, seq, state: JSON.parse(JSON.stringify(page)) }).toEqual({
					seed,
					seq,
					state: JSON.parse(JSON.stringify(server)),
				});
			}
		}
	});

	it('continues from a snapshot the relay sent (rebuilt, seq 0)', () => {
		const rebuilt: ExecutionSnapshot = {
			executionId: 'e1',
			workflowId: 'wf',
			workflowName: 'Support',
			mode: 'webhook',
			status: 'waiting',
			seq: 0,
			rebuilt: true,
			nodes: [
				{ name: 'Prepare', type: 't', state: 'success', runs: 1 },
				{ name: 'Approval', type: 't', state: 'waiting', runs: 0 },
				{ name: 'Done', type: 't', state: 'pending', runs: 0 },
			],
		};
		const events = [
			envelope('execution.resumed', 1, { node: 'Approval' }),
			envelope('node.finished', 2, {
				node: 'Approval',
				nodeType: 't',
				runIndex: 0,
				status: 'success',
				finishedAt: new Date().toISOString(),
				itemsOut: [1],
			}),
			envelope('execution.finished', 3, {
				status: 'success',
				finishedAt: new Date().toISOString(),
			}),
		];
		let page: ExecutionSnapshot = JSON.parse(JSON.stringify(rebuilt));
		let server: ExecutionSnapshot = JSON.parse(JSON.stringify(rebuilt));
		for (const event of events) {
			page = dashboard.applyEvent(page, event);
			server = serverApply(server, event);
		}
		expect(page).toEqual(server);
		expect(page.nodes.map((n) => n.state)).toEqual(['success', 'success', 'skipped']);
	});
});

describe('dashboard recent runs and controls', () => {
	const run = (id: number, status: ExecutionSnapshot['status'], startedS: number, tookS: number) =>
		({
			executionId: String(id),
			workflowId: 'wf',
			workflowName: 'Support',
			mode: 'webhook',
			status,
			seq: 3,
			nodes: [],
			startedAt: new Date(1_700_000_000_000 + startedS * 1000).toISOString(),
			...(status === 'running' || status === 'waiting'
				? {}
				: { finishedAt: new Date(1_700_000_000_000 + (startedS + tookS) * 1000).toISOString() }),
		}) as ExecutionSnapshot;

	it('lists every run, active first, then newest start first (the column says "Started"), whatever order they finished in', () => {
		// 22 runs; long ones started early and finished late, so finish order is not start order.
		const runs = Array.from({ length: 20 }, (_, i) =>
			run(i + 1, i % 5 === 0 ? 'error' : 'success', i * 10, i % 3 === 0 ? 500 : 1),
		);
		runs.push(run(21, 'waiting', 5, 0), run(22, 'running', 195, 0));
		const shown = dashboard.sortRuns([...runs].reverse());
		expect(shown).toHaveLength(22);
		expect(shown.slice(0, 2).map((e) => e.executionId)).toEqual(['22', '21']);
		const starts = shown.slice(2).map((e) => e.startedAt!);
		expect(starts).toEqual([...starts].sort().reverse());
		expect(shown.slice(2).map((e) => e.executionId)).toEqual(
			Array.from({ length: 20 }, (_, i) => String(20 - i)),
		);
	});

	it('the relay snapshot carries those runs too (active, then the 50 newest started)', () => {
		const states = new ExecutionStates(1000);
		for (let i = 1; i <= 22; i++) {
			states.put(run(i, i === 3 ? 'waiting' : 'success', i * 10, i % 3 === 0 ? 500 : 1));
		}
		const listed = states.workflow('wf').executions.map((e) => e.executionId);
		expect(listed).toHaveLength(22);
		expect(listed[0]).toBe('3');
		expect(listed.slice(1)).toEqual(
			Array.from({ length: 22 }, (_, i) => String(22 - i)).filter((id) => id !== '3'),
		);
	});

	it('reads the workflow from the address fragment, a malformed escape included', () => {
		expect(dashboard.workflowFromHash('#workflow=abc')).toBe('abc');
		expect(dashboard.workflowFromHash('#workflow=a%20b&x=1')).toBe('a b');
		expect(dashboard.workflowFromHash('#workflow=%E0%A4%A')).toBe('%E0%A4%A');
		expect(dashboard.workflowFromHash('#workflow=%')).toBe('%');
		expect(dashboard.workflowFromHash('')).toBe('');
	});

	it('offers only the intake button that changes the current state', () => {
		expect(dashboard.intakeButtons('open')).toEqual({ pause: true, resume: false });
		expect(dashboard.intakeButtons('paused')).toEqual({ pause: false, resume: true });
		expect(dashboard.intakeButtons('unknown')).toEqual({ pause: true, resume: true });
	});
});

describe('dashboard page', () => {
	it('is served at / with a strict content security policy, and every module it imports', async () => {
		const relay = await new Relay(
			loadConfig({
				RELAY_HOST: '127.0.0.1',
				RELAY_PORT: '0',
				RELAY_INGEST_SECRET: 'unit-test-ingest-secret',
				RELAY_TOKENS: JSON.stringify({ 'unit-test-token-0123456789': { workflows: '*' } }),
			}),
			{ logger: createLogger('silent') },
		).start();
		try {
			const page = await fetch(`${relay.url}/`);
			expect(page.status).toBe(200);
			expect(page.headers.get('content-type')).toMatch(/^text\/html/);
			expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
			const html = await page.text();
			expect(html).toContain('<script type="module" src="/dashboard.js"></script>');
			// The module graph as the browser walks it, from the entry module.
			const served = new Map<string, string>();
			const pending = ['/dashboard.js'];
			while (pending.length) {
				const path = pending.pop()!;
				if (served.has(path)) continue;
				const script = await fetch(`${relay.url}${path}`);
				expect({ path, status: script.status }).toEqual({ path, status: 200 });
				expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
				const text = await script.text();
				served.set(path, text);
				for (const [, name] of text.matchAll(/^import [^;]*? from '\.\/([a-z-]+\.js)';$/gm))
					pending.push(`/${name}`);
			}
			expect([...served.keys()].sort()).toEqual(
				[
					'/controls.js',
					'/dashboard.js',
					'/fold.js',
					'/login.js',
					'/page.js',
					'/render.js',
					'/runs.js',
					'/stream.js',
				].sort(),
			);
			expect(served.get('/page.js')).toContain('n8n-support-relay.v1');
			expect(served.get('/fold.js')).toBe(readFileSync(join(DASHBOARD, 'fold.js'), 'utf8'));
			// Nothing else is served from the folder's neighbours or by other names.
			for (const path of ['/missing.js', '/index.html.js', '/..%2Fpackage.json', '/Fold.js']) {
				expect({ path, status: (await fetch(`${relay.url}${path}`)).status }).toEqual({
					path,
					status: 404,
				});
			}
			// The page asks the relay who the token is; nothing about it rides in the URL.
			const who = await fetch(`${relay.url}/api/v1/token`, {
				headers: { authorization: 'Bearer unit-test-token-0123456789' },
			});
			expect(await who.json()).toEqual({ name: 'token 1', control: false, workflows: '*' });
		} finally {
			await relay.stop();
		}
	});
});
