import { ImapFlow } from 'imapflow';
import type { ImapFlowOptions, Logger } from 'imapflow';
import type { ImapSmtpCredentials } from './credentials';
import { MailError } from './errors';

export const APP_PASSWORD_HINT =
	'Gmail, Google Workspace, Outlook.com / Microsoft 365, iCloud, Yahoo and Zoho refuse the normal password when two-step verification is on: create an app password in the account security settings and use it here.';

export interface ImapClientOptions {
	logger?: Logger | false;
	disableAutoIdle?: boolean;
	/** Poll interval on servers without IDLE (imapflow's `maxIdleTime`). */
	maxIdleTime?: number;
	connectionTimeoutMs?: number;
}

export function imapFlowOptions(
	credentials: ImapSmtpCredentials,
	options: ImapClientOptions = {},
): ImapFlowOptions {
	const security = credentials.imapSecurity;
	return {
		host: credentials.imapHost,
		port: credentials.imapPort,
		secure: security === 'tls',
		doSTARTTLS: security === 'starttls' ? true : security === 'none' ? false : undefined,
		auth: { user: credentials.user, pass: credentials.password },
		tls: { rejectUnauthorized: credentials.allowUnauthorizedCerts !== true },
		logger: options.logger ?? false,
		disableAutoIdle: options.disableAutoIdle,
		maxIdleTime: options.maxIdleTime,
		missingIdleCommand: 'STATUS',
		connectionTimeout: options.connectionTimeoutMs ?? 20_000,
		greetingTimeout: Math.min(options.connectionTimeoutMs ?? 20_000, 16_000),
		clientInfo: { name: 'n8n-nodes-support-email' },
	};
}

/** Connects and logs in; every failure becomes a MailError that says what to change. */
export async function connectImap(
	credentials: ImapSmtpCredentials,
	options: ImapClientOptions = {},
): Promise<ImapFlow> {
	if (!credentials.imapHost)
		throw new MailError('input', 'The credential has no IMAP host', 'Fill in "IMAP Host".');
	const client = new ImapFlow(imapFlowOptions(credentials, options));
	// An error after connect() settled is also emitted; without a listener it would crash n8n.
	client.on('error', () => undefined);
	try {
		await client.connect();
	} catch (error) {
		client.close();
		throw describeImapError(error, credentials);
	}
	return client;
}

interface ImapErrorLike {
	code?: string;
	message?: string;
	authenticationFailed?: boolean;
	tlsFailed?: boolean;
	responseText?: string;
	serverResponseCode?: string;
	_err?: { code?: string; message?: string };
	cause?: unknown;
}

const CERT_CODES = new Set([
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_HAS_EXPIRED',
	'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function describeImapError(error: unknown, credentials: ImapSmtpCredentials): MailError {
	if (error instanceof MailError) return error;
	const e = (error ?? {}) as ImapErrorLike;
	const code = e.code ?? e._err?.code ?? '';
	const text = [e.message, e.responseText, e._err?.message].filter(Boolean).join(' ');
	const where = `${credentials.imapHost}:${credentials.imapPort}`;
	const mode = credentials.imapSecurity;

	if (
		e.authenticationFailed ||
		/AUTHENTICATIONFAILED|authentication failed|invalid credentials/i.test(text)
	)
		return new MailError(
			'auth',
			`The IMAP server ${where} refused the user name or password${e.responseText ? ` ("${e.responseText}")` : ''}`,
			`Check "User" and "Password" in the credential. ${APP_PASSWORD_HINT}`,
			{ cause: error },
		);
	if (code === 'GREETING_TIMEOUT' || code === 'ClosedAfterConnectText')
		return new MailError(
			'tls',
			`The server at ${where} sent no IMAP greeting: it may expect TLS on this port`,
			mode === 'tls'
				? 'Check the port: this does not look like an IMAP server.'
				: 'Set "IMAP Security" to TLS (port 993 usually needs TLS).',
			{ cause: error },
		);
	if (code === 'ClosedAfterConnectTLS')
		return new MailError(
			'tls',
			`The server at ${where} closed the TLS connection at once`,
			'Check "IMAP Security" and the port: the server may not speak TLS here.',
			{ cause: error },
		);
	if (
		CERT_CODES.has(code) ||
		/self[- ]signed certificate|certificate has expired|unable to verify/i.test(text)
	)
		return new MailError(
			'tls',
			`The TLS certificate of ${where} is not trusted (${code || text})`,
			'Use the host name the certificate is issued for, or turn on "Ignore TLS Certificate Errors" in the credential if you trust this server (self-signed certificates).',
			{ cause: error },
		);
	if (
		e.tlsFailed ||
		/wrong version number|EPROTO|ssl3_get_record|packet length too long|tls|ssl/i.test(
			`${code} ${text}`,
		)
	) {
		return new MailError(
			'tls',
			mode === 'tls'
				? `TLS failed with ${where}: the port does not seem to speak TLS (${text || code})`
				: `Could not secure the connection to ${where} (${text || code})`,
			mode === 'tls'
				? 'Set "IMAP Security" to STARTTLS (usually port 143) or check the port: implicit TLS is usually 993.'
				: mode === 'starttls'
					? 'The server does not offer STARTTLS on this port. Use TLS on port 993, or None only on a trusted local network.'
					: 'Check "IMAP Security" and the port.',
			{ cause: error },
		);
	}
	if (code === 'MissingServerExtension' || /STARTTLS/i.test(text))
		return new MailError(
			'tls',
			`The IMAP server ${where} does not offer STARTTLS, and the credential requires it`,
			'Use TLS on port 993, or None only for a server on a trusted local network.',
			{ cause: error },
		);
	if (code === 'ECONNREFUSED')
		return new MailError(
			'connection',
			`Nothing accepts IMAP connections at ${where} (connection refused)`,
			'Check "IMAP Host" and "IMAP Port" (993 for TLS, 143 for STARTTLS), and that the server is up and reachable from n8n.',
			{ cause: error, retryable: true },
		);
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
		return new MailError(
			'connection',
			`The IMAP host "${credentials.imapHost}" was not found (DNS)`,
			'Check the spelling of "IMAP Host".',
			{ cause: error, retryable: code === 'EAI_AGAIN' },
		);
	if (code === 'CONNECT_TIMEOUT' || code === 'ETIMEDOUT' || code === 'ETIMEOUT')
		return new MailError(
			'timeout',
			`Timed out connecting to the IMAP server ${where}`,
			'Check the host and port, and that a firewall lets n8n reach it.',
			{ cause: error, retryable: true },
		);
	if (
		code === 'EHOSTUNREACH' ||
		code === 'ENETUNREACH' ||
		code === 'ECONNRESET' ||
		code === 'NoConnection' ||
		code === 'EConnectionClosed'
	)
		return new MailError(
			'connection',
			`Lost or could not open the connection to the IMAP server ${where} (${code})`,
			'Check that the server is reachable from n8n.',
			{ cause: error, retryable: true },
		);
	return new MailError(
		'server',
		`IMAP error from ${where}: ${text || code || String(error)}`,
		undefined,
		{ cause: error, retryable: false },
	);
}
