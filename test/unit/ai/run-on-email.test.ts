/**
 * The email → model pipeline (lib/ai/run-on-email.ts) with providers in process: each provider is the
 * AiProvider seam answering from a script, so the order of the list, the hand-over on a bad answer and
 * the place of the built-in answer are checked without a network.
 */
import { InputError } from '../../../lib/errors';
import {
	AllProvidersFailedError,
	OFFLINE_PROVIDER,
	ProviderError,
	providerList,
	resetBreakers,
	runOnEmail,
} from '../../../lib/ai';
import type { AiProvider, EmailTask, ProviderEntry, StructuredRequest } from '../../../lib/ai';

const SCHEMA = {
	type: 'object',
	additionalProperties: false,
	required: ['category', 'contact'],
	properties: {
		category: { type: 'string', enum: ['refund', 'delivery'] },
		contact: { type: 'string' },
	},
};
const FAST = { baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 1_000, maxRetries: 1 };

type Reply = string | ProviderError | ((request: StructuredRequest) => string);

/** A provider that answers each call with the next scripted reply (the last one repeats). */
function scripted(name: string, ...replies: Reply[]) {
	const requests: StructuredRequest[] = [];
	const provider: AiProvider = {
		kind: 'openAi',
		label: name,
		model: `${name}-model`,
		breakerKey: `test:${name}:${Math.random()}`,
		call: async (request) => {
			requests.push(request);
			const reply = replies[Math.min(requests.length - 1, replies.length - 1)];
			if (reply instanceof ProviderError) throw reply;
			const text = typeof reply === 'function' ? reply(request) : reply;
			return { text, usage: { inputTokens: 10, outputTokens: 5 }, model: `${name}-model` };
		},
	};
	return { provider, requests };
}

interface Offline {
	category: string;
	sure: boolean;
}

function task(sure = true, calls = { offline: 0 }): EmailTask<Offline> {
	return {
		request: (fencedEmail) => ({
			system: 'Classify.',
			user: `Classify this.\n\n${fencedEmail}`,
			schema: SCHEMA,
			schemaName: 'classification',
			maxOutputTokens: 100,
		}),
		offline: () => {
			calls.offline++;
			return { category: 'delivery', sure };
		},
		offlineSettles: (answer) => answer.sure,
		describeOffline: () => ({ provider: 'Built-in', model: 'built-in-model' }),
		noProviders: () => new InputError('Nothing to ask', 'Add a provider.'),
	};
}

const EMAIL = {
	from: 'Jane <jane@customer.test>',
	subject: 'Refund',
	text: 'Please refund order 123. Reach me at jane@customer.test.',
};
const settings = (providers: ProviderEntry[], extra = {}) => ({
	providers,
	maxInputChars: 8_000,
	redactPersonalData: false,
	resilience: FAST,
	...extra,
});
const GOOD = '{"category":"refund","contact":"x"}';

beforeEach(() => resetBreakers());

describe('runOnEmail', () => {
	it('asks the providers in list order and stops at the first good answer', async () => {
		const first = scripted('first', GOOD);
		const second = scripted('second', GOOD);
		const run = await runOnEmail(
			EMAIL,
			settings([first.provider, second.provider, OFFLINE_PROVIDER]),
			task(),
		);
		expect(run).toMatchObject({ source: 'model', answer: { category: 'refund' } });
		expect(run.source === 'model' && run.attempts).toBeUndefined();
		expect(first.requests).toHaveLength(1);
		expect(second.requests).toHaveLength(0);
	});

	it('invalid JSON twice (answer and repair try) hands over to the next provider', async () => {
		const broken = scripted('broken', 'Sure! The category is refund.');
		const next = scripted('next', GOOD);
		const run = await runOnEmail(EMAIL, settings([broken.provider, next.provider]), task());
		expect(broken.requests).toHaveLength(2);
		expect(broken.requests[1].repair?.problem).toMatch(/not valid JSON/);
		expect(run.source === 'model' && run.result.provider.label).toBe('next');
		expect(run.source === 'model' && run.attempts?.map((a) => [a.provider, a.outcome])).toEqual([
			['broken', 'invalid'],
			['next', 'ok'],
		]);
	});

	it('every AI provider failing ends at the built-in answer last, with every attempt', async () => {
		const limited = scripted(
			'limited',
			new ProviderError('limited', 'rate_limit', '429 Too Many Requests', 429, 1),
		);
		const slow = scripted('slow', new ProviderError('slow', 'timeout', 'timed out'));
		const calls = { offline: 0 };
		const run = await runOnEmail(
			EMAIL,
			settings(providerList([limited.provider, slow.provider], true)),
			task(true, calls),
		);
		expect(run.source).toBe('offline');
		expect(calls.offline).toBe(1);
		expect(limited.requests).toHaveLength(2);
		expect(run.source === 'offline' && run.failed?.map((a) => [a.provider, a.kind])).toEqual([
			['limited', 'rate_limit'],
			['slow', 'timeout'],
		]);
	});

	it('without the built-in answer, all failing is AllProvidersFailedError naming each', async () => {
		const down = scripted('down', new ProviderError('down', 'server', '500'));
		const refuses = scripted('refuses', () => '{"category":"nope","contact":"x"}');
		const failure = runOnEmail(EMAIL, settings([down.provider, refuses.provider]), task());
		await expect(failure).rejects.toBeInstanceOf(AllProvidersFailedError);
		await expect(
			runOnEmail(EMAIL, settings([down.provider, refuses.provider]), task()),
		).rejects.toThrow(/down \(failed: 500\); refuses \(invalid/);
	});

	it('the built-in answer first and sure: no provider is asked', async () => {
		const ai = scripted('ai', GOOD);
		const calls = { offline: 0 };
		const run = await runOnEmail(
			EMAIL,
			settings([OFFLINE_PROVIDER, ai.provider]),
			task(true, calls),
		);
		expect(run).toEqual({ source: 'offline', answer: { category: 'delivery', sure: true } });
		expect(ai.requests).toHaveLength(0);
	});

	it('the built-in answer first and unsure: the next provider answers, the log says why', async () => {
		const ai = scripted('ai', GOOD);
		const run = await runOnEmail(EMAIL, settings([OFFLINE_PROVIDER, ai.provider]), task(false));
		expect(run.source).toBe('model');
		expect(run.source === 'model' && run.attempts?.map((a) => [a.provider, a.outcome])).toEqual([
			['Built-in', 'unsure'],
			['ai', 'ok'],
		]);
	});

	it('the built-in answer unsure and the providers after it down: its answer stands', async () => {
		const down = scripted('down', new ProviderError('down', 'auth', '401'));
		const calls = { offline: 0 };
		const run = await runOnEmail(
			EMAIL,
			settings([OFFLINE_PROVIDER, down.provider]),
			task(false, calls),
		);
		expect(run).toMatchObject({ source: 'offline', answer: { sure: false } });
		expect(calls.offline).toBe(1);
		expect(run.source === 'offline' && run.failed?.map((a) => a.outcome)).toEqual([
			'unsure',
			'failed',
		]);
	});

	it('an empty list is the task’s own error', async () => {
		await expect(runOnEmail(EMAIL, settings([]), task())).rejects.toThrow('Nothing to ask');
		expect(providerList([], false)).toEqual([]);
		expect(providerList([OFFLINE_PROVIDER], true)).toEqual([OFFLINE_PROVIDER]);
	});

	it('the email is truncated, redacted and fenced; the answer gets the personal data back', async () => {
		const echo = scripted('echo', (request) => {
			const placeholder = /\[EMAIL_\d+\]/.exec(request.user)?.[0] ?? 'none';
			return JSON.stringify({ category: 'refund', contact: placeholder });
		});
		const long = { ...EMAIL, text: `${EMAIL.text} ${'filler '.repeat(400)}the end` };
		const run = await runOnEmail<{ contact: string }, Offline>(
			long,
			settings([echo.provider], { redactPersonalData: true, maxInputChars: 600 }),
			task(),
		);
		const sent = echo.requests[0].user;
		expect(sent).not.toContain('jane@customer.test');
		expect(sent).toMatch(/<<<EMAIL-[0-9a-f]{12}\n/);
		expect(sent).toMatch(/characters omitted/);
		expect(sent).toContain('the end');
		expect(run.source === 'model' && run.answer.contact).toBe('jane@customer.test');
		expect(run.source === 'model' && run.truncated).toBe(true);
	});
});
