/**
 * Local HTTP servers that speak the wire formats of the mail APIs the package uses, for tests
 * (DESIGN.md section 7). Formats from the providers' docs and SDK types:
 * - SendGrid v3: POST /v3/mail/send (Bearer key) -> 202, empty body, X-Message-Id header;
 *   errors {"errors":[{"message","field","help"}]}; GET /v3/scopes for the credential test.
 * - Brevo v3: POST /v3/smtp/email (api-key header) -> 201 {"messageId":"<...>"};
 *   errors {"code","message"}; GET /v3/account for the credential test.
 * - Gmail v1: POST /token (JWT bearer grant), users/me/messages/send {raw, threadId} -> {id, threadId,
 *   labelIds}, messages list / get, history list, drafts create, labels list / create, messages modify,
 *   getProfile; errors {"error":{"code","message","status"}}.
 * Faults are scriptable: `failNext({ status, headers, body, count })` answers the next sends so.
 * What was "delivered" is kept as MIME parsed by mailparser, as a recipient would read it.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ParsedMail } from 'mailparser';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { rawHeader } from '../smtp';

export interface Fault {
	status: number;
	headers?: Record<string, string>;
	body?: unknown;
	count?: number;
}

export interface Delivered {
	raw: Buffer;
	parsed: ParsedMail;
	header(name: string): string | undefined;
	/** The JSON the API received (SendGrid / Brevo) or the Gmail request body. */
	request: any;
	threadId?: string;
	at: number;
}

abstract class ApiServer {
	readonly delivered: Delivered[] = [];
	readonly requests: Array<{
		method: string;
		path: string;
		/** The query string, parsed (repeated parameters as arrays). */
		query: Record<string, string | string[]>;
		headers: IncomingMessage['headers'];
		body: any;
		at: number;
	}> = [];
	private faults: Fault[] = [];
	protected server: Server | undefined;
	port = 0;

	get baseUrl(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	failNext(fault: Fault): void {
		this.faults.push({ count: 1, ...fault });
	}

	protected takeFault(): Fault | undefined {
		const fault = this.faults[0];
		if (!fault) return undefined;
		fault.count = (fault.count ?? 1) - 1;
		if (fault.count <= 0) this.faults.shift();
		return fault;
	}

	async start(): Promise<this> {
		this.server = createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let body: any = text;
				if ((req.headers['content-type'] ?? '').includes('json') && text) {
					try {
						body = JSON.parse(text);
					} catch {
						body = text;
					}
				} else if ((req.headers['content-type'] ?? '').includes('urlencoded')) {
					body = Object.fromEntries(new URLSearchParams(text));
				}
				const url = new URL(req.url ?? '/', 'http://localhost');
				this.requests.push({
					method: req.method ?? 'GET',
					path: url.pathname,
					query: Object.fromEntries(
						[...new Set(url.searchParams.keys())].map((key) => {
							const values = url.searchParams.getAll(key);
							return [key, values.length > 1 ? values : values[0]];
						}),
					),
					headers: req.headers,
					body,
					at: Date.now(),
				});
				this.handle(req.method ?? 'GET', url, req.headers, body, res).catch((error: Error) => {
					send(res, 500, { error: error.message });
				});
			});
		});
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
		this.port = (this.server.address() as AddressInfo).port;
		return this;
	}

	async stop(): Promise<void> {
		this.server?.closeAllConnections();
		await new Promise<void>((resolve) =>
			this.server ? this.server.close(() => resolve()) : resolve(),
		);
	}

	protected async deliver(raw: Buffer, request: any, threadId?: string): Promise<void> {
		this.delivered.push({
			raw,
			parsed: await simpleParser(raw),
			header: rawHeader(raw),
			request,
			threadId,
			at: Date.now(),
		});
	}

	protected abstract handle(
		method: string,
		url: URL,
		headers: IncomingMessage['headers'],
		body: any,
		res: ServerResponse,
	): Promise<void>;
}

function send(
	res: ServerResponse,
	status: number,
	body?: unknown,
	headers: Record<string, string> = {},
): void {
	const text = body === undefined ? '' : JSON.stringify(body);
	res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
	res.end(text);
}

async function compose(options: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
	return await new Promise((resolve, reject) =>
		new MailComposer(options)
			.compile()
			.build((error, out) => (error ? reject(error) : resolve(out))),
	);
}

const addr = (a: { email: string; name?: string }) =>
	a.name ? `"${a.name}" <${a.email}>` : a.email;

export class SendGridServer extends ApiServer {
	constructor(readonly apiKey = 'SG.test-key') {
		super();
	}

	protected async handle(
		method: string,
		url: URL,
		headers: IncomingMessage['headers'],
		body: any,
		res: ServerResponse,
	) {
		if (headers.authorization !== `Bearer ${this.apiKey}`)
			return send(res, 401, {
				errors: [
					{
						field: null,
						message: 'The provided authorization grant is invalid, expired, or revoked',
						help: null,
					},
				],
			});
		if (method === 'GET' && url.pathname === '/v3/scopes')
			return send(res, 200, { scopes: ['mail.send'] });
		if (method !== 'POST' || url.pathname !== '/v3/mail/send')
			return send(res, 404, {
				errors: [{ field: null, message: 'resource not found', help: null }],
			});
		const fault = this.takeFault();
		if (fault)
			return send(
				res,
				fault.status,
				fault.body ?? { errors: [{ field: null, message: 'fault', help: null }] },
				fault.headers,
			);
		const personalization = body.personalizations?.[0] ?? {};
		if (!personalization.to?.length)
			return send(res, 400, {
				errors: [
					{
						message:
							'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
						field: 'personalizations.0.to',
						help: null,
					},
				],
			});
		const content: Array<{ type: string; value: string }> = body.content ?? [];
		const raw = await compose({
			from: addr(body.from),
			to: personalization.to.map(addr),
			cc: personalization.cc?.map(addr),
			replyTo: body.reply_to ? addr(body.reply_to) : undefined,
			subject: body.subject,
			text: content.find((c) => c.type === 'text/plain')?.value,
			html: content.find((c) => c.type === 'text/html')?.value,
			headers: body.headers,
			attachments: (body.attachments ?? []).map((a: any) => ({
				filename: a.filename,
				contentType: a.type,
				content: Buffer.from(a.content, 'base64'),
			})),
		});
		await this.deliver(raw, body);
		send(res, 202, undefined, { 'x-message-id': randomBytes(11).toString('base64url') });
	}
}

export class BrevoServer extends ApiServer {
	constructor(readonly apiKey = 'xkeysib-test') {
		super();
	}

	protected async handle(
		method: string,
		url: URL,
		headers: IncomingMessage['headers'],
		body: any,
		res: ServerResponse,
	) {
		if (headers['api-key'] !== this.apiKey)
			return send(res, 401, { code: 'unauthorized', message: 'Key not found' });
		if (method === 'GET' && url.pathname === '/v3/account')
			return send(res, 200, { email: 'owner@acme.test', companyName: 'Acme' });
		if (method !== 'POST' || url.pathname !== '/v3/smtp/email')
			return send(res, 404, { code: 'not_found', message: 'Not found' });
		const fault = this.takeFault();
		if (fault)
			return send(
				res,
				fault.status,
				fault.body ?? { code: 'fault', message: 'fault' },
				fault.headers,
			);
		if (!body.to?.length || !body.sender?.email)
			return send(res, 400, { code: 'missing_parameter', message: 'to and sender are required' });
		const messageId = `<${Date.now()}.${randomBytes(6).toString('hex')}@smtp-relay.mailin.fr>`;
		const custom = { ...(body.headers ?? {}) } as Record<string, string>;
		delete custom['Idempotency-Key'];
		const raw = await compose({
			from: addr(body.sender),
			to: body.to.map(addr),
			cc: body.cc?.map(addr),
			replyTo: body.replyTo ? addr(body.replyTo) : undefined,
			subject: body.subject,
			text: body.textContent,
			html: body.htmlContent,
			headers: custom,
			attachments: (body.attachment ?? []).map((a: any) => ({
				filename: a.name,
				content: Buffer.from(a.content, 'base64'),
			})),
		});
		await this.deliver(raw, body);
		send(res, 201, { messageId });
	}
}

interface GmailMessage {
	id: string;
	threadId: string;
	labelIds: string[];
	raw: string;
	historyId: string;
	/** Epoch milliseconds as a string, as Gmail sends it. */
	internalDate: string;
	sizeEstimate: number;
	snippet: string;
}

interface HistoryRecord {
	id: string;
	type: 'messagesAdded' | 'messagesDeleted' | 'labelsAdded' | 'labelsRemoved';
	message: GmailMessage;
	labelIds?: string[];
}

const HISTORY_TYPES: Record<string, HistoryRecord['type']> = {
	messageAdded: 'messagesAdded',
	messageDeleted: 'messagesDeleted',
	labelAdded: 'labelsAdded',
	labelRemoved: 'labelsRemoved',
};

const notFound = {
	error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' },
};

function invalid(message: string) {
	return { error: { code: 400, message, status: 'INVALID_ARGUMENT' } };
}

/** A page of `list` from `pageToken` (an offset, opaque to clients). */
function page<T>(list: T[], url: URL, byDefault: number): { items: T[]; next?: string } {
	const max = Math.min(500, Number(url.searchParams.get('maxResults') ?? byDefault) || byDefault);
	const offset = Number(
		Buffer.from(url.searchParams.get('pageToken') ?? '', 'base64url').toString() || 0,
	);
	const items = list.slice(offset, offset + max);
	const next =
		offset + max < list.length
			? Buffer.from(String(offset + max)).toString('base64url')
			: undefined;
	return { items, next };
}

/**
 * Gmail API v1 (https://developers.google.com/gmail/api/reference/rest): users.getProfile,
 * messages send / list / get (format raw | metadata | minimal) / modify, history.list
 * (startHistoryId, historyTypes, labelId, paging; 404 for an expired startHistoryId), drafts.create,
 * labels list / create; the OAuth2 token endpoint (authorization_code, refresh_token and the JWT
 * bearer grant of service accounts). Ids and history ids are strings; internalDate is epoch ms.
 */
export class GmailServer extends ApiServer {
	readonly messages: GmailMessage[] = [];
	readonly drafts: Array<{ id: string; message: GmailMessage }> = [];
	readonly labels: Array<{ id: string; name: string; type: string }> = [
		{ id: 'INBOX', name: 'INBOX', type: 'system' },
		{ id: 'SENT', name: 'SENT', type: 'system' },
		{ id: 'DRAFT', name: 'DRAFT', type: 'system' },
		{ id: 'UNREAD', name: 'UNREAD', type: 'system' },
		{ id: 'STARRED', name: 'STARRED', type: 'system' },
		{ id: 'SPAM', name: 'SPAM', type: 'system' },
		{ id: 'TRASH', name: 'TRASH', type: 'system' },
	];
	private history = 1000;
	/** startHistoryId below this answers 404 (the history was purged). */
	private historyFloor = 1000;
	private readonly records: HistoryRecord[] = [];
	readonly tokens = new Set<string>();
	/** OAuth2 refresh tokens this server accepts, and the client each belongs to. */
	readonly refreshTokens = new Map<string, string>();
	/** The `sub` (mailbox) of every token issued. */
	readonly subjects: string[] = [];
	/** `expires_in` of the tokens the JWT bearer grant issues (Google: one hour). */
	serviceTokenLifetimeSeconds = 3599;

	constructor(readonly mailbox = 'support@acme.test') {
		super();
	}

	/** An access token the API accepts (as if obtained earlier through OAuth2). */
	issueToken(): string {
		const token = `ya29.${randomBytes(12).toString('hex')}`;
		this.tokens.add(token);
		return token;
	}

	/** Makes every access token issued so far invalid (they "expired"). */
	expireTokens(): void {
		this.tokens.clear();
	}

	/** Purges the history: every history id handed out so far answers 404 in history.list. */
	expireHistory(): void {
		this.historyFloor = this.history + 1;
	}

	get currentHistoryId(): string {
		return String(this.history);
	}

	private record(type: HistoryRecord['type'], message: GmailMessage, labelIds?: string[]): void {
		const id = String(++this.history);
		message.historyId = id;
		this.records.push({ id, type, message, labelIds });
	}

	private store(
		raw: string,
		labelIds: string[],
		threadId?: string,
		internalDate = Date.now(),
	): GmailMessage {
		const id = randomBytes(8).toString('hex');
		const text = Buffer.from(raw, 'base64url').toString('utf8');
		const body = text
			.split(/\r?\n\r?\n/)
			.slice(1)
			.join(' ')
			.replace(/\s+/g, ' ')
			.trim();
		const message: GmailMessage = {
			id,
			threadId: threadId ?? id,
			labelIds,
			raw,
			historyId: '',
			internalDate: String(internalDate),
			sizeEstimate: Buffer.from(raw, 'base64url').length,
			snippet: body.slice(0, 200),
		};
		this.messages.push(message);
		this.record('messagesAdded', message);
		return message;
	}

	/** Puts a message into the mailbox as if it had arrived (labels INBOX + UNREAD by default). */
	addInbound(
		raw: string | Buffer,
		threadId?: string,
		options: { labelIds?: string[]; internalDate?: number } = {},
	): GmailMessage {
		return this.store(
			Buffer.from(raw).toString('base64url'),
			options.labelIds ?? ['INBOX', 'UNREAD'],
			threadId,
			options.internalDate,
		);
	}

	private header(message: GmailMessage, name: string): string | undefined {
		return rawHeader(Buffer.from(message.raw, 'base64url'))(name);
	}

	/** The subset of Gmail's search syntax the tests use: after:, before:, from:, to:, subject:, rfc822msgid:, label:, -label:, words. */
	private matches(message: GmailMessage, q: string): boolean {
		const terms = q.match(/-?\w+:("[^"]*"|\S+)|"[^"]*"|\S+/g) ?? [];
		const text = Buffer.from(message.raw, 'base64url').toString('utf8').toLowerCase();
		for (const term of terms) {
			const negate = term.startsWith('-');
			const [key, ...rest] = (negate ? term.slice(1) : term).split(':');
			const value = rest.join(':').replace(/^"|"$/g, '').toLowerCase();
			let hit: boolean;
			if (!rest.length) hit = text.includes(key.replace(/^"|"$/g, '').toLowerCase());
			else if (key === 'after' || key === 'before') {
				const seconds = /^\d+$/.test(value)
					? Number(value)
					: Date.parse(value.replace(/\//g, '-')) / 1000;
				const at = Number(message.internalDate) / 1000;
				hit = key === 'after' ? at > seconds : at < seconds;
			} else if (key === 'from' || key === 'to' || key === 'subject')
				hit = (this.header(message, key) ?? '').toLowerCase().includes(value);
			else if (key === 'rfc822msgid')
				hit =
					(this.header(message, 'message-id') ?? '').toLowerCase().replace(/[<>]/g, '') ===
					value.replace(/[<>]/g, '');
			else if (key === 'label' || key === 'in')
				hit = message.labelIds.some((l) => l.toLowerCase() === value);
			else hit = text.includes(value);
			if (hit === negate) return false;
		}
		return true;
	}

	private view(message: GmailMessage, format: string, metadataHeaders: string[]) {
		const base = {
			id: message.id,
			threadId: message.threadId,
			labelIds: message.labelIds,
			historyId: message.historyId,
			internalDate: message.internalDate,
			sizeEstimate: message.sizeEstimate,
		};
		if (format === 'minimal') return base;
		if (format === 'raw') return { ...base, snippet: message.snippet, raw: message.raw };
		const names = metadataHeaders.map((h) => h.toLowerCase());
		const lines = Buffer.from(message.raw, 'base64url')
			.toString('utf8')
			.split(/\r?\n\r?\n/)[0]
			.replace(/\r?\n[ \t]+/g, ' ')
			.split(/\r?\n/);
		const headers = lines
			.map((line) => {
				const colon = line.indexOf(':');
				return { name: line.slice(0, colon), value: line.slice(colon + 1).trim() };
			})
			.filter(
				(h) => format !== 'metadata' || !names.length || names.includes(h.name.toLowerCase()),
			);
		return { ...base, snippet: message.snippet, payload: { mimeType: 'message/rfc822', headers } };
	}

	private async token(body: any, res: ServerResponse): Promise<void> {
		const grant = body.grant_type;
		if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
			if (!body.assertion)
				return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid assertion' });
			const claims = JSON.parse(
				Buffer.from(String(body.assertion).split('.')[1], 'base64url').toString(),
			);
			if (claims.sub !== this.mailbox)
				return send(res, 401, {
					error: 'unauthorized_client',
					error_description:
						'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
				});
			this.subjects.push(claims.sub);
			return send(res, 200, {
				access_token: this.issueToken(),
				token_type: 'Bearer',
				expires_in: this.serviceTokenLifetimeSeconds,
			});
		}
		if (grant === 'refresh_token') {
			const client = this.refreshTokens.get(String(body.refresh_token));
			if (!client || client !== body.client_id)
				return send(res, 400, {
					error: 'invalid_grant',
					error_description: 'Token has been expired or revoked.',
				});
			return send(res, 200, {
				access_token: this.issueToken(),
				expires_in: 3599,
				scope: 'https://www.googleapis.com/auth/gmail.modify',
				token_type: 'Bearer',
			});
		}
		if (grant === 'authorization_code') {
			if (!body.code || !body.client_id)
				return send(res, 400, { error: 'invalid_request', error_description: 'Missing code' });
			const refresh = `1//${randomBytes(16).toString('hex')}`;
			this.refreshTokens.set(refresh, String(body.client_id));
			return send(res, 200, {
				access_token: this.issueToken(),
				expires_in: 3599,
				refresh_token: refresh,
				scope: 'https://www.googleapis.com/auth/gmail.modify',
				token_type: 'Bearer',
			});
		}
		return send(res, 400, {
			error: 'unsupported_grant_type',
			error_description: `Invalid grant_type: ${grant}`,
		});
	}

	protected async handle(
		method: string,
		url: URL,
		headers: IncomingMessage['headers'],
		body: any,
		res: ServerResponse,
	) {
		const path = url.pathname;
		if (method === 'POST' && path === '/token') return await this.token(body, res);
		const token = (headers.authorization ?? '').replace(/^Bearer /, '');
		if (!this.tokens.has(token))
			return send(res, 401, {
				error: {
					code: 401,
					message: 'Request had invalid authentication credentials.',
					status: 'UNAUTHENTICATED',
				},
			});
		const match = /^\/gmail\/v1\/users\/me\/(.+)$/.exec(path);
		if (!match)
			return send(res, 404, { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } });
		const route = `${method} ${match[1]}`;
		if (method === 'GET' && route !== 'GET profile') {
			const fault = this.takeReadFault();
			if (fault)
				return send(
					res,
					fault.status,
					fault.body ?? { error: { code: fault.status, message: 'fault', status: 'UNAVAILABLE' } },
					fault.headers,
				);
		}
		if (route === 'GET profile')
			return send(res, 200, {
				emailAddress: this.mailbox,
				messagesTotal: this.messages.length,
				threadsTotal: new Set(this.messages.map((m) => m.threadId)).size,
				historyId: String(this.history),
			});
		if (route === 'POST messages/send') {
			const fault = this.takeFault();
			if (fault)
				return send(
					res,
					fault.status,
					fault.body ?? { error: { code: fault.status, message: 'fault', status: 'UNAVAILABLE' } },
					fault.headers,
				);
			if (!body.raw) return send(res, 400, invalid("Invalid value for ByteString: ''"));
			if (body.threadId && !this.messages.some((m) => m.threadId === body.threadId))
				return send(res, 404, notFound);
			const message = this.store(body.raw, ['SENT'], body.threadId);
			await this.deliver(Buffer.from(body.raw, 'base64url'), body, message.threadId);
			return send(res, 200, {
				id: message.id,
				threadId: message.threadId,
				labelIds: message.labelIds,
			});
		}
		if (route === 'POST drafts') {
			const raw = body.message?.raw;
			if (!raw) return send(res, 400, invalid('Missing draft message'));
			const message = this.store(raw, ['DRAFT'], body.message.threadId);
			const draft = { id: `r${randomBytes(6).toString('hex')}`, message };
			this.drafts.push(draft);
			await this.deliver(Buffer.from(raw, 'base64url'), body, message.threadId);
			return send(res, 200, {
				id: draft.id,
				message: { id: message.id, threadId: message.threadId, labelIds: ['DRAFT'] },
			});
		}
		if (route === 'GET messages') {
			const labels = url.searchParams.getAll('labelIds');
			const q = url.searchParams.get('q') ?? '';
			const spamTrash = url.searchParams.get('includeSpamTrash') === 'true';
			const list = this.messages
				.filter((m) => labels.every((l) => m.labelIds.includes(l)))
				.filter((m) => spamTrash || !m.labelIds.some((l) => l === 'SPAM' || l === 'TRASH'))
				.filter((m) => this.matches(m, q))
				.sort(
					(a, b) =>
						Number(b.internalDate) - Number(a.internalDate) ||
						Number(b.historyId) - Number(a.historyId),
				);
			const { items, next } = page(list, url, 100);
			return send(res, 200, {
				...(items.length
					? { messages: items.map((m) => ({ id: m.id, threadId: m.threadId })) }
					: {}),
				...(next ? { nextPageToken: next } : {}),
				resultSizeEstimate: list.length,
			});
		}
		const get = /^GET messages\/([^/]+)$/.exec(route);
		if (get) {
			const message = this.messages.find((m) => m.id === get[1]);
			if (!message) return send(res, 404, notFound);
			const format = url.searchParams.get('format') ?? 'full';
			if (!['raw', 'full', 'metadata', 'minimal'].includes(format))
				return send(
					res,
					400,
					invalid(
						`Invalid value at 'format' (type.googleapis.com/google.apps.gmail.v1.Format), "${format}"`,
					),
				);
			return send(res, 200, this.view(message, format, url.searchParams.getAll('metadataHeaders')));
		}
		if (route === 'GET history') {
			const startParam = url.searchParams.get('startHistoryId');
			if (!startParam) return send(res, 400, invalid('Missing required parameter startHistoryId'));
			const start = Number(startParam);
			if (!Number.isFinite(start)) return send(res, 400, invalid('Invalid startHistoryId'));
			if (start < this.historyFloor) return send(res, 404, notFound);
			const types = url.searchParams.getAll('historyTypes');
			for (const type of types)
				if (!HISTORY_TYPES[type])
					return send(
						res,
						400,
						invalid(
							`Invalid value at 'history_types' (type.googleapis.com/google.apps.gmail.v1.ListHistoryRequest.HistoryType), "${type}"`,
						),
					);
			const wanted = new Set(types.map((t) => HISTORY_TYPES[t]));
			const label = url.searchParams.get('labelId');
			const list = this.records.filter(
				(r) =>
					Number(r.id) > start &&
					(!wanted.size || wanted.has(r.type)) &&
					(!label || r.message.labelIds.includes(label)),
			);
			const { items, next } = page(list, url, 100);
			const summary = (m: GmailMessage) => ({
				id: m.id,
				threadId: m.threadId,
				labelIds: m.labelIds,
			});
			return send(res, 200, {
				...(items.length
					? {
							history: items.map((r) => ({
								id: r.id,
								messages: [{ id: r.message.id, threadId: r.message.threadId }],
								[r.type]: [
									r.type === 'labelsAdded' || r.type === 'labelsRemoved'
										? { message: summary(r.message), labelIds: r.labelIds }
										: { message: summary(r.message) },
								],
							})),
						}
					: {}),
				...(next ? { nextPageToken: next } : {}),
				historyId: String(this.history),
			});
		}
		if (route === 'GET labels') return send(res, 200, { labels: this.labels });
		if (route === 'POST labels') {
			const label = { id: `Label_${this.labels.length}`, name: body.name, type: 'user' };
			this.labels.push(label);
			return send(res, 200, label);
		}
		const modify = /^POST messages\/([^/]+)\/modify$/.exec(route);
		if (modify) {
			const message = this.messages.find((m) => m.id === modify[1]);
			if (!message) return send(res, 404, notFound);
			const added = (body.addLabelIds ?? []).filter((l: string) => !message.labelIds.includes(l));
			const removed = (body.removeLabelIds ?? []).filter((l: string) =>
				message.labelIds.includes(l),
			);
			message.labelIds = [...new Set([...message.labelIds, ...added])].filter(
				(l) => !removed.includes(l),
			);
			if (added.length) this.record('labelsAdded', message, added);
			if (removed.length) this.record('labelsRemoved', message, removed);
			return send(res, 200, {
				id: message.id,
				threadId: message.threadId,
				labelIds: message.labelIds,
			});
		}
		return send(res, 404, { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } });
	}

	private readFaults: Fault[] = [];

	/** Answers the next read requests (list, get, history) with this fault. */
	failNextRead(fault: Fault): void {
		this.readFaults.push({ count: 1, ...fault });
	}

	private takeReadFault(): Fault | undefined {
		const fault = this.readFaults[0];
		if (!fault) return undefined;
		fault.count = (fault.count ?? 1) - 1;
		if (fault.count <= 0) this.readFaults.shift();
		return fault;
	}
}
