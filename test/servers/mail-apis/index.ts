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
}

export class GmailServer extends ApiServer {
	readonly messages: GmailMessage[] = [];
	readonly drafts: Array<{ id: string; message: GmailMessage }> = [];
	readonly labels: Array<{ id: string; name: string; type: string }> = [
		{ id: 'INBOX', name: 'INBOX', type: 'system' },
		{ id: 'SENT', name: 'SENT', type: 'system' },
		{ id: 'DRAFT', name: 'DRAFT', type: 'system' },
		{ id: 'UNREAD', name: 'UNREAD', type: 'system' },
		{ id: 'STARRED', name: 'STARRED', type: 'system' },
	];
	private history = 1000;
	readonly tokens = new Set<string>();
	/** The `sub` (mailbox) of every token issued. */
	readonly subjects: string[] = [];

	constructor(readonly mailbox = 'support@acme.test') {
		super();
	}

	/** Puts a message into the mailbox as if it had arrived (returns its Gmail id). */
	addInbound(raw: string | Buffer, threadId?: string): GmailMessage {
		const id = randomBytes(8).toString('hex');
		const message: GmailMessage = {
			id,
			threadId: threadId ?? id,
			labelIds: ['INBOX', 'UNREAD'],
			raw: Buffer.from(raw).toString('base64url'),
			historyId: String(++this.history),
		};
		this.messages.push(message);
		return message;
	}

	protected async handle(
		method: string,
		url: URL,
		headers: IncomingMessage['headers'],
		body: any,
		res: ServerResponse,
	) {
		const path = url.pathname;
		if (method === 'POST' && path === '/token') {
			if (body.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || !body.assertion)
				return send(res, 400, {
					error: 'invalid_grant',
					error_description: 'Invalid grant type or assertion',
				});
			const claims = JSON.parse(
				Buffer.from(String(body.assertion).split('.')[1], 'base64url').toString(),
			);
			if (claims.sub !== this.mailbox)
				return send(res, 401, {
					error: 'unauthorized_client',
					error_description:
						'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
				});
			const token = `ya29.${randomBytes(12).toString('hex')}`;
			this.tokens.add(token);
			this.subjects.push(claims.sub);
			return send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3599 });
		}
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
		if (route === 'GET profile')
			return send(res, 200, {
				emailAddress: this.mailbox,
				messagesTotal: this.messages.length,
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
			if (!body.raw)
				return send(res, 400, {
					error: {
						code: 400,
						message: "Invalid value for ByteString: ''",
						status: 'INVALID_ARGUMENT',
					},
				});
			if (body.threadId && !this.messages.some((m) => m.threadId === body.threadId))
				return send(res, 404, {
					error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' },
				});
			const id = randomBytes(8).toString('hex');
			const message: GmailMessage = {
				id,
				threadId: body.threadId ?? id,
				labelIds: ['SENT'],
				raw: body.raw,
				historyId: String(++this.history),
			};
			this.messages.push(message);
			await this.deliver(Buffer.from(body.raw, 'base64url'), body, message.threadId);
			return send(res, 200, { id, threadId: message.threadId, labelIds: message.labelIds });
		}
		if (route === 'POST drafts') {
			const raw = body.message?.raw;
			if (!raw)
				return send(res, 400, {
					error: { code: 400, message: 'Missing draft message', status: 'INVALID_ARGUMENT' },
				});
			const id = randomBytes(8).toString('hex');
			const message: GmailMessage = {
				id,
				threadId: body.message.threadId ?? id,
				labelIds: ['DRAFT'],
				raw,
				historyId: String(++this.history),
			};
			this.messages.push(message);
			const draft = { id: `r${randomBytes(6).toString('hex')}`, message };
			this.drafts.push(draft);
			await this.deliver(Buffer.from(raw, 'base64url'), body, message.threadId);
			return send(res, 200, {
				id: draft.id,
				message: { id, threadId: message.threadId, labelIds: ['DRAFT'] },
			});
		}
		if (route === 'GET messages') {
			const label = url.searchParams.get('labelIds');
			const list = this.messages.filter((m) => !label || m.labelIds.includes(label));
			return send(res, 200, {
				messages: list.map((m) => ({ id: m.id, threadId: m.threadId })),
				resultSizeEstimate: list.length,
			});
		}
		const get = /^GET messages\/([^/]+)$/.exec(route);
		if (get) {
			const message = this.messages.find((m) => m.id === get[1]);
			if (!message)
				return send(res, 404, {
					error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' },
				});
			return send(res, 200, {
				...message,
				raw: url.searchParams.get('format') === 'raw' ? message.raw : undefined,
			});
		}
		if (route === 'GET history') {
			const start = Number(url.searchParams.get('startHistoryId'));
			if (start < 1000)
				return send(res, 404, {
					error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' },
				});
			const added = this.messages.filter((m) => Number(m.historyId) > start);
			return send(res, 200, {
				history: added.map((m) => ({
					id: m.historyId,
					messagesAdded: [{ message: { id: m.id, threadId: m.threadId, labelIds: m.labelIds } }],
				})),
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
			if (!message)
				return send(res, 404, {
					error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' },
				});
			message.labelIds = [...new Set([...message.labelIds, ...(body.addLabelIds ?? [])])].filter(
				(l) => !(body.removeLabelIds ?? []).includes(l),
			);
			return send(res, 200, {
				id: message.id,
				threadId: message.threadId,
				labelIds: message.labelIds,
			});
		}
		return send(res, 404, { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } });
	}
}
