/**
 * Size limits the hook applies to every event before it is buffered: an error message of a
 * megabyte (an HTML error page, a stack trace, a whole API answer) must neither sit in n8n's
 * memory while the relay is away nor travel to every dashboard.
 */
import type { EventDraft } from '../protocol/types';

/** Default longest string (UTF-8 bytes, marker included) in an event. */
export const DEFAULT_MAX_STRING_BYTES = 2048;

/** Appended to a cut string; says how much was left out so nobody mistakes it for the whole. */
export const truncationMarker = (omittedBytes: number) => ` … [truncated ${omittedBytes} bytes]`;

/**
 * The string cut to at most `maxBytes` UTF-8 bytes including the marker, never inside a
 * character. Strings that fit are returned as they are (the same string, not a copy).
 */
export function truncateString(value: string, maxBytes: number): string {
	// A UTF-16 code unit is at most 3 UTF-8 bytes: most strings are decided without encoding.
	if (value.length * 3 <= maxBytes) return value;
	const bytes = Buffer.byteLength(value);
	if (bytes <= maxBytes) return value;
	let keep = Math.max(0, maxBytes - Buffer.byteLength(truncationMarker(bytes)));
	// Walk back to a character boundary (a UTF-8 continuation byte is 10xxxxxx).
	const encoded = Buffer.from(value.slice(0, keep));
	while (keep > 0 && keep < encoded.length && (encoded[keep] & 0xc0) === 0x80) keep--;
	const head = encoded.subarray(0, Math.min(keep, encoded.length)).toString('utf8');
	return `${head}${truncationMarker(bytes - Buffer.byteLength(head))}`;
}

/** Deepest level of an event's `data` that is sent; event data is a few levels deep. */
const MAX_DEPTH = 6;

/**
 * The event itself when every string in it fits `maxBytes` (the common case, decided without
 * allocating anything: most strings are decided by their length alone); otherwise a copy with
 * every string (at any depth) cut to `maxBytes` and anything nested deeper than event data goes
 * left out. Counts what it cut in `counter.truncated`.
 */
export function boundEvent(
	event: EventDraft,
	maxBytes: number,
	counter: { truncated: number } = { truncated: 0 },
): EventDraft {
	if (
		fits(event.data, maxBytes, 0) &&
		fitsString(event.workflowName, maxBytes) &&
		fitsString(event.workflowId, maxBytes) &&
		fitsString(event.mode, maxBytes)
	) {
		return event;
	}
	const data = bound(event.data, maxBytes, counter, 0) as EventDraft['data'];
	const fields = bound(
		{ workflowName: event.workflowName, workflowId: event.workflowId, mode: event.mode },
		maxBytes,
		counter,
		0,
	) as Pick<EventDraft, 'workflowName' | 'workflowId' | 'mode'>;
	return { ...event, ...fields, data };
}

function fitsString(value: unknown, maxBytes: number): boolean {
	return (
		typeof value !== 'string' ||
		value.length * 3 <= maxBytes ||
		Buffer.byteLength(value) <= maxBytes
	);
}

function fits(value: unknown, maxBytes: number, depth: number): boolean {
	if (typeof value === 'string') return fitsString(value, maxBytes);
	// What `bound` would leave out is not as it will be sent.
	if (depth > MAX_DEPTH) return false;
	if (typeof value !== 'object' || value === null) return true;
	if (Array.isArray(value)) {
		for (const entry of value) if (!fits(entry, maxBytes, depth + 1)) return false;
		return true;
	}
	for (const key in value) {
		if (!fits((value as Record<string, unknown>)[key], maxBytes, depth + 1)) return false;
	}
	return true;
}

function bound(
	value: unknown,
	maxBytes: number,
	counter: { truncated: number },
	depth: number,
): unknown {
	if (typeof value === 'string') {
		const cut = truncateString(value, maxBytes);
		if (cut !== value) counter.truncated++;
		return cut;
	}
	if (typeof value !== 'object' || value === null || depth > MAX_DEPTH)
		return depth > MAX_DEPTH ? undefined : value;
	if (Array.isArray(value)) return value.map((entry) => bound(entry, maxBytes, counter, depth + 1));
	const copy: Record<string, unknown> = {};
	for (const [key, entry] of Object.entries(value)) {
		copy[key] = bound(entry, maxBytes, counter, depth + 1);
	}
	return copy;
}
