/** The shared wait helper: it resolves on the awaited thing, and its timeout says what was awaited. */
import { EventEmitter } from 'node:events';
import { WaitTimeoutError, nextEvent, waitFor, whenEvent } from '../../support/wait-for';

describe('waitFor', () => {
	it('resolves with the first truthy value; a throwing check is "not yet"', async () => {
		let calls = 0;
		const value = await waitFor(
			() => {
				calls++;
				if (calls < 3) throw new Error('not ready');
				return { ready: calls };
			},
			{ what: 'the third call', intervalMs: 1 },
		);
		expect(value).toEqual({ ready: 3 });
	});

	it('times out naming what it waited for and what it saw last', async () => {
		const error = await waitFor(() => false, {
			what: 'a thing',
			timeoutMs: 20,
			intervalMs: 5,
		}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(WaitTimeoutError);
		expect((error as Error).message).toBe(
			'timed out after 20 ms waiting for a thing (last seen: false)',
		);
	});

	it('stopWhen ends the wait at once with its error', async () => {
		const error = await waitFor(() => false, {
			what: 'never',
			stopWhen: () => new Error('the process exited'),
		}).catch((e: unknown) => e);
		expect((error as Error).message).toBe('the process exited');
	});
});

describe('events', () => {
	it('whenEvent re-checks after each event and resolves once the check holds', async () => {
		const emitter = new EventEmitter();
		const seen: number[] = [];
		const done = whenEvent([[emitter, 'item']], () => seen.length >= 2 && seen.slice(), {
			what: 'two items',
		});
		seen.push(1);
		emitter.emit('item');
		seen.push(2);
		emitter.emit('item');
		await expect(done).resolves.toEqual([1, 2]);
		expect(emitter.listenerCount('item')).toBe(0);
	});

	it('whenEvent rejects on an abort event and on timeout', async () => {
		const child = new EventEmitter();
		const aborted = whenEvent([[child, 'data']], () => false, {
			what: 'ready',
			abortOn: [[child, 'exit', (code) => new Error(`exited ${String(code)}`)]],
		});
		child.emit('exit', 3);
		await expect(aborted).rejects.toThrow('exited 3');
		await expect(
			whenEvent([[child, 'data']], () => false, { what: 'ready', timeoutMs: 10 }),
		).rejects.toThrow('timed out after 10 ms waiting for ready');
		expect(child.listenerCount('data') + child.listenerCount('exit')).toBe(0);
	});

	it('nextEvent takes the first accepted event', async () => {
		const emitter = new EventEmitter();
		const next = nextEvent<[number]>(emitter, 'n', {
			what: 'an even n',
			accept: (n) => n % 2 === 0,
		});
		emitter.emit('n', 1);
		emitter.emit('n', 4);
		await expect(next).resolves.toEqual([4]);
	});
});
