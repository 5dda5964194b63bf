/**
 * `fetch` for SDK clients created inside jest.
 *
 * Jest runs tests in a VM context whose `Error` is not Node's. When the SDK's timeout aborts a
 * request, Node's fetch rejects with a DOMException `AbortError` from Node's own realm; the SDKs'
 * `castToError` does not recognise it (`instanceof Error` is false, its tag is `[object DOMException]`)
 * and rebuilds it as a plain Error without the name, so the SDK reports `APIConnectionError`
 * instead of `APIConnectionTimeoutError`. Outside jest (n8n, the CLI) this does not happen.
 *
 * Passing `fetch: sameRealmFetch` to `new OpenAI(...)` / `new Anthropic(...)` rethrows such errors
 * as errors of the test's realm with the same name, message and cause; nothing else changes.
 */
export const sameRealmFetch: typeof fetch = async (input, init) => {
	try {
		return await fetch(input, init);
	} catch (error) {
		if (error instanceof Error) throw error;
		const e = error as { name?: string; message?: string; cause?: unknown };
		const local = new Error(e?.message ?? String(error), { cause: e?.cause });
		if (e?.name) local.name = e.name;
		throw local;
	}
};
