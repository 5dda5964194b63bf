/**
 * The grounding check on an AI reply: the checkable facts it states (amounts, numbers of days or
 * hours, percentages, links, email addresses, phone numbers) must appear in the knowledge snippets
 * or the customer's own email. A fact found in neither is a claim the knowledge does not support:
 * the draft goes to review with the claims listed.
 */

const CLAIM_PATTERNS: RegExp[] = [
	/\bhttps?:\/\/[^\s<>()]+[^\s<>().,;:!?]/gi,
	/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g,
	/(?:[$€£]\s?\d[\d.,]*|\d[\d.,]*\s?(?:%|eur|euros?|usd|dollars?|gbp|pounds?|chf|€|\$|£))/gi,
	/\+?\d[\d\s().-]{7,}\d/g,
	/\b\d+(?:[.,]\d+)?(?:\s?[–-]\s?\d+(?:[.,]\d+)?)?\s?(?:working |business |calendar )?(?:minutes?|hours?|days?|weeks?|months?|years?|minuten|stunden|tage[n]?|werktage[n]?|wochen|monate[n]?|jahre[n]?|jours?|heures?|semaines?|mois|ans|días|dias|horas?|semanas?|meses|años)\b/gi,
];

function normalise(text: string): string {
	return text.toLowerCase().normalize('NFKC').replace(/[–—]/g, '-').replace(/\s+/g, ' ');
}

/** The numbers (and link / address text) a claim rests on, to look for in the sources. */
function anchors(claim: string): string[] {
	if (/^https?:|@/.test(claim)) return [normalise(claim).replace(/\/$/, '')];
	return (claim.match(/\d+(?:[.,]\d+)?/g) ?? []).map((n) => n.replace(',', '.'));
}

/** The claims in `reply` that neither the snippets nor the email state. */
export function unsupportedClaims(reply: string, sources: string[]): string[] {
	const haystack = normalise(sources.join('\n'));
	const numbers = new Set(
		(haystack.match(/\d+(?:[.,]\d+)?/g) ?? []).map((n) => n.replace(',', '.')),
	);
	const out = new Set<string>();
	for (const pattern of CLAIM_PATTERNS) {
		for (const match of reply.matchAll(pattern)) {
			const claim = match[0].trim();
			const needed = anchors(claim);
			if (needed.length === 0) continue;
			const supported = needed.every((anchor) =>
				/^\d/.test(anchor) ? numbers.has(anchor) : haystack.includes(anchor),
			);
			if (!supported) out.add(claim);
		}
	}
	return [...out];
}
