import nodemailer from 'nodemailer';
import { Dovecot } from '../../servers/dovecot';
import { SmtpCapture } from '../../servers/smtp';

jest.setTimeout(60_000);

const message = (n: number) =>
	`From: Customer ${n} <c${n}@customer.test>\r\nTo: support@acme.test\r\nSubject: Test ${n}\r\nMessage-ID: <m${n}@customer.test>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nBody ${n}\r\n`;

describe('Dovecot test server', () => {
	let dovecot: Dovecot;
	beforeAll(async () => {
		dovecot = await Dovecot.start({ tls: true });
	});
	afterAll(async () => {
		await dovecot?.stop();
	});

	it('accepts APPEND, announces IDLE, serves the message back', async () => {
		const uids = await dovecot.append('INBOX', [message(1), message(2)]);
		expect(uids).toEqual([1, 2]);
		const client = await dovecot.client();
		try {
			expect(client.capabilities.has('IDLE')).toBe(true);
			const lock = await client.getMailboxLock('INBOX');
			try {
				const got = await client.fetchAll('1:*', { envelope: true, uid: true }, { uid: true });
				expect(got.map((m) => m.envelope?.messageId)).toEqual([
					'<m1@customer.test>',
					'<m2@customer.test>',
				]);
			} finally {
				lock.release();
			}
		} finally {
			await client.logout();
		}
	});

	it('rejects a wrong password', async () => {
		await expect(dovecot.client({ user: dovecot.user.user, password: 'wrong' })).rejects.toThrow();
	});

	it('changes UIDVALIDITY on demand and takes maildir deliveries in bulk', async () => {
		const before = await dovecot.status('INBOX');
		const next = await dovecot.changeUidValidity('INBOX');
		const after = await dovecot.status('INBOX');
		expect(after.uidValidity).toBe(next);
		expect(after.uidValidity).not.toBe(before.uidValidity);

		dovecot.deliverToMaildir(Array.from({ length: 500 }, (_, i) => message(100 + i)));
		const status = await dovecot.status('INBOX');
		expect(status.messages).toBe(before.messages + 500);
	});

	it('offers STARTTLS and implicit TLS with a self-signed certificate', async () => {
		const { ImapFlow } = await import('imapflow');
		const client = new ImapFlow({
			host: '127.0.0.1',
			port: dovecot.tlsPort!,
			secure: true,
			tls: { rejectUnauthorized: false },
			auth: { user: dovecot.user.user, pass: dovecot.user.password },
			logger: false,
		});
		await client.connect();
		expect(client.secureConnection).toBe(true);
		await client.logout();
	});

	it('can run without IDLE (clients must poll)', async () => {
		const noIdle = await Dovecot.start({ idle: false });
		try {
			const client = await noIdle.client();
			expect(client.capabilities.has('IDLE')).toBe(false);
			await client.logout();
		} finally {
			await noIdle.stop();
		}
	});
});

describe('SMTP capture server', () => {
	it('keeps and parses what it receives, and checks AUTH', async () => {
		const smtp = await SmtpCapture.start({ users: [{ user: 'u@acme.test', password: 'pw' }] });
		try {
			const transport = nodemailer.createTransport({
				host: smtp.host,
				port: smtp.port,
				secure: false,
				ignoreTLS: true,
				auth: { user: 'u@acme.test', pass: 'pw' },
			});
			await transport.sendMail({
				from: 'u@acme.test',
				to: 'c@customer.test',
				subject: 'Re: Hello',
				text: 'Hi',
				inReplyTo: '<m1@customer.test>',
				references: ['<m0@customer.test>', '<m1@customer.test>'],
				headers: { 'Auto-Submitted': 'auto-replied' },
			});
			const [mail] = await smtp.waitForMessages(1);
			expect(mail.to).toEqual(['c@customer.test']);
			expect(mail.parsed.subject).toBe('Re: Hello');
			expect(mail.parsed.inReplyTo).toBe('<m1@customer.test>');
			expect(mail.header('auto-submitted')).toBe('auto-replied');

			const bad = nodemailer.createTransport({
				host: smtp.host,
				port: smtp.port,
				ignoreTLS: true,
				auth: { user: 'u@acme.test', pass: 'nope' },
			});
			await expect(
				bad.sendMail({ from: 'u@acme.test', to: 'c@customer.test', text: 'x' }),
			).rejects.toThrow(/535/);
		} finally {
			await smtp.stop();
		}
	});
});
