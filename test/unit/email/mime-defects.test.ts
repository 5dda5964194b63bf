/** Issue 14, items 4-7: MIME read wrongly or silently, auto-submitted mail, spoofing, pass-through. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeInput } from '../../../lib/email/normalize';
import { unreadableEmail } from '../../../lib/email/unreadable';
import { parseAddressList } from '../../../nodes/shared/mail-transport';

const FIXTURES = join(__dirname, '../../fixtures/mime');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

async function normalizeRaw(raw: Buffer) {
	return await normalizeInput(
		{
			json: {},
			binaryNames: ['data'],
			binaryInfo: () => ({ mimeType: 'message/rfc822' }),
			readBinary: async () => raw,
		},
		{ source: 'binary' },
	);
}

describe('MIME defects (item 4)', () => {
	it.each([
		['missing-boundary.eml', /multipart\/mixed but names no boundary.*shown as it came/],
		[
			'boundary-never-appears.eml',
			/boundary "=_never_4471", which never appears.*shown as it came/,
		],
	])('%s: the customer text is kept, with a warning', async (file, warning) => {
		const email = await normalizeRaw(fixture(file));
		expect(email.text).toContain('Hello, my order #4471 has not arrived. Can you check?');
		expect(email.warnings?.join('\n')).toMatch(warning);
		expect(email.warnings?.join('\n')).not.toMatch(/empty body/);
	});

	it('a truncated multipart says it was cut off; what arrived is read', async () => {
		const email = await normalizeRaw(fixture('truncated-multipart.eml'));
		expect(email.text).toBe('Hello, the invoice for order #4471 is attached.');
		expect(email.attachments.map((a) => a.filename)).toEqual(['invoice.pdf']);
		expect(email.warnings?.join('\n')).toMatch(
			/ends before its multipart structure is closed \(no closing "--cut-4471--"\)/,
		);
	});

	it('a complete multipart gets no truncation warning', async () => {
		const email = await normalizeRaw(fixture('multipart-alternative.eml'));
		expect(email.warnings?.join('\n') ?? '').not.toMatch(/cut off|never appears|no boundary/);
	});

	it('a NUL byte in a header: headers read, the NUL removed with a warning', async () => {
		const email = await normalizeRaw(fixture('nul-in-header.eml'));
		expect(email.from.address).toBe('dana@customer.example');
		expect(email.subject).toBe('Where is my order?');
		expect(email.to).toEqual([{ name: 'Acme Support', address: 'support@acme.test' }]);
		expect(email.warnings?.join('\n')).toMatch(/2 NUL bytes .* removed to read the headers/);
	});

	it("mailsplit's limits come with what they mean and what to do", async () => {
		const head = 'From: a@customer.example\r\nTo: support@acme.test\r\nSubject: x\r\n';
		let parts = '';
		for (let i = 0; i < 1100; i++) parts += `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`;
		const many = Buffer.from(
			`${head}Content-Type: multipart/mixed; boundary="b"\r\n\r\n${parts}--b--\r\n`,
		);
		await expect(normalizeRaw(many)).rejects.toMatchObject({
			message: expect.stringMatching(/more MIME parts than the reader accepts \(1,000\)/),
			hint: expect.stringMatching(/malformed or built to overload/),
		});
		const bigHeader = Buffer.from(`${head}X-Big: ${'a'.repeat(1_200_000)}\r\n\r\nhi\r\n`);
		await expect(normalizeRaw(bigHeader)).rejects.toMatchObject({
			message: expect.stringMatching(/header block of the message is over 1 MB/),
			hint: expect.stringMatching(/Check it by hand/),
		});
	});
});

describe('auto-submitted detection (item 6)', () => {
	it.each([
		['return-path-null.eml', 'auto-replied'],
		['x-auto-response-suppress.eml', 'auto-replied'],
		['mdn-read-receipt.eml', 'auto-replied'],
		['arf-feedback-report.eml', 'auto-replied'],
		['precedence-bulk-comment.eml', 'bulk'],
		['x-loop.eml', 'auto-replied'],
	])('%s is flagged (%s)', async (file, reason) => {
		const email = await normalizeRaw(fixture(file));
		expect(email.autoSubmitted).toBe(true);
		expect(email.autoSubmittedReason).toBe(reason);
	});

	it('an ordinary customer mail is not flagged', async () => {
		const email = await normalizeRaw(fixture('missing-boundary.eml'));
		expect(email.autoSubmitted).toBe(false);
	});
});

describe('spoofing signals (item 5)', () => {
	it('bidi override in the display name: flagged, removed from what reviewers see, original kept', async () => {
		const email = await normalizeRaw(fixture('spoof-bidi-display-name.eml'));
		expect(email.from.name).toBe('Acme Billing moc.emca@gnillib');
		expect(email.from.originalName).toBe('Acme Billing \u202emoc.emca@gnillib\u202c');
		expect(email.spoofSignals?.map((s) => s.code).sort()).toEqual([
			'address_in_display_name',
			'bidi_control',
		]);
		const messages = email.spoofSignals!.map((s) => s.message).join('\n');
		expect(messages).toMatch(/\[U\+202E\]/);
		expect(messages).toMatch(
			/shows the address billing@acme\.com, but the mail comes from billing-acme@evil\.example/,
		);
	});

	it('a Cyrillic а in the sender domain', async () => {
		const email = await normalizeRaw(fixture('spoof-lookalike-domain.eml'));
		expect(email.spoofSignals).toEqual([
			{
				code: 'lookalike_domain',
				message: expect.stringMatching(
					/support@\u0430cme\.test uses a domain.*another alphabet.*U\+0430 Cyrillic/,
				),
			},
		]);
	});

	it('an address in the display name that is not the sender', async () => {
		const email = await normalizeRaw(fixture('spoof-address-in-display-name.eml'));
		expect(email.spoofSignals).toEqual([
			{
				code: 'address_in_display_name',
				message:
					"The sender's display name shows the address ceo@acme.test, but the mail comes from attacker@evil.example.",
			},
		]);
	});

	it('Reply-To on another registrable domain', async () => {
		const email = await normalizeRaw(fixture('spoof-reply-to-other-domain.eml'));
		expect(email.spoofSignals?.map((s) => s.code)).toEqual(['reply_to_other_domain']);
		expect(email.spoofSignals![0].message).toMatch(
			/dana\.refunds@elsewhere\.example \(elsewhere\.example\).*customer\.example/,
		);
	});

	it('ordinary mail has an empty list', async () => {
		for (const file of [
			'gmail-quoted.eml',
			'outlook-quoted.eml',
			'multipart-alternative.eml',
			'iso-8859-1.eml',
		]) {
			expect((await normalizeRaw(fixture(file))).spoofSignals).toEqual([]);
		}
	});
});

describe('Normalize on items that already carry support.email (item 7)', () => {
	it('passes them through without parsing again (provider and uid kept), even with a raw binary', async () => {
		const email = await normalizeRaw(fixture('gmail-quoted.eml'));
		const fromTrigger = { ...email, provider: 'imap' as const, uid: 42, mailbox: 'INBOX' };
		let read = false;
		const result = await normalizeInput(
			{
				json: { support: { email: fromTrigger } },
				binaryNames: ['raw'],
				binaryInfo: () => ({ mimeType: 'message/rfc822', fileName: 'message.eml' }),
				readBinary: async () => {
					read = true;
					return fixture('gmail-quoted.eml');
				},
			},
			{ source: 'auto' },
		);
		expect(read).toBe(false);
		expect(result).toEqual(fromTrigger);
	});

	it('items from an older version get spoofing signals and a safe display name', async () => {
		const result = await normalizeInput(
			{
				json: {
					support: {
						email: {
							messageId: '<x@y>',
							from: { name: 'CEO <ceo@acme.test>', address: 'attacker@evil.example' },
							to: [],
							cc: [],
							references: [],
							subject: 'Pay',
							text: 'Pay now',
							fullText: 'Pay now',
							provider: 'imap',
							uid: 7,
						},
					},
				},
				binaryNames: [],
				binaryInfo: () => undefined,
				readBinary: async () => Buffer.alloc(0),
			},
			{ source: 'auto' },
		);
		expect(result.uid).toBe(7);
		expect(result.spoofSignals?.map((s) => s.code)).toEqual(['address_in_display_name']);
	});
});

describe('recipient lists (item 7)', () => {
	it('"Doe, John" <john@x.com> stays one recipient', () => {
		expect(parseAddressList('"Doe, John" <john@x.com>; Jane <JANE@y.com>, bob@z.com')).toEqual([
			{ name: 'Doe, John', address: 'john@x.com' },
			{ name: 'Jane', address: 'jane@y.com' },
			{ name: '', address: 'bob@z.com' },
		]);
		expect(parseAddressList('  ')).toEqual([]);
	});
});

describe('unreadable mail (no mail lost)', () => {
	it('keeps the error, the raw headers and what they say', () => {
		const raw = fixture('nul-in-header.eml');
		const email = unreadableEmail(
			raw,
			{ message: 'boom', hint: 'do this' },
			{ provider: 'imap', uid: 9, mailbox: 'INBOX' },
		);
		expect(email).toMatchObject({
			messageId: '<nul@customer.example>',
			from: { name: 'Dana Customer', address: 'dana@customer.example' },
			subject: 'Where is my order?',
			readError: { message: 'boom', hint: 'do this' },
			uid: 9,
			autoSubmitted: false,
			spoofSignals: [],
		});
		expect(email.rawHeaders).toMatch(/^From: Dana Customer <dana@customer\.example>\r\nTo: /);
		expect(email.rawHeaders).not.toMatch(/\u0000|Hello, my order/);
		expect(email.warnings?.[0]).toMatch(/could not be read: boom\. do this/);
	});
});
