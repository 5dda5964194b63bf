/**
 * Trains the built-in offline classifier from the Bitext data in data/ and writes
 * lib/offline-model/model/default-model.json. Deterministic: the same data gives the same bytes.
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
	findRepositoryRoot,
	loadBitextExamples,
	serializeModel,
} from '../lib/offline-model/training-data';

function main(): number {
	const check = process.argv.includes('--check');
	const root = findRepositoryRoot(__dirname);
	const target = path.join(root, 'lib', 'offline-model', 'model', 'default-model.json');
	const examples = loadBitextExamples(root);
	const started = performance.now();
	const model = buildDefaultModel(examples);
	const seconds = (performance.now() - started) / 1000;
	const text = serializeModel(model);
	const sha256 = createHash('sha256').update(text).digest('hex');
	console.log(
		`trained on ${examples.length} examples in ${seconds.toFixed(2)} s: ${model.heads.map((h) => `${h.name} ${h.labels.length} classes, T=${h.temperature}`).join('; ')}; ${model.vocabulary.size} features`,
	);
	console.log(`model ${(text.length / 1024).toFixed(0)} KiB, sha256 ${sha256}`);
	if (check) {
		const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
		if (current !== text) {
			console.error(`${path.relative(root, target)} differs from a fresh training run`);
			return 1;
		}
		console.log(`${path.relative(root, target)} is reproducible byte for byte`);
		return 0;
	}
	mkdirSync(path.dirname(target), { recursive: true });
	writeFileSync(target, text);
	console.log(`wrote ${path.relative(root, target)}`);
	return 0;
}

process.exitCode = main();
