/**
 * Trains the built-in offline classifier from the data in data/ (a share of the Bitext sample and the
 * hand-written multilingual examples) and writes lib/offline-model/model/training-set.json and
 * default-model.json. Deterministic: the same data gives the same bytes.
 *
 *   npx tsc -p tsconfig.scripts.json && node build-scripts/scripts/train-offline-model.js [--check]
 *
 * --check retrains and fails (exit 1) if the result differs from the committed file.
 */
import { createHash } from 'crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';

import {
	buildDefaultModel,
	buildTrainingSet,
	findRepositoryRoot,
	serializeModel,
} from '../lib/offline-model/training-data';

function main(): number {
	const check = process.argv.includes('--check');
	const root = findRepositoryRoot(__dirname);
	const target = path.join(root, 'lib', 'offline-model', 'model', 'default-model.json');
	const setTarget = path.join(root, 'lib', 'offline-model', 'model', 'training-set.json');
	const set = buildTrainingSet(root);
	const setText = serializeModel(set);
	const started = performance.now();
	const model = buildDefaultModel(set);
	const seconds = (performance.now() - started) / 1000;
	const text = serializeModel(model);
	const examples = set.examples;
	const sha256 = createHash('sha256').update(text).digest('hex');
	console.log(
		`trained on ${examples.length} examples in ${seconds.toFixed(2)} s: ${model.heads.map((h) => `${h.name} ${h.labels.length} classes, T=${h.temperature}`).join('; ')}; ${model.vocabulary.size} features`,
	);
	console.log(`model ${(text.length / 1024).toFixed(0)} KiB, sha256 ${sha256}`);
	const outputs: Array<[string, string]> = [
		[setTarget, setText],
		[target, text],
	];
	if (check) {
		let failed = 0;
		for (const [file, content] of outputs) {
			const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
			if (current !== content) {
				console.error(`${path.relative(root, file)} differs from a fresh training run`);
				failed = 1;
			} else console.log(`${path.relative(root, file)} is reproducible byte for byte`);
		}
		return failed;
	}
	mkdirSync(path.dirname(target), { recursive: true });
	for (const [file, content] of outputs) {
		writeFileSync(file, content);
		console.log(`wrote ${path.relative(root, file)}`);
	}
	return 0;
}

process.exitCode = main();
