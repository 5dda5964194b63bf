import { simpleParser } from 'mailparser';
import type { SupportEmail } from '../../../lib/email/types';
import { buildMime, replySubject, replyThreading } from '../../../lib/mail/compose';
import { MailError, httpProviderError, retryAfterMs } from '../../../lib/mail/errors';
import {
	DEFAULT_MAIL_RETRY,
	isRetryableMailError,
	mailRetryDelay,
	withRetry,
} from '../../../lib/mail/retry';

const parent = (over: Partial<SupportEmail> = {}): SupportEmail => ({
	messageId: '<m3@customer.test>',
	references: ['<m1@customer.test>', '<m2@acme.test>'],
	from: { name: 'C', address: 'c@customer.test' },
	to: [],
	cc: [],
	subject: 'Order late',
	text: '',
	fullText: '',
	receivedAt: new Date().toISOString(),
	attachments: [],
	autoSubmitted: false,
	provider: 'imap',
	...over,
});

describe('reply threading (DESIGN.md section 4)', () => {
	it('In-Reply-To = parent Message-ID; References = parent References + parent Message-ID', () => {
		expect(replyThreading(parent())).toEqual({
			subject: 'Re: Order late',
			inReplyTo: '<m3@customer.test>',
			references: ['<m1@customer.test>', '<m2@acme.test>', '<m3@customer.test>'],
			warnings: [],
		});
	});

	it('"Re:" once, whatever the language of the prefix', () => {
		for (const subject of ['Re: Order', 'RE: Order', 'AW: Bestellung', 'Sv: Order', 're[2]: Order'])
			expect(replySubject(subject)).toBe(subject);
		expect(replySubject('Order')).toBe('Re: Order');
		expect(replySubject('')).toBe('Re:');
	});

	it('Gmail thread id only for Gmail mail; no In-Reply-To to an invented Message-ID', () => {
		expect(replyThreading(parent({ provider: 'gmail', threadId: '18c0ffee' })).threadId).toBe(
			'18c0ffee',
		);
		expect(replyThreading(parent({ threadId: '<m1@customer.test>' })).threadId).toBeUndefined();
		const generated = replyThreading(parent({ messageIdGenerated: true, references: [] }));
		expect(generated.inReplyTo).toBeUndefined();
		expect(generated.references).toEqual([]);
		expect(generated.warnings[0]).toMatch(/no Message-ID/);
	});

	it('long References keep the root and the newest', () => {
		const refs = Array.from({ length: 40 }, (_, i) => `<r${i}@x.test>`);
		const threading = replyThreading(parent({ references: refs }));
		expect(threading.references).toHaveLength(20);
		expect(threading.references[0]).toBe('<r0@x.test>');
		expect(threading.references[19]).toBe('<m3@customer.test>');
	});

	it('builds MIME with the threading and Auto-Submitted headers', async () => {
		const raw = await buildMime({
			from: { name: 'Support', address: 'support@acme.test' },
			to: [{ name: '', address: 'c@customer.test' }],
			subject: 'Re: Order late',
			text: 'On its way',
			messageId: '<r1@acme.test>',
			inReplyTo: '<m3@customer.test>',
			references: ['<m1@customer.test>', '<m3@customer.test>'],
			automatic: true,
		});
		const parsed = await simpleParser(raw);
		expect(parsed.inReplyTo).toBe('<m3@customer.test>');
		expect(parsed.references).toEqual(['<m1@customer.test>', '<m3@customer.test>']);
		expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
		expect(parsed.headers.get('x-support-email')).toBe('sent');
		expect(parsed.messageId).toBe('<r1@acme.test>');
	});
});

describe('provider errors and retries', () => {
	it('maps statuses to actionable messages; 429 and 5xx are retryable with Retry-After', () => {
		expect(httpProviderError('SendGrid', 401, 'bad key').hint).toMatch(
			/Check the SendGrid credential/,
		);
		const limited = httpProviderError('Brevo', 429, 'slow down', '3');
		expect(limited).toMatchObject({ kind: 'rate-limit', retryable: true, retryAfterMs: 3000 });
		expect(httpProviderError('Gmail', 503, '').retryable).toBe(true);
		expect(httpProviderError('Gmail', 400, 'bad').retryable).toBe(false);
		expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
	});

	it('retries retryable errors with cockatiel, waiting Retry-After; gives up on others at once', async () => {
		const busy = new MailError('rate-limit', 'busy', undefined, {
			retryable: true,
			retryAfterMs: 1234,
		});
		expect(mailRetryDelay(1, busy)).toBe(1234);
		expect(mailRetryDelay(3, busy)).toBe(1234);
		const server = new MailError('server', 'down', undefined, { retryable: true });
		expect(mailRetryDelay(1, server, DEFAULT_MAIL_RETRY, () => 0)).toBe(250);
		expect(mailRetryDelay(3, server, DEFAULT_MAIL_RETRY, () => 0.999)).toBeLessThanOrEqual(2000);
		expect(mailRetryDelay(30, server, DEFAULT_MAIL_RETRY, () => 1)).toBe(10_000);
		expect(isRetryableMailError(busy)).toBe(true);
		expect(
			isRetryableMailError(
				new MailError('rate-limit', 'later', undefined, {
					retryable: true,
					retryAfterMs: 3_600_000,
				}),
			),
		).toBe(false);

		let calls = 0;
		const result = await withRetry(async (attempt) => {
			calls++;
			expect(attempt).toBe(calls);
			if (calls < 3)
				throw new MailError('rate-limit', 'busy', undefined, { retryable: true, retryAfterMs: 0 });
			return 'sent';
		});
		expect(result).toBe('sent');
		expect(calls).toBe(3);
		calls = 0;
		await expect(
			withRetry(async () => {
				calls++;
				throw new MailError('auth', 'no');
			}),
		).rejects.toThrow('no');
		expect(calls).toBe(1);
		calls = 0;
		await expect(
			withRetry(
				async () => {
					calls++;
					throw new MailError('server', 'down', undefined, { retryable: true, retryAfterMs: 0 });
				},
				{ attempts: 3 },
			),
		).rejects.toThrow('down');
		expect(calls).toBe(3);
	});
});
