/**
 * The offline answerer: with no AI provider (the embedded default), a reply built from the best
 * knowledge on the item (a help-centre article or a past reply), in the customer's language where
 * the knowledge has it, citing where the answer comes from. It abstains (the caller writes the
 * template reply for review, as before) when the knowledge does not answer the email well enough.
 *
 * The confidence is `support.answer.confidence` from the Support Knowledge node (calibrated: the
 * probability that the chosen knowledge answers this email). Knowledge from elsewhere carries scores
 * nobody calibrated, so an answer from it is always reviewed.
 */
import type { SupportAnswer } from '../knowledge/search';
import { clipText } from '../knowledge/search';
import type { KnowledgeSnippet } from './knowledge';
import { isTemplateLanguage } from './templates';
import type { TemplateLanguage } from './templates';

/** Below this probability the answerer abstains; between it and the auto-answer threshold the answer is drafted for review. */
export const ANSWER_DRAFT_FLOOR = 0.5;

const SEE_ALSO: Record<TemplateLanguage, string> = {
	en: 'You can find more details in our help centre: {{link}}',
	de: 'Weitere Einzelheiten finden Sie in unserem Hilfe-Center: {{link}}',
	fr: 'Vous trouverez plus de détails dans notre centre d’aide : {{link}}',
	es: 'Encontrará más detalles en nuestro centro de ayuda: {{link}}',
};

const FOLLOW_UP: Record<TemplateLanguage, string> = {
	en: 'If this does not answer your question, just reply to this email and a member of our team will help you.',
	de: 'Falls das Ihre Frage nicht beantwortet, antworten Sie einfach auf diese E-Mail; ein Mitglied unseres Teams hilft Ihnen gern weiter.',
	fr: 'Si cela ne répond pas à votre question, répondez simplement à cet e-mail et un membre de notre équipe vous aidera.',
	es: 'Si esto no responde a su pregunta, responda a este correo y un miembro de nuestro equipo le ayudará.',
};

export interface KnowledgeAnswer {
	/** The body between greeting and signature. */
	body: string;
	language: string;
	confidence: number;
	snippet: KnowledgeSnippet;
	/** Why the answer still needs a person (uncalibrated score, language). */
	reviewReasons: Array<'answer_uncalibrated' | 'language_fallback'>;
}

export interface AnswerDecision {
	answer?: KnowledgeAnswer;
	/** Why no answer was written (empty when there is one). */
	abstainReasons: string[];
}

/** Longest knowledge text put into a reply: longer articles are cut at a paragraph. */
const MAX_ANSWER_CHARS = 1800;

/**
 * The answer from knowledge, or why there is none. `answer` is `support.answer` when the Support
 * Knowledge node wrote it; its first citation names the snippet to answer from.
 */
export function answerFromKnowledge(
	knowledge: KnowledgeSnippet[],
	answer: SupportAnswer | undefined,
	replyLanguage: string,
): AnswerDecision {
	if (knowledge.length === 0) return { abstainReasons: ['no knowledge on the item'] };
	if (answer?.abstained)
		return {
			abstainReasons: answer.reasons.length ? answer.reasons : ['the knowledge step abstained'],
		};
	const cited = answer?.citations[0]?.id;
	const snippet = (cited && knowledge.find((s) => s.id === cited)) || knowledge[0];
	const calibrated = answer !== undefined && Number.isFinite(answer.confidence);
	const confidence = calibrated
		? answer.confidence
		: typeof snippet.score === 'number' && snippet.score >= 0 && snippet.score <= 1
			? snippet.score
			: 0;
	if (confidence < ANSWER_DRAFT_FLOOR)
		return {
			abstainReasons: [
				`the best knowledge ("${snippet.title ?? snippet.id}") answers with confidence ${round(confidence)} < ${ANSWER_DRAFT_FLOOR}`,
			],
		};
	const reviewReasons: KnowledgeAnswer['reviewReasons'] = [];
	if (!calibrated) reviewReasons.push('answer_uncalibrated');
	const snippetLanguage = (snippet.language ?? replyLanguage).toLowerCase();
	if (snippetLanguage !== replyLanguage) reviewReasons.push('language_fallback');
	const language = snippetLanguage;
	const lang: TemplateLanguage = isTemplateLanguage(language) ? language : 'en';
	const parts = [clipText(snippet.text, MAX_ANSWER_CHARS)];
	if (snippet.url) parts.push(SEE_ALSO[lang].replace('{{link}}', snippet.url));
	parts.push(FOLLOW_UP[lang]);
	return {
		answer: { body: parts.join('\n\n'), language, confidence, snippet, reviewReasons },
		abstainReasons: [],
	};
}

const THANKS =
	/^(?:\s*(?:many |thanks? (?:a lot|so much)|thank you(?: (?:so|very) much)?|thanks|cheers|much appreciated|great|perfect|awesome|ok(?:ay)?|got it|vielen dank|danke(?: schön| sehr)?|super|merci(?: beaucoup)?|parfait|génial|muchas gracias|gracias|perfecto|genial)\b[\s\S]*)$/i;

/**
 * A mail that only says thank you (no question, no request): it gets a thank-you, not "we will
 * look into it". Short, starts with thanks, no question mark and no request words.
 */
export function isThankYouOnly(subject: string, text: string): boolean {
	const body = text.trim();
	if (!body || body.length > 280 || /\?/.test(body)) return false;
	if (
		/\b(?:but|however|still|not|problem|issue|help|need|please|aber|noch|nicht|bitte|mais|encore|pas|problème|pero|todavía|no|problema|ayuda)\b/i.test(
			body,
		)
	)
		return false;
	return (
		THANKS.test(body) ||
		(THANKS.test(subject.replace(/^(?:re|aw|sv|fw|wg):\s*/i, '')) && body.split(/\s+/).length <= 25)
	);
}

export const THANK_YOU_REPLIES: Record<TemplateLanguage, string> = {
	en: '{{greeting}}\n\nThank you for your kind message, we are glad we could help. If there is anything else, just reply to this email.',
	de: '{{greeting}}\n\nvielen Dank für Ihre freundliche Nachricht, es freut uns, dass wir helfen konnten. Wenn es noch etwas gibt, antworten Sie einfach auf diese E-Mail.',
	fr: '{{greeting}}\n\nMerci pour votre gentil message, nous sommes ravis d’avoir pu vous aider. Pour toute autre question, répondez simplement à cet e-mail.',
	es: '{{greeting}}\n\nGracias por su amable mensaje, nos alegra haber podido ayudarle. Si necesita algo más, responda a este correo.',
};

function round(value: number): number {
	return Math.round(value * 1000) / 1000;
}
