import type { IDataObject, INode, INodeExecutionData } from 'n8n-workflow';
import type {
	Decision,
	EscalationConfig,
	PendingReview,
	SensitiveTopic,
} from '../../lib/escalation';
import { DEFAULT_CONFIG, decide, parseList, readEscalationInput } from '../../lib/escalation';
import { withAnswerRule } from '../../lib/escalation/answer-rule';
import { continueOnFailItem, toNodeError } from '../shared/errors';

export const OUTPUT_NAMES = ['Auto Send', 'Human Review', 'Escalate'] as const;
export const OUTPUT_INDEX = { auto_send: 0, human_review: 1, escalate: 2 } as const;

type GetParameter = (name: string, fallback: unknown) => unknown;

interface RuleParameters {
	escalateCategories?: string;
	reviewCategories?: string;
	escalateCritical?: boolean;
	escalateTopics?: SensitiveTopic[];
	minClassificationConfidence?: number;
	minDraftConfidence?: number;
	negativeSentimentAt?: number;
	injectionAction?: EscalationConfig['injectionAction'];
	repeatContactThreshold?: number;
	slaRiskMinutes?: number;
	vipAction?: EscalationConfig['vipAction'];
	vipSenders?: string;
}

/** The node's settings as the rules' config (read once per run: execute and resume read the same). */
export function readConfig(get: GetParameter): { config: EscalationConfig; requireDraft: boolean } {
	const rules = (get('rules', {}) ?? {}) as RuleParameters;
	return {
		requireDraft: get('requireDraft', true) !== false,
		config: {
			allowAutoSend: get('allowAutoSend', false) === true,
			minClassificationConfidence:
				rules.minClassificationConfidence ?? DEFAULT_CONFIG.minClassificationConfidence,
			minDraftConfidence: rules.minDraftConfidence ?? DEFAULT_CONFIG.minDraftConfidence,
			negativeSentimentAt: rules.negativeSentimentAt ?? DEFAULT_CONFIG.negativeSentimentAt,
			escalateTopics: rules.escalateTopics ?? DEFAULT_CONFIG.escalateTopics,
			vipSenders: parseList(rules.vipSenders),
			vipAction: rules.vipAction ?? DEFAULT_CONFIG.vipAction,
			repeatContactThreshold: rules.repeatContactThreshold ?? DEFAULT_CONFIG.repeatContactThreshold,
			slaRiskMinutes: rules.slaRiskMinutes ?? DEFAULT_CONFIG.slaRiskMinutes,
			injectionAction: rules.injectionAction ?? DEFAULT_CONFIG.injectionAction,
			escalateCritical: rules.escalateCritical ?? DEFAULT_CONFIG.escalateCritical,
			reviewCategories: parseList(rules.reviewCategories),
			escalateCategories: parseList(rules.escalateCategories),
		},
	};
}

export interface Decided {
	/** Per input item: the output item and the output it goes to. */
	items: Array<{ item: INodeExecutionData; output: number; decision?: Decision }>;
	/** Input indexes whose reply waits for a person (action human_review). */
	pending: number[];
}

/**
 * Decides every item. A bad item throws (with its index), or with "Continue on Fail" goes to Human
 * Review carrying `error`: a person should look at what the node could not read.
 */
export function decideAll(
	node: INode,
	items: INodeExecutionData[],
	get: GetParameter,
	now: Date,
	continueOnFail: boolean,
): Decided {
	const { config, requireDraft } = readConfig(get);
	const decided: Decided = { items: [], pending: [] };
	for (const [itemIndex, item] of items.entries()) {
		let decision: Decision;
		try {
			decision = withAnswerRule(
				decide(readEscalationInput(item.json, requireDraft), config, now),
				item.json,
			);
		} catch (error) {
			const nodeError = toNodeError(node, error, itemIndex);
			if (!continueOnFail) throw nodeError;
			decided.items.push({
				item: continueOnFailItem(item, itemIndex, nodeError),
				output: OUTPUT_INDEX.human_review,
			});
			continue;
		}
		const support = (item.json.support ?? {}) as IDataObject;
		decided.items.push({
			item: {
				json: {
					...item.json,
					support: {
						...support,
						decision: {
							action: decision.action,
							reasons: decision.reasons,
							rules: decision.rules,
							decidedAt: decision.decidedAt,
						} as unknown as IDataObject,
					},
				},
				binary: item.binary,
				pairedItem: { item: itemIndex },
			},
			output: OUTPUT_INDEX[decision.action],
			decision,
		});
		if (decision.action === 'human_review') decided.pending.push(itemIndex);
	}
	return decided;
}

export function toOutputs(entries: Array<{ item: INodeExecutionData; output: number }>) {
	const outputs: INodeExecutionData[][] = [[], [], []];
	for (const entry of entries) outputs[entry.output].push(entry.item);
	return outputs;
}

/** What a reviewer sees of one item. */
export function pendingReview(index: number, item: INodeExecutionData): PendingReview {
	const support = (item.json.support ?? {}) as IDataObject;
	const email = (support.email ?? {}) as IDataObject;
	const from = email.from as { name?: string; address?: string } | undefined;
	const draft = (support.draft ?? {}) as IDataObject;
	const decision = (support.decision ?? {}) as IDataObject;
	return {
		index,
		from: from ? `${from.name ? `${from.name} ` : ''}<${from.address ?? ''}>` : '',
		subject: String(email.subject ?? ''),
		customerText: String(email.text ?? email.fullText ?? ''),
		draftText: String(draft.text ?? ''),
		reasons: Array.isArray(decision.reasons) ? decision.reasons.map(String) : [],
		details: reviewDetails(support),
	};
}

/** Category, priority and the cited knowledge, for the reviewer. */
function reviewDetails(support: IDataObject): string[] {
	const classification = (support.classification ?? {}) as IDataObject;
	const priority = (support.priority ?? {}) as IDataObject;
	const draft = (support.draft ?? {}) as IDataObject;
	const answer = (support.answer ?? {}) as IDataObject;
	const lines: string[] = [];
	if (classification.category) lines.push(`Category: ${String(classification.category)}`);
	if (priority.level) lines.push(`Priority: ${String(priority.level)}`);
	const citations = (Array.isArray(draft.citations) ? draft.citations : []) as IDataObject[];
	for (const c of citations)
		lines.push(`Cited: ${String(c.title ?? c.id)}${c.url ? ` (${String(c.url)})` : ''}`);
	if (typeof answer.confidence === 'number')
		lines.push(`Answer confidence: ${Math.round(answer.confidence * 100)}%`);
	return lines;
}
