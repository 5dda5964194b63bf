import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	IDataObject,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { testImapSmtp } from '../../lib/mail/credential-test';
import { readImapSmtpCredentials, readServiceAccountCredentials } from '../../lib/mail/credentials';
import { testServiceAccount } from '../../lib/mail/providers/gmail';

/**
 * The credential tests of the mail credentials whose test is a real connection rather than one HTTP
 * request (IMAP + SMTP login; a Google service-account token). Every node that lists those
 * credentials names them with `testedBy` and carries these methods.
 */
export const mailCredentialTests = {
	async supportImapSmtpConnectionTest(
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		return await testImapSmtp(readImapSmtpCredentials((credential.data ?? {}) as IDataObject));
	},
	async supportGoogleServiceAccountTest(
		this: ICredentialTestFunctions,
		credential: ICredentialsDecrypted,
	): Promise<INodeCredentialTestResult> {
		return await testServiceAccount(
			readServiceAccountCredentials((credential.data ?? {}) as IDataObject),
		);
	},
};
