/**
 * Where the offline answerer meets the drafter: with no AI reply, a thank-you mail gets a thank-you
 * and a question the knowledge answers gets that answer (with its citation), before the template
 * reply is considered.
 */
import { DEFAULT_CALIBRATION } from '../knowledge/calibration';
import {
	ANSWER_DRAFT_FLOOR,
	THANK_YOU_REPLIES,
	answerFromKnowledge,
	isThankYouOnly,
} from './answer';
import { replySubject, signatureFor, textToHtml, withSignature } from './format';
import type { Draft, DraftConfig, DraftInput } from './index';
import { orderReasons } from './review';
import type { ReviewReason } from './review';
import { fillPlaceholders, greeting, isTemplateLanguage } from './templates';
import type { PlaceholderValues } from './templates';

export const OFFLINE_ANSWER_MODEL = 'offline-answerer';

/** The measured auto-answer threshold (see lib/knowledge/calibration.json and `npm run eval:answers`). */
export const DEFAULT_AUTO_ANSWER_THRESHOLD = DEFAULT_CALIBRATION.autoAnswerThreshold;

/**
 * A draft from knowledge or a thank-you, or undefined (the caller writes the template reply).
 * `reasons` are the review reasons found so far; the knowledge answer does not rest on the
 * category, so an unsure classification does not hold it back (the Escalation node still checks it).
 */
export function offlineDraft(
	input: DraftInput,
	config: DraftConfig,
	values: PlaceholderValues,
	language: string,
	found: Set<ReviewReason>,
	started: number,
): Draft | undefined {
	if (config.answerFromKnowledge === false) return undefined;
	const { email } = input;
	const reasons = new Set(found);
	reasons.delete('low_classification_confidence');
	reasons.delete('no_knowledge');
	let body: string;
	let replyLanguage = language;
	let confidence: number;
	let citations: Draft['citations'] = [];
	let knowledgeAnswered = false;
	if (isThankYouOnly(email.subject, email.text)) {
		replyLanguage = isTemplateLanguage(language) ? language : 'en';
		if (replyLanguage !== language) reasons.add('language_fallback');
		values.greeting = greeting(replyLanguage, config.tone, values.customerName, values.firstName);
		body = fillPlaceholders(THANK_YOU_REPLIES[replyLanguage as 'en'], values);
		confidence = 0.9;
		reasons.delete('policy_topic');
	} else {
		const decision = answerFromKnowledge(input.knowledge, input.answer, language);
		if (!decision.answer) return undefined;
		const answer = decision.answer;
		replyLanguage = answer.language;
		for (const reason of answer.reviewReasons) reasons.add(reason);
		const threshold = config.autoAnswerThreshold ?? DEFAULT_AUTO_ANSWER_THRESHOLD;
		if (answer.confidence < threshold) reasons.add('answer_confidence_low');
		values.greeting = greeting(replyLanguage, config.tone, values.customerName, values.firstName);
		body = `${values.greeting}\n\n${answer.body}`;
		confidence = answer.confidence;
		citations = [
			{
				id: answer.snippet.id,
				...(answer.snippet.title ? { title: answer.snippet.title } : {}),
				...(answer.snippet.url ? { url: answer.snippet.url } : {}),
			},
		];
		knowledgeAnswered = true;
	}
	if (confidence < config.reviewThreshold) reasons.add('low_confidence');
	const text = withSignature(body, signatureFor(replyLanguage, config.signature, values, true));
	const ordered = orderReasons(reasons);
	const draft: Draft = {
		subject: replySubject(email.subject),
		text,
		html: textToHtml(text),
		language: replyLanguage,
		confidence: Math.round(confidence * 1000) / 1000,
		needsReview: ordered.length > 0,
		reasons: ordered,
		provider: knowledgeAnswered ? 'knowledge' : 'template',
		model: OFFLINE_ANSWER_MODEL,
		usage: { inputTokens: 0, outputTokens: 0 },
		latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
		citations,
		knowledgeAnswered,
	};
	if (email.messageId) draft.inReplyTo = email.messageId;
	return draft;
}

export { ANSWER_DRAFT_FLOOR };
