import { foldText } from '../guard/fold';

/**
 * Why a draft needs a human before it is sent. The codes go to `support.draft.reasons`; the
 * Escalation node reads them (with `needsReview`) and never auto-sends such a draft.
 */
export const REVIEW_REASONS = {
	/** Written from a template (offline fallback, or no AI provider): always reviewed. */
	template_reply: 'The reply is a template, not an answer to the question',
	/** The item brought no knowledge, so nothing could ground an answer. */
	no_knowledge: 'No knowledge was supplied for this email',
	/** Knowledge was supplied but, in the model's judgement, it does not answer the question. */
	knowledge_insufficient: 'The supplied knowledge does not answer the question',
	/** Knowledge was supplied but the reply cites none of it. */
	no_citations: 'The reply cites none of the supplied knowledge',
	/** The classifier was not sure of the category. */
	low_classification_confidence: 'The classification has low confidence',
	/** The email touches a topic one of the node's policies covers (refunds, discounts ...). */
	policy_topic: 'The email touches a topic a policy covers',
	/** Signs that the email tries to instruct the AI (classifier, local check or the drafting model). */
	injection_suspected: 'The email may contain prompt injection',
	/** The draft's own confidence is below the node's threshold. */
	low_confidence: "The draft's confidence is below the threshold",
	/** No template in the customer's language: the template reply is in English. */
	language_fallback: "No template in the customer's language; English was used",
	/** Auto-reply, bounce, list or no-reply mail: never answered automatically. */
	auto_submitted: 'The email was sent automatically (auto-reply, bounce, list or no-reply)',
	/** The offline answer's calibrated confidence is below the auto-answer threshold. */
	answer_confidence_low:
		'The knowledge may not answer this email (answer confidence below the auto-answer threshold)',
	/** The answer rests on knowledge whose scores nobody calibrated (not from the Support Knowledge node). */
	answer_uncalibrated: 'The knowledge has no calibrated answer confidence',
	/** The reply states something (an amount, a time, a link, ...) that the knowledge does not say. */
	unsupported_claim: 'The reply states something the knowledge does not support',
} as const;

export type ReviewReason = keyof typeof REVIEW_REASONS;

/** Words in a policy that say how, not what: they never make an email a policy topic. */
const POLICY_STOPWORDS = new Set(
	(
		'never always promise promised promises offer offered offers give given gives grant grants allow ' +
		'allowed allows mention mentions tell state confirm commit agree accept customer customers client ' +
		'clients should shall must without unless above below under over more less than only with within ' +
		'from into about their there these those which while where when what will would could cannot does ' +
		'done have been being your yours ours they them this that then each every other another same such ' +
		'days weeks months hours euro euros dollar dollars pound pounds amount amounts before after ' +
		'ever anything something nothing please reply replies answer answers email emails also first ' +
		'knowledge state states stated says written listed explicitly explicit approve approved agent ' +
		'agents team support base article articles snippet snippets'
	).split(/\s+/),
);

/** The topic words of the node's policies ("Never promise a refund over 50 EUR" → "refund"). */
export function policyKeywords(policies: string[]): string[] {
	const words = new Set<string>();
	for (const policy of policies) {
		for (const word of policy.toLowerCase().match(/\p{L}{4,}/gu) ?? []) {
			if (!POLICY_STOPWORDS.has(word)) words.add(word);
		}
	}
	return [...words];
}

/**
 * Whether an email touches a policy's topic: a policy's topic word (first six letters, so
 * "refund" also finds "refunds", "refunded") occurs in the email or is the email's category.
 */
export function touchesPolicy(
	policies: string[],
	emailText: string,
	category?: string,
): { touched: boolean; keywords: string[] } {
	// Folded (NFKC, lookalike letters, invisible characters), so "ｒｅｆｕｎｄ" or "rеfund" with a
	// Cyrillic е still touches a refund policy.
	const folded = foldText(emailText);
	const haystack =
		`${folded.plain}\n${folded.skeleton}\n${(category ?? '').replace(/_/g, ' ')}`.toLowerCase();
	const tokens = new Set(haystack.match(/\p{L}{4,}/gu) ?? []);
	const hits = policyKeywords(policies).filter((keyword) => {
		const stem = keyword.slice(0, 6);
		for (const token of tokens) if (token.startsWith(stem)) return true;
		return false;
	});
	return { touched: hits.length > 0, keywords: hits };
}

/** Reasons in a stable order, each once. */
export function orderReasons(reasons: Iterable<ReviewReason>): ReviewReason[] {
	const set = new Set(reasons);
	return (Object.keys(REVIEW_REASONS) as ReviewReason[]).filter((r) => set.has(r));
}
