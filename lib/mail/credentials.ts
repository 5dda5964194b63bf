/** The decrypted data of this package's mail credential types, as the nodes read them. */

export type TlsMode = 'tls' | 'starttls' | 'none';

export interface ImapSmtpCredentials {
	user: string;
	password: string;
	imapHost: string;
	imapPort: number;
	imapSecurity: TlsMode;
	smtpHost: string;
	smtpPort: number;
	smtpSecurity: TlsMode;
	allowUnauthorizedCerts?: boolean;
}

export interface SendGridCredentials {
	apiKey: string;
	baseUrl?: string;
}

export interface BrevoCredentials {
	apiKey: string;
	baseUrl?: string;
}

export interface GoogleServiceAccountCredentials {
	email: string;
	privateKey: string;
	delegatedEmail: string;
	tokenUrl?: string;
	gmailApiUrl?: string;
}

export function readImapSmtpCredentials(data: Record<string, unknown>): ImapSmtpCredentials {
	return {
		user: String(data.user ?? ''),
		password: String(data.password ?? ''),
		imapHost: String(data.imapHost ?? '').trim(),
		imapPort: Number(data.imapPort ?? 993),
		imapSecurity: (data.imapSecurity as TlsMode) ?? 'tls',
		smtpHost: String(data.smtpHost ?? '').trim(),
		smtpPort: Number(data.smtpPort ?? 465),
		smtpSecurity: (data.smtpSecurity as TlsMode) ?? 'tls',
		allowUnauthorizedCerts: data.ignoreTlsErrors === true,
	};
}

export function readServiceAccountCredentials(
	data: Record<string, unknown>,
): GoogleServiceAccountCredentials {
	return {
		email: String(data.email ?? '').trim(),
		// Keys pasted from the JSON file keep "\n" as two characters.
		privateKey: String(data.privateKey ?? '').replace(/\\n/g, '\n'),
		delegatedEmail: String(data.delegatedEmail ?? '').trim(),
		tokenUrl: String(data.tokenUrl || 'https://oauth2.googleapis.com/token'),
		gmailApiUrl: String(data.gmailApiUrl || 'https://gmail.googleapis.com/'),
	};
}

/** SendGrid and Brevo: an API key, and a base URL for a proxy (or a test server). */
export function readApiKeyCredentials(data: Record<string, unknown>): SendGridCredentials {
	return { apiKey: String(data.apiKey ?? ''), baseUrl: String(data.baseUrl ?? '') };
}

export interface GmailOAuth2Credentials {
	/** Whether "Sign in with Google" has run (n8n keeps the token data). */
	connected: boolean;
	gmailApiUrl: string;
}

export function readGmailOAuth2Credentials(data: Record<string, unknown>): GmailOAuth2Credentials {
	const token = (data.oauthTokenData ?? {}) as Record<string, unknown>;
	return {
		connected: Boolean(token.access_token),
		gmailApiUrl: String(data.gmailApiUrl || 'https://gmail.googleapis.com/'),
	};
}
