/**
 * The demo's sample customer mail (sample-emails.json) as real RFC 5322 messages, and a sender that
 * posts them into the webhook variant of the workflow (workflows/support-email-webhook.json) as
 * `{"raw": "<the message source>"}`, the way a mail server's pipe or another system would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { type Posted, PostError, postJson } from './post';

export interface SampleEmail {
	id: string;
	kind: string;
	from: { name: string; address: string };
	subject: string;
	text?: string;
	html?: string;
	headers?: Record<string, string>;
	inReplyTo?: string;
}

export interface BuiltSample {
	sample: SampleEmail;
	messageId: string;
	raw: string;
}

/** The support address the samples are written to (and the replies come from). */
export const SUPPORT_ADDRESS = 'support@acme.test';

function samplesFile(): string {
	// Next to this file in the sources; build-scripts/ has only the compiled code.
	for (const dir of [__dirname, join(__dirname, '../../../scripts/demo')]) {
		const file = join(dir, 'sample-emails.json');
		try {
			readFileSync(file);
			return file;
		} catch {
			// try the next place
		}
	}
	throw new Error(`sample-emails.json not found next to ${__dirname}`);
}

export function loadSamples(): SampleEmail[] {
	const parsed = JSON.parse(readFileSync(samplesFile(), 'utf8')) as { emails: SampleEmail[] };
	return parsed.emails;
}

/**
 * Builds the messages. `runId` goes into every Message-ID, so a second demo run is new mail (the
 * workflow sends at most one reply per Message-ID, and remembers them across restarts).
 */
export async function buildSamples(
	samples: SampleEmail[],
	runId: string,
	to = SUPPORT_ADDRESS,
): Promise<BuiltSample[]> {
	return await Promise.all(
		samples.map(async (sample, index) => {
			const messageId = `<${sample.id}.${runId}.${index}@customer.example>`;
			const composer = new MailComposer({
				from: { name: sample.from.name, address: sample.from.address },
				to,
				subject: sample.subject,
				text: sample.text,
				html: sample.html,
				messageId,
				date: new Date(),
				inReplyTo: sample.inReplyTo,
				references: sample.inReplyTo ? [sample.inReplyTo] : undefined,
				headers: sample.headers,
			});
			const raw = await new Promise<Buffer>((resolve, reject) =>
				composer.compile().build((error, out) => (error ? reject(error) : resolve(out))),
			);
			return { sample, messageId, raw: raw.toString('utf8') };
		}),
	);
}

/**
 * Posts each message to the workflow's webhook, `concurrency` at a time. n8n registers a production
 * webhook a moment after activation, so a 404 ("not registered") is retried briefly; so is a 503
 * (n8n answers "Database is not ready!" while its database health check lags on a loaded machine,
 * before the webhook runs, so nothing is taken twice), and so is a refused connection; anything else
 * that is not 2xx fails with what n8n said. Each post has a connection of its own (post.ts).
 */
export async function postSamples(
	webhookUrl: string,
	messages: BuiltSample[],
	options: { concurrency?: number; onPosted?: (message: BuiltSample, ms: number) => void } = {},
): Promise<void> {
	const queue = [...messages];
	const worker = async () => {
		for (let next = queue.shift(); next; next = queue.shift()) {
			const started = Date.now();
			for (let attempt = 0; ; attempt++) {
				let response: Posted;
				try {
					response = await postJson(webhookUrl, { raw: next.raw });
				} catch (error) {
					// Refused: n8n took nothing (a moment without a listener); retried like a 503.
					if (
						error instanceof PostError &&
						error.code === 'ECONNREFUSED' &&
						Date.now() - started < 120_000
					) {
						await new Promise((r) => setTimeout(r, 1000));
						continue;
					}
					throw error;
				}
				const body = response.body;
				if (response.ok) break;
				if (response.status === 404 && attempt < 150) {
					await new Promise((r) => setTimeout(r, 200));
					continue;
				}
				if (response.status === 503 && Date.now() - started < 120_000) {
					await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
					continue;
				}
				throw new Error(
					`posting "${next.sample.subject}" to ${webhookUrl} failed: HTTP ${response.status} ${body.slice(0, 300)}`,
				);
			}
			options.onPosted?.(next, Date.now() - started);
		}
	};
	await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
}
