import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { OutgoingMessage } from '../compose';
import { nodemailerMessage } from '../compose';
import type { ImapSmtpCredentials } from '../credentials';
import { MailError } from '../errors';
import { APP_PASSWORD_HINT } from '../imap';
import type { SendResult } from './types';

export function smtpTransport(credentials: ImapSmtpCredentials, timeoutMs = 30_000) {
	const security = credentials.smtpSecurity;
	const options: SMTPTransport.Options = {
		host: credentials.smtpHost,
		port: credentials.smtpPort,
		secure: security === 'tls',
		requireTLS: security === 'starttls',
		ignoreTLS: security === 'none',
		auth: credentials.password ? { user: credentials.user, pass: credentials.password } : undefined,
		tls: { rejectUnauthorized: credentials.allowUnauthorizedCerts !== true },
		connectionTimeout: timeoutMs,
		greetingTimeout: Math.min(timeoutMs, 15_000),
		socketTimeout: timeoutMs * 2,
	};
	return nodemailer.createTransport(options);
}

export async function verifySmtp(credentials: ImapSmtpCredentials): Promise<void> {
	const transport = smtpTransport(credentials, 15_000);
	try {
		await transport.verify();
	} catch (error) {
		throw describeSmtpError(error, credentials);
	} finally {
		transport.close();
	}
}

export async function sendSmtp(
	credentials: ImapSmtpCredentials,
	message: OutgoingMessage,
): Promise<SendResult> {
	if (!credentials.smtpHost)
		throw new MailError('input', 'The credential has no SMTP host', 'Fill in "SMTP Host".');
	const transport = smtpTransport(credentials);
	try {
		const info = await transport.sendMail(nodemailerMessage(message));
		return {
			provider: 'smtp',
			messageId: message.messageId,
			providerMessageId: info.messageId ?? message.messageId,
			sentAt: new Date().toISOString(),
			accepted: (info.accepted ?? []).map(String),
			rejected: (info.rejected ?? []).map(String),
		};
	} catch (error) {
		throw describeSmtpError(error, credentials);
	} finally {
		transport.close();
	}
}

interface SmtpErrorLike {
	code?: string;
	responseCode?: number;
	response?: string;
	message?: string;
	command?: string;
}

export function describeSmtpError(error: unknown, credentials: ImapSmtpCredentials): MailError {
	if (error instanceof MailError) return error;
	const e = (error ?? {}) as SmtpErrorLike;
	const where = `${credentials.smtpHost}:${credentials.smtpPort}`;
	const said = e.response ?? e.message ?? String(error);
	const code = e.code ?? '';
	if (code === 'EAUTH' || e.responseCode === 535)
		return new MailError(
			'auth',
			`The SMTP server ${where} refused the user name or password ("${said}")`,
			`Check "User" and "Password" in the credential. ${APP_PASSWORD_HINT}`,
			{ cause: error },
		);
	if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(said))
		return new MailError(
			'connection',
			`Nothing accepts SMTP connections at ${where} (connection refused)`,
			'Check "SMTP Host" and "SMTP Port" (465 for TLS, 587 for STARTTLS).',
			{ cause: error, retryable: true },
		);
	if (/wrong version number|ssl|tls|certificate/i.test(said) || code === 'ETLS')
		return new MailError(
			'tls',
			`TLS failed with the SMTP server ${where}: ${said}`,
			'Check "SMTP Security" against the port: 465 uses TLS, 587 uses STARTTLS. For a self-signed certificate turn on "Ignore TLS Certificate Errors".',
			{ cause: error },
		);
	if (code === 'ETIMEDOUT' || code === 'ECONNECTION' || code === 'ESOCKET' || code === 'EDNS')
		return new MailError(
			code === 'ETIMEDOUT' ? 'timeout' : 'connection',
			`Could not talk to the SMTP server ${where}: ${said}`,
			'Check the host, the port and "SMTP Security", and that a firewall lets n8n reach the server.',
			{ cause: error, retryable: code !== 'EDNS' },
		);
	const status = e.responseCode;
	if (status && status >= 400 && status < 500)
		return new MailError(
			'server',
			`The SMTP server ${where} deferred the message (${status}): ${said}`,
			'A temporary refusal (greylisting, rate limit, busy server); the node retried. Try again later.',
			{ cause: error, retryable: true, status },
		);
	if (status && status >= 500)
		return new MailError(
			'rejected',
			`The SMTP server ${where} rejected the message (${status}): ${said}`,
			/relay|sender|from/i.test(said)
				? "The server does not let this account send as the From address: use the account's own address or an alias it may send as."
				: 'Check the recipients and the From address.',
			{ cause: error, status },
		);
	return new MailError('server', `SMTP error from ${where}: ${said}`, undefined, { cause: error });
}
