/**
 * The one way tests wait: on an event (an emitter's event, a child's output) or, where the
 * thing awaited offers no event (n8n's execution status over its REST API, a browser's DOM), on a
 * condition checked again after each short pause. Every wait has a generous deadline and its error
 * says what was awaited, so a slow machine shows up as "timed out waiting for X", never as a wrong
 * value read too early.
 */
import type { EventEmitter } from 'node:events';

export interface WaitOptions {
	/** What is awaited, for the timeout error: "execution 12 to be waiting". */
	what: string;
	/** Default 60 s. */
	timeoutMs?: number;
	/** Between two checks of a condition (not used for events). Default 100 ms. */
	intervalMs?: number;
	/** Checked before each try: an error ends the wait at once (e.g. the awaited process exited). */
	stopWhen?: () => Error | undefined;
}

/** What a check gives once it holds. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export class WaitTimeoutError extends Error {
	constructor(what: string, timeoutMs: number, last?: unknown) {
		super(
			`timed out after ${timeoutMs} ms waiting for ${what}${
				last === undefined ? '' : ` (last seen: ${describe(last)})`
			}`,
		);
		this.name = 'WaitTimeoutError';
	}
}

function describe(value: unknown): string {
	if (value instanceof Error) return value.message;
	try {
		const text = typeof value === 'string' ? value : JSON.stringify(value);
		return text.length > 300 ? `${text.slice(0, 300)}…` : text;
	} catch {
		return String(value);
	}
}

// Not unref'd: a wait that is all that is left (e.g. jest's global teardown waiting for n8n's process
// group to exit) must keep Node alive, or Node ends the process mid-await and jest never writes its
// results file.
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Resolves with the first truthy value `check` returns (sync or async). A check that throws is
 * treated as "not yet" and its error is reported if the deadline passes.
 */
export async function waitFor<T>(
	check: () => T | Promise<T>,
	{ what, timeoutMs = 60_000, intervalMs = 100, stopWhen }: WaitOptions,
): Promise<Truthy<T>> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		const stop = stopWhen?.();
		if (stop) throw stop;
		try {
			const value = await check();
			if (value) return value as Truthy<T>;
			last = value;
		} catch (error) {
			last = error;
		}
		if (Date.now() >= deadline) throw new WaitTimeoutError(what, timeoutMs, last);
		await pause(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
	}
}

/** Resolves with the arguments of the first `event` that `accept` takes (default: the first one). */
export async function nextEvent<A extends unknown[] = unknown[]>(
	emitter: EventEmitter,
	event: string,
	{
		what,
		timeoutMs = 60_000,
		accept = () => true,
	}: Omit<WaitOptions, 'intervalMs' | 'stopWhen'> & { accept?: (...args: A) => boolean },
): Promise<A> {
	return await new Promise<A>((resolve, reject) => {
		const listener = (...args: unknown[]) => {
			if (!accept(...(args as A))) return;
			clearTimeout(timer);
			emitter.off(event, listener);
			resolve(args as A);
		};
		const timer = setTimeout(() => {
			emitter.off(event, listener);
			reject(new WaitTimeoutError(what, timeoutMs));
		}, timeoutMs);
		emitter.on(event, listener);
	});
}

/**
 * Resolves with the first truthy value of `check`, evaluated now and again after each event of
 * `sources` (e.g. a child's stdout 'data', a server's 'request'); rejects when an `abortOn` event
 * comes first (e.g. the child's 'exit'), with the error that event makes.
 */
export async function whenEvent<T>(
	sources: Array<[EventEmitter, string]>,
	check: () => T,
	{
		what,
		timeoutMs = 60_000,
		abortOn = [],
	}: Omit<WaitOptions, 'intervalMs' | 'stopWhen'> & {
		abortOn?: Array<[EventEmitter, string, (...args: unknown[]) => Error]>;
	},
): Promise<Truthy<T>> {
	const first = check();
	if (first) return first as Truthy<T>;
	return await new Promise<Truthy<T>>((resolve, reject) => {
		const detach: Array<() => void> = [];
		const settle = (done: () => void) => {
			clearTimeout(timer);
			for (const off of detach) off();
			done();
		};
		const onEvent = () => {
			let value: T;
			try {
				value = check();
			} catch (error) {
				settle(() => reject(error as Error));
				return;
			}
			if (value) settle(() => resolve(value as Truthy<T>));
		};
		const timer = setTimeout(
			() => settle(() => reject(new WaitTimeoutError(what, timeoutMs))),
			timeoutMs,
		);
		for (const [emitter, event] of sources) {
			emitter.on(event, onEvent);
			detach.push(() => emitter.off(event, onEvent));
		}
		for (const [emitter, event, makeError] of abortOn) {
			const onAbort = (...args: unknown[]) => settle(() => reject(makeError(...args)));
			emitter.on(event, onAbort);
			detach.push(() => emitter.off(event, onAbort));
		}
	});
}
