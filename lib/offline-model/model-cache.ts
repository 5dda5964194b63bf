import { createHash } from 'crypto';

import {
	type OfflineClassifier,
	trainClassifier,
	type TrainClassifierOptions,
	type TrainingExample,
} from './classifier';
import { encodeSentences, SENTENCE_ENCODER_ID } from './sentence-encoder';

/**
 * A node runs once per execution, often on the same labelled examples: keep the few most recently
 * trained models in memory, keyed by a hash of the examples and options, so retraining only happens
 * when the examples change.
 */
const MAX_MODELS = 4;
const cache = new Map<string, OfflineClassifier>();

export function trainingKey(
	examples: readonly TrainingExample[],
	options: TrainClassifierOptions = {},
): string {
	const hash = createHash('sha256');
	hash.update(JSON.stringify(options));
	for (const example of examples) {
		hash.update(`\u0000${example.text}\u0001${example.label}\u0001${example.intent ?? ''}`);
	}
	return hash.digest('hex');
}

/** A cached model, moved to the most recently used end. */
function cachedModel(key: string): OfflineClassifier | undefined {
	const hit = cache.get(key);
	if (hit) {
		cache.delete(key);
		cache.set(key, hit);
	}
	return hit;
}

/** Keeps a model, dropping the least recently used beyond MAX_MODELS. */
function keepModel(key: string, model: OfflineClassifier): OfflineClassifier {
	cache.set(key, model);
	while (cache.size > MAX_MODELS) cache.delete(cache.keys().next().value as string);
	return model;
}

export function getOrTrainClassifier(
	examples: readonly TrainingExample[],
	options: TrainClassifierOptions = {},
): { model: OfflineClassifier; cached: boolean } {
	const key = trainingKey(examples, options);
	const hit = cachedModel(key);
	if (hit) return { model: hit, cached: true };
	return { model: keepModel(key, trainClassifier(examples, options)), cached: false };
}

/**
 * Like getOrTrainClassifier, with the sentence encoder mixed in (`trainClassifier`'s sentence head).
 * The examples are encoded only when the model is not cached already. When the encoder cannot be
 * loaded, the model is learned from words alone and its name (`classification.model`) says why.
 */
export async function getOrTrainClassifierWithSentences(
	examples: readonly TrainingExample[],
	options: TrainClassifierOptions = {},
): Promise<{ model: OfflineClassifier; cached: boolean }> {
	const key = trainingKey(examples, options) + `+${SENTENCE_ENCODER_ID}`;
	const hit = cachedModel(key);
	if (hit) return { model: hit, cached: true };
	let model: OfflineClassifier;
	try {
		const vectors = await encodeSentences(examples.map((example) => example.text));
		model = trainClassifier(examples, options, vectors);
		model.metadata.name = `offline/custom+${SENTENCE_ENCODER_ID}`;
		model.metadata.sentenceEncoder = SENTENCE_ENCODER_ID;
	} catch (error) {
		model = trainClassifier(examples, options);
		// Said on every item (classification.model), so a broken install does not pass unseen.
		const reason = (error as Error).message.split('\n')[0];
		model.metadata.name = `offline/custom (sentence encoder unavailable: ${reason})`;
		model.metadata.sentenceEncoder = `unavailable: ${reason}`;
	}
	return { model: keepModel(key, model), cached: false };
}

export function clearClassifierCache(): void {
	cache.clear();
}
