import type { ImapSmtpCredentials } from '../../../lib/mail/credentials';
import { MailError } from '../../../lib/mail/errors';
import { connectImap } from '../../../lib/mail/imap';
import { Dovecot, freePort } from '../../servers/dovecot';

jest.setTimeout(60_000);

describe('connectImap against a real Dovecot', () => {
	let dovecot: Dovecot;
	let plain: Dovecot;
	beforeAll(async () => {
		[dovecot, plain] = await Promise.all([Dovecot.start({ tls: true }), Dovecot.start()]);
	});
	afterAll(async () => {
		await Promise.all([dovecot?.stop(), plain?.stop()]);
	});

	const creds = (over: Partial<ImapSmtpCredentials>): ImapSmtpCredentials =>
		({
			user: dovecot.user.user,
			password: dovecot.user.password,
			imapHost: '127.0.0.1',
			imapPort: dovecot.port,
			imapSecurity: 'none',
			smtpHost: '',
			smtpPort: 0,
			smtpSecurity: 'none',
			connectionTimeoutMs: 4000,
			...over,
		}) as ImapSmtpCredentials;

	async function failure(over: Partial<ImapSmtpCredentials>): Promise<MailError> {
		try {
			const client = await connectImap(creds(over), { connectionTimeoutMs: 4000 });
			await client.logout();
		} catch (error) {
			expect(error).toBeInstanceOf(MailError);
			return error as MailError;
		}
		throw new Error('connected, but a failure was expected');
	}

	it('logs in with plain, STARTTLS and TLS (self-signed allowed)', async () => {
		for (const over of [
			{},
			{ imapSecurity: 'starttls' as const, allowUnauthorizedCerts: true },
			{ imapSecurity: 'tls' as const, imapPort: dovecot.tlsPort!, allowUnauthorizedCerts: true },
		]) {
			const client = await connectImap(creds(over));
			expect(client.authenticated).toBeTruthy();
			await client.logout();
		}
	});

	it('wrong password: says so and mentions app passwords', async () => {
		const error = await failure({ password: 'wrong' });
		expect(error.kind).toBe('auth');
		expect(error.message).toMatch(/refused the user name or password/);
		expect(error.hint).toMatch(/app password/);
	});

	it('unreachable server: connection refused, with the host and port', async () => {
		const port = await freePort();
		const error = await failure({ imapPort: port });
		expect(error.kind).toBe('connection');
		expect(error.message).toContain(`127.0.0.1:${port}`);
		expect(error.message).toMatch(/connection refused/);
	});

	it('TLS on a plain port: a TLS error that suggests STARTTLS / the port', async () => {
		const error = await failure({ imapSecurity: 'tls', imapPort: plain.port });
		expect(error.kind).toBe('tls');
		expect(error.hint).toMatch(/STARTTLS|993/);
	});

	it('no TLS on a TLS port: no greeting, suggests TLS', async () => {
		const error = await failure({ imapSecurity: 'none', imapPort: dovecot.tlsPort! });
		expect(error.kind).toBe('tls');
		expect(error.hint).toMatch(/TLS/);
	});

	it('STARTTLS required by the credential, not offered by the server', async () => {
		const error = await failure({ imapSecurity: 'starttls', imapPort: plain.port });
		expect(error.kind).toBe('tls');
		expect(error.message).toMatch(/STARTTLS/);
	});

	it('self-signed certificate refused unless allowed', async () => {
		const error = await failure({ imapSecurity: 'tls', imapPort: dovecot.tlsPort! });
		expect(error.kind).toBe('tls');
		expect(error.message).toMatch(/not trusted/);
		expect(error.hint).toMatch(/Ignore TLS Certificate Errors/);
	});
});
