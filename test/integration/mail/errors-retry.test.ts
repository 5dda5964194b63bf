/**
 * Mail retries (cockatiel) and the mail error translator against the SendGrid, Brevo and Gmail
 * stand-ins: a 429 with Retry-After is tried again and succeeds; a permanent 4xx, or a Retry-After
 * longer than the node waits, is not retried; the provider's HTTP status reaches the node error as
 * `httpCode`.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { INode } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { OutgoingMessage } from '../../../lib/mail/compose';
import { readServiceAccountCredentials } from '../../../lib/mail/credentials';
import { sendBrevo } from '../../../lib/mail/providers/brevo';
import { sendGmail } from '../../../lib/mail/providers/gmail';
import {
	forgetServiceAccountTokens,
	serviceAccountAccess,
} from '../../../lib/mail/providers/gmail-auth';
import { sendSendGrid } from '../../../lib/mail/providers/sendgrid';
import { sendSmtp } from '../../../lib/mail/providers/smtp';
import { withRetry } from '../../../lib/mail/retry';
import { mailNodeError } from '../../../nodes/shared/mail-errors';
import { sameRealmFetch } from '../../servers/llm/same-realm-fetch';
import { BrevoServer, GmailServer, SendGridServer } from '../../servers/mail-apis';

jest.setTimeout(60_000);

const node: INode = {
	id: 'n1',
	name: 'Reply',
	type: 'n8n-nodes-support-email.supportEmail',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

let n = 0;
const message = (): OutgoingMessage => ({
	from: { name: 'Support', address: 'support@acme.test' },
	to: [{ name: 'Carla', address: 'carla@customer.test' }],
	subject: 'Your order',
	text: 'On its way.',
	messageId: `<e${++n}@acme.test>`,
});

/** What the node throws for a failed send of item 3. */
async function nodeErrorOf(
	send: () => Promise<unknown>,
): Promise<NodeApiError | NodeOperationError> {
	const error = await withRetry(send).then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeDefined();
	return mailNodeError(node, error, 3);
}

describe('mail retries and errors against the provider stand-ins', () => {
	const sendgrid = new SendGridServer();
	const brevo = new BrevoServer();
	const gmail = new GmailServer();
	const sendgridCredentials = () => ({ apiKey: sendgrid.apiKey, baseUrl: sendgrid.baseUrl });
	const brevoCredentials = () => ({ apiKey: brevo.apiKey, baseUrl: `${brevo.baseUrl}/v3` });
	const sends = (server: SendGridServer | BrevoServer | GmailServer, path: string) =>
		server.requests.filter((r) => r.method === 'POST' && r.path === path).length;
	const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const gmailAccess = async () =>
		await serviceAccountAccess(
			readServiceAccountCredentials({
				email: 'bot@project.iam.gserviceaccount.com',
				privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
				delegatedEmail: gmail.mailbox,
				tokenUrl: `${gmail.baseUrl}/token`,
				gmailApiUrl: `${gmail.baseUrl}/`,
			}),
			{ fetchImplementation: sameRealmFetch },
		);

	beforeAll(async () => {
		await Promise.all([sendgrid.start(), brevo.start(), gmail.start()]);
	});
	afterAll(async () => {
		forgetServiceAccountTokens();
		await Promise.all([sendgrid.stop(), brevo.stop(), gmail.stop()]);
	});

	it('429 with Retry-After, then success: sent on the second try (SendGrid, Brevo, Gmail)', async () => {
		sendgrid.failNext({ status: 429, headers: { 'retry-after': '0' } });
		const before = sends(sendgrid, '/v3/mail/send');
		const sent = await withRetry(async () => await sendSendGrid(sendgridCredentials(), message()));
		expect(sent.provider).toBe('sendgrid');
		expect(sends(sendgrid, '/v3/mail/send') - before).toBe(2);

		brevo.failNext({ status: 429, headers: { 'retry-after': '0' }, count: 2 });
		const brevoBefore = sends(brevo, '/v3/smtp/email');
		await withRetry(async () => await sendBrevo(brevoCredentials(), message()));
		expect(sends(brevo, '/v3/smtp/email') - brevoBefore).toBe(3);

		const access = await gmailAccess();
		gmail.failNext({ status: 503, headers: { 'retry-after': '0' } });
		const gmailBefore = sends(gmail, '/gmail/v1/users/me/messages/send');
		await withRetry(async () => await sendGmail(access, message()));
		expect(sends(gmail, '/gmail/v1/users/me/messages/send') - gmailBefore).toBe(2);
	});

	it('a permanent 4xx is not retried and reaches the node error with its httpCode', async () => {
		sendgrid.failNext({
			status: 400,
			body: {
				errors: [{ message: 'The from address does not match a verified Sender Identity.' }],
			},
		});
		const before = sends(sendgrid, '/v3/mail/send');
		const rejected = await nodeErrorOf(
			async () => await sendSendGrid(sendgridCredentials(), message()),
		);
		expect(sends(sendgrid, '/v3/mail/send') - before).toBe(1);
		expect(rejected).toBeInstanceOf(NodeApiError);
		expect(rejected).toMatchObject({
			httpCode: '400',
			message: expect.stringMatching(/SendGrid rejected the message \(400\).*verified Sender/),
			context: expect.objectContaining({ itemIndex: 3 }),
		});
	});

	it('401 from SendGrid, Brevo and Gmail, and a 429 whose Retry-After is too long, keep their httpCode', async () => {
		const badKey = await nodeErrorOf(
			async () => await sendSendGrid({ ...sendgridCredentials(), apiKey: 'SG.revoked' }, message()),
		);
		expect(badKey).toBeInstanceOf(NodeApiError);
		expect(badKey).toMatchObject({
			httpCode: '401',
			message: expect.stringMatching(/^SendGrid rejected the API key or token \(401\)/),
			description: expect.stringMatching(/Check the SendGrid credential/),
		});

		const brevoKey = await nodeErrorOf(
			async () => await sendBrevo({ ...brevoCredentials(), apiKey: 'xkeysib-wrong' }, message()),
		);
		expect(brevoKey).toMatchObject({ httpCode: '401' });

		brevo.failNext({ status: 429, headers: { 'retry-after': '3600' } });
		const before = sends(brevo, '/v3/smtp/email');
		const limited = await nodeErrorOf(async () => await sendBrevo(brevoCredentials(), message()));
		expect(sends(brevo, '/v3/smtp/email') - before).toBe(1);
		expect(limited).toMatchObject({
			httpCode: '429',
			message: expect.stringMatching(/^Brevo rate limit reached \(429\)/),
			description: expect.stringMatching(/Slow the workflow down/),
		});

		const access = await gmailAccess();
		gmail.failNext({ status: 429, headers: { 'retry-after': '3600' } });
		expect(await nodeErrorOf(async () => await sendGmail(access, message()))).toMatchObject({
			httpCode: '429',
			message: expect.stringMatching(/^Gmail rate limit reached \(429\)/),
		});
		// A token Google no longer accepts, even after minting a new one: 401 on the node.
		gmail.failNext({ status: 401, count: 2 });
		expect(await nodeErrorOf(async () => await sendGmail(access, message()))).toMatchObject({
			httpCode: '401',
			message: expect.stringMatching(/^Gmail rejected the API key or token \(401\)/),
		});
	});

	it('a failure without an HTTP answer is a NodeOperationError with the item and what to fix', async () => {
		const unreachable = await nodeErrorOf(
			async () =>
				await sendSmtp(
					{
						user: 'support@acme.test',
						password: 'x',
						imapHost: '',
						imapPort: 993,
						imapSecurity: 'tls',
						smtpHost: '127.0.0.1',
						smtpPort: 1,
						smtpSecurity: 'none',
					},
					message(),
				),
		);
		expect(unreachable).toBeInstanceOf(NodeOperationError);
		expect(unreachable).not.toBeInstanceOf(NodeApiError);
		expect(unreachable.context.itemIndex).toBe(3);
		expect(unreachable.description).toBeTruthy();
		expect(mailNodeError(node, new Error('boom'), 1)).toMatchObject({
			message: 'boom',
			description: expect.stringMatching(/Check the node's mail credential/),
		});
	});
});
