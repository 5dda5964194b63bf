/**
 * OpenAI embeddings on the wire: `POST /v1/embeddings`.
 *
 * Request and answer follow the `openai` SDK's types (`EmbeddingCreateParams`: `input` a string or
 * an array of strings, `model`, optional `dimensions` (text-embedding-3 models only) and
 * `encoding_format` `float` | `base64`; `CreateEmbeddingResponse`: `{object: "list", data:
 * [{object: "embedding", index, embedding}], model, usage: {prompt_tokens, total_tokens}}`). The
 * SDK asks for base64 (little-endian float32) unless the caller chose a format, so both are served.
 *
 * The vectors are deterministic and multilingual in a crude, testable way: each word is folded
 * (lower case, accents removed), cut to a five-letter stem (the same stem for "refund", "refunds",
 * "refunded"; "Geschenkkarte" and "Geschenkkarten"), and hashed with a sign into the vector,
 * L2-normalised. Texts sharing stems are close; texts sharing none are orthogonal.
 */

export const EMBEDDING_MODELS: Record<string, { dimensions: number; shortenable: boolean }> = {
	'text-embedding-3-small': { dimensions: 1536, shortenable: true },
	'text-embedding-3-large': { dimensions: 3072, shortenable: true },
	'text-embedding-ada-002': { dimensions: 1536, shortenable: false },
};

/** Most inputs in one request, as OpenAI documents it. */
export const MAX_EMBEDDING_INPUTS = 2048;

const STOP = new Set(
	'the a an and or of to in on for is are was be it my i you we your our this that with how what can do does der die das und ist ich mein meine ein eine le la les et est je mon ma un une des el los las y es mi yo un una'.split(
		' ',
	),
);

function fnv(text: string): number {
	let h = 2166136261;
	for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
	return h >>> 0;
}

/** The stand-in's embedding of a text. */
export function standInEmbedding(text: string, dimensions: number): Float32Array {
	const vector = new Float32Array(dimensions);
	const words = text
		.normalize('NFKD')
		.replace(/[\u0300-\u036f]/g, '')
		.toLowerCase()
		.split(/[^\p{L}\p{N}]+/u)
		.filter((w) => w.length > 1 && !STOP.has(w));
	for (const word of words) {
		const h = fnv(word.slice(0, 5));
		vector[h % dimensions] += h & 0x80000000 ? -1 : 1;
	}
	let norm = 0;
	for (const v of vector) norm += v * v;
	norm = Math.sqrt(norm);
	if (norm === 0) vector[fnv(text) % dimensions] = 1;
	else for (let i = 0; i < dimensions; i++) vector[i] /= norm;
	return vector;
}

export type EmbeddingsCheck =
	| { ok: true; model: string; inputs: string[]; dimensions: number; base64: boolean }
	| { ok: false; status: number; message: string; param: string | null; code: string | null };

/** Validates a `/v1/embeddings` body as OpenAI does (the messages are OpenAI's). */
export function checkEmbeddingsRequest(body: unknown): EmbeddingsCheck {
	const bad = (message: string, param: string | null = null, code: string | null = null) =>
		({ ok: false, status: 400, message, param, code }) as const;
	if (!body || typeof body !== 'object' || Array.isArray(body))
		return bad(
			"We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
		);
	const b = body as Record<string, unknown>;
	if (typeof b.model !== 'string' || !b.model) return bad('you must provide a model parameter');
	const known = EMBEDDING_MODELS[b.model];
	if (!known)
		return {
			ok: false,
			status: 404,
			message: `The model \`${b.model}\` does not exist or you do not have access to it.`,
			param: null,
			code: 'model_not_found',
		};
	if (b.input === undefined)
		return bad("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
	const inputs = typeof b.input === 'string' ? [b.input] : b.input;
	if (
		!Array.isArray(inputs) ||
		inputs.length === 0 ||
		inputs.length > MAX_EMBEDDING_INPUTS ||
		inputs.some((t) => typeof t !== 'string' || t.length === 0)
	)
		return bad(
			"'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
		);
	let dimensions = known.dimensions;
	if (b.dimensions !== undefined) {
		if (!known.shortenable) return bad('This model does not support specifying dimensions.');
		if (!Number.isInteger(b.dimensions) || (b.dimensions as number) < 1)
			return bad(
				`Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got ${String(b.dimensions)} instead.`,
				'dimensions',
				'integer_below_min_value',
			);
		dimensions = Math.min(known.dimensions, b.dimensions as number);
	}
	const format = b.encoding_format ?? 'float';
	if (format !== 'float' && format !== 'base64')
		return bad(
			`Invalid value: '${String(format)}'. Supported values are: 'float' and 'base64'.`,
			'encoding_format',
			'invalid_value',
		);
	return {
		ok: true,
		model: b.model,
		inputs: inputs as string[],
		dimensions,
		base64: format === 'base64',
	};
}

/** The `CreateEmbeddingResponse` for a valid request. */
export function embeddingsResponse(
	request: Extract<EmbeddingsCheck, { ok: true }>,
	estimateTokens: (text: string) => number,
): Record<string, unknown> {
	const tokens = request.inputs.reduce((a, t) => a + estimateTokens(t), 0);
	return {
		object: 'list',
		data: request.inputs.map((text, index) => {
			const vector = standInEmbedding(text, request.dimensions);
			return {
				object: 'embedding',
				index,
				embedding: request.base64
					? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
					: Array.from(vector),
			};
		}),
		model: request.model,
		usage: { prompt_tokens: tokens, total_tokens: tokens },
	};
}
