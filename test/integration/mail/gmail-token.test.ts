/**
 * The service-account token provider against the Gmail stand-in: google-auth-library signs the
 * JWT and keeps the token per credential and scope, so items and executions in one process share
 * one token; a token about to expire, or one Gmail rejects, is minted again.
 */
import { createVerify, generateKeyPairSync } from 'node:crypto';
import type { GoogleServiceAccountCredentials } from '../../../lib/mail/credentials';
import { readServiceAccountCredentials } from '../../../lib/mail/credentials';
import { sendGmail } from '../../../lib/mail/providers/gmail';
import {
	GMAIL_SCOPE,
	forgetServiceAccountTokens,
	serviceAccountAccess,
} from '../../../lib/mail/providers/gmail-auth';
import { sameRealmFetch } from '../../servers/llm/same-realm-fetch';
import { GmailServer } from '../../servers/mail-apis';

jest.setTimeout(60_000);

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const options = { fetchImplementation: sameRealmFetch };

describe('Gmail service-account token provider', () => {
	let gmail: GmailServer;
	let n = 0;
	/** The credential as n8n hands it to a node: a fresh object on every read. */
	let stored: Record<string, unknown>;
	const read = (): GoogleServiceAccountCredentials => readServiceAccountCredentials({ ...stored });
	const tokenRequests = () => gmail.requests.filter((r) => r.path === '/token');
	const message = (to = 'carla@customer.test') => ({
		from: { name: 'Support', address: 'support@acme.test' },
		to: [{ name: '', address: to }],
		subject: 'Your order',
		text: 'On its way.',
		messageId: `<t${++n}@acme.test>`,
	});

	beforeEach(async () => {
		forgetServiceAccountTokens();
		gmail = await new GmailServer().start();
		stored = {
			email: `bot-${++n}@project.iam.gserviceaccount.com`,
			// As pasted from the key file's JSON: "\n" as two characters.
			privateKey: pem.replace(/\n/g, '\\n'),
			delegatedEmail: 'support@acme.test',
			tokenUrl: `${gmail.baseUrl}/token`,
			gmailApiUrl: `${gmail.baseUrl}/`,
		};
	});
	afterEach(async () => await gmail.stop());

	it('two items and two executions in one process mint one token; the JWT is signed by the key and acts as the mailbox', async () => {
		// Execution 1: two items, each reading the credential and sending.
		for (let item = 0; item < 2; item++)
			await sendGmail(await serviceAccountAccess(read(), options), message());
		// Execution 2, same process: two items at the same moment.
		await Promise.all(
			[0, 1].map(
				async () => await sendGmail(await serviceAccountAccess(read(), options), message()),
			),
		);
		expect(gmail.delivered).toHaveLength(4);
		expect(tokenRequests()).toHaveLength(1);
		const sends = gmail.requests.filter((r) => r.path === '/gmail/v1/users/me/messages/send');
		expect(new Set(sends.map((r) => r.headers.authorization)).size).toBe(1);

		const { grant_type, assertion } = tokenRequests()[0].body as Record<string, string>;
		expect(grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
		const [header, claims, signature] = assertion.split('.');
		const verifier = createVerify('RSA-SHA256').update(`${header}.${claims}`);
		expect(verifier.verify(keys.publicKey, signature, 'base64url')).toBe(true);
		expect(JSON.parse(Buffer.from(claims, 'base64url').toString())).toMatchObject({
			iss: stored.email,
			sub: 'support@acme.test',
			scope: GMAIL_SCOPE,
		});
		expect(gmail.subjects).toEqual(['support@acme.test']);

		// Another credential (another mailbox key) gets a token of its own.
		stored = { ...stored, email: 'other-bot@project.iam.gserviceaccount.com' };
		await sendGmail(await serviceAccountAccess(read(), options), message());
		expect(tokenRequests()).toHaveLength(2);
	});

	it('a token about to expire is minted again before use; one Gmail rejects is minted again and the call repeated', async () => {
		// Tokens that live 4 minutes are inside the 5-minute renewal window from the start.
		gmail.serviceTokenLifetimeSeconds = 240;
		await sendGmail(await serviceAccountAccess(read(), options), message());
		const afterFirst = tokenRequests().length;
		expect(afterFirst).toBeGreaterThanOrEqual(1);
		await sendGmail(await serviceAccountAccess(read(), options), message());
		expect(tokenRequests().length).toBeGreaterThan(afterFirst);

		// An hour-long token is minted once more, then kept.
		gmail.serviceTokenLifetimeSeconds = 3599;
		const access = await serviceAccountAccess(read(), options);
		const minted = tokenRequests().length;
		await sendGmail(access, message());
		await sendGmail(await serviceAccountAccess(read(), options), message());
		expect(tokenRequests()).toHaveLength(minted);
		// Google revoked the token before its time: the library mints a new one and repeats the call.
		gmail.expireTokens();
		await sendGmail(access, message());
		expect(tokenRequests()).toHaveLength(minted + 1);
		expect(gmail.delivered).toHaveLength(5);
	});

	it('a mailbox without delegation and a key that is not PEM say what to fix', async () => {
		stored = { ...stored, delegatedEmail: 'someone@else.test' };
		await expect(serviceAccountAccess(read(), options)).rejects.toMatchObject({
			kind: 'auth',
			status: 401,
			message: expect.stringMatching(
				/Google refused to let the service account act as someone@else\.test \(unauthorized_client/,
			),
			hint: expect.stringMatching(/domain-wide delegation/),
		});
		stored = { ...stored, privateKey: 'not a key' };
		await expect(serviceAccountAccess(read(), options)).rejects.toMatchObject({
			kind: 'input',
			message: 'The service account private key is not a PEM key',
		});
		expect(gmail.delivered).toHaveLength(0);
	});
});
