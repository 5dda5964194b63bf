import type { ImapSmtpCredentials } from '../../../lib/mail/credentials';
import { readSentFolder } from '../../../lib/mail/past-replies';
import { Dovecot } from '../../servers/dovecot';
import { GMAIL_STYLE, OUTLOOK_GERMAN, sentReply } from '../../support/past-reply-fixtures';

jest.setTimeout(120_000);

describe('past replies from the Sent folder of a real Dovecot', () => {
	let dovecot: Dovecot;
	beforeAll(async () => {
		dovecot = await Dovecot.start();
	});
	afterAll(async () => {
		await dovecot?.stop();
	});

	it('reads the replies in the folder, skipping what is not a reply', async () => {
		await dovecot.mailboxCreate('Sent');
		const client = await dovecot.client();
		try {
			for (const raw of [GMAIL_STYLE, OUTLOOK_GERMAN, sentReply('Re: Thanks', 'You are welcome!')])
				await client.append('Sent', raw);
		} finally {
			await client.logout();
		}
		const credentials = {
			...(dovecot.credentials() as unknown as ImapSmtpCredentials),
			smtpHost: '',
			smtpPort: 0,
			smtpSecurity: 'none',
		} as ImapSmtpCredentials;
		const result = await readSentFolder(credentials, { mailbox: 'Sent' });
		expect(result.mailbox).toBe('Sent');
		expect(result.replies.map((r) => r.conversation?.subject ?? r.skipped)).toEqual([
			'Where is my order?',
			'Rückerstattung',
			'the reply does not quote the message it answers',
		]);
		await expect(readSentFolder(credentials, { mailbox: 'Nope' })).rejects.toThrow(
			/no folder "Nope"/,
		);
	});
});
