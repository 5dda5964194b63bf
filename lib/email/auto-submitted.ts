import type { AutoSubmittedReason } from './types';

/** Header values by lower-case name; a header that appears several times has several values. */
export type HeaderLookup = (name: string) => string[];

const BOUNCE_SENDER = /^(mailer-daemon|postmaster|mail-daemon|mail\.daemon|mailerdaemon)$/i;
const NO_REPLY_SENDER =
	/^(no[-_.]?reply|do[-_.]?not[-_.]?reply|donot[-_.]?reply|noreply[-_.+].*|no[-_.]?reply[-_.+].*|notifications?|bounces?(\+.*)?)$/i;

export interface AutoSubmittedVerdict {
	autoSubmitted: boolean;
	reason?: AutoSubmittedReason;
	/** Which header or sender rule decided, for the item's audit trail. */
	evidence?: string;
}

/**
 * Decides whether a message was sent by a machine, so that nothing ever replies to it automatically
 * (RFC 3834 section 2 and the de-facto headers of the big mailers). Bounces are checked first because
 * they often also carry Auto-Submitted.
 */
export function detectAutoSubmitted(
	header: HeaderLookup,
	fromAddress: string,
	contentType?: string,
): AutoSubmittedVerdict {
	const localPart = fromAddress.split('@')[0]?.trim() ?? '';
	const returnPath = header('return-path').join(' ').trim();
	const type = contentType ?? '';
	const reportType = /multipart\/report/i.test(type)
		? (/report-type\s*=\s*"?([\w-]+)/i.exec(type)?.[1] ?? '').toLowerCase()
		: undefined;

	if (reportType === 'delivery-status')
		return {
			autoSubmitted: true,
			reason: 'bounce',
			evidence: 'Content-Type: multipart/report; report-type=delivery-status',
		};
	if (reportType !== undefined) {
		// RFC 8098 read receipts (disposition-notification), RFC 5965 abuse reports (feedback-report),
		// TLS reports and the like: all written by software.
		return {
			autoSubmitted: true,
			reason: 'auto-replied',
			evidence: `Content-Type: multipart/report; report-type=${reportType || '(none)'}`,
		};
	}
	if (BOUNCE_SENDER.test(localPart))
		return { autoSubmitted: true, reason: 'bounce', evidence: `sender ${fromAddress}` };
	if (/^<\s*>$/.test(returnPath)) {
		// The null reverse-path: mail that must never be answered (RFC 5321 4.5.5, RFC 3834 3.3).
		return header('x-failed-recipients').length > 0
			? {
					autoSubmitted: true,
					reason: 'bounce',
					evidence: 'Return-Path: <> with X-Failed-Recipients',
				}
			: { autoSubmitted: true, reason: 'auto-replied', evidence: 'Return-Path: <> (null sender)' };
	}

	const autoSubmitted = first(header('auto-submitted'));
	if (autoSubmitted && !/^no\b/i.test(autoSubmitted)) {
		return {
			autoSubmitted: true,
			reason: 'auto-replied',
			evidence: `Auto-Submitted: ${autoSubmitted}`,
		};
	}
	for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) {
		const value = first(header(name));
		if (value !== undefined && !/^(no|false|0)$/i.test(value)) {
			return { autoSubmitted: true, reason: 'auto-replied', evidence: `${name}: ${value}` };
		}
	}
	// Microsoft's way of asking for no automatic answers; Exchange sets it on its own notifications.
	const suppress = first(header('x-auto-response-suppress'));
	if (suppress && /\b(all|autoreply|oof)\b/i.test(suppress))
		return {
			autoSubmitted: true,
			reason: 'auto-replied',
			evidence: `X-Auto-Response-Suppress: ${suppress}`,
		};
	// Set by autoresponders, ticket systems and list servers to stop mail loops.
	const loop = first(header('x-loop'));
	if (loop !== undefined)
		return { autoSubmitted: true, reason: 'auto-replied', evidence: `X-Loop: ${loop}` };

	// "Bulk (comment)" and quoted values are common: the first word decides.
	const precedence = (
		/^[\s"]*([\w-]+)/.exec(first(header('precedence')) ?? '')?.[1] ?? ''
	).toLowerCase();
	if (precedence === 'auto_reply')
		return { autoSubmitted: true, reason: 'auto-replied', evidence: 'Precedence: auto_reply' };
	if (precedence === 'list')
		return { autoSubmitted: true, reason: 'list', evidence: 'Precedence: list' };
	if (precedence === 'bulk' || precedence === 'junk') {
		return { autoSubmitted: true, reason: 'bulk', evidence: `Precedence: ${precedence}` };
	}
	if (header('list-id').length > 0)
		return { autoSubmitted: true, reason: 'list', evidence: 'List-Id header' };
	if (header('list-unsubscribe').length > 0) {
		return { autoSubmitted: true, reason: 'list', evidence: 'List-Unsubscribe header' };
	}

	if (localPart && NO_REPLY_SENDER.test(localPart)) {
		return { autoSubmitted: true, reason: 'no-reply', evidence: `sender ${fromAddress}` };
	}
	return { autoSubmitted: false };
}

function first(values: string[]): string | undefined {
	const value = values[0];
	return value === undefined ? undefined : value.trim();
}
