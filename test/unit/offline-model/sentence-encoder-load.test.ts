import { encodeSentences, SENTENCE_VECTOR_SIZE } from '../../../lib/offline-model/sentence-encoder';

/**
 * The encoder's first load on a busy machine: TensorFlow.js's WebAssembly backend compiles while the
 * model file is read. Here the compile is held back (until the model has certainly been read), as a
 * slow machine does; the model must still load and encode, not fail with "Backend 'wasm' has not yet
 * been initialized". A file of its own: the backend must not have started in this process yet.
 */
describe('the sentence encoder on a slow machine', () => {
	it('waits for its WebAssembly backend before it reads the model', async () => {
		// The test's own global (no DOM types in this project's TypeScript settings).
		const wasm = (
			globalThis as unknown as {
				WebAssembly: { instantiate: (...args: unknown[]) => Promise<unknown> };
			}
		).WebAssembly;
		const instantiate = wasm.instantiate.bind(wasm);
		let compiles = 0;
		const held = jest.spyOn(wasm, 'instantiate').mockImplementation((...args: unknown[]) => {
			compiles++;
			return new Promise((resolve) => setTimeout(resolve, 3000)).then(() => instantiate(...args));
		});
		try {
			const [vector] = await encodeSentences(['Where is my parcel?']);
			expect(compiles).toBeGreaterThan(0);
			expect(vector).toHaveLength(SENTENCE_VECTOR_SIZE);
			expect(Math.hypot(...vector)).toBeGreaterThan(0.5);
		} finally {
			held.mockRestore();
		}
	}, 120_000);
});
