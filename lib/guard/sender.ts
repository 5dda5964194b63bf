/**
 * Who really sent the mail: a Reply-To on another domain than From, a display name that carries
 * another address or our own name, a sender domain drawn like ours, direction-changing characters.
 * The mail parser flags some of these on `support.email.spoofSignals`; these checks also hold
 * without it.
 */
import { domainToUnicode } from 'node:url';
import { plainView, skeletonView } from './fold';
import { addressesIn, domainOf, sameOrganisation } from './fraud';

export interface SpoofSignal {
	code: string;
	message: string;
}

export interface SenderFacts {
	fromName?: string;
	fromAddress: string;
	replyTo: string[];
	/** Our own domains: the domains the mail was addressed to. */
	ownDomains: string[];
}

export interface SenderHit {
	rule: 'reply-to-other-domain' | 'spoofed-display-name' | 'lookalike-domain';
	detail: string;
}

/** Public suffixes with two labels that matter for "same organisation" (a short list, not the PSL). */
const TWO_LABEL_SUFFIXES = /\.(co|com|org|net|ac|gov|edu|ne|or)\.[a-z]{2}$/;

/** The registrable part of a domain: `mail.acme.co.uk` → `acme.co.uk`, `eu.acme.com` → `acme.com`. */
export function baseDomain(domain: string): string {
	const labels = domain.toLowerCase().split('.').filter(Boolean);
	const keep = TWO_LABEL_SUFFIXES.test(domain.toLowerCase()) ? 3 : 2;
	return labels.slice(-keep).join('.');
}

/** A domain as it looks: lookalike letters folded, `rn` → `m`, `vv` → `w`, punycode kept as is. */
function lookOf(domain: string): string {
	return skeletonView(plainView(domain).text)
		.replace(/rn/g, 'm')
		.replace(/vv/g, 'w')
		.replace(/[-_]/g, '');
}

/** At most one letter inserted, removed, replaced or two neighbours swapped. */
function withinOneEdit(a: string, b: string): boolean {
	if (a === b) return true;
	if (Math.abs(a.length - b.length) > 1) return false;
	let i = 0;
	while (i < a.length && i < b.length && a[i] === b[i]) i++;
	if (a.length === b.length) {
		if (a.slice(i + 1) === b.slice(i + 1)) return true;
		return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
	}
	const [long, short] = a.length > b.length ? [a, b] : [b, a];
	return long.slice(i + 1) === short.slice(i);
}

/** Whether `domain` is drawn like one of ours without being ours. */
export function lookalikeOf(ascii: string, ownDomains: string[]): string | undefined {
	// Punycode (xn--) as the reader sees it: `xn--cme-8cd.test` is `аcme.test`.
	const domain = domainToUnicode(ascii) || ascii;
	const base = baseDomain(domain);
	for (const own of ownDomains) {
		const ownBase = baseDomain(own);
		if (!ownBase || sameOrganisation(domain, own) || base === ownBase) continue;
		const ownLabel = ownBase.split('.')[0];
		const label = base.split('.')[0];
		if (/[^\x00-\x7f]/.test(label)) {
			if (lookOf(label) === lookOf(ownLabel)) return own;
			continue;
		}
		if (lookOf(base) === lookOf(ownBase)) return own;
		if (ownLabel.length >= 5 && withinOneEdit(lookOf(label), lookOf(ownLabel))) return own;
	}
	return undefined;
}

/** Sender checks that need no model: each hit is a reason a reviewer reads. */
export function checkSender(facts: SenderFacts): SenderHit[] {
	const hits: SenderHit[] = [];
	const from = facts.fromAddress.toLowerCase();
	const fromDomain = domainOf(from);

	const other = facts.replyTo
		.map((a) => a.toLowerCase())
		.find((a) => a.includes('@') && baseDomain(domainOf(a)) !== baseDomain(fromDomain));
	// Mail from our own domain with the customer in Reply-To is how contact forms write: not a spoof.
	const fromUs = facts.ownDomains.some((own) => sameOrganisation(fromDomain, own));
	if (other && fromDomain && !fromUs)
		hits.push({
			rule: 'reply-to-other-domain',
			detail: `replies would go to ${other}, not to the sender's domain ${fromDomain}`,
		});

	const name = facts.fromName ?? '';
	if (name) {
		if (/[\u202A-\u202E\u2066-\u2069]/.test(name)) {
			hits.push({
				rule: 'spoofed-display-name',
				detail: `the sender's name contains direction-changing characters (shown as "${visibleControls(name)}"); the real address is ${from}`,
			});
		}
		const folded = plainView(name).text;
		const named = addressesIn(folded).find((a) => a !== from);
		if (named)
			hits.push({
				rule: 'spoofed-display-name',
				detail: `the sender's name shows the address ${named}, but the mail comes from ${from}`,
			});
		else {
			// The name claims to be us ("Acme Billing") while the mail comes from outside.
			const skeleton = skeletonView(folded);
			const ours = facts.ownDomains.find((own) => {
				const label = baseDomain(own).split('.')[0];
				return (
					label.length >= 3 &&
					new RegExp(`(^|[^a-z0-9])${label}([^a-z0-9]|$)`).test(skeleton) &&
					!facts.ownDomains.some((d) => sameOrganisation(fromDomain, d))
				);
			});
			if (ours)
				hits.push({
					rule: 'spoofed-display-name',
					detail: `the sender's name "${name.slice(0, 60)}" uses our name (${baseDomain(ours)}), but the mail comes from ${from}`,
				});
		}
	}

	const look = fromDomain ? lookalikeOf(fromDomain, facts.ownDomains) : undefined;
	if (look)
		hits.push({
			rule: 'lookalike-domain',
			detail: `the sender's domain ${fromDomain} looks like our ${look} but is not it`,
		});
	return hits;
}

/** Direction-changing and invisible characters made visible, so a reviewer is not fooled by them. */
export function visibleControls(text: string): string {
	return text.replace(
		/[\u202A-\u202E\u2066-\u2069\u200B-\u200F\u2060-\u2064\uFEFF]/g,
		(ch) => `[U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`,
	);
}
