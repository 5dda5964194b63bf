import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { mailNodeError } from '../shared/mail-errors';
import type { ApprovalUrls, PendingReview } from '../../lib/escalation';
import { approvalEmail } from '../../lib/escalation';
import { visibleControls } from '../../lib/guard';
import { newMessageId } from '../../lib/mail/compose';
import { MailError } from '../../lib/mail/errors';
import { parseAddressList, senderAddress, sendWithProvider } from '../shared/mail-transport';

/**
 * What the reviewer reads, made safe to read: direction-changing and invisible characters in the
 * sender, subject and text are shown as `[U+202E]` (a bidi override cannot disguise the address),
 * and every reason the decision gave is kept (the guard's reasons first, as the decision lists them).
 */
export function forReviewer(review: PendingReview): PendingReview {
	return {
		...review,
		from: visibleControls(review.from),
		subject: visibleControls(review.subject),
		customerText: visibleControls(review.customerText),
		reasons: review.reasons.map(visibleControls),
	};
}

/**
 * Sends the approval request: an email through the package's provider layer (SMTP, SendGrid, Brevo,
 * Gmail), or a JSON POST for any other channel. Returns where it went (recorded on the items).
 */
export async function notifyReviewers(
	context: IExecuteFunctions,
	reviews: PendingReview[],
	urls: ApprovalUrls,
	expires: string | undefined,
): Promise<string | undefined> {
	const channel = context.getNodeParameter('approvalChannel', 0, 'email') as string;
	const safe = reviews.map(forReviewer);
	const message = approvalEmail(safe, urls, expires);
	if (channel === 'email') {
		const to = parseAddressList(context.getNodeParameter('approverEmail', 0, '') as string);
		if (!to.length || to.some((address) => !/^[^@\s]+@[^@\s]+$/.test(address.address)))
			throw new NodeOperationError(
				context.getNode(),
				'Approver Email is missing or not an address',
				{
					description:
						'Put the reviewer\'s address in "Approver Email" (several: separated by commas).',
				},
			);
		try {
			const from = await senderAddress(context, 0);
			await sendWithProvider(context, 0, {
				from,
				to,
				subject: message.subject,
				text: message.text,
				html: message.html,
				messageId: newMessageId(from.address || to[0].address),
				headers: { 'Auto-Submitted': 'auto-generated' },
			});
		} catch (error) {
			// A provider's HTTP answer stays a NodeApiError with its httpCode (429, 401, ...).
			const translated = mailNodeError(context.getNode(), error);
			if (translated instanceof NodeApiError) {
				translated.message = `Could not send the approval request: ${translated.message}`;
				translated.description ??=
					'Check the email credential and "Approver Email". The workflow did not wait.';
				throw translated;
			}
			throw new NodeOperationError(
				context.getNode(),
				`Could not send the approval request: ${error instanceof Error ? error.message : String(error)}`,
				{
					description:
						error instanceof MailError && error.hint
							? error.hint
							: 'Check the email credential and "Approver Email". The workflow did not wait.',
				},
			);
		}
		return `email:${to.map((a) => a.address).join(',')}`;
	}
	if (channel === 'http') {
		const url = (context.getNodeParameter('notifyUrl', 0, '') as string).trim();
		if (!/^https?:\/\//i.test(url))
			throw new NodeOperationError(
				context.getNode(),
				'Notify URL must start with http:// or https://',
				{
					description: 'Put the address that should receive the approval request in "Notify URL".',
				},
			);
		try {
			await context.helpers.httpRequest({
				method: 'POST',
				url,
				json: true,
				body: {
					text: `${message.subject}\n\n${message.text}`,
					subject: message.subject,
					urls,
					expiresAt: expires ?? null,
					executionId: context.getExecutionId(),
					reviews: safe as unknown as IDataObject[],
				},
			});
		} catch (error) {
			throw new NodeOperationError(
				context.getNode(),
				`Could not send the approval request to ${url}: ${error instanceof Error ? error.message : String(error)}`,
				{
					description: 'Check "Notify URL"; it must accept a JSON POST. The workflow did not wait.',
				},
			);
		}
		return `http:${url}`;
	}
	return undefined;
}
