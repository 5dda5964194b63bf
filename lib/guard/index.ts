/**
 * Guardrails that hold when the model is fooled: deterministic checks on the email, its sender
 * and the drafted reply. The Escalation rules run them on every item; none of them can be turned
 * off by a node setting, and each hit is a reason the reviewer reads.
 */
import { foldText } from './fold';
import { addressesIn, detectFraudRequests, domainOf, findIbans, sameOrganisation } from './fraud';
import { checkSender, visibleControls } from './sender';
import type { SpoofSignal } from './sender';

export * from './fold';
export * from './fraud';
export * from './sender';

/** What the guard reads beyond the Escalation input: the sender, the recipients, the knowledge. */
export interface GuardFields {
	fromName?: string;
	fromAddress: string;
	replyTo: string[];
	/** Addresses the mail was sent to (our own). */
	to: string[];
	/** `support.email.spoofSignals`, written by the mail parser. */
	spoofSignals: SpoofSignal[];
	/** Text and URLs of `support.knowledge` (what a reply may legitimately quote). */
	knowledgeText: string;
}

export interface GuardHit {
	rule: string;
	action: 'escalate' | 'human_review';
	detail: string;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

function addressOf(value: unknown): string | undefined {
	if (typeof value === 'string') return value.trim().toLowerCase() || undefined;
	if (isObject(value) && typeof value.address === 'string')
		return value.address.trim().toLowerCase() || undefined;
	return undefined;
}

function addressList(value: unknown): string[] {
	const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
	return list
		.slice(0, 50)
		.map(addressOf)
		.filter((a): a is string => !!a);
}

/**
 * The guard's fields from an item's `support` (never throws: a field that is missing or malformed
 * is simply absent; the item contract's reader reports malformed items).
 */
export function readGuardFields(json: Json): GuardFields {
	const support = isObject(json.support) ? json.support : {};
	const email = isObject(support.email) ? support.email : {};
	const from = email.from;
	const signals = Array.isArray(email.spoofSignals) ? email.spoofSignals.slice(0, 20) : [];
	const knowledge = Array.isArray(support.knowledge) ? support.knowledge.slice(0, 50) : [];
	return {
		fromName: isObject(from) && typeof from.name === 'string' ? from.name : undefined,
		fromAddress: addressOf(from) ?? '',
		replyTo: addressList(email.replyTo),
		to: addressList(email.to),
		spoofSignals: signals
			.filter(isObject)
			.map((s) => ({ code: String(s.code ?? 'spoofing'), message: String(s.message ?? '') })),
		knowledgeText: knowledge
			.filter(isObject)
			.map((k) => `${String(k.url ?? '')}\n${String(k.text ?? '').slice(0, 20_000)}`)
			.join('\n'),
	};
}

const URL_HOST = /\bhttps?:\/\/([^\s/:?#<>"')\]]{1,253})/gi;
const BARE_HOST = /\b(?:www\.)([a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,5})\b/gi;

function hostsIn(text: string): string[] {
	const hosts = new Set<string>();
	for (const re of [URL_HOST, BARE_HOST]) {
		for (const match of text.matchAll(re)) {
			hosts.add(match[1].toLowerCase().replace(/^www\./, ''));
			if (hosts.size >= 20) break;
		}
	}
	return [...hosts];
}

/**
 * Every guard check on one item. `email` is the text the customer wrote (subject, clean text,
 * hidden HTML text); `draftText` the reply that would be sent.
 */
export function guardChecks(
	email: { subject: string; text: string; hiddenText?: string },
	fields: GuardFields,
	draftText?: string,
): GuardHit[] {
	const hits: GuardHit[] = [];
	const ownDomains = [...new Set(fields.to.map(domainOf).filter(Boolean))];
	const context = { from: fields.fromAddress, fromName: fields.fromName, ownDomains };

	const body = `${email.subject}\n${email.text}\n${email.hiddenText ?? ''}`;
	for (const hit of detectFraudRequests(body, context, foldText(body)))
		hits.push({ rule: hit.rule, action: 'escalate', detail: hit.detail });

	for (const signal of fields.spoofSignals)
		hits.push({
			rule: `spoofed-sender:${signal.code}`,
			action: 'human_review',
			detail: visibleControls(signal.message || signal.code),
		});
	const flagged = new Set(fields.spoofSignals.map((s) => s.code));
	for (const hit of checkSender({
		fromName: fields.fromName,
		fromAddress: fields.fromAddress,
		replyTo: fields.replyTo,
		ownDomains,
	})) {
		// The parser's own flag says the same thing: one reason is enough.
		if (hit.rule === 'reply-to-other-domain' && flagged.has('reply_to_other_domain')) continue;
		if (hit.rule === 'lookalike-domain' && flagged.has('lookalike_domain')) continue;
		if (
			hit.rule === 'spoofed-display-name' &&
			(flagged.has('address_in_display_name') || flagged.has('bidi_control'))
		)
			continue;
		hits.push({ rule: hit.rule, action: 'human_review', detail: hit.detail });
	}

	if (draftText && draftText.trim()) hits.push(...checkDraft(draftText, fields, ownDomains));
	return hits;
}

/** What an obedient model may have put into the reply: foreign addresses, links, bank details. */
function checkDraft(draft: string, fields: GuardFields, ownDomains: string[]): GuardHit[] {
	const hits: GuardHit[] = [];
	const folded = foldText(draft);
	const known = fields.knowledgeText.toLowerCase();
	const fromDomain = domainOf(fields.fromAddress);
	const ours = (domain: string) =>
		ownDomains.some((own) => sameOrganisation(domain, own)) || sameOrganisation(domain, fromDomain);

	const address = addressesIn(folded.plain).find(
		(a) => a !== fields.fromAddress && !ours(domainOf(a)) && !known.includes(a),
	);
	if (address)
		hits.push({
			rule: 'draft-foreign-address',
			action: 'human_review',
			detail: `the reply names ${address}, which is neither the customer's address nor ours`,
		});
	const host = hostsIn(folded.plain).find((h) => !ours(h) && !known.includes(h));
	if (host)
		hits.push({
			rule: 'draft-foreign-link',
			action: 'human_review',
			detail: `the reply links to ${host}, which is not in the knowledge or on our domain`,
		});
	const iban = findIbans(folded.plain).find(
		(i) => !known.replace(/ /g, '').includes(i.toLowerCase()),
	);
	if (iban)
		hits.push({
			rule: 'draft-bank-details',
			action: 'escalate',
			detail: `the reply gives bank details (IBAN ${iban.slice(0, 4)}…${iban.slice(-4)}) that are not in the knowledge`,
		});
	for (const fraud of detectFraudRequests(draft, { from: fields.fromAddress, ownDomains }, folded))
		if (fraud.rule !== 'executive-impersonation')
			hits.push({
				rule: `draft-${fraud.rule}`,
				action: 'escalate',
				detail: `the reply itself goes along with it: ${fraud.detail}`,
			});
	return hits;
}
