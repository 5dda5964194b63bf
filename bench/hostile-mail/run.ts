/**
 * Hostile mail from issue 14 through the normaliser the Inbox Trigger and Normalize use: time and
 * memory per input, side by side with an ordinary message in the same run. Goal: each under 2 s and
 * 300 MB. Run: npm run bench:hostile-mail (each input in its own child process, so the memory
 * figure is that input's own peak RSS).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { normalizeInput } from '../../lib/email/normalize';
import { hostileMails } from '../../test/fixtures/mime/hostile';

const GOAL_MS = 2000;
const GOAL_MB = 300;
const ORDINARY = () =>
	readFileSync(join(__dirname, '../../../test/fixtures/mime/gmail-quoted.eml'));

async function normalize(raw: Buffer) {
	return await normalizeInput(
		{ json: { raw }, binaryNames: [], binaryInfo: () => undefined, readBinary: async () => raw },
		{ source: 'field', rawField: 'raw', maxBytes: 50 * 1024 * 1024 },
	);
}

async function one(name: string): Promise<void> {
	// Warm up (module loading, JIT) on the ordinary message, so every row measures the same work.
	await normalize(ORDINARY());
	const raw = name === 'ordinary' ? ORDINARY() : hostileMails.find((m) => m.name === name)!.raw();
	const started = process.hrtime.bigint();
	const cpuBefore = process.cpuUsage();
	const email = await normalize(raw);
	const ms = Number(process.hrtime.bigint() - started) / 1e6;
	const cpu = process.cpuUsage(cpuBefore);
	const cpuMs = (cpu.user + cpu.system) / 1000;
	const rssMb = process.resourceUsage().maxRSS / 1024;
	process.stdout.write(
		JSON.stringify({
			name,
			bytes: raw.length,
			ms,
			cpuMs,
			rssMb,
			textChars: email.text.length,
			warnings: email.warnings ?? [],
		}),
	);
}

function main(): void {
	const child = process.argv[2];
	if (child) {
		void one(child);
		return;
	}
	const rows = ['ordinary', ...hostileMails.map((m) => m.name)].map((name) => {
		const out = execFileSync(process.execPath, [__filename, name], {
			maxBuffer: 64 * 1024 * 1024,
		}).toString();
		return JSON.parse(out) as {
			name: string;
			bytes: number;
			ms: number;
			cpuMs: number;
			rssMb: number;
		};
	});
	const base = rows[0];
	process.stdout.write(
		`${'input'.padEnd(38)} ${'size'.padStart(9)} ${'wall'.padStart(9)} ${'CPU'.padStart(9)} ${'CPU x ordinary'.padStart(14)} ${'peak RSS'.padStart(9)}  goal (CPU <${GOAL_MS} ms, <${GOAL_MB} MB)\n`,
	);
	let failed = 0;
	for (const row of rows) {
		// CPU time, not wall time: on a shared machine the wall clock measures the neighbours.
		const ok = row.cpuMs < GOAL_MS && row.rssMb < GOAL_MB;
		if (!ok) failed++;
		process.stdout.write(
			`${row.name.padEnd(38)} ${(row.bytes / 1024 / 1024).toFixed(2).padStart(6)} MB ${row.ms.toFixed(0).padStart(6)} ms ${row.cpuMs.toFixed(0).padStart(6)} ms ${(row.cpuMs / base.cpuMs).toFixed(1).padStart(13)}x ${row.rssMb.toFixed(0).padStart(6)} MB  ${ok ? 'ok' : 'OVER'}\n`,
		);
	}
	process.stdout.write(
		`${rows.length - failed} within goal, ${failed} over (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)\n`,
	);
	if (failed) process.exitCode = 1;
}

main();
