import type { ImapSmtpCredentials } from './credentials';
import { MailError } from './errors';
import { connectImap } from './imap';
import { verifySmtp } from './providers/smtp';

export interface CredentialTestOutcome {
	status: 'OK' | 'Error';
	message: string;
}

/** Logs in over IMAP and SMTP (whichever hosts are filled in) and says what failed and why. */
export async function testImapSmtp(
	credentials: ImapSmtpCredentials,
): Promise<CredentialTestOutcome> {
	if (!credentials.imapHost && !credentials.smtpHost)
		return { status: 'Error', message: 'Fill in an IMAP host, an SMTP host, or both.' };
	const passed: string[] = [];
	try {
		if (credentials.imapHost) {
			const client = await connectImap(credentials, { connectionTimeoutMs: 15_000 });
			await client.logout().catch(() => undefined);
			passed.push('IMAP');
		}
		if (credentials.smtpHost) {
			await verifySmtp(credentials);
			passed.push('SMTP');
		}
	} catch (error) {
		const mailError = error instanceof MailError ? error : undefined;
		const message = mailError
			? `${mailError.message}.${mailError.hint ? ` ${mailError.hint}` : ''}`
			: String(error);
		return {
			status: 'Error',
			message: passed.length ? `${passed.join(' and ')} OK; ${message}` : message,
		};
	}
	return { status: 'OK', message: `Connection successful (${passed.join(' and ')})` };
}
