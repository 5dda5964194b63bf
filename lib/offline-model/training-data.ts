import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

import {
	OfflineClassifier,
	type SerializedModel,
	trainClassifier,
	type TrainClassifierOptions,
	type TrainingExample,
	type TrainingSummary,
} from './classifier';
import { parseCsvRecords } from './csv';

/**
 * The data the built-in model learns from, as shipped in the repository's data/ folder, and the
 * options the training script uses (the evaluation script reuses them, so what it measures is
 * what ships).
 */

export const BITEXT_CSV = path.join(
	'data',
	'bitext-customer-support',
	'Bitext_Sample_Customer_Support_Training_Dataset.csv',
);
export const BANKING77_CSV = path.join('data', 'banking77', 'train.csv');
export const OUT_OF_TAXONOMY_TXT = path.join('data', 'out-of-taxonomy.txt');

export const DEFAULT_MODEL_NAME = 'offline/bitext-customer-support';
/** How many n-grams the shipped model keeps (by largest weight) and its unsure threshold. */
export const DEFAULT_MODEL_MAX_FEATURES = 20000;
export const DEFAULT_MODEL_TRAINING: TrainClassifierOptions = {
	seed: 7,
	unsureThreshold: 0.7,
};

/** The folder holding this package's package.json, searched upwards from `start`. */
export function findRepositoryRoot(start: string): string {
	let current = path.resolve(start);
	for (;;) {
		const manifest = path.join(current, 'package.json');
		if (existsSync(manifest)) {
			const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
			if (name === 'n8n-nodes-support-email') return current;
		}
		const parent = path.dirname(current);
		if (parent === current)
			throw new Error(`No n8n-nodes-support-email package.json above ${start}`);
		current = parent;
	}
}

/** Bitext rows as examples: the customer's text, its category (lower-cased) and its intent. */
export function loadBitextExamples(root: string): TrainingExample[] {
	return parseCsvRecords(readFileSync(path.join(root, BITEXT_CSV), 'utf8')).map((row) => ({
		text: row.instruction,
		label: row.category.toLowerCase(),
		intent: row.intent,
	}));
}

export function loadBanking77Examples(root: string): TrainingExample[] {
	return parseCsvRecords(readFileSync(path.join(root, BANKING77_CSV), 'utf8')).map((row) => ({
		text: row.text,
		label: row.category,
	}));
}

export function loadOutOfTaxonomyTexts(root: string): string[] {
	return readFileSync(path.join(root, OUT_OF_TAXONOMY_TXT), 'utf8')
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => line && !line.startsWith('#'));
}

/**
 * Trains the shipped model from Bitext examples and returns it exactly as it is stored: pruned to
 * DEFAULT_MODEL_MAX_FEATURES, 8-bit weights, and metadata without timestamps or timings, so the same
 * data always gives the same bytes.
 */
export function buildDefaultModel(examples: readonly TrainingExample[]): SerializedModel {
	const trained = trainClassifier(examples, DEFAULT_MODEL_TRAINING);
	const summary = trained.metadata.training as TrainingSummary;
	const serialized = trained.compact(DEFAULT_MODEL_MAX_FEATURES).toJSON('int8');
	serialized.metadata = {
		name: DEFAULT_MODEL_NAME,
		description:
			'Support e-mail category (11) and intent (27) classifier learned from the Bitext customer-support sample',
		trainingData: {
			file: BITEXT_CSV.split(path.sep).join('/'),
			license: 'CDLA-Sharing-1.0 (see data/bitext-customer-support/LICENSE.txt and SOURCE.md)',
			examples: summary.examples,
			labelColumn: 'category (lower-cased)',
			intentColumn: 'intent',
		},
		trainingOptions: DEFAULT_MODEL_TRAINING,
		features: { learned: summary.features, kept: serialized.vocabulary.size },
		temperatures: summary.temperatures,
		epochs: summary.epochs,
		script: 'scripts/train-offline-model.ts',
	};
	return serialized;
}

/** The stored form, byte for byte (two-space JSON and a final newline). */
export function serializeModel(model: SerializedModel): string {
	return `${JSON.stringify(model, null, 2)}\n`;
}

export function modelFromSerialized(model: SerializedModel): OfflineClassifier {
	return OfflineClassifier.fromJSON(JSON.parse(JSON.stringify(model)) as SerializedModel);
}
