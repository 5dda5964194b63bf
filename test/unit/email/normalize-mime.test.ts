import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mimeExpectations } from '../../fixtures/mime/expectations';
import { makeLargeAttachmentEmail } from '../../fixtures/mime/large';
import { expectEmailToMatch } from '../../support/check-email';
import { normalizeInput } from '../../../lib/email/normalize';
import type { NormalizeOptions } from '../../../lib/email/normalize';

const FIXTURES = join(__dirname, '../../fixtures/mime');

async function normalizeRaw(raw: Buffer, options: Partial<NormalizeOptions> = {}) {
	return await normalizeInput(
		{
			json: {},
			binaryNames: ['data'],
			binaryInfo: () => ({ mimeType: 'message/rfc822', fileName: 'mail.eml' }),
			readBinary: async () => raw,
		},
		{ source: 'binary', ...options },
	);
}

describe('Normalize: real-world MIME fixtures', () => {
	for (const [file, want] of Object.entries(mimeExpectations)) {
		it(`${file}: ${want.description.slice(0, 80)}`, async () => {
			const raw = readFileSync(join(FIXTURES, file));
			if (want.error) {
				await expect(normalizeRaw(raw)).rejects.toThrow(new RegExp(want.error, 'i'));
				return;
			}
			const email = await normalizeRaw(raw);
			expectEmailToMatch(email as unknown as Record<string, unknown>, want);
			expect(email.provider).toBe('mime');
			expect(email.text).not.toMatch(/\uFFFD/);
		});
	}

	it('gives a message without Message-ID the same synthetic id every time', async () => {
		const raw = readFileSync(join(FIXTURES, 'no-message-id.eml'));
		const [a, b] = [await normalizeRaw(raw), await normalizeRaw(raw)];
		expect(a.messageId).toBe(b.messageId);
		expect(a.messageIdGenerated).toBe(true);
		expect(a.warnings?.join(' ')).toMatch(/no Message-ID/);
	});

	it('keeps the full history in fullText while text holds only the new words', async () => {
		const email = await normalizeRaw(readFileSync(join(FIXTURES, 'gmail-quoted.eml')));
		expect(email.fullText.length).toBeGreaterThan(email.text.length);
		const unstripped = await normalizeRaw(readFileSync(join(FIXTURES, 'gmail-quoted.eml')), {
			stripQuotes: false,
		});
		expect(unstripped.text).toBe(unstripped.fullText);
	});

	it('reads a 10 MB attachment: size exact, content not kept on the item', async () => {
		const size = 10 * 1024 * 1024;
		const raw = makeLargeAttachmentEmail(size);
		const email = await normalizeRaw(raw);
		expect(email.attachments).toHaveLength(1);
		expect(email.attachments[0].size).toBe(size);
		expect(JSON.stringify(email).length).toBeLessThan(64 * 1024);
		expect(email.size).toBe(raw.length);
		// Heavy: parsing 10 MB takes seconds on a loaded machine (jest's default is 5 s).
	}, 120_000);

	it('refuses mail over the size limit with a message that names the option', async () => {
		const raw = makeLargeAttachmentEmail(2 * 1024 * 1024);
		await expect(normalizeRaw(raw, { maxBytes: 1024 * 1024 })).rejects.toThrow(
			/over the limit of 1\.0 MB/,
		);
	}, 60_000);

	it('rejects an empty input and a JSON document with a clear error', async () => {
		await expect(normalizeRaw(Buffer.alloc(0))).rejects.toThrow(/empty/);
		await expect(normalizeRaw(Buffer.from('{"id": 1, "subject": "x"}'))).rejects.toThrow(
			/not an email message/,
		);
	});

	it('does not take the current time for an unreadable Date header', async () => {
		const raw = Buffer.from(
			'From: a@customer.test\r\nDate: yesterday-ish\r\nSubject: x\r\n\r\nbody',
		);
		const email = await normalizeRaw(raw, {});
		expect(email.warnings?.join(' ')).toMatch(/Date header "yesterday-ish" could not be read/);
	});
});
