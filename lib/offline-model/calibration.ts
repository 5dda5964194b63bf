/**
 * Temperature scaling (Guo et al. 2017): one scalar T fitted on held-out logits so that
 * softmax(logits / T) minimises the negative log-likelihood. It changes confidences, never the
 * predicted class.
 */
export function negativeLogLikelihood(
	logits: readonly Float64Array[],
	labels: ArrayLike<number>,
	temperature: number,
): number {
	let total = 0;
	for (let i = 0; i < logits.length; i++) {
		const row = logits[i];
		let max = -Infinity;
		for (let k = 0; k < row.length; k++) if (row[k] > max) max = row[k];
		let sum = 0;
		for (let k = 0; k < row.length; k++) sum += Math.exp((row[k] - max) / temperature);
		total += Math.log(sum) - (row[labels[i]] - max) / temperature;
	}
	return total / Math.max(1, logits.length);
}

/** Golden-section search over log T in [log 0.02, log 50]; NLL is unimodal in T. */
export function fitTemperature(logits: readonly Float64Array[], labels: ArrayLike<number>): number {
	if (logits.length === 0) return 1;
	let low = Math.log(0.02);
	let high = Math.log(50);
	const ratio = (Math.sqrt(5) - 1) / 2;
	let a = high - ratio * (high - low);
	let b = low + ratio * (high - low);
	let fa = negativeLogLikelihood(logits, labels, Math.exp(a));
	let fb = negativeLogLikelihood(logits, labels, Math.exp(b));
	for (let iteration = 0; iteration < 60; iteration++) {
		if (fa < fb) {
			high = b;
			b = a;
			fb = fa;
			a = high - ratio * (high - low);
			fa = negativeLogLikelihood(logits, labels, Math.exp(a));
		} else {
			low = a;
			a = b;
			fa = fb;
			b = low + ratio * (high - low);
			fb = negativeLogLikelihood(logits, labels, Math.exp(b));
		}
	}
	let temperature = Math.exp((low + high) / 2);
	// A held-out set the model gets (almost) all right drives T towards 0 and every confidence to 1,
	// including on text unlike anything it was trained on. Never let the mean confidence exceed the
	// Laplace-smoothed held-out accuracy (correct + 1) / (n + 2).
	let correct = 0;
	for (let i = 0; i < logits.length; i++) if (argmax(logits[i]) === labels[i]) correct++;
	const ceiling = (correct + 1) / (logits.length + 2);
	if (meanConfidence(logits, temperature) > ceiling) {
		let lowT = Math.log(temperature);
		let highT = Math.log(50);
		for (let iteration = 0; iteration < 60; iteration++) {
			const middle = (lowT + highT) / 2;
			if (meanConfidence(logits, Math.exp(middle)) > ceiling) lowT = middle;
			else highT = middle;
		}
		temperature = Math.exp(highT);
	}
	// Rounded so that a model file written from it is stable across tiny float differences.
	return Number(temperature.toPrecision(6));
}

function argmax(row: Float64Array): number {
	let best = 0;
	for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
	return best;
}

/** Mean of the top softmax probability at the given temperature. */
export function meanConfidence(logits: readonly Float64Array[], temperature: number): number {
	let total = 0;
	for (const row of logits) {
		const best = row[argmax(row)];
		let sum = 0;
		for (let k = 0; k < row.length; k++) sum += Math.exp((row[k] - best) / temperature);
		total += 1 / sum;
	}
	return total / Math.max(1, logits.length);
}

export interface ReliabilityBin {
	lower: number;
	upper: number;
	count: number;
	meanConfidence: number;
	accuracy: number;
}

export interface CalibrationReport {
	/** Expected calibration error: sum over bins of |accuracy - confidence| weighted by bin share. */
	ece: number;
	bins: ReliabilityBin[];
}

/** ECE with equal-width confidence bins (15 by default, as in Guo et al.). */
export function calibrationReport(
	confidences: ArrayLike<number>,
	correct: ArrayLike<boolean>,
	binCount = 15,
): CalibrationReport {
	const sums = new Float64Array(binCount);
	const hits = new Float64Array(binCount);
	const counts = new Float64Array(binCount);
	for (let i = 0; i < confidences.length; i++) {
		const bin = Math.min(binCount - 1, Math.floor(confidences[i] * binCount));
		sums[bin] += confidences[i];
		hits[bin] += correct[i] ? 1 : 0;
		counts[bin]++;
	}
	let ece = 0;
	const bins: ReliabilityBin[] = [];
	for (let bin = 0; bin < binCount; bin++) {
		const count = counts[bin];
		const meanConfidence = count ? sums[bin] / count : 0;
		const accuracy = count ? hits[bin] / count : 0;
		if (count) ece += (count / confidences.length) * Math.abs(accuracy - meanConfidence);
		bins.push({
			lower: bin / binCount,
			upper: (bin + 1) / binCount,
			count,
			meanConfidence,
			accuracy,
		});
	}
	return { ece, bins };
}
