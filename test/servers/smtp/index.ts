/**
 * A real SMTP server for tests (`smtp-server`) that keeps what it receives, parsed back with mailparser,
 * so tests check what a recipient would see: headers (In-Reply-To, References, Auto-Submitted),
 * subject, body and attachments.
 *
 *   const smtp = await SmtpCapture.start({ users: { user: 'support@acme.test', password: 'pw' } });
 *   ... send ...
 *   const [mail] = await smtp.waitForMessages(1);
 *   mail.parsed.headers.get('in-reply-to');
 *   await smtp.stop();
 */
import type { AddressInfo } from 'node:net';
import type { ParsedMail } from 'mailparser';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerOptions } from 'smtp-server';

export interface CapturedMail {
	/** The envelope: MAIL FROM and RCPT TO, as the client gave them. */
	from: string;
	to: string[];
	raw: Buffer;
	parsed: ParsedMail;
	/** The header lines as sent, keyed lower-case (mailparser decodes some of them). */
	header(name: string): string | undefined;
	user?: string;
	receivedAt: Date;
}

export interface SmtpCaptureOptions {
	/** When set, AUTH is required and must match. */
	users?: Array<{ user: string; password: string }>;
	/** Reply to the next N transactions with this SMTP error (e.g. { code: 421, message: 'busy' }). */
	failNext?: { count: number; code: number; message: string };
	/** STARTTLS and implicit TLS use smtp-server's built-in self-signed certificate. */
	secure?: boolean;
	size?: number;
}

export class SmtpCapture {
	readonly messages: CapturedMail[] = [];
	private waiters: Array<() => void> = [];
	failNext: SmtpCaptureOptions['failNext'];
	authAttempts = 0;

	private constructor(
		private readonly server: SMTPServer,
		readonly port: number,
	) {}

	readonly host = '127.0.0.1';

	static async start(options: SmtpCaptureOptions = {}): Promise<SmtpCapture> {
		// The server's callbacks need the capture object, which needs the started server.
		const holder: { capture?: SmtpCapture } = {};
		const serverOptions: SMTPServerOptions = {
			secure: options.secure ?? false,
			// STARTTLS is offered (built-in test certificate) unless the server is implicit TLS already.
			disabledCommands: options.users ? [] : ['AUTH'],
			authOptional: !options.users,
			allowInsecureAuth: true,
			logger: false,
			size: options.size ?? 60 * 1024 * 1024,
			onAuth(auth, _session, callback) {
				holder.capture!.authAttempts++;
				const match = options.users?.find(
					(u) => u.user === auth.username && u.password === auth.password,
				);
				if (!match) {
					const error = new Error('5.7.8 Authentication credentials invalid') as Error & {
						responseCode: number;
					};
					error.responseCode = 535;
					callback(error);
					return;
				}
				callback(null, { user: match.user });
			},
			onMailFrom(_address, _session, callback) {
				const fault = holder.capture!.failNext;
				if (fault && fault.count > 0) {
					fault.count--;
					const error = new Error(fault.message) as Error & { responseCode: number };
					error.responseCode = fault.code;
					callback(error);
					return;
				}
				callback();
			},
			onData(stream, session, callback) {
				const chunks: Buffer[] = [];
				stream.on('data', (chunk: Buffer) => chunks.push(chunk));
				stream.on('end', () => {
					const raw = Buffer.concat(chunks);
					simpleParser(raw)
						.then((parsed) => {
							holder.capture!.record({
								from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
								to: session.envelope.rcptTo.map((r) => r.address),
								raw,
								parsed,
								header: rawHeader(raw),
								user: typeof session.user === 'string' ? session.user : undefined,
								receivedAt: new Date(),
							});
							callback();
						})
						.catch((error: Error) => callback(error));
				});
			},
		};
		const server = new SMTPServer(serverOptions);
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(0, '127.0.0.1', () => resolve());
		});
		server.on('error', () => undefined);
		const address = (server as unknown as { server: { address(): AddressInfo } }).server.address();
		const capture = new SmtpCapture(server, address.port);
		capture.failNext = options.failNext;
		holder.capture = capture;
		return capture;
	}

	/** IMAP/SMTP credential fields for this server (no TLS on loopback). */
	credentials(user = 'support@acme.test', password = ''): Record<string, unknown> {
		return {
			smtpHost: this.host,
			smtpPort: this.port,
			smtpSecurity: 'none',
			user,
			password,
		};
	}

	private record(mail: CapturedMail): void {
		this.messages.push(mail);
		const waiters = this.waiters;
		this.waiters = [];
		for (const wake of waiters) wake();
	}

	async waitForMessages(count: number, timeoutMs = 10_000): Promise<CapturedMail[]> {
		const deadline = Date.now() + timeoutMs;
		while (this.messages.length < count) {
			const left = deadline - Date.now();
			if (left <= 0)
				throw new Error(
					`the SMTP server received ${this.messages.length} message(s), expected ${count}, within ${timeoutMs} ms`,
				);
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, left);
				this.waiters.push(() => {
					clearTimeout(timer);
					resolve();
				});
			});
		}
		return this.messages.slice(0, count);
	}

	clear(): void {
		this.messages.length = 0;
	}

	async stop(): Promise<void> {
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}

/** Reads a header as it is on the wire (unfolded), since mailparser turns some into objects. */
export function rawHeader(raw: Buffer): (name: string) => string | undefined {
	const text = raw.toString('latin1');
	const end = text.search(/\r?\n\r?\n/);
	const block = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
	const headers = new Map<string, string>();
	for (const line of block.split(/\r?\n/)) {
		const colon = line.indexOf(':');
		if (colon <= 0) continue;
		const key = line.slice(0, colon).trim().toLowerCase();
		if (!headers.has(key)) headers.set(key, line.slice(colon + 1).trim());
	}
	return (name) => headers.get(name.toLowerCase());
}
