/**
 * The shape a signed event must have before the relay stores it (JSON Schema, checked with ajv),
 * and the size limits that keep one event small whatever n8n reported: identifiers that are too
 * long are refused, free text (error messages, names) is cut with a marker that says how much.
 */
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import type { EventDraft, EventType } from './types';
import { EVENT_TYPES } from './types';

export interface EventLimits {
	/** Longest free-text string (error message, description, names) in UTF-16 units; longer is cut. */
	maxStringLength: number;
	/** Largest event as JSON (bytes); a bigger one is refused. */
	maxEventBytes: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = { maxStringLength: 4096, maxEventBytes: 262_144 };

/** Appended to a cut string: `… [truncated 98304 characters]`. */
export function truncationMarker(removed: number): string {
	return `… [truncated ${removed} characters]`;
}

const ID = { type: 'string', minLength: 1, maxLength: 512 } as const;
const OPTIONAL_ID = { type: 'string', maxLength: 512 } as const;
const TIME = { type: 'string', maxLength: 64 } as const;
const TEXT = { type: 'string' } as const;
const COUNT = { type: 'integer', minimum: 0, maximum: 1_000_000_000 } as const;
const DURATION = { type: 'number' } as const;
const NODE_NAME = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const NODE_TYPE = { type: 'string', maxLength: 512 } as const;
const ERROR = {
	type: 'object',
	required: ['message'],
	properties: { message: TEXT, description: TEXT, node: TEXT },
} as const;

const DATA: Record<EventType, object> = {
	'execution.started': {
		type: 'object',
		properties: {
			nodes: {
				type: 'array',
				maxItems: 5000,
				items: {
					type: 'object',
					required: ['name'],
					properties: { name: NODE_NAME, type: NODE_TYPE },
				},
			},
			startedAt: TIME,
			parentExecutionId: OPTIONAL_ID,
			parentWorkflowId: OPTIONAL_ID,
			retryOf: OPTIONAL_ID,
		},
	},
	'execution.waiting': {
		type: 'object',
		properties: { waitTill: TIME, node: TEXT },
	},
	'execution.resumed': { type: 'object', properties: { node: TEXT } },
	'execution.finished': {
		type: 'object',
		required: ['status', 'finishedAt'],
		properties: {
			status: { enum: ['success', 'error', 'canceled', 'crashed'] },
			startedAt: TIME,
			finishedAt: TIME,
			durationMs: DURATION,
			error: ERROR,
			lastNode: TEXT,
		},
	},
	'node.started': {
		type: 'object',
		required: ['node', 'runIndex'],
		properties: { node: NODE_NAME, nodeType: NODE_TYPE, runIndex: COUNT, startedAt: TIME },
	},
	'node.finished': {
		type: 'object',
		required: ['node', 'runIndex', 'status', 'finishedAt', 'itemsOut'],
		properties: {
			node: NODE_NAME,
			nodeType: NODE_TYPE,
			runIndex: COUNT,
			status: { enum: ['success', 'error', 'canceled', 'waiting'] },
			startedAt: TIME,
			finishedAt: TIME,
			durationMs: DURATION,
			itemsOut: { type: 'array', maxItems: 256, items: COUNT },
			error: { ...ERROR, properties: { message: TEXT, description: TEXT } },
			continuedOnError: { type: 'boolean' },
			subExecutionId: OPTIONAL_ID,
			subWorkflowId: OPTIONAL_ID,
		},
	},
};

function envelopeSchema(type: EventType): object {
	return {
		type: 'object',
		required: ['id', 'type', 'workflowId', 'executionId', 'occurredAt', 'data'],
		properties: {
			v: { type: 'integer', minimum: 1, maximum: 1000 },
			id: ID,
			type: { const: type },
			workflowId: OPTIONAL_ID,
			workflowName: TEXT,
			executionId: ID,
			mode: { type: 'string', maxLength: 64 },
			occurredAt: TIME,
			data: DATA[type],
		},
	};
}

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = new Map<string, ValidateFunction>(
	EVENT_TYPES.map((type) => [type, ajv.compile(envelopeSchema(type))]),
);

export type DraftCheck =
	{ ok: true; draft: EventDraft; truncated: number } | { ok: false; reason: string };

/**
 * A signed event as the relay will keep it, or why it is refused. Free text longer than the limit
 * is cut (with a marker); the event is a fresh object, so nothing of the caller's input is kept.
 */
export function checkDraft(value: unknown, limits: EventLimits = DEFAULT_EVENT_LIMITS): DraftCheck {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		return { ok: false, reason: 'not an object' };
	}
	const type = (value as { type?: unknown }).type;
	const validate = typeof type === 'string' ? validators.get(type) : undefined;
	if (!validate) return { ok: false, reason: 'unknown type' };
	if (!validate(value)) {
		const first = validate.errors?.[0];
		return { ok: false, reason: `${first?.instancePath || '/'} ${first?.message ?? 'invalid'}` };
	}
	const e = value as Record<string, unknown>;
	if (Number.isNaN(Date.parse(e.occurredAt as string))) {
		return { ok: false, reason: '/occurredAt is not a date' };
	}
	const counter = { truncated: 0 };
	const draft: EventDraft = {
		v: typeof e.v === 'number' ? e.v : 1,
		id: e.id as string,
		type: type as EventType,
		workflowId: e.workflowId as string,
		workflowName: cut(typeof e.workflowName === 'string' ? e.workflowName : '', limits, counter),
		executionId: e.executionId as string,
		mode: typeof e.mode === 'string' ? e.mode : '',
		occurredAt: e.occurredAt as string,
		data: bounded(e.data, limits, counter, 0) as EventDraft['data'],
	};
	if (Buffer.byteLength(JSON.stringify(draft)) > limits.maxEventBytes) {
		return { ok: false, reason: `larger than ${limits.maxEventBytes} bytes` };
	}
	return { ok: true, draft, truncated: counter.truncated };
}

function cut(text: string, limits: EventLimits, counter: { truncated: number }): string {
	if (text.length <= limits.maxStringLength) return text;
	counter.truncated++;
	const removed = text.length - limits.maxStringLength;
	let kept = text.slice(0, limits.maxStringLength);
	// Never leave half of a surrogate pair behind.
	if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
	return kept + truncationMarker(removed);
}

/** A copy of JSON data with every string cut to the limit, nested at most 8 levels. */
function bounded(
	value: unknown,
	limits: EventLimits,
	counter: { truncated: number },
	depth: number,
): unknown {
	if (typeof value === 'string') return cut(value, limits, counter);
	if (value === null || typeof value !== 'object') return value;
	if (depth > 8) return undefined;
	if (Array.isArray(value)) return value.map((v) => bounded(v, limits, counter, depth + 1));
	const out: Record<string, unknown> = {};
	for (const [key, v] of Object.entries(value)) {
		if (key === '__proto__') continue;
		const copy = bounded(v, limits, counter, depth + 1);
		if (copy !== undefined) out[key] = copy;
	}
	return out;
}
