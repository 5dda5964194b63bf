/**
 * The demo's local mail: a real SMTP server (test/servers/smtp, `smtp-server`) that keeps every
 * message the workflow sends, and a small web page that lists them: the replies to customers, the
 * escalation notices, the review requests (with their Approve link) and error notices.
 *
 *   GET /                 the captured mail as a page (newest first)
 *   GET /messages.json    the same as JSON
 *   GET /messages/<n>.eml one message as it arrived (RFC 5322 source)
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SmtpCapture } from '../../test/servers/smtp';
import type { CapturedMail, SmtpCaptureOptions } from '../../test/servers/smtp';

/** Team addresses the workflow writes to; the mailbox sorts captured mail by them. */
export interface TeamAddresses {
	escalation: string;
	review: string;
	errors: string;
}

export const DEMO_TEAM: TeamAddresses = {
	escalation: 'escalations@example.com',
	review: 'review@example.com',
	errors: 'n8n-errors@example.com',
};

export type MailKind = 'reply' | 'escalation' | 'review' | 'error' | 'other';

export interface MailSummary {
	n: number;
	kind: MailKind;
	receivedAt: string;
	from: string;
	to: string[];
	subject: string;
	inReplyTo?: string;
	autoSubmitted?: string;
	/** Replies and escalation notices: the Message-ID of the customer mail they are about. */
	about?: string;
	/** Review requests: the customer mail they are about, and the Approve / Edit / Reject links. */
	review?: { from: string; subject: string; approve?: string; edit?: string; reject?: string };
	text: string;
}

/** The `Message-ID: <...>` line the workflow's team notices carry, naming the customer mail. */
const ABOUT_LINE = /^Message-ID:\s*(<[^>\s]+>)\s*$/m;

/** The Support Escalation node's approval request: "From: Name <address>", "Subject: …", links. */
function reviewOf(text: string): MailSummary['review'] {
	const line = (name: string) => new RegExp(`^${name}:[ \\t]*(.*?)[ \\t]*$`, 'm').exec(text)?.[1];
	const from = line('From');
	const subject = line('Subject');
	if (from === undefined || subject === undefined) return undefined;
	return {
		from: /<([^>]*)>/.exec(from)?.[1] ?? from,
		subject,
		approve: line('Approve'),
		edit: line('Edit'),
		reject: line('Reject'),
	};
}

export function summarize(mail: CapturedMail, n: number, team: TeamAddresses): MailSummary {
	const to = mail.to.map((a) => a.toLowerCase());
	const inReplyTo = mail.header('in-reply-to');
	let kind: MailKind = 'other';
	if (to.includes(team.escalation)) kind = 'escalation';
	else if (to.includes(team.review)) kind = 'review';
	else if (to.includes(team.errors)) kind = 'error';
	else if (inReplyTo) kind = 'reply';
	const text = mail.parsed.text ?? '';
	return {
		n,
		kind,
		receivedAt: mail.receivedAt.toISOString(),
		from: mail.from,
		to: mail.to,
		subject: mail.parsed.subject ?? '',
		inReplyTo,
		autoSubmitted: mail.header('auto-submitted'),
		about: kind === 'reply' ? inReplyTo : ABOUT_LINE.exec(text)?.[1],
		review: kind === 'review' ? reviewOf(text) : undefined,
		text,
	};
}

export class DemoMailbox {
	private constructor(
		readonly smtp: SmtpCapture,
		private readonly http: Server,
		readonly url: string,
		readonly team: TeamAddresses,
	) {}

	static async start(
		options: { team?: TeamAddresses; httpPort?: number; smtp?: SmtpCaptureOptions } = {},
	): Promise<DemoMailbox> {
		const team = options.team ?? DEMO_TEAM;
		const smtp = await SmtpCapture.start(options.smtp);
		const holder: { box?: DemoMailbox } = {};
		const http = createServer((req, res) => {
			const box = holder.box!;
			const path = new URL(req.url ?? '/', 'http://mailbox.invalid').pathname;
			if (req.method !== 'GET') {
				res.writeHead(405, { allow: 'GET' }).end();
				return;
			}
			if (path === '/messages.json') {
				res
					.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
					.end(JSON.stringify({ messages: box.summaries() }, null, 2));
				return;
			}
			const eml = /^\/messages\/(\d+)\.eml$/.exec(path);
			if (eml) {
				const mail = box.smtp.messages[Number(eml[1]) - 1];
				if (!mail) {
					res.writeHead(404, { 'content-type': 'text/plain' }).end('no such message');
					return;
				}
				res.writeHead(200, { 'content-type': 'message/rfc822' }).end(mail.raw);
				return;
			}
			if (path === '/') {
				res
					.writeHead(200, {
						'content-type': 'text/html; charset=utf-8',
						'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
					})
					.end(renderPage(box.summaries()));
				return;
			}
			res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
		});
		await new Promise<void>((resolve, reject) => {
			http.once('error', reject);
			http.listen(options.httpPort ?? 0, '127.0.0.1', () => resolve());
		});
		const { port } = http.address() as AddressInfo;
		const box = new DemoMailbox(smtp, http, `http://127.0.0.1:${port}`, team);
		holder.box = box;
		return box;
	}

	summaries(): MailSummary[] {
		return this.smtp.messages.map((mail, i) => summarize(mail, i + 1, this.team));
	}

	async stop(): Promise<void> {
		this.http.closeAllConnections();
		await new Promise<void>((resolve) => this.http.close(() => resolve()));
		await this.smtp.stop();
	}
}

function escapeHtml(value: string): string {
	return value
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&#39;');
}

/** Escaped text with http(s) links made clickable (the review requests' Approve links). */
function linkify(text: string): string {
	return escapeHtml(text).replace(
		/https?:\/\/[^\s<>"']+/g,
		(url) => `<a href="${url}" target="_blank" rel="noopener">${url}</a>`,
	);
}

const KIND_LABEL: Record<MailKind, string> = {
	reply: 'Reply to customer',
	escalation: 'Escalation notice',
	review: 'Review request',
	error: 'Workflow error',
	other: 'Other',
};

function renderPage(messages: MailSummary[]): string {
	const counts = messages.reduce<Record<string, number>>((acc, m) => {
		acc[m.kind] = (acc[m.kind] ?? 0) + 1;
		return acc;
	}, {});
	const rows = [...messages]
		.reverse()
		.map(
			(m) => `<details class="${m.kind}"><summary><span class="kind">${KIND_LABEL[m.kind]}</span>
<b>${escapeHtml(m.subject)}</b> <span class="to">to ${escapeHtml(m.to.join(', '))}</span>
<span class="time">${escapeHtml(m.receivedAt.slice(11, 19))}</span></summary>
<p class="meta">From ${escapeHtml(m.from)}${m.inReplyTo ? ` · In-Reply-To ${escapeHtml(m.inReplyTo)}` : ''}${m.autoSubmitted ? ` · Auto-Submitted: ${escapeHtml(m.autoSubmitted)}` : ''} · <a href="/messages/${m.n}.eml">source</a></p>
<pre>${linkify(m.text)}</pre></details>`,
		)
		.join('\n');
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Demo mailbox: ${messages.length} message(s)</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;max-width:60rem;color:#222}
details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.4rem .7rem}
summary{cursor:pointer} .kind{display:inline-block;min-width:9rem;font-size:12px;color:#555}
.to,.time,.meta{color:#777;font-size:12px} .time{float:right}
pre{white-space:pre-wrap;background:#fafafa;padding:.6rem;border-radius:4px}
.reply{border-left:4px solid #2e7d32}.escalation{border-left:4px solid #c62828}
.review{border-left:4px solid #f9a825}.error{border-left:4px solid #6a1b9a}
</style></head><body>
<h1>Demo mailbox</h1>
<p>Everything the workflow sent, as the local SMTP server received it (newest first; the page reloads every 5 s).
${Object.entries(counts)
	.map(([kind, n]) => `${escapeHtml(KIND_LABEL[kind as MailKind])}: <b>${n}</b>`)
	.join(' · ')}.
Review requests carry an Approve link: opening it releases the waiting reply.
<a href="/messages.json">JSON</a></p>
${rows || '<p>No mail yet.</p>'}
</body></html>`;
}
