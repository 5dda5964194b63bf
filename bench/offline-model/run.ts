/**
 * bench/offline-model: what the Support Classifier spends per email to find its offline model, side
 * by side with the prediction itself, with 10,003 Training Examples (BANKING77's 77 intents as a
 * team's own taxonomy) and with the built-in model.
 *
 *   node build-scripts/bench/offline-model/run.js [--emails 300] [--rounds 5]
 *
 * For each configuration, alternating in rounds so both see the same machine load:
 *   - lookup: the node's per-execution step (offlineModelForExecution) on an unchanged configuration,
 *     i.e. the overhead an execution of ONE email pays (the worst case: a trigger emits one email per
 *     execution);
 *   - before: what the node did per email before (rebuild the example list, hash all of it);
 *   - predict: classifyOffline with the found model (the prediction itself);
 *   - encode: what a model learned with the sentence encoder (the node's default for categories of
 *     the team's own) adds per email: encoding the email's text, one email at a time as the node does.
 * Prints medians over rounds and the ratios lookup/predict, before/predict and encode/predict. The
 * model here is learned from words only (learning with the encoder takes minutes at 10,003 examples);
 * its prediction costs the same either way but for the 512-number sentence head.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import type { ClassifyConfig } from '../../lib/classify';
import { ALL_FIELDS, offlineModelFor } from '../../lib/classify';
import { classificationText, classifyOffline } from '../../lib/offline-model/classify';
import { encodeSentences } from '../../lib/offline-model/sentence-encoder';
import {
	findRepositoryRoot,
	loadBanking77Examples,
	loadSupportMailEvaluation,
} from '../../lib/offline-model/training-data';
import { offlineModelForExecution } from '../../nodes/SupportClassifier/offline-model';

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

function timePerCall(calls: number, fn: (i: number) => void): number {
	const started = performance.now();
	for (let i = 0; i < calls; i++) fn(i);
	return (performance.now() - started) / calls;
}

async function timePerAsyncCall(
	calls: number,
	fn: (i: number) => Promise<unknown>,
): Promise<number> {
	const started = performance.now();
	for (let i = 0; i < calls; i++) await fn(i);
	return (performance.now() - started) / calls;
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			emails: { type: 'string', default: '300' },
			rounds: { type: 'string', default: '5' },
		},
	});
	const emailsPerRound = Number(values.emails);
	const rounds = Number(values.rounds);
	const root = findRepositoryRoot(__dirname);
	const banking = loadBanking77Examples(root);
	const labels = JSON.parse(
		readFileSync(path.join(root, 'data', 'banking77', 'categories.json'), 'utf8'),
	) as string[];
	const rawExamples = JSON.stringify(banking.map(({ text, label }) => ({ text, label })));
	const mails = loadSupportMailEvaluation(root).map((m) => `${m.subject}\n${m.text}`);
	const bankingTexts = banking.slice(0, emailsPerRound).map((e) => e.text);

	const base: Omit<ClassifyConfig, 'extraExamples'> = {
		categories: labels.map((name) => ({ name })),
		providers: [],
		offlineFallback: true,
		multiLabel: false,
		fields: ALL_FIELDS,
		maxInputChars: 8000,
		redactPersonalData: false,
	};
	const builtIn: Omit<ClassifyConfig, 'extraExamples'> = { ...base, categories: [] };
	const parse = () => JSON.parse(rawExamples) as Array<{ text: string; label: string }>;

	console.log(
		`bench/offline-model: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()
			.map((l) => l.toFixed(2))
			.join(
				' ',
			)}; ${banking.length} Training Examples (${(rawExamples.length / 1024).toFixed(0)} KiB of JSON), ${emailsPerRound} emails x ${rounds} rounds`,
	);
	const trainStarted = performance.now();
	const trained = await offlineModelForExecution(base, rawExamples, parse);
	console.log(
		`  first execution learns the model: ${((performance.now() - trainStarted) / 1000).toFixed(2)} s (once per configuration and process)`,
	);
	const shipped = await offlineModelForExecution(builtIn, undefined, () => undefined);

	// Each execution reads its parameters afresh: equal strings, but not the same string object (so a
	// lookup compares the bytes, as it would in n8n).
	const copies = Array.from({ length: 8 }, () => Buffer.from(rawExamples).toString());
	const results = {
		lookup: [] as number[],
		before: [] as number[],
		predict: [] as number[],
		encode: [] as number[],
	};
	await encodeSentences(['warm up: the encoder loads on first use']);
	const builtInResults = { lookup: [] as number[], predict: [] as number[] };
	const beforeConfig = { ...base, extraExamples: parse() };
	for (let round = 0; round < rounds; round++) {
		results.lookup.push(
			await timePerAsyncCall(emailsPerRound, (i) =>
				offlineModelForExecution(base, copies[i % copies.length], parse),
			),
		);
		results.before.push(
			timePerCall(Math.max(5, emailsPerRound / 20), () => offlineModelFor(beforeConfig)),
		);
		results.predict.push(
			timePerCall(emailsPerRound, (i) =>
				classifyOffline(bankingTexts[i], { model: trained.model }),
			),
		);
		results.encode.push(
			await timePerAsyncCall(Math.max(5, emailsPerRound / 10), (i) =>
				encodeSentences([classificationText(bankingTexts[i], 'Support request')]),
			),
		);
		builtInResults.lookup.push(
			await timePerAsyncCall(emailsPerRound, () =>
				offlineModelForExecution(builtIn, undefined, () => undefined),
			),
		);
		builtInResults.predict.push(
			timePerCall(emailsPerRound, (i) =>
				classifyOffline(mails[i % mails.length], { model: shipped.model }),
			),
		);
	}
	const lookup = median(results.lookup);
	const before = median(results.before);
	const predict = median(results.predict);
	console.log(`  77 categories + 10,003 Training Examples (medians over ${rounds} rounds):`);
	console.log(`    predict (classifyOffline)         ${predict.toFixed(3)} ms/email`);
	console.log(
		`    lookup once per execution (now)   ${lookup.toFixed(3)} ms per execution of 1 email = ${(lookup / predict).toFixed(2)}x the prediction`,
	);
	console.log(
		`    list + hash per email (before)    ${before.toFixed(3)} ms/email = ${(before / predict).toFixed(2)}x the prediction; now/before ${(lookup / before).toFixed(4)}`,
	);
	const encode = median(results.encode);
	console.log(
		`    sentence encoder, per email       ${encode.toFixed(3)} ms/email = ${(encode / predict).toFixed(1)}x the prediction (a model learned with Sentence Encoder on)`,
	);
	const bLookup = median(builtInResults.lookup);
	const bPredict = median(builtInResults.predict);
	console.log(
		`  built-in model: predict ${bPredict.toFixed(3)} ms/email (held-out mail), lookup ${bLookup.toFixed(4)} ms per execution = ${(bLookup / bPredict).toFixed(3)}x`,
	);
	const checks: Array<[string, boolean]> = [
		[
			`per-email overhead at 10,003 examples <= 0.5 ms (${lookup.toFixed(3)} ms at load ${loadavg()[0].toFixed(1)})`,
			lookup <= 0.5,
		],
		[`overhead below the prediction itself (${(lookup / predict).toFixed(2)}x)`, lookup < predict],
	];
	for (const [name, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${name}`);
	const failed = checks.filter(([, ok]) => !ok).length;
	console.log(`${checks.length - failed} passed, ${failed} failed`);
}

void main();
