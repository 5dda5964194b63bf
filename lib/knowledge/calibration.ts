/**
 * The answer confidence: a logistic model over retrieval features, fitted by
 * `npm run eval:answers -- --fit` on one public data set and checked on others. Its output is the
 * probability that the knowledge it scores answers the email (what `support.answer.confidence` and
 * each snippet's `score` carry).
 */
import defaultModel from './calibration.json';

export const FEATURE_NAMES = [
	'weightedCoverage',
	'coverage',
	'margin',
	'docCoverage',
	'queryLength',
	'isReply',
	'agreement',
	'languageMatch',
	/** Weighted coverage of this answer minus the best of any other answer's. */
	'coverageMargin',
	/** The rarest query term this answer lacks (its idf over the query's highest idf; 0: none missing). */
	'missingRare',
	/** Share of the candidates that belong to this answer. */
	'vote',
	/** idf-weighted overlap (Dice) between the query and the answer's own terms (title or past question). */
	'ownOverlap',
	/** ownOverlap of this answer minus the best of any other answer's. */
	'ownMargin',
	/** docCoverage of this answer minus the best of any other answer's. */
	'docCoverageMargin',
] as const;

export type Features = Record<(typeof FEATURE_NAMES)[number], number>;

export interface CalibrationModel {
	/** The model inputs, in order: the features, then (with `knots`) their hinges `name>knot`. */
	features: string[];
	weights: number[];
	bias: number;
	/**
	 * Knots of the hinge inputs max(0, feature - knot) added for every graded feature (not the 0/1
	 * ones), so the model can bend each feature's effect (a generalised additive logistic model).
	 */
	knots?: number[];
	/**
	 * With `byReply`, every input is also multiplied by `isReply`: past replies and articles get
	 * weights of their own (one model per source), since the same match means less from a past reply.
	 */
	byReply?: boolean;
	/**
	 * Added to the logit of a past reply's probability. Chosen with the threshold, so the one threshold
	 * keeps the same precision for answers from articles and from past replies (see the eval report).
	 */
	replyShift?: number;
	/** Auto-answer at or above this probability (chosen from measurement; see the eval report). */
	autoAnswerThreshold: number;
	/** How the model and threshold were obtained. */
	fittedOn: string;
}

export const DEFAULT_CALIBRATION = defaultModel as CalibrationModel;

/** The features, in FEATURE_NAMES order. */
export function vector(features: Features): number[] {
	return FEATURE_NAMES.map((name) => features[name]);
}

/** Names of the features (`vector`). */
export const INPUT_NAMES: string[] = [...FEATURE_NAMES];

/** Features that are 0 or 1: no hinges. */
const BINARY = new Set<string>(['isReply', 'languageMatch']);

const IS_REPLY = FEATURE_NAMES.indexOf('isReply');

/**
 * The model inputs for a feature vector: the features, then their hinges at `knots`, then (with
 * `byReply`) all of those again times isReply.
 */
export function modelInputs(x: number[], knots: number[] = [], byReply = false): number[] {
	const out = [...x];
	for (let i = 0; i < FEATURE_NAMES.length; i++) {
		if (BINARY.has(FEATURE_NAMES[i])) continue;
		for (const knot of knots) out.push(Math.max(0, (x[i] ?? 0) - knot));
	}
	if (!byReply) return out;
	const reply = x[IS_REPLY] ? 1 : 0;
	return [...out, ...out.map((v) => v * reply)];
}

/** Names of `modelInputs`. */
export function modelInputNames(knots: number[] = [], byReply = false): string[] {
	const names: string[] = [...FEATURE_NAMES];
	for (const name of FEATURE_NAMES)
		if (!BINARY.has(name)) for (const knot of knots) names.push(`${name}>${knot}`);
	return byReply ? [...names, ...names.map((n) => `reply*${n}`)] : names;
}

/** The model's logit for a feature vector (`vector`), before the reply shift. */
export function logitOf(x: number[], model: CalibrationModel = DEFAULT_CALIBRATION): number {
	const inputs = modelInputs(x, model.knots, model.byReply);
	let z = model.bias;
	for (let i = 0; i < inputs.length; i++) z += (model.weights[i] ?? 0) * inputs[i];
	return z;
}

/** The model's probability for a feature vector (`vector`). */
export function probabilityOf(x: number[], model: CalibrationModel = DEFAULT_CALIBRATION): number {
	const z = logitOf(x, model) + (x[IS_REPLY] ? (model.replyShift ?? 0) : 0);
	return 1 / (1 + Math.exp(-z));
}

export function probability(
	features: Features,
	model: CalibrationModel = DEFAULT_CALIBRATION,
): number {
	return probabilityOf(vector(features), model);
}

/**
 * Fits weights by L2-regularised logistic regression (full-batch gradient descent with Adam): the
 * data sets are a few thousand rows of a few dozen inputs, so this takes well under a second.
 */
export function fitLogistic(
	rows: number[][],
	labels: number[],
	options: { l2?: number; iterations?: number; learningRate?: number } = {},
): { weights: number[]; bias: number } {
	const dims = rows[0]?.length ?? INPUT_NAMES.length;
	const l2 = options.l2 ?? 1e-3;
	const rate = options.learningRate ?? 0.05;
	const w = new Array<number>(dims + 1).fill(0);
	const m = new Array<number>(dims + 1).fill(0);
	const v = new Array<number>(dims + 1).fill(0);
	const positives = labels.reduce((a, b) => a + b, 0);
	const n = rows.length;
	if (n === 0) return { weights: w.slice(0, dims), bias: 0 };
	w[dims] = Math.log((positives + 1) / (n - positives + 1));
	for (let step = 1; step <= (options.iterations ?? 3000); step++) {
		const grad = new Array<number>(dims + 1).fill(0);
		for (let i = 0; i < n; i++) {
			let z = w[dims];
			for (let k = 0; k < dims; k++) z += w[k] * rows[i][k];
			const error = 1 / (1 + Math.exp(-z)) - labels[i];
			for (let k = 0; k < dims; k++) grad[k] += error * rows[i][k];
			grad[dims] += error;
		}
		for (let k = 0; k <= dims; k++) {
			const g = grad[k] / n + (k < dims ? l2 * w[k] : 0);
			m[k] = 0.9 * m[k] + 0.1 * g;
			v[k] = 0.999 * v[k] + 0.001 * g * g;
			const mHat = m[k] / (1 - 0.9 ** step);
			const vHat = v[k] / (1 - 0.999 ** step);
			w[k] -= (rate * mHat) / (Math.sqrt(vHat) + 1e-8);
		}
	}
	return { weights: w.slice(0, dims), bias: w[dims] };
}
