import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';

export type JsonSchema = Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

export interface Checked<T> {
	ok: boolean;
	value?: T;
	/** What is wrong, phrased for the repair prompt and the item's attempt log. */
	problem?: string;
}

/** Validates a parsed answer against the schema the provider was asked for. */
export function checkAgainstSchema<T>(schema: JsonSchema, value: unknown): Checked<T> {
	let validate = compiled.get(schema);
	if (!validate) {
		validate = ajv.compile(schema);
		compiled.set(schema, validate);
	}
	if (validate(value)) return { ok: true, value: value as T };
	const problems = (validate.errors ?? [])
		.slice(0, 8)
		.map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
	return { ok: false, problem: `the JSON does not match the schema: ${problems.join('; ')}` };
}

/**
 * Reads JSON out of a model's text: bare, in a ```json fence, or the first {...} block. Anything else
 * is an invalid answer (never a half-parsed result).
 */
export function parseJsonAnswer(text: string): Checked<unknown> {
	const trimmed = text.trim();
	const candidates = [trimmed];
	const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(trimmed);
	if (fence) candidates.push(fence[1].trim());
	const start = trimmed.indexOf('{');
	const end = trimmed.lastIndexOf('}');
	if (start !== -1 && end > start) candidates.push(trimmed.slice(start, end + 1));
	for (const candidate of candidates) {
		try {
			return { ok: true, value: JSON.parse(candidate) };
		} catch {
			// try the next reading
		}
	}
	return {
		ok: false,
		problem: `the answer is not valid JSON: ${JSON.stringify(trimmed.slice(0, 120))}`,
	};
}
