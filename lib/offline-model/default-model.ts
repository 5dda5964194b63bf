import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

import { OfflineClassifier, type SerializedModel } from './classifier';

export const DEFAULT_MODEL_FILE = 'default-model.json';

/**
 * Where the shipped model can be: beside this module (source tree, and dist/ when the build copies
 * lib's JSON), or in the repository's lib/ when this module runs from a compiled copy
 * (dist/lib/offline-model or build-scripts/lib/offline-model).
 */
export function defaultModelCandidates(): string[] {
	return [
		path.join(__dirname, 'model', DEFAULT_MODEL_FILE),
		path.resolve(__dirname, '..', '..', '..', 'lib', 'offline-model', 'model', DEFAULT_MODEL_FILE),
	];
}

let cached: OfflineClassifier | undefined;

/** The built-in model (Bitext categories + intents), loaded once per process. */
export function getDefaultClassifier(): OfflineClassifier {
	if (cached) return cached;
	const file = defaultModelCandidates().find((candidate) => existsSync(candidate));
	if (!file) {
		throw new Error(
			`The built-in offline model is missing (looked for ${defaultModelCandidates().join(', ')}). Run the offline model training script or reinstall the package.`,
		);
	}
	cached = OfflineClassifier.fromJSON(JSON.parse(readFileSync(file, 'utf8')) as SerializedModel);
	return cached;
}
