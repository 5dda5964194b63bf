/**
 * A small seeded PRNG (mulberry32). Training must be reproducible byte for byte, so nothing in this
 * library uses Math.random.
 */
export function createRng(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Fisher-Yates shuffle in place with the given generator. */
export function shuffleInPlace<T>(items: T[] | Int32Array, random: () => number): void {
	for (let i = items.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		const tmp = items[i];
		items[i] = items[j];
		items[j] = tmp;
	}
}

/**
 * Stratified k-fold assignment: returns, for each example, the fold (0..k-1) it is tested in.
 * Examples of each label are shuffled with the seed and dealt round-robin, so every fold gets the
 * same share of every label.
 */
export function stratifiedFolds(labels: readonly string[], k: number, seed: number): Int32Array {
	const random = createRng(seed);
	const byLabel = new Map<string, number[]>();
	labels.forEach((label, index) => {
		const list = byLabel.get(label);
		if (list) list.push(index);
		else byLabel.set(label, [index]);
	});
	const folds = new Int32Array(labels.length);
	let offset = 0;
	for (const label of [...byLabel.keys()].sort()) {
		const indices = byLabel.get(label) as number[];
		shuffleInPlace(indices, random);
		indices.forEach((index, position) => {
			folds[index] = (position + offset) % k;
		});
		offset += indices.length;
	}
	return folds;
}
