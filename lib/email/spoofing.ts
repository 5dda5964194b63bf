/**
 * Signs that a message pretends to come from someone else, for reviewers and the escalation rules
 * (`support.email.spoofSignals`), and display names made safe to show.
 *
 * - `bidi_control`: text-direction controls (U+202E and friends) that make `moc.emca@gnillib` read
 *   as `billing@acme.com`;
 * - `lookalike_domain`: a sender or Reply-To domain with letters from another script that look like
 *   Latin ones (Cyrillic а in аcme.test), a domain that looks like one the mail was sent to, or a
 *   display name that mixes scripts inside a word;
 * - `address_in_display_name`: `"CEO <ceo@acme.test>" <attacker@evil.example>`;
 * - `reply_to_other_domain`: replies would go to another registrable domain than the From address.
 *
 * Confusables are folded with `unhomoglyph` (the Unicode confusables table, UTS #39 skeletons) and
 * registrable domains come from the Public Suffix List through `tldts`.
 */
import { domainToUnicode } from 'node:url';
import { getDomain } from 'tldts';
import unhomoglyph from 'unhomoglyph';
import type { EmailAddress, SpoofSignal } from './types';

export type { SpoofSignal } from './types';
export type SpoofSignalCode = SpoofSignal['code'];

/** Explicit direction marks, embeddings, overrides and isolates (Unicode bidi controls). */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const HAS_BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
/** Longest display name or subject examined: the checks stay cheap whatever a header holds. */
const MAX_CHECKED = 1000;

/** Text with every bidi control removed: what reviewers are shown. */
export function withoutBidiControls(text: string): string {
	return text.replace(BIDI_CONTROLS, '');
}

/** The address with a display name safe to show; the original kept in `originalName` when it differs. */
export function safeAddress(address: EmailAddress): EmailAddress {
	const name = withoutBidiControls(address.name);
	if (name === address.name) return address;
	return { ...address, name, originalName: address.originalName ?? address.name };
}

/** The text with each bidi control made visible as [U+202E], for a reviewer's eyes. */
function showControls(text: string): string {
	return text.replace(
		BIDI_CONTROLS,
		(c) => `[U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`,
	);
}

export interface SpoofInput {
	from: EmailAddress;
	replyTo?: EmailAddress;
	subject?: string;
	/** Addresses the mail was sent to (To, Cc, the watched mailbox): a sender domain that looks like one of these is suspicious. */
	recipients?: string[];
}

export function detectSpoofing(input: SpoofInput): SpoofSignal[] {
	const signals: SpoofSignal[] = [];
	const add = (code: SpoofSignalCode, message: string) => {
		if (!signals.some((s) => s.code === code && s.message === message))
			signals.push({ code, message });
	};
	const fromName = input.from.name.slice(0, MAX_CHECKED);
	const fromAddress = input.from.address.toLowerCase();

	const bidiFields: Array<[string, string | undefined]> = [
		["sender's display name", fromName],
		["sender's address", input.from.address],
		['Reply-To display name', input.replyTo?.name.slice(0, MAX_CHECKED)],
		['subject', input.subject?.slice(0, MAX_CHECKED)],
	];
	for (const [what, value] of bidiFields) {
		if (value && HAS_BIDI_CONTROL.test(value))
			add(
				'bidi_control',
				`The ${what} contains invisible text-direction controls that change how it reads ("${showControls(value)}"); they were removed from what reviewers see.`,
			);
	}

	for (const [what, address] of [
		['sender', input.from.address],
		['Reply-To', input.replyTo?.address],
	] as const) {
		const reason = address ? lookalikeDomain(address, input.recipients ?? []) : undefined;
		if (reason) add('lookalike_domain', `The ${what} address ${address} ${reason}.`);
	}
	const mixed = mixedScriptWord(fromName);
	if (mixed)
		add(
			'lookalike_domain',
			`The sender's display name "${withoutBidiControls(fromName)}" mixes ${mixed.scripts} letters in "${mixed.word}", a way to imitate a known name.`,
		);

	for (const shown of addressesIn(fromName)) {
		if (shown !== fromAddress)
			add(
				'address_in_display_name',
				`The sender's display name shows the address ${shown}, but the mail comes from ${fromAddress || '(no address)'}.`,
			);
	}

	if (input.replyTo?.address && fromAddress) {
		const fromDomain = registrableDomain(fromAddress);
		const replyDomain = registrableDomain(input.replyTo.address);
		if (fromDomain && replyDomain && fromDomain !== replyDomain)
			add(
				'reply_to_other_domain',
				`Replies would go to ${input.replyTo.address.toLowerCase()} (${replyDomain}), another domain than the sender ${fromAddress} (${fromDomain}).`,
			);
	}
	return signals;
}

/** The domain a person registers (acme.co.uk for mail.acme.co.uk); the last two labels where the list has none. */
export function registrableDomain(address: string): string | undefined {
	const host = hostOf(address);
	if (!host) return undefined;
	const ascii = host.normalize('NFKC');
	return (
		getDomain(ascii, { allowPrivateDomains: false }) ?? ascii.split('.').slice(-2).join('.')
	).toLowerCase();
}

function hostOf(address: string): string | undefined {
	const at = address.lastIndexOf('@');
	const host = at === -1 ? '' : address.slice(at + 1).trim();
	return host ? host.replace(/\.$/, '') : undefined;
}

/** Why the address's domain imitates another one, or undefined. */
function lookalikeDomain(address: string, recipients: string[]): string | undefined {
	const host = hostOf(address);
	if (!host) return undefined;
	const unicode = (host.includes('xn--') ? domainToUnicode(host) || host : host).toLowerCase();
	const shown = unicode === host.toLowerCase() ? unicode : `${unicode} (${host})`;
	const confusable = [...unicode].filter(
		(c) => c > '\u007f' && /^[\x21-\x7e]+$/.test(unhomoglyph(c)),
	);
	if (confusable.length)
		return `uses a domain, ${shown}, with letters from another alphabet that look like Latin ones (${[...new Set(confusable)].map(describeChar).join(', ')}): it reads like ${unhomoglyph(unicode)}`;
	const mixed = mixedScriptWord(unicode.replace(/\./g, ' '));
	if (mixed) return `uses a domain, ${shown}, that mixes ${mixed.scripts} letters`;
	const skeleton = unhomoglyph(unicode);
	for (const recipient of recipients) {
		const other = hostOf(recipient)?.toLowerCase();
		if (other && other !== unicode && unhomoglyph(other) === skeleton)
			return `uses a domain, ${shown}, that looks like ${other}, the domain this mail was sent to`;
	}
	return undefined;
}

function describeChar(c: string): string {
	const code = c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
	return `"${c}" U+${code} ${scriptOf(c) ?? 'non-Latin'}`;
}

/** Scripts whose letters are commonly passed off as Latin ones. */
const SCRIPTS: Array<[string, RegExp]> = [
	['Latin', /\p{Script=Latin}/u],
	['Cyrillic', /\p{Script=Cyrillic}/u],
	['Greek', /\p{Script=Greek}/u],
	['Armenian', /\p{Script=Armenian}/u],
	['Cherokee', /\p{Script=Cherokee}/u],
];

function scriptOf(c: string): string | undefined {
	return SCRIPTS.find(([, re]) => re.test(c))?.[0];
}

/** The first word that mixes Latin with a look-alike script (e.g. "Аcme" with a Cyrillic А). */
function mixedScriptWord(text: string): { word: string; scripts: string } | undefined {
	for (const word of withoutBidiControls(text)
		.normalize('NFKC')
		.split(/[^\p{L}\p{M}]+/u)) {
		if (word.length < 2) continue;
		const scripts = new Set<string>();
		for (const c of word) {
			const script = scriptOf(c);
			if (script) scripts.add(script);
		}
		if (scripts.size > 1 && scripts.has('Latin'))
			return { word, scripts: [...scripts].join(' and ') };
	}
	return undefined;
}

const EMAIL_IN_TEXT = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;

/**
 * Addresses a reader would see in a display name: as written (fullwidth ＠ folded), and as shown
 * when a right-to-left override reverses part of it.
 */
function addressesIn(name: string): string[] {
	if (!name) return [];
	const folded = name.normalize('NFKC');
	const visual = folded.replace(
		/\u202E([^\u202A-\u202E\u2066-\u2069]*)(\u202C|$)/gu,
		(_, inner: string) => [...inner].reverse().join(''),
	);
	const found = new Set<string>();
	for (const text of [withoutBidiControls(folded), withoutBidiControls(visual)])
		for (const match of text.matchAll(EMAIL_IN_TEXT)) found.add(match[0].toLowerCase());
	return [...found];
}
