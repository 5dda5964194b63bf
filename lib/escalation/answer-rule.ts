/**
 * Auto-answers from knowledge: a reply whose item carries `support.answer` (the Support Knowledge
 * node's calibrated confidence that the knowledge answers this email) is auto-sent only at or above
 * the measured auto-answer threshold (wrong auto-answers at most 2%, `npm run eval:answers`).
 * Self-contained so the rule list in rules.ts stays as it is: the node applies it after `decide`.
 */
import { DEFAULT_CALIBRATION } from '../knowledge/calibration';
import type { Decision } from './rules';

export const AUTO_ANSWER_THRESHOLD = DEFAULT_CALIBRATION.autoAnswerThreshold;

/** The decision with the answer-confidence rule applied (an auto-send below the threshold goes to review). */
export function withAnswerRule(
	decision: Decision,
	json: Record<string, unknown>,
	threshold: number = AUTO_ANSWER_THRESHOLD,
): Decision {
	const support = json.support as Record<string, unknown> | undefined;
	const answer = support?.answer as Record<string, unknown> | undefined;
	if (!answer || typeof answer !== 'object' || decision.action !== 'auto_send') return decision;
	const draft = support?.draft as Record<string, unknown> | undefined;
	// A thank-you needs no knowledge: the answer rule is about answers that rest on it.
	if (draft && draft.knowledgeAnswered === false && draft.provider === 'template') return decision;
	// The threshold the Reply Drafter judged the answer against (its Auto-Answer Threshold option).
	if (
		threshold === AUTO_ANSWER_THRESHOLD &&
		typeof draft?.autoAnswerThreshold === 'number' &&
		draft.autoAnswerThreshold >= 0 &&
		draft.autoAnswerThreshold <= 1
	)
		threshold = draft.autoAnswerThreshold;
	const confidence = typeof answer.confidence === 'number' ? answer.confidence : 0;
	if (answer.abstained !== true && confidence >= threshold) return decision;
	const detail =
		answer.abstained === true
			? 'the knowledge step abstained: no article or past reply answers this email well enough'
			: `answer confidence ${Math.round(confidence * 1000) / 1000} < auto-answer threshold ${threshold}`;
	const hit = { rule: 'answer-confidence', action: 'human_review' as const, detail };
	return {
		...decision,
		action: 'human_review',
		rules: [...decision.rules, hit],
		reasons: [`${hit.rule}: ${hit.detail}`],
	};
}
