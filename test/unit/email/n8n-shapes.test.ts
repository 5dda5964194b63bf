import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeInput } from '../../../lib/email/normalize';

/** Items exactly as n8n 2.41.1's own Gmail / Gmail Trigger / Email Trigger (IMAP) nodes emit them. */
const SHAPES = join(__dirname, '../../fixtures/n8n-shapes');

interface N8nItem {
	json: Record<string, unknown>;
	binary?: Record<string, { mimeType: string; fileName: string; fileSize: string; bytes?: number }>;
}

async function normalizeShape(file: string, source: 'auto' | 'n8n' = 'auto') {
	const item = JSON.parse(readFileSync(join(SHAPES, file), 'utf8')) as N8nItem;
	return await normalizeInput(
		{
			json: item.json,
			binaryNames: Object.keys(item.binary ?? {}),
			binaryInfo: (name) => item.binary?.[name],
			readBinary: async () => {
				throw new Error('attachment content must not be needed to normalise');
			},
		},
		{ source },
	);
}

const SAMPLE = {
	subject: 'Order #12345 has not arrived',
	from: { name: 'Jane Doe', address: 'jane@customer.test' },
	to: [{ name: '', address: 'support@acme.test' }],
	cc: [{ name: '', address: 'ops@acme.test' }],
	receivedAt: '2026-11-24T09:15:00.000Z',
};

describe('Normalize: output of n8n mail nodes', () => {
	for (const file of ['gmail-full.json', 'gmail-trigger-full.json', 'imap-resolved.json']) {
		it(`${file}: full message with threading, clean text and attachment metadata`, async () => {
			const email = await normalizeShape(file);
			expect(email).toMatchObject({
				...SAMPLE,
				messageId: '<CAF12345@mail.customer.test>',
				inReplyTo: '<reply-1@acme.test>',
				references: ['<orig-1@acme.test>', '<reply-1@acme.test>'],
				autoSubmitted: false,
				attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', size: 1234 }],
			});
			expect(email.text).toBe('Hello,\n\nMy order #12345 has not arrived yet.');
			expect(email.fullText).toContain('Your order has shipped.');
			expect(email.html).toContain('gmail_quote');
		});
	}

	it('gmail-full.json: Gmail ids, thread and labels', async () => {
		const email = await normalizeShape('gmail-full.json', 'n8n');
		expect(email).toMatchObject({
			provider: 'gmail',
			threadId: '18c2f0a1b2c3d4e5',
			providerMessageId: '18c2f0a1b2c3d4e6',
		});
		expect([...(email.labels ?? [])].sort()).toEqual(['INBOX', 'UNREAD']);
	});

	it('imap-resolved.json: IMAP provider and uid', async () => {
		const email = await normalizeShape('imap-resolved.json');
		expect(email.provider).toBe('imap');
		expect(typeof email.uid).toBe('number');
		expect(email.threadId).toBe('<orig-1@acme.test>');
	});

	it('imap-simple.json: top-level string addresses and metadata headers', async () => {
		const email = await normalizeShape('imap-simple.json');
		expect(email).toMatchObject({
			...SAMPLE,
			messageId: '<CAF12345@mail.customer.test>',
			inReplyTo: '<reply-1@acme.test>',
			references: ['<orig-1@acme.test>', '<reply-1@acme.test>'],
			provider: 'imap',
			attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', size: 1234 }],
		});
		expect(email.text).toBe('Hello,\n\nMy order #12345 has not arrived yet.');
	});

	for (const file of ['gmail-simple.json', 'gmail-trigger-simple.json']) {
		it(`${file}: "Simplify" on gives only a snippet, and the item says how to fix that`, async () => {
			const email = await normalizeShape(file);
			expect(email).toMatchObject({
				subject: SAMPLE.subject,
				from: SAMPLE.from,
				provider: 'gmail',
				threadId: '18c2f0a1b2c3d4e5',
				receivedAt: SAMPLE.receivedAt,
				messageIdGenerated: true,
				messageId: '<gmail.18c2f0a1b2c3d4e6@generated.support-email.invalid>',
			});
			expect(email.text).toContain('My order #12345 has not arrived yet.');
			expect(email.text).not.toMatch(/&lt;|&#39;/);
			expect(email.warnings?.join(' ')).toMatch(/Turn "Simplify" off/);
		});
	}

	it('imap-raw.json: the body without headers is refused, naming the setting to change', async () => {
		await expect(normalizeShape('imap-raw.json')).rejects.toThrow(/without the message headers/);
		await expect(normalizeShape('imap-raw.json')).rejects.toMatchObject({
			hint: expect.stringMatching(/Format to "Resolved"/),
		});
	});

	it('an item that is not mail at all is refused with the fields it has', async () => {
		await expect(
			normalizeInput(
				{
					json: { name: 'x', count: 2 },
					binaryNames: [],
					binaryInfo: () => undefined,
					readBinary: async () => Buffer.alloc(0),
				},
				{ source: 'auto' },
			),
		).rejects.toMatchObject({
			message: expect.stringMatching(/No email found/),
			hint: expect.stringMatching(/name, count/),
		});
	});
});
