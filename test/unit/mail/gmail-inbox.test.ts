import { RecentIdsStore } from '../../../lib/mail/inbox/dedupe';
import type { GmailInboxMessage, GmailInboxState } from '../../../lib/mail/inbox/gmail-inbox';
import { GmailInbox } from '../../../lib/mail/inbox/gmail-inbox';
import { describeGmailError } from '../../../lib/mail/providers/gmail';
import { GmailHttpError, requestFunctionAccess } from '../../../lib/mail/providers/gmail-auth';
import { sameRealmFetch } from '../../servers/llm/same-realm-fetch';
import { GmailServer } from '../../servers/mail-apis';

/** Gmail through a request function that signs with a fixed token, as n8n's OAuth2 requests do. */
function bearerAccess(accessToken: string, rootUrl: string) {
	return requestFunctionAccess(async (request) => {
		const response = await sameRealmFetch(request.url, {
			method: request.method,
			headers: {
				...request.headers,
				authorization: `Bearer ${accessToken}`,
				...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			body: request.body === undefined ? undefined : JSON.stringify(request.body),
		});
		const headers: Record<string, string> = {};
		response.headers.forEach((value, name) => (headers[name] = value));
		const body = (await response.json().catch(() => undefined)) as unknown;
		if (!response.ok)
			throw new GmailHttpError(`HTTP ${response.status}`, {
				status: response.status,
				data: body,
				headers,
			});
		return { status: response.status, headers, body };
	}, rootUrl);
}

let counter = 0;
function mail(tag: string, from = 'carla@customer.test', extra: string[] = []): string {
	counter++;
	return [
		`From: Carla <${from}>`,
		'To: support@acme.test',
		`Subject: ${tag}`,
		`Message-ID: <${tag.replace(/\W+/g, '-')}.${counter}@customer.test>`,
		`Date: ${new Date().toUTCString()}`,
		...extra,
		'',
		`Hello, this is ${tag}.`,
		'',
	].join('\r\n');
}

describe('GmailInbox against the Gmail stand-in', () => {
	let gmail: GmailServer;
	let token: string;

	beforeEach(async () => {
		gmail = await new GmailServer().start();
		token = gmail.issueToken();
	});
	afterEach(async () => await gmail.stop());

	/** One "activation": state and dedupe live in `persisted`, as in n8n's static data. */
	function watcher(
		persisted: { state: GmailInboxState; seenIds?: string[] },
		received: GmailInboxMessage[],
		options: Partial<ConstructorParameters<typeof GmailInbox>[0]> = {},
	): GmailInbox {
		return new GmailInbox({
			client: async () => bearerAccess(token, `${gmail.baseUrl}/`).api,
			state: { load: () => persisted.state, save: (next) => (persisted.state = next) },
			dedupe: new RecentIdsStore(persisted),
			onMessages: (messages) => void received.push(...messages),
			pollIntervalMs: 60_000,
			...options,
		});
	}

	async function syncOnce(inbox: GmailInbox): Promise<void> {
		inbox.requestSync();
		await (inbox as unknown as { syncing?: Promise<void> }).syncing;
		await inbox.stop();
	}

	it('only new mail by default; new mail once, normalised; SENT and DRAFT skipped', async () => {
		gmail.addInbound(mail('old'));
		const persisted = { state: {} as GmailInboxState };
		const received: GmailInboxMessage[] = [];
		const inbox = watcher(persisted, received);
		await inbox.open();
		expect(persisted.state.historyId).toBe(gmail.currentHistoryId);
		const added = gmail.addInbound(mail('new 1'), 'thread-9');
		gmail.addInbound(mail('sent by us', 'support@acme.test'), undefined, { labelIds: ['SENT'] });
		gmail.addInbound(mail('to ourselves', 'support@acme.test'), undefined, {
			labelIds: ['SENT', 'INBOX'],
		});
		gmail.addInbound(mail('a draft'), undefined, { labelIds: ['DRAFT', 'INBOX'] });
		gmail.addInbound(mail('new 2'));
		await syncOnce(inbox);
		expect(received.map((m) => m.email.subject)).toEqual(['new 1', 'new 2']);
		expect(received[0].email).toMatchObject({
			provider: 'gmail',
			threadId: 'thread-9',
			providerMessageId: added.id,
			text: 'Hello, this is new 1.',
			labels: ['INBOX', 'UNREAD'],
		});
		const history = gmail.requests.filter((r) => r.path.endsWith('/history'));
		expect(history.length).toBeGreaterThan(0);
		expect(persisted.state.historyId).toBe(gmail.currentHistoryId);

		// Same state again: nothing twice.
		const again: GmailInboxMessage[] = [];
		const second = watcher(persisted, again);
		await second.open();
		await syncOnce(second);
		expect(again).toEqual([]);
	});

	it('an expired history id: a re-sync by date without duplicates or misses', async () => {
		const persisted = { state: {} as GmailInboxState };
		const received: GmailInboxMessage[] = [];
		const first = watcher(persisted, received);
		await first.open();
		gmail.addInbound(mail('before'));
		await syncOnce(first);
		expect(received).toHaveLength(1);
		gmail.addInbound(mail('while away'));
		gmail.expireHistory();
		const second = watcher(persisted, received);
		await second.open();
		await syncOnce(second);
		expect(received.map((m) => m.email.subject)).toEqual(['before', 'while away']);
		const historyCalls = gmail.requests.filter((r) => r.path.endsWith('/history'));
		expect(historyCalls.length).toBe(2);
	});

	it('take existing mail; label and query filters; an unknown label is a clear error', async () => {
		gmail.addInbound(mail('existing a'));
		gmail.addInbound(mail('existing b', 'other@elsewhere.test'));
		const received: GmailInboxMessage[] = [];
		const all = watcher({ state: {} }, received, { takeExisting: true });
		await all.open();
		await syncOnce(all);
		expect(received.map((m) => m.email.subject)).toEqual(['existing a', 'existing b']);

		const filtered: GmailInboxMessage[] = [];
		const byQuery = watcher({ state: {} }, filtered, { query: 'from:customer.test' });
		await byQuery.open();
		gmail.addInbound(mail('from elsewhere', 'x@elsewhere.test'));
		gmail.addInbound(mail('from a customer'));
		await syncOnce(byQuery);
		expect(filtered.map((m) => m.email.subject)).toEqual(['from a customer']);

		await expect(watcher({ state: {} }, [], { labels: ['Nope'] }).open()).rejects.toThrow(
			/The Gmail label "Nope" does not exist in support@acme\.test/,
		);
	});

	it("through a request function (n8n's OAuth2 requests): query, body and errors as Gmail sent them", async () => {
		const { api } = bearerAccess(token, `${gmail.baseUrl}/`);
		gmail.addInbound(mail('first'));
		const list = await api.users.messages.list({ userId: 'me', labelIds: ['INBOX', 'UNREAD'] });
		expect(list.data.messages).toHaveLength(1);
		const asked = gmail.requests.find((r) => r.path === '/gmail/v1/users/me/messages');
		expect(asked?.query.labelIds).toEqual(['INBOX', 'UNREAD']);
		const label = await api.users.labels.create({
			userId: 'me',
			requestBody: { name: 'Support/Done' },
		});
		expect(label.data.name).toBe('Support/Done');

		gmail.expireTokens();
		const error = await api.users.getProfile({ userId: 'me' }).catch((e: unknown) => e);
		expect(describeGmailError(error)).toMatchObject({ kind: 'auth', status: 401 });

		// n8n could not renew the token: the token endpoint's own words reach the user.
		const refused = requestFunctionAccess(async () => {
			throw new GmailHttpError('refresh refused', {
				status: 400,
				data: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
				headers: {},
			});
		});
		const renewal = await refused.api.users.getProfile({ userId: 'me' }).catch((e: unknown) => e);
		expect(describeGmailError(renewal)).toMatchObject({
			kind: 'auth',
			message:
				'Google refused to renew the Gmail access token (invalid_grant: Token has been expired or revoked.)',
			hint: expect.stringMatching(/sign in with Google again/),
		});
	});

	it('a revoked token fails open() with a clear message', async () => {
		gmail.expireTokens();
		await expect(watcher({ state: {} }, []).open()).rejects.toThrow(
			/Gmail rejected the API key or token \(401\)/,
		);
	});
});
