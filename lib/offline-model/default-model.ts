import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

import { OfflineClassifier, type SerializedModel } from './classifier';
import type { TrainingSet } from './training-data';

export const DEFAULT_MODEL_FILE = 'default-model.json';
export const DEFAULT_TRAINING_SET_FILE = 'training-set.json';

/**
 * Where a shipped model file can be: beside this module (source tree, and dist/ when the build copies
 * lib's JSON), or in the repository's lib/ when this module runs from a compiled copy
 * (dist/lib/offline-model or build-scripts/lib/offline-model).
 */
export function defaultModelCandidates(file = DEFAULT_MODEL_FILE): string[] {
	return [
		path.join(__dirname, 'model', file),
		path.resolve(__dirname, '..', '..', '..', 'lib', 'offline-model', 'model', file),
	];
}

function readShipped(file: string): unknown {
	const found = defaultModelCandidates(file).find((candidate) => existsSync(candidate));
	if (!found) {
		throw new Error(
			`The built-in offline model is missing (looked for ${defaultModelCandidates(file).join(', ')}). Run the offline model training script or reinstall the package.`,
		);
	}
	return JSON.parse(readFileSync(found, 'utf8'));
}

let cached: OfflineClassifier | undefined;
let cachedSet: TrainingSet | undefined;

/** The built-in model (support categories + intents, seven languages), loaded once per process. */
export function getDefaultClassifier(): OfflineClassifier {
	cached ??= OfflineClassifier.fromJSON(readShipped(DEFAULT_MODEL_FILE) as SerializedModel);
	return cached;
}

/** The examples the built-in model learned from (to extend it with a team's own), loaded once. */
export function getDefaultTrainingSet(): TrainingSet {
	cachedSet ??= readShipped(DEFAULT_TRAINING_SET_FILE) as TrainingSet;
	return cachedSet;
}
