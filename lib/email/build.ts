import { createHash } from 'node:crypto';
import { detectAutoSubmitted } from './auto-submitted';
import { extractBodyText } from './clean-text';
import type { ParsedMessage } from './parse-mime';
import { detectSpoofing, safeAddress, withoutBidiControls } from './spoofing';
import type { EmailProvider, SupportEmail } from './types';

export interface BuildContext {
	provider: EmailProvider;
	threadId?: string;
	providerMessageId?: string;
	labels?: string[];
	mailbox?: string;
	uid?: number;
	/** When the provider knows better than the Date header (Gmail internalDate, IMAP INTERNALDATE). */
	receivedAt?: Date;
	stripQuotes?: boolean;
	includeHtml?: boolean;
	/** Used when nothing in the message says when it was sent. */
	now?: () => Date;
}

/** Builds `support.email` (DESIGN.md section 2) from a parsed message. */
export function buildSupportEmail(parsed: ParsedMessage, context: BuildContext): SupportEmail {
	const warnings = [...parsed.warnings];
	const body = extractBodyText(parsed.text, parsed.html, { stripQuotes: context.stripQuotes });
	warnings.push(...body.warnings);

	const rawFrom = parsed.from ?? { name: '', address: '' };
	const from = safeAddress(rawFrom);
	const verdict = detectAutoSubmitted(parsed.header, from.address, parsed.contentType);

	let receivedAt = context.receivedAt ?? parsed.date;
	if (!receivedAt) {
		receivedAt = (context.now ?? (() => new Date()))();
		warnings.push(
			'The message says nothing about when it was sent; receivedAt is the time it was normalised.',
		);
	}

	let messageId = parsed.messageId;
	let messageIdGenerated: boolean | undefined;
	if (!messageId) {
		messageId = context.providerMessageId
			? `<${context.provider}.${context.providerMessageId}@generated.support-email.invalid>`
			: syntheticMessageId(parsed, body.fullText);
		messageIdGenerated = true;
		warnings.push(
			context.providerMessageId
				? `The input carries no Message-ID; a stable one was derived from the ${context.provider} message id.`
				: 'The message has no Message-ID; a stable one was derived from its sender, date, subject and body.',
		);
	}

	const subject = parsed.subject.trim();
	const spoofSignals = detectSpoofing({
		from: rawFrom,
		replyTo: parsed.replyTo,
		subject,
		recipients: [...parsed.to, ...parsed.cc].map((a) => a.address),
	});

	const email: SupportEmail = {
		messageId,
		references: parsed.references,
		from,
		to: parsed.to.map(safeAddress),
		cc: parsed.cc.map(safeAddress),
		subject: withoutBidiControls(subject),
		text: body.text,
		fullText: body.fullText,
		receivedAt: receivedAt.toISOString(),
		attachments: parsed.attachments,
		autoSubmitted: verdict.autoSubmitted,
		provider: context.provider,
		spoofSignals,
	};
	if (email.subject !== subject) email.originalSubject = subject;
	if (messageIdGenerated) email.messageIdGenerated = true;
	const threadId = context.threadId ?? parsed.references[0] ?? parsed.inReplyTo;
	if (threadId) email.threadId = threadId;
	if (parsed.inReplyTo) email.inReplyTo = parsed.inReplyTo;
	if (parsed.replyTo) email.replyTo = safeAddress(parsed.replyTo);
	if (parsed.html !== undefined && context.includeHtml !== false) email.html = parsed.html;
	if (body.hiddenText) email.hiddenText = body.hiddenText;
	if (verdict.reason) email.autoSubmittedReason = verdict.reason;
	if (context.mailbox) email.mailbox = context.mailbox;
	if (context.uid !== undefined) email.uid = context.uid;
	if (context.providerMessageId) email.providerMessageId = context.providerMessageId;
	if (context.labels?.length) email.labels = context.labels;
	if (parsed.size !== undefined) email.size = parsed.size;
	if (warnings.length) email.warnings = warnings;
	return email;
}

function syntheticMessageId(parsed: ParsedMessage, fullText: string): string {
	const hash = createHash('sha256')
		.update(
			[
				parsed.from?.address ?? '',
				parsed.date?.toISOString() ?? '',
				parsed.subject,
				fullText.slice(0, 4000),
			].join('\u0000'),
		)
		.digest('hex')
		.slice(0, 32);
	return `<${hash}@generated.support-email.invalid>`;
}
