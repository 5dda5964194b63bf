import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { InputError } from '../errors';
import type { JsonSchema } from './schema';
import { SUPPORT_SCHEMAS, WRITERS } from './schema';
import type { SupportField, SupportFields } from './types';

/**
 * A `support.*` field that is missing or has the wrong shape. `field` is the contract field
 * (`classification`), `path` the exact place (`support.classification.confidence`); the hint names
 * the node that writes the field.
 */
export class ContractError extends InputError {
	constructor(
		message: string,
		hint: string,
		readonly field: SupportField | undefined,
		readonly path: string,
	) {
		super(message, hint);
		this.name = 'ContractError';
	}
}

export interface ReadSpec<R extends SupportField, O extends SupportField> {
	/** Fields the node cannot work without. */
	required: readonly R[];
	/** Fields the node uses when present (still checked when present). */
	optional?: readonly O[];
	/**
	 * The properties of a field this node needs, e.g. `{ email: ['messageId'] }`; a field not listed
	 * here must carry everything its writer always writes (the schema's `required`). Every property
	 * that is present is shape-checked whether it is listed or not.
	 */
	needs?: Partial<Record<SupportField, readonly string[]>>;
	/** Extra advice per field, added to the hint (e.g. another way to give the field). */
	hints?: Partial<Record<SupportField, string>>;
}

export type ReadSupport<R extends SupportField, O extends SupportField> = {
	[K in R]: SupportFields[K];
} & { [K in O]?: SupportFields[K] } & {
	/** `item.json.support` as it is (the user's own fields included). */
	raw: Record<string, unknown>;
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<string, ValidateFunction>();

/**
 * The one reader of the item contract: every node reads `item.json.support` through it. It returns the
 * fields asked for, checked against their schema; a missing field, a missing needed property or a
 * property of the wrong shape throws a ContractError saying what is wrong and which node writes it.
 */
export function readSupport<R extends SupportField, O extends SupportField = never>(
	json: unknown,
	spec: ReadSpec<R, O>,
): ReadSupport<R, O> {
	const support = isObject(json) ? json.support : undefined;
	if (support === undefined || support === null) {
		const first = spec.required[0];
		if (first === undefined) return { raw: {} } as ReadSupport<R, O>;
		throw new ContractError(
			`The item has no "support" field, so support.${first} is missing: put ${WRITERS[first]} before this node`,
			hintFor(spec.required, spec.hints),
			first,
			'support',
		);
	}
	if (!isObject(support))
		throw new ContractError(
			`The item's "support" field is ${describe(support)}, not an object`,
			`Keep the "support" object the Support nodes write: a Set node in between must not replace it. ${hintFor(spec.required, spec.hints)}`,
			undefined,
			'support',
		);
	const result: Record<string, unknown> = { raw: support };
	for (const field of spec.required) {
		result[field] = readField(support, field, true, spec);
	}
	for (const field of spec.optional ?? []) {
		const value = readField(support, field, false, spec);
		if (value !== undefined) result[field] = value;
	}
	return result as ReadSupport<R, O>;
}

/**
 * Checks one whole field against its full schema (every property the writer always writes). Used by
 * tests to hold each node's output to the contract; returns the problems, empty when it conforms.
 */
export function contractProblems(field: SupportField, value: unknown): string[] {
	const validate = validator(field, undefined);
	if (validate(value)) return [];
	return (validate.errors ?? []).map((error) => problem(field, value, error));
}

function readField(
	support: Record<string, unknown>,
	field: SupportField,
	required: boolean,
	spec: ReadSpec<SupportField, SupportField>,
): unknown {
	const value = support[field];
	const fix = fixFor(field, spec.hints);
	if (value === undefined || value === null) {
		if (!required) return undefined;
		throw new ContractError(
			`support.${field} is missing: put ${WRITERS[field]} before this node`,
			fix,
			field,
			`support.${field}`,
		);
	}
	const validate = validator(field, spec.needs?.[field]);
	if (!validate(value)) {
		const errors = validate.errors ?? [];
		// A missing property reads best on its own; otherwise the first wrong shape.
		const first = errors.find((e) => e.keyword === 'required') ?? errors[0];
		const more =
			errors.length > 1
				? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})`
				: '';
		throw new ContractError(
			`${problem(field, value, first)}${more}`,
			fix,
			field,
			pathOf(field, first),
		);
	}
	return value;
}

/**
 * The field's schema with `required` at its top level replaced by what this node needs (nested
 * objects keep theirs: a `from` without an address is wrong wherever it is).
 */
function validator(field: SupportField, needs: readonly string[] | undefined): ValidateFunction {
	const key = `${field}|${needs === undefined ? '*' : needs.join(',')}`;
	let validate = validators.get(key);
	if (!validate) {
		const full = SUPPORT_SCHEMAS[field];
		let schema: JsonSchema = full;
		if (needs !== undefined) {
			if (full.type === 'array') {
				const items = full.items as JsonSchema;
				schema = { ...full, items: { ...items, required: [...needs] } };
			} else schema = { ...full, required: [...needs] };
		}
		validate = ajv.compile(schema);
		validators.set(key, validate);
	}
	return validate;
}

function pathOf(field: SupportField, error: ErrorObject): string {
	const segments = error.instancePath.split('/').filter(Boolean);
	if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
	return ['support', field, ...segments]
		.map((s, i) => (i > 0 && /^\d+$/.test(s) ? `[${s}]` : i > 0 ? `.${s}` : s))
		.join('');
}

function problem(field: SupportField, value: unknown, error: ErrorObject): string {
	const path = pathOf(field, error);
	if (error.keyword === 'required') return `${path} is missing: ${WRITERS[field]} writes it`;
	const actual = valueAt(value, error.instancePath);
	const expected =
		error.keyword === 'enum'
			? `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
			: error.keyword === 'pattern'
				? 'must be an ISO 8601 date and time with a zone, such as 2026-01-31T09:00:00Z'
				: error.keyword === 'type'
					? `must be ${article(String(error.params.type))}`
					: (error.message ?? 'is not valid');
	return `${path} ${expected} (it is ${describe(actual)})`;
}

function fixFor(field: SupportField, hints: ReadSpec<SupportField, SupportField>['hints']): string {
	const extra = hints?.[field] ? ` ${hints[field]}` : '';
	return `Put ${WRITERS[field]} before this node, and keep the "support" field on the items (a Set node in between must keep the other fields).${extra}`;
}

function hintFor(
	fields: readonly SupportField[],
	hints: ReadSpec<SupportField, SupportField>['hints'],
): string {
	const writers = fields.map((f) => WRITERS[f]).join(', then ');
	const written = fields.map((f) => `support.${f}`).join(', ');
	const extra = fields.map((f) => hints?.[f]).filter(Boolean);
	return [`Put ${writers} before this node (${written}).`, ...extra].join(' ');
}

function valueAt(value: unknown, pointer: string): unknown {
	let current = value;
	for (const key of pointer.split('/').filter(Boolean)) {
		if (current === null || typeof current !== 'object') return undefined;
		current = (current as Record<string, unknown>)[key.replace(/~1/g, '/').replace(/~0/g, '~')];
	}
	return current;
}

function article(type: string): string {
	const names: Record<string, string> = {
		string: 'a text',
		number: 'a number',
		integer: 'a whole number',
		boolean: 'true or false',
		object: 'an object',
		array: 'a list',
	};
	return type
		.split(',')
		.map((t) => names[t] ?? t)
		.join(' or ');
}

export function describe(value: unknown): string {
	if (value === undefined) return 'missing';
	if (value === null) return 'null';
	if (Array.isArray(value)) return `a list of ${value.length}`;
	if (typeof value === 'object') return 'an object';
	const text = JSON.stringify(value);
	return text.length > 60 ? `${text.slice(0, 57)}..."` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
