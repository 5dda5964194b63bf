/**
 * A small, deterministic JSON Schema instance generator: given a schema and the prompt, it builds a
 * value that validates against the schema, with values chosen from the prompt where it can (an enum
 * value the prompt mentions most, a boolean property whose name the prompt mentions), else from a
 * hash of the prompt, so the same prompt always gets the same answer.
 *
 * Supported: type (also arrays of types), properties, required, additionalProperties, enum, const,
 * $ref to local $defs / definitions, anyOf / oneOf (first non-null branch), allOf (merged), items,
 * prefixItems, minItems / maxItems / uniqueItems, minimum / maximum / exclusive bounds / multipleOf,
 * minLength / maxLength, format (email, date-time, date, time, uri, uuid, hostname, ipv4), nullable.
 * Not supported: `pattern` beyond a few simple candidates, `not`, if/then/else, dependencies.
 */
import { hash32 } from './common';
import type { JsonSchema } from './types';

type Obj = Record<string, any>;

const MAX_DEPTH = 8;

export interface InstanceOptions {
	/** Text the values are chosen from (the user's messages). */
	text?: string;
	/** Extra seed for the hash (e.g. model name); defaults to the text. */
	seed?: string;
}

export function generateInstance(schema: JsonSchema, options: InstanceOptions = {}): unknown {
	return new Generator(schema, options.text ?? '', options.seed ?? options.text ?? '').value(
		schema,
		[],
		0,
	);
}

/**
 * A value that is well-formed JSON but breaks the schema the way a model does: an enum value that is
 * not in the list, a required property left out, an extra property, or a wrong type.
 */
export function violateSchema(schema: JsonSchema, valid: unknown): unknown {
	const g = new Generator(schema, '', '');
	const root = g.resolve(schema);
	if (isObj(root) && isObj(valid) && !Array.isArray(valid)) {
		const merged = g.merge(root);
		const props: Obj = isObj(merged.properties) ? merged.properties : {};
		const out: Obj = { ...(valid as Obj) };
		for (const key of Object.keys(props)) {
			const prop = g.merge(g.resolve(props[key]));
			if (Array.isArray(prop.enum) && prop.enum.length) {
				out[key] = outsideEnum(prop.enum);
				return out;
			}
			if ('const' in prop) {
				out[key] = outsideEnum([prop.const]);
				return out;
			}
		}
		const required: string[] = Array.isArray(merged.required) ? merged.required : [];
		if (required.length) {
			delete out[required[0]];
			return out;
		}
		if (merged.additionalProperties === false) {
			out.unexpected_property = 'not in the schema';
			return out;
		}
		const first = Object.keys(props)[0];
		if (first) {
			out[first] = wrongType(g.merge(g.resolve(props[first])), out[first]);
			return out;
		}
	}
	if (isObj(root)) {
		const merged = g.merge(root);
		if (Array.isArray(merged.enum)) return outsideEnum(merged.enum);
		return wrongType(merged, valid);
	}
	return valid;
}

function outsideEnum(values: unknown[]): unknown {
	if (values.every((v) => typeof v === 'string')) {
		let candidate = 'other_unlisted_value';
		while (values.includes(candidate)) candidate += '_x';
		return candidate;
	}
	let n = 987654321;
	while (values.includes(n)) n++;
	return n;
}

function wrongType(schema: Obj, current: unknown): unknown {
	const type = firstType(schema, current);
	switch (type) {
		case 'string':
			return 12345;
		case 'number':
		case 'integer':
			return 'forty-two';
		case 'boolean':
			return 'yes';
		case 'array':
			return { not: 'an array' };
		case 'object':
			return ['not', 'an', 'object'];
		default:
			return { unexpected: true };
	}
}

function firstType(schema: Obj, current?: unknown): string | undefined {
	const t = schema.type;
	if (typeof t === 'string') return t;
	if (Array.isArray(t)) return t.find((x) => x !== 'null') ?? t[0];
	if (isObj(schema.properties)) return 'object';
	if (schema.items !== undefined || schema.prefixItems !== undefined) return 'array';
	if (current === undefined) return undefined;
	if (Array.isArray(current)) return 'array';
	if (current === null) return 'null';
	return typeof current;
}

/** The property a value belongs to (array items take their array's name). */
function keyOf(path: string[]): string {
	for (let i = path.length - 1; i >= 0; i--) if (!/^\d+$/.test(path[i])) return path[i];
	return '';
}

function isObj(v: unknown): v is Obj {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function words(text: string): string {
	return ` ${text
		.toLowerCase()
		.replace(/[^\p{L}\p{N}]+/gu, ' ')
		.trim()} `;
}

function countMentions(haystack: string, value: string): number {
	const needle = words(value).trim();
	if (needle.length < 3) return 0;
	let count = 0;
	let at = haystack.indexOf(` ${needle} `);
	while (at !== -1) {
		count++;
		at = haystack.indexOf(` ${needle} `, at + needle.length + 1);
	}
	return count;
}

class Generator {
	private readonly normalizedText: string;

	constructor(
		private readonly root: JsonSchema,
		private readonly text: string,
		private readonly seed: string,
	) {
		this.normalizedText = words(text);
	}

	resolve(schema: unknown, seen = 0): Obj | boolean {
		if (typeof schema === 'boolean') return schema;
		if (!isObj(schema)) return {};
		if (typeof schema.$ref === 'string' && seen < 32) {
			const target = this.pointer(schema.$ref);
			if (target === undefined) return {};
			const { $ref: _ref, ...rest } = schema;
			const resolved = this.resolve(target, seen + 1);
			return isObj(resolved) ? { ...resolved, ...rest } : resolved;
		}
		return schema;
	}

	private pointer(ref: string): unknown {
		if (!ref.startsWith('#')) return undefined;
		const parts = ref
			.slice(1)
			.split('/')
			.filter(Boolean)
			.map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'));
		let node: unknown = this.root;
		for (const part of parts) {
			if (!isObj(node) && !Array.isArray(node)) return undefined;
			node = (node as Obj)[part];
		}
		return node;
	}

	/** Folds allOf into one schema (properties and required merged). */
	merge(schema: Obj | boolean): Obj {
		if (typeof schema === 'boolean') return {};
		if (!Array.isArray(schema.allOf)) return schema;
		const { allOf, ...rest } = schema;
		let out: Obj = { ...rest };
		for (const part of allOf as unknown[]) {
			const p = this.merge(this.resolve(part));
			out = {
				...p,
				...out,
				properties: { ...(p.properties ?? {}), ...(out.properties ?? {}) },
				required: [...new Set([...(p.required ?? []), ...(out.required ?? [])])],
			};
		}
		if (!Object.keys(out.properties).length) delete out.properties;
		if (!out.required.length) delete out.required;
		return out;
	}

	private frac(path: string[]): number {
		return hash32(`${this.seed}\u0000${path.join('.')}`) / 2 ** 32;
	}

	value(input: unknown, path: string[], depth: number): unknown {
		const resolved = this.resolve(input);
		if (resolved === true) return this.stringFor({}, path);
		if (resolved === false) return null;
		const schema = this.merge(resolved);

		if ('const' in schema) return schema.const;
		if (Array.isArray(schema.enum) && schema.enum.length) return this.chooseEnum(schema.enum, path);

		const branches = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined;
		if (Array.isArray(branches) && branches.length) {
			const nonNull = branches.find((b) => {
				const r = this.resolve(b);
				return !(isObj(r) && r.type === 'null');
			});
			const { anyOf: _a, oneOf: _o, ...rest } = schema;
			const branch = this.resolve(nonNull ?? branches[0]);
			return this.value(isObj(branch) ? { ...rest, ...branch } : branch, path, depth);
		}

		const type = firstType(schema) ?? 'string';
		switch (type) {
			case 'object':
				return this.objectFor(schema, path, depth);
			case 'array':
				return this.arrayFor(schema, path, depth);
			case 'integer':
				return this.numberFor(schema, path, true);
			case 'number':
				return this.numberFor(schema, path, false);
			case 'boolean':
				return this.booleanFor(schema, path);
			case 'null':
				return null;
			default:
				return this.stringFor(schema, path);
		}
	}

	private chooseEnum(values: unknown[], path: string[]): unknown {
		let best: unknown[] = [];
		let bestCount = 0;
		for (const v of values) {
			const count = typeof v === 'string' ? countMentions(this.normalizedText, v) : 0;
			if (count > bestCount) {
				best = [v];
				bestCount = count;
			} else if (count === bestCount && count > 0) best.push(v);
		}
		const pool = bestCount > 0 ? best : values;
		return pool[Math.floor(this.frac(path) * pool.length)];
	}

	private objectFor(schema: Obj, path: string[], depth: number): Obj {
		const props: Obj = isObj(schema.properties) ? schema.properties : {};
		const required: string[] = Array.isArray(schema.required) ? schema.required : [];
		const out: Obj = {};
		for (const key of Object.keys(props)) {
			if (depth >= MAX_DEPTH && !required.includes(key)) continue;
			out[key] = this.value(props[key], [...path, key], depth + 1);
		}
		for (const key of required) {
			if (!(key in out)) {
				const extra = isObj(schema.additionalProperties) ? schema.additionalProperties : {};
				out[key] = this.value(extra, [...path, key], depth + 1);
			}
		}
		const min = typeof schema.minProperties === 'number' ? schema.minProperties : 0;
		for (let i = Object.keys(out).length; i < min && schema.additionalProperties !== false; i++) {
			const extra = isObj(schema.additionalProperties) ? schema.additionalProperties : {};
			out[`field_${i + 1}`] = this.value(extra, [...path, `field_${i + 1}`], depth + 1);
		}
		return out;
	}

	private arrayFor(schema: Obj, path: string[], depth: number): unknown[] {
		const prefix: unknown[] = Array.isArray(schema.prefixItems)
			? schema.prefixItems
			: Array.isArray(schema.items)
				? schema.items
				: [];
		const items = Array.isArray(schema.items) ? schema.additionalItems : schema.items;
		const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
		const max = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
		let n = Math.max(min, prefix.length, depth >= MAX_DEPTH ? 0 : 1);
		if (items === false) n = Math.min(n, prefix.length);
		n = Math.min(n, max);

		const itemSchema = this.merge(this.resolve(items ?? {}));
		if (schema.uniqueItems && Array.isArray(itemSchema.enum) && !prefix.length) {
			const first = this.chooseEnum(itemSchema.enum, [...path, '0']);
			const ordered = [first, ...itemSchema.enum.filter((v: unknown) => v !== first)];
			return ordered.slice(0, Math.min(n, ordered.length));
		}
		const out: unknown[] = [];
		for (let i = 0; i < n; i++) {
			const s = i < prefix.length ? prefix[i] : (items ?? {});
			let v = this.value(s, [...path, String(i)], depth + 1);
			if (i > 0 && typeof v === 'string' && out.includes(v)) {
				v = this.fitString(`${v} ${i + 1}`, this.merge(this.resolve(s)));
			}
			out.push(v);
		}
		return out;
	}

	private numberFor(schema: Obj, path: string[], integer: boolean): number {
		const key = keyOf(path);
		let lo = typeof schema.minimum === 'number' ? schema.minimum : undefined;
		let hi = typeof schema.maximum === 'number' ? schema.maximum : undefined;
		const exLo = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : undefined;
		const exHi = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : undefined;
		// draft-04 boolean exclusive bounds
		const exLoFlag = schema.exclusiveMinimum === true;
		const exHiFlag = schema.exclusiveMaximum === true;
		const step = integer ? 1 : 0.01;
		if (exLo !== undefined) lo = Math.max(lo ?? -Infinity, exLo + step);
		if (exHi !== undefined) hi = Math.min(hi ?? Infinity, exHi - step);
		if (exLoFlag && lo !== undefined) lo += step;
		if (exHiFlag && hi !== undefined) hi -= step;
		if (lo === undefined && hi === undefined) {
			if (/confidence|probability|score|certainty/i.test(key) && !integer) {
				lo = 0;
				hi = 1;
			} else {
				lo = integer ? 1 : 0;
				hi = integer ? 10 : 10;
			}
		}
		if (lo === undefined) lo = Math.min(0, hi as number);
		if (hi === undefined) hi = Math.max(lo + 10, lo);
		// Upper part of the range: plausible for confidences and scores.
		const f = 0.6 + 0.35 * this.frac(path);
		let v = lo + (hi - lo) * f;
		if (integer) {
			v = Math.round(v);
			if (v < lo) v = Math.ceil(lo);
			if (v > hi) v = Math.floor(hi);
		} else {
			v = Math.round(v * 100) / 100;
			if (v < lo || v > hi) v = lo + (hi - lo) / 2;
		}
		const m = schema.multipleOf;
		if (typeof m === 'number' && m > 0) {
			let k = Math.round(v / m) * m;
			if (k > hi) k -= m;
			if (k < lo) k += m;
			v = Number(k.toFixed(10));
		}
		return v;
	}

	private booleanFor(schema: Obj, path: string[]): boolean {
		const key = keyOf(path);
		const readable = key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
		if (countMentions(this.normalizedText, readable) > 0) return true;
		if (typeof schema.description === 'string' && schema.description.length < 80) {
			if (countMentions(this.normalizedText, schema.description) > 0) return true;
		}
		return false;
	}

	private stringFor(schema: Obj, path: string[]): string {
		const key = keyOf(path);
		const snippet = this.snippet();
		const format = typeof schema.format === 'string' ? schema.format : '';
		let s: string;
		switch (format) {
			case 'email':
				s = 'customer@example.com';
				break;
			case 'date-time':
				s = '2024-05-06T09:30:00Z';
				break;
			case 'date':
				s = '2024-05-06';
				break;
			case 'time':
				s = '09:30:00Z';
				break;
			case 'uri':
			case 'url':
			case 'iri':
				s = 'https://example.com/';
				break;
			case 'uuid':
				s = this.uuid(path);
				break;
			case 'hostname':
				s = 'example.com';
				break;
			case 'ipv4':
				s = '192.0.2.1';
				break;
			default:
				s = this.textFor(key, snippet);
		}
		return this.fitString(s, schema);
	}

	private textFor(key: string, snippet: string): string {
		const k = key.toLowerCase();
		const about = snippet ? ` about "${snippet}"` : '';
		if (/reply|body|draft|response|answer|message/.test(k))
			return `Thank you for reaching out${about}. We have looked into it and will get back to you shortly.`;
		if (/summary|reason|explanation|rationale|justification|description/.test(k))
			return snippet ? `The customer writes: "${snippet}".` : 'The customer wrote a short message.';
		if (/subject|title|headline/.test(k)) return snippet ? `Re: ${snippet}` : 'Re: your message';
		if (/lang|locale/.test(k)) return 'en';
		if (/email|address/.test(k)) return 'customer@example.com';
		if (/url|link/.test(k)) return 'https://example.com/';
		if (/name/.test(k)) return 'Alex Customer';
		if (/(^|_)id$|Id$/.test(key)) return `id-${hash32(`${this.seed}:${key}`).toString(16)}`;
		if (/sentiment|tone|mood/.test(k)) return 'neutral';
		return key ? `${key.replace(/[_-]+/g, ' ')}` : snippet || 'ok';
	}

	private fitString(s: string, schemaInput: unknown): string {
		const schema = isObj(schemaInput) ? schemaInput : {};
		const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
		const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
		let out = s;
		if (typeof schema.pattern === 'string') {
			let re: RegExp | undefined;
			try {
				re = new RegExp(schema.pattern, 'u');
			} catch {
				re = undefined;
			}
			if (re && !re.test(out)) {
				const candidates = [
					out.replace(/\s+/g, '-'),
					'a',
					'A',
					'0',
					'abc',
					'ABC',
					'123',
					'a-1',
					'',
				];
				out = candidates.find((c) => re!.test(c)) ?? out;
			}
		}
		while ([...out].length < min) out += out.length ? ' ...' : 'x';
		if ([...out].length > max) out = [...out].slice(0, max).join('');
		return out;
	}

	private snippet(): string {
		const flat = this.text.replace(/\s+/g, ' ').trim();
		if (!flat) return '';
		const sentence = flat.split(/(?<=[.!?])\s/)[0];
		return sentence.length > 80 ? `${sentence.slice(0, 77)}...` : sentence;
	}

	private uuid(path: string[]): string {
		let hex = '';
		for (let i = 0; hex.length < 32; i++)
			hex += hash32(`${this.seed}:${path.join('.')}:${i}`)
				.toString(16)
				.padStart(8, '0');
		return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
	}
}
