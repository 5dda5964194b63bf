/** The side-by-side table the benchmark prints. */
import type { RunResult } from './measure';

export interface ReportContext {
	n8nVersion: string;
	emails: number;
	latencyMs: number;
	equalConcurrency: number;
	machine: { cores: number; cpu: string; loadAtEnd: number };
}

const COLUMNS = [
	'run',
	'setting',
	'wall s',
	'emails/min',
	'calls/email',
	'in tok/email',
	'out tok/email',
	'n8n CPU s',
	'load 1m',
	'valid',
];

export function formatReport(results: RunResult[], ctx: ReportContext): string {
	const lines: string[] = [];
	lines.push(
		`Support Classifier vs n8n's Text Classifier + Sentiment Analysis + Information Extractor`,
		`n8n ${ctx.n8nVersion} (SQLite, regular mode), ${ctx.emails} emails per run, one local ` +
			`OpenAI-compatible server answering every request after ${ctx.latencyMs} ms; ` +
			`${ctx.machine.cores} cores (${ctx.machine.cpu}), load at end ${ctx.machine.loadAtEnd.toFixed(2)}`,
		'',
	);
	const rows = results.map((r) => [
		r.key,
		r.label,
		(r.wallMs / 1000).toFixed(1),
		((r.emails * 60_000) / r.wallMs).toFixed(0),
		(r.modelCalls / r.emails).toFixed(2),
		(r.inputTokens / r.emails).toFixed(0),
		(r.outputTokens / r.emails).toFixed(0),
		r.n8nCpuSeconds.toFixed(1),
		`${r.loadBefore.toFixed(1)}→${r.loadAfter.toFixed(1)}`,
		r.problems.length ? 'NO' : 'yes',
	]);
	lines.push(...table([COLUMNS, ...rows]), '');

	lines.push('Time per node (runData executionTime, s):');
	for (const r of results) {
		const parts = Object.entries(r.nodeMs).map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)}`);
		lines.push(`  ${r.key.padEnd(6)} ${parts.join(', ')}`);
	}
	lines.push('Model calls and tokens per email, by node:');
	for (const r of results) {
		const parts = Object.entries(r.tokensByKind).map(
			([kind, t]) =>
				`${kind} ${((r.callsByKind as any)[kind] / r.emails).toFixed(2)} calls, ` +
				`${(t!.input / r.emails).toFixed(0)} in / ${(t!.output / r.emails).toFixed(0)} out`,
		);
		lines.push(`  ${r.key.padEnd(6)} ${parts.join('; ')}`);
	}
	lines.push('');

	const pairs: Array<[string, RunResult | undefined, RunResult | undefined]> = [
		['defaults (B / A)', find(results, 'A'), find(results, 'B')],
		[
			`equal concurrency ${ctx.equalConcurrency} (C-n8n / C-ours)`,
			find(results, 'C-ours'),
			find(results, 'C-n8n'),
		],
	];
	lines.push("Ratios, n8n's nodes / ours:");
	for (const [name, ours, theirs] of pairs) {
		if (!ours || !theirs) continue;
		lines.push(
			`  ${name}: wall time ${ratio(theirs.wallMs, ours.wallMs)}, ` +
				`calls per email ${ratio(theirs.modelCalls, ours.modelCalls)}, ` +
				`input tokens ${ratio(theirs.inputTokens, ours.inputTokens)}, ` +
				`output tokens ${ratio(theirs.outputTokens, ours.outputTokens)}, ` +
				`n8n CPU ${ratio(theirs.n8nCpuSeconds, ours.n8nCpuSeconds)}`,
		);
	}
	const a = find(results, 'A');
	const b = find(results, 'B');
	if (a && b) {
		const speedup = b.wallMs / a.wallMs;
		lines.push(
			'',
			`Targets (issue 4): one call per email where they need three: ours ${(a.modelCalls / a.emails).toFixed(2)}, ` +
				`theirs ${(b.modelCalls / b.emails).toFixed(2)} (${a.modelCalls === a.emails && b.modelCalls === 3 * b.emails ? 'met' : 'NOT met'}); ` +
				`at least 3x faster at defaults: ${speedup.toFixed(2)}x (${speedup >= 3 ? 'met' : 'NOT met'})`,
		);
	}
	const invalid = results.filter((r) => r.problems.length);
	for (const r of invalid) lines.push(`INVALID run ${r.key}: ${r.problems.join('; ')}`);
	return lines.join('\n');
}

function find(results: RunResult[], key: string): RunResult | undefined {
	return results.find((r) => r.key === key);
}

function ratio(a: number, b: number): string {
	return b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a';
}

function table(rows: string[][]): string[] {
	const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
	const line = (row: string[]) =>
		`| ${row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
	return [
		line(rows[0]),
		`|${widths.map((w, i) => (i < 2 ? `-${'-'.repeat(w)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
		...rows.slice(1).map(line),
	];
}
