import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Workflow } from '../harness/n8n';
import { N8n, RESTART_TEST_TIMEOUT, freePort } from '../harness/n8n';
import { waitFor } from '../support/wait-for';
import { NODE_PREFIX, sharedN8n } from '../harness/shared';
import { GmailServer } from '../servers/mail-apis';
import {
	activateTrigger,
	allExecutions,
	createCredential,
	customerMail,
	emittedEmails,
	gmailTriggerNode,
	importCredential,
	inboxWorkflow,
	packedTarball,
	staticData,
	waitForEmails,
} from '../servers/n8n-mail';

const subjects = (emails: Array<Record<string, any>>) => emails.map((e) => e.subject);
/** One execution per message: n8n may store two executions emitted back to back in either order. */
const sortedSubjects = (emails: Array<Record<string, any>>) => subjects(emails).sort();
const STATE = 'node:Support Inbox Trigger';

/**
 * Resolves once the trigger has asked the Gmail stand-in for new mail `count` more times (history or
 * message listings): a message it was going to emit twice would have come out by then. Waits on the
 * polls themselves, not on a guess of how long they take.
 */
async function morePolls(gmail: GmailServer, count: number): Promise<void> {
	const polls = () =>
		gmail.requests.filter(
			(r) =>
				r.method === 'GET' &&
				(r.path === '/gmail/v1/users/me/history' || r.path === '/gmail/v1/users/me/messages'),
		).length;
	const seen = polls();
	await waitFor(() => polls() >= seen + count, {
		what: `${count} more polls of the Gmail stand-in`,
		timeoutMs: 60_000,
	});
}

async function serviceAccount(n8n: N8n, gmail: GmailServer, delegatedEmail = gmail.mailbox) {
	const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
	return await createCredential(n8n, 'supportGoogleServiceAccountApi', {
		email: 'bot@project.iam.gserviceaccount.com',
		privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
		delegatedEmail,
		tokenUrl: `${gmail.baseUrl}/token`,
		gmailApiUrl: `${gmail.baseUrl}/`,
	});
}

/** An OAuth2 credential as n8n stores it once "Sign in with Google" has run. */
async function oauth2(n8n: N8n, gmail: GmailServer) {
	const refreshToken = '1//refresh-' + Date.now();
	gmail.refreshTokens.set(refreshToken, 'client-1.apps.googleusercontent.com');
	return await importCredential(n8n, 'supportGmailOAuth2Api', {
		clientId: 'client-1.apps.googleusercontent.com',
		clientSecret: 'client-secret',
		gmailApiUrl: `${gmail.baseUrl}/`,
		oauthTokenData: {
			access_token: gmail.issueToken(),
			refresh_token: refreshToken,
			token_type: 'Bearer',
			expires_in: 3599,
			scope: 'https://www.googleapis.com/auth/gmail.modify',
		},
	});
}

describe('Support Inbox Trigger: the Gmail source in real n8n', () => {
	const n8n = sharedN8n();
	let gmail: GmailServer;
	const active: string[] = [];

	beforeEach(async () => {
		gmail = await new GmailServer().start();
	});
	afterEach(async () => {
		for (const id of active.splice(0)) await n8n.deactivate(id).catch(() => undefined);
		await gmail.stop();
	});

	async function start(workflow: Workflow): Promise<string> {
		const id = await n8n.importWorkflow(workflow);
		await activateTrigger(n8n, id);
		active.push(id);
		return id;
	}

	it('OAuth2: new mail reaches the workflow once each, normalised, and is answered in its thread; existing mail, our sent mail and drafts are not taken', async () => {
		gmail.addInbound(customerMail('already there'));
		const credential = await oauth2(n8n, gmail);
		// The trigger, then a threaded reply through Gmail with the same OAuth2 credential.
		const trigger = gmailTriggerNode(credential, {}, 'oAuth2');
		const id = await start({
			nodes: [
				trigger,
				{
					name: 'Reply',
					type: `${NODE_PREFIX}.supportEmail`,
					typeVersion: 1,
					parameters: {
						operation: 'sendReply',
						provider: 'gmail',
						gmailAuthentication: 'oAuth2',
						text: 'Thanks, we are on it.',
					},
					credentials: { supportGmailOAuth2Api: credential },
				},
			],
			connections: { [trigger.name]: { main: [[{ node: 'Reply', type: 'main', index: 0 }]] } },
		});
		expect((await staticData(n8n, id))[STATE].historyId).toBe(gmail.currentHistoryId);

		const first = gmail.addInbound(customerMail('first'), 'thread-1');
		gmail.addInbound(customerMail('sent to ourselves', 'From: support@acme.test'), undefined, {
			labelIds: ['SENT', 'INBOX'],
		});
		gmail.addInbound(customerMail('a draft'), 'thread-1', { labelIds: ['DRAFT', 'INBOX'] });
		gmail.addInbound(customerMail('sent'), 'thread-1', { labelIds: ['SENT'] });
		const second = gmail.addInbound(customerMail('second'));
		await waitForEmails(n8n, id, 2);
		await morePolls(gmail, 3);
		const emails = emittedEmails(await allExecutions(n8n, id));
		expect(sortedSubjects(emails)).toEqual(['first', 'second']);
		expect(emails.find((e) => e.subject === 'first')).toMatchObject({
			provider: 'gmail',
			threadId: 'thread-1',
			providerMessageId: first.id,
			labels: ['INBOX', 'UNREAD'],
			text: 'Hello, this is first.',
			to: [{ name: '', address: 'support@acme.test' }],
			autoSubmitted: false,
		});
		// Incremental: users.history.list from the stored id, messageAdded in INBOX, with the OAuth2 token.
		const history = gmail.requests.filter((r) => r.path === '/gmail/v1/users/me/history');
		expect(history.length).toBeGreaterThanOrEqual(3);
		expect(history[0].query).toMatchObject({ historyTypes: 'messageAdded', labelId: 'INBOX' });
		expect(history[0].headers.authorization).toMatch(/^Bearer ya29\./);
		const raw = gmail.requests.filter(
			(r) => r.method === 'GET' && /\/messages\/[^/]+$/.test(r.path),
		);
		expect(raw.every((r) => r.query.format === 'raw' || r.query.format === 'metadata')).toBe(true);
		// The replies went out in the customers' threads, and were not taken as new mail.
		const replyErrors = (await allExecutions(n8n, id)).flatMap((e) => {
			const run = e.data?.resultData.runData.Reply?.[0];
			return [run?.error?.message, ...(run?.data?.main[0] ?? []).map((i) => i.json.error)].filter(
				Boolean,
			);
		});
		expect(replyErrors).toEqual([]);
		expect(gmail.delivered.map((d) => [d.threadId, d.header('in-reply-to')]).sort()).toEqual(
			emails.map((e) => [e.threadId, e.messageId]).sort(),
		);
		expect(gmail.delivered.find((d) => d.threadId === 'thread-1')?.parsed.subject).toBe(
			'Re: first',
		);
		await morePolls(gmail, 2);
		expect(emittedEmails(await allExecutions(n8n, id))).toHaveLength(2);
		// n8n stores static data when the trigger emits: the id saved with the last message handed over.
		expect(Number((await staticData(n8n, id))[STATE].historyId)).toBeGreaterThanOrEqual(
			Number(second.historyId),
		);
	});

	it('an expired history id while active: a full re-sync, no duplicates, no misses', async () => {
		const id = await start(inboxWorkflow(gmailTriggerNode(await serviceAccount(n8n, gmail))));
		gmail.addInbound(customerMail('before expiry'));
		await waitForEmails(n8n, id, 1);
		gmail.addInbound(customerMail('while expiring'));
		gmail.expireHistory();
		await waitForEmails(n8n, id, 2);
		gmail.addInbound(customerMail('after expiry'));
		await waitForEmails(n8n, id, 3);
		await morePolls(gmail, 3);
		expect(sortedSubjects(emittedEmails(await allExecutions(n8n, id)))).toEqual([
			'after expiry',
			'before expiry',
			'while expiring',
		]);
		// The 404 for the expired id led to a full listing by date (messages.list with after:).
		const resync = gmail.requests.filter(
			(r) => r.path === '/gmail/v1/users/me/messages' && /after:\d+/.test(String(r.query.q)),
		);
		expect(resync.length).toBeGreaterThan(0);
		expect((await staticData(n8n, id))[STATE].historyId).toBe(gmail.currentHistoryId);
	});

	it('"Take Existing Mail" with a search query: existing matching mail once, then new matching mail', async () => {
		gmail.addInbound(customerMail('old from a customer'));
		gmail.addInbound(customerMail('old from elsewhere'));
		const credential = await serviceAccount(n8n, gmail);
		const id = await start(
			inboxWorkflow(
				gmailTriggerNode(credential, {
					takeExisting: true,
					gmailQuery: 'from:customer.test -subject:elsewhere',
				}),
			),
		);
		await waitForEmails(n8n, id, 1);
		gmail.addInbound(customerMail('new from elsewhere'));
		gmail.addInbound(customerMail('new from a customer'));
		await waitForEmails(n8n, id, 2);
		await morePolls(gmail, 3);
		expect(sortedSubjects(emittedEmails(await allExecutions(n8n, id)))).toEqual([
			'new from a customer',
			'old from a customer',
		]);
	});

	describe('activation fails with a clear message', () => {
		async function activationError(workflow: Workflow): Promise<string> {
			return await n8n.activationError(await n8n.importWorkflow(workflow));
		}

		it('a label that does not exist', async () => {
			const credential = await serviceAccount(n8n, gmail);
			expect(
				await activationError(
					inboxWorkflow(gmailTriggerNode(credential, { labelIds: ['Support/Missing'] })),
				),
			).toMatch(/The Gmail label \\?"Support\/Missing\\?" does not exist in support@acme\.test/);
		});

		it('a mailbox the service account may not act as', async () => {
			const credential = await serviceAccount(n8n, gmail, 'someone@else.test');
			expect(await activationError(inboxWorkflow(gmailTriggerNode(credential)))).toMatch(
				/refused to let the service account act as someone@else\.test/,
			);
		});
	});
});

describe('Support Inbox Trigger (Gmail) across n8n restarts', () => {
	let gmail: GmailServer;
	let n8n: N8n | undefined;
	let userFolder: string;

	beforeAll(async () => {
		gmail = await new GmailServer().start();
		userFolder = mkdtempSync(join(tmpdir(), 'n8n-restart-gmail-'));
	});
	afterAll(async () => {
		await n8n?.stop();
		await gmail?.stop();
		rmSync(userFolder, { recursive: true, force: true });
	});

	it(
		'stop n8n, mail arrives (and once the history expires), start again: every message exactly once',
		async () => {
			const port = await freePort();
			n8n = await N8n.start({ userFolder, port, tarball: packedTarball() });
			const credential = await serviceAccount(n8n, gmail);
			const id = await n8n.importWorkflow(inboxWorkflow(gmailTriggerNode(credential)));
			await activateTrigger(n8n, id);
			gmail.addInbound(customerMail('before stop'));
			await waitForEmails(n8n, id, 1);

			await n8n.stop();
			n8n = undefined;
			gmail.addInbound(customerMail('while down 1'));
			gmail.addInbound(customerMail('ours', 'X-Support-Email: reply'), undefined, {
				labelIds: ['SENT'],
			});
			gmail.addInbound(customerMail('while down 2'));

			n8n = await N8n.start({ userFolder, port, installPackage: false });
			await waitForEmails(n8n, id, 3, 60_000);
			gmail.addInbound(customerMail('after start'));
			await waitForEmails(n8n, id, 4);
			await morePolls(gmail, 2);
			expect(sortedSubjects(emittedEmails(await allExecutions(n8n, id)))).toEqual([
				'after start',
				'before stop',
				'while down 1',
				'while down 2',
			]);

			// Down long enough for Gmail to purge the history: a re-sync, still each message once.
			await n8n.stop();
			n8n = undefined;
			gmail.addInbound(customerMail('while down long'));
			gmail.expireHistory();
			n8n = await N8n.start({ userFolder, port, installPackage: false });
			await waitForEmails(n8n, id, 5, 60_000);
			await morePolls(gmail, 3);
			expect(sortedSubjects(emittedEmails(await allExecutions(n8n, id)))).toEqual([
				'after start',
				'before stop',
				'while down 1',
				'while down 2',
				'while down long',
			]);
			await n8n.deactivate(id);
		},
		RESTART_TEST_TIMEOUT,
	);
});
