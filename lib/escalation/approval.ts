/**
 * The human side of "Wait for Approval": what a resume request means, what it does to an item, and
 * the small pages and the email a reviewer sees. n8n-independent; the node wires it to n8n's waiting
 * execution and signed resume URLs.
 */
import { escapeHtml, textToHtml } from '../draft/format';
import type { EscalationAction } from './rules';

export type ApprovalAction = 'approve' | 'edit' | 'reject';
export type ApprovalOutcome = 'approved' | 'edited' | 'rejected' | 'no_answer';
export const APPROVAL_ACTIONS: ApprovalAction[] = ['approve', 'edit', 'reject'];

export interface ApprovalUrls {
	approve: string;
	edit: string;
	reject: string;
}

/** One item awaiting a reviewer, as shown on the pages and in the email. */
export interface PendingReview {
	index: number;
	from: string;
	subject: string;
	customerText: string;
	draftText: string;
	reasons: string[];
	/** Category, priority, cited articles: what the reviewer checks the reply against. */
	details?: string[];
}

export interface ApprovalResponse {
	outcome: Exclude<ApprovalOutcome, 'no_answer'>;
	/** Edited drafts by item index (edit only). */
	drafts: Record<number, string>;
	reviewer?: string;
	note?: string;
}

export type ParsedRequest =
	| { kind: 'page'; action: ApprovalAction }
	| { kind: 'resume'; response: ApprovalResponse }
	| { kind: 'invalid'; status: number; message: string };

type Fields = Record<string, unknown>;

const str = (value: unknown): string | undefined => {
	if (Array.isArray(value)) return str(value[0]);
	if (typeof value === 'string') return value;
	if (typeof value === 'number') return String(value);
	return undefined;
};

/**
 * A request to a resume URL. GET only shows a page (link scanners and mail previews follow GET links,
 * so a GET never decides anything); POST decides. `pending` are the item indexes awaiting review.
 */
export function parseApprovalRequest(
	method: string,
	query: Fields,
	body: unknown,
	pending: number[],
): ParsedRequest {
	const action = str(query.action) as ApprovalAction | undefined;
	if (!action || !APPROVAL_ACTIONS.includes(action))
		return {
			kind: 'invalid',
			status: 400,
			message: `Unknown action "${action ?? ''}": use one of the links in the approval request (approve, edit or reject).`,
		};
	if (method.toUpperCase() === 'GET') return { kind: 'page', action };
	if (method.toUpperCase() !== 'POST')
		return { kind: 'invalid', status: 405, message: `Use GET to see the page or POST to decide.` };

	const fields: Fields = body && typeof body === 'object' ? (body as Fields) : {};
	const reviewer = str(fields.reviewer)?.trim() || undefined;
	const note = str(fields.note)?.trim() || undefined;
	if (action === 'approve')
		return { kind: 'resume', response: { outcome: 'approved', drafts: {}, reviewer, note } };
	if (action === 'reject')
		return { kind: 'resume', response: { outcome: 'rejected', drafts: {}, reviewer, note } };

	// edit: `draft` (one item), `draft_<index>` fields (the form), or `drafts: {index: text}` (JSON).
	const drafts: Record<number, string> = {};
	const nested =
		fields.drafts && typeof fields.drafts === 'object' ? (fields.drafts as Fields) : {};
	for (const index of pending) {
		const text = str(fields[`draft_${index}`]) ?? str(nested[String(index)]);
		if (text !== undefined) drafts[index] = text;
	}
	const single = str(fields.draft);
	if (single !== undefined) {
		if (pending.length !== 1 && Object.keys(drafts).length === 0)
			return {
				kind: 'invalid',
				status: 400,
				message: `${pending.length} replies await review: send "draft_<index>" fields (or "drafts": {"<index>": "..."}) instead of one "draft".`,
			};
		if (pending.length === 1 && drafts[pending[0]] === undefined) drafts[pending[0]] = single;
	}
	if (Object.keys(drafts).length === 0)
		return {
			kind: 'invalid',
			status: 400,
			message: 'No edited reply was sent: put the changed text in the "draft" field.',
		};
	for (const [index, text] of Object.entries(drafts))
		if (!text.trim())
			return {
				kind: 'invalid',
				status: 400,
				message: `The edited reply for email ${Number(index) + 1} is empty.`,
			};
	return { kind: 'resume', response: { outcome: 'edited', drafts, reviewer, note } };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- item JSON of any shape
type Json = Record<string, any>;

/** Where an item goes once the reviewer has answered (or not). */
export function actionAfter(outcome: ApprovalOutcome): EscalationAction {
	if (outcome === 'approved' || outcome === 'edited') return 'auto_send';
	if (outcome === 'rejected') return 'human_review';
	return 'escalate';
}

/**
 * The item's `support` after the reviewer's answer: the decision records who decided and when; an
 * edited draft replaces support.draft.text / html and the drafter's text is kept in
 * support.draft.original.
 */
export function applyOutcome(
	support: Json,
	outcome: ApprovalOutcome,
	details: { at: string; by?: string; note?: string; editedText?: string; waitedFor?: string },
): Json {
	const decision: Json = { ...(support.decision ?? {}) };
	const approval: Json = { ...(support.approval ?? {}), status: outcome, respondedAt: details.at };
	if (details.by) approval.respondedBy = details.by;
	if (details.note) approval.note = details.note;
	decision.action = actionAfter(outcome);
	const reasons: string[] = Array.isArray(decision.reasons) ? [...decision.reasons] : [];
	const next: Json = { ...support };
	if (outcome === 'approved' || outcome === 'edited') {
		decision.approvedBy = details.by ?? 'resume URL';
		decision.approvedAt = details.at;
		reasons.push(
			outcome === 'edited'
				? `approved-with-edits: ${decision.approvedBy} changed and approved the reply`
				: `approved: ${decision.approvedBy} approved the reply`,
		);
	}
	if (outcome === 'edited' && details.editedText !== undefined) {
		const draft: Json = { ...(support.draft ?? {}) };
		draft.original = {
			text: draft.text,
			...(draft.html !== undefined ? { html: draft.html } : {}),
		};
		draft.text = details.editedText;
		if (draft.html !== undefined) draft.html = textToHtml(details.editedText);
		draft.editedBy = decision.approvedBy;
		draft.editedAt = details.at;
		draft.needsReview = false;
		next.draft = draft;
	}
	if (outcome === 'rejected') {
		decision.rejectedBy = details.by ?? 'resume URL';
		decision.rejectedAt = details.at;
		if (details.note) decision.rejectionReason = details.note;
		reasons.push(
			`rejected: ${decision.rejectedBy} rejected the reply${details.note ? ` ("${details.note}")` : ''}; a person writes the answer`,
		);
	}
	if (outcome === 'no_answer')
		reasons.push(
			details.waitedFor
				? `approval-timeout: no answer within ${details.waitedFor}`
				: "approval-ended: n8n ended the wait without a reviewer's answer",
		);
	decision.reasons = reasons;
	next.decision = decision;
	next.approval = approval;
	return next;
}

const STYLE = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:760px;margin:32px auto;padding:0 16px;color:#1f2937}
h1{font-size:20px}h2{font-size:16px;margin:24px 0 4px}.meta{color:#6b7280;font-size:13px}
pre,textarea{white-space:pre-wrap;font:14px/1.45 ui-monospace,monospace;background:#f9fafb;border:1px solid #e5e7eb;border-radius:6px;padding:10px;width:100%;box-sizing:border-box}
ul{font-size:13px;color:#374151}button{font-size:15px;padding:10px 18px;border-radius:6px;border:0;color:#fff;cursor:pointer}
.approve{background:#0e9f6e}.edit{background:#1a56db}.reject{background:#c81e1e}input{font-size:14px;padding:6px;width:100%;box-sizing:border-box}label{font-size:13px;color:#374151}`;

function page(title: string, body: string): string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

function reviewBlock(review: PendingReview, editable: boolean): string {
	const reasons = review.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('');
	const draft = editable
		? `<textarea name="draft_${review.index}" rows="12">${escapeHtml(review.draftText)}</textarea>`
		: `<pre>${escapeHtml(review.draftText || '(no draft)')}</pre>`;
	const details = (review.details ?? []).map((d) => escapeHtml(d)).join(' · ');
	return `<h2>${escapeHtml(review.subject || '(no subject)')}</h2><div class="meta">From ${escapeHtml(review.from)}${details ? `<br>${details}` : ''}</div>
<pre>${escapeHtml(review.customerText.slice(0, 4000))}</pre><div class="meta">Why a person is asked:</div><ul>${reasons}</ul>
<div class="meta">Reply${editable ? ' (edit it, then approve)' : ''}:</div>${draft}`;
}

const VERB: Record<ApprovalAction, string> = {
	approve: 'Approve and send',
	edit: 'Save changes and send',
	reject: 'Reject the reply',
};

/** The page a GET on a resume URL shows: what is decided, and a button that POSTs the decision. */
export function decisionPage(action: ApprovalAction, reviews: PendingReview[]): string {
	const count = reviews.length === 1 ? 'this reply' : `these ${reviews.length} replies`;
	const lead: Record<ApprovalAction, string> = {
		approve: `Approve ${count}? It is sent to the customer.`,
		edit: `Edit ${count}, then send.`,
		reject: `Reject ${count}? Nothing is sent; the email goes back to a person.`,
	};
	const extra =
		action === 'reject'
			? '<p><label>Why (optional)<br><input name="note" maxlength="500"></label></p>'
			: '';
	return page(
		'Support reply approval',
		`<h1>${escapeHtml(lead[action])}</h1><form method="post">${reviews
			.map((review) => reviewBlock(review, action === 'edit'))
			.join('')}
<p><label>Your name or email (optional)<br><input name="reviewer" maxlength="200"></label></p>${extra}
<p><button class="${action}" type="submit">${VERB[action]}</button></p></form>`,
	);
}

export function donePage(outcome: ApprovalOutcome, count: number): string {
	const what: Record<ApprovalOutcome, string> = {
		approved: 'Approved: the reply goes out now.',
		edited: 'Saved and approved: your version goes out now.',
		rejected: 'Rejected: nothing is sent; the email goes back to the team.',
		no_answer: 'No answer was recorded.',
	};
	return page(
		'Decision recorded',
		`<h1>${escapeHtml(what[outcome])}</h1><p class="meta">${count === 1 ? 'One email' : `${count} emails`}. You can close this page.</p>`,
	);
}

export function errorPage(message: string): string {
	return page('Approval', `<h1>Nothing was changed</h1><p>${escapeHtml(message)}</p>`);
}

/** The approval request email: each reply awaiting review, and the three links. */
export function approvalEmail(
	reviews: PendingReview[],
	urls: ApprovalUrls,
	expires?: string,
): { subject: string; text: string; html: string } {
	const first = reviews[0];
	const subject =
		reviews.length === 1
			? `Approval needed: ${first.subject || '(no subject)'}`
			: `Approval needed: ${reviews.length} support replies`;
	const expiry = expires ? `\nWithout an answer by ${expires} the email is escalated.` : '';
	const text = `${reviews
		.map(
			(r) =>
				`From: ${r.from}\nSubject: ${r.subject}\n${(r.details ?? []).map((d) => `${d}\n`).join('')}\n${r.customerText.slice(0, 2000)}\n\nWhy a person is asked:\n${r.reasons.map((x) => `- ${x}`).join('\n')}\n\nDraft reply:\n${r.draftText}\n`,
		)
		.join('\n----\n')}
Approve: ${urls.approve}
Edit:    ${urls.edit}
Reject:  ${urls.reject}
${expiry}
Each link opens a page where you confirm; nothing happens on opening alone.`;
	const button = (href: string, label: string, color: string) =>
		`<a href="${escapeHtml(href)}" style="display:inline-block;margin-right:8px;padding:10px 16px;border-radius:6px;background:${color};color:#fff;text-decoration:none">${label}</a>`;
	const html = `<div style="font-family:system-ui,sans-serif;max-width:700px">${reviews
		.map((r) => reviewBlock(r, false))
		.join('<hr>')}
<p>${button(urls.approve, 'Approve', '#0e9f6e')}${button(urls.edit, 'Edit', '#1a56db')}${button(urls.reject, 'Reject', '#c81e1e')}</p>
<p style="color:#6b7280;font-size:12px">Each link opens a page where you confirm; nothing happens on opening alone.${expires ? ` Without an answer by ${escapeHtml(expires)} the email is escalated.` : ''}</p></div>`;
	return { subject, text, html };
}
