import type { INode, INodeExecutionData } from 'n8n-workflow';
import type {
	Decision,
	EscalationConfig,
	PendingReview,
	SensitiveTopic,
} from '../../lib/escalation';
import {
	DEFAULT_CONFIG,
	DEFAULT_LEGACY_RULES,
	decide,
	parseList,
	readEscalationInput,
	withGuardFields,
} from '../../lib/escalation';
import { withAnswerRule } from '../../lib/escalation/answer-rule';
import { readSupport, withSupport } from '../../lib/contract';
import type { SupportFields } from '../../lib/contract';
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

/**
 * The node's settings as the rules' config (read once per run: execute and resume read the same).
 * Version 1 kept its own classification threshold, sentiment threshold, repeat-contact threshold and
 * VIP list; version 2 acts on what the Classifier and the Priority Router wrote.
 */
export function readConfig(
	get: GetParameter,
	version = 2,
): { config: EscalationConfig; requireDraft: boolean } {
	const rules = (get('rules', {}) ?? {}) as RuleParameters;
	return {
		requireDraft: get('requireDraft', true) !== false,
		config: {
			allowAutoSend: get('allowAutoSend', false) === true,
			minDraftConfidence: rules.minDraftConfidence ?? DEFAULT_CONFIG.minDraftConfidence,
			escalateTopics: rules.escalateTopics ?? DEFAULT_CONFIG.escalateTopics,
			vipAction: rules.vipAction ?? DEFAULT_CONFIG.vipAction,
			slaRiskMinutes: rules.slaRiskMinutes ?? DEFAULT_CONFIG.slaRiskMinutes,
			injectionAction: rules.injectionAction ?? DEFAULT_CONFIG.injectionAction,
			escalateCritical: rules.escalateCritical ?? DEFAULT_CONFIG.escalateCritical,
			reviewCategories: parseList(rules.reviewCategories),
			escalateCategories: parseList(rules.escalateCategories),
			...(version < 2
				? {
						legacy: {
							minClassificationConfidence:
								rules.minClassificationConfidence ??
								DEFAULT_LEGACY_RULES.minClassificationConfidence,
							negativeSentimentAt:
								rules.negativeSentimentAt ?? DEFAULT_LEGACY_RULES.negativeSentimentAt,
							vipSenders: parseList(rules.vipSenders),
							repeatContactThreshold:
								rules.repeatContactThreshold ?? DEFAULT_LEGACY_RULES.repeatContactThreshold,
						},
					}
				: {}),
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
	const version = node.typeVersion;
	const { config, requireDraft } = readConfig(get, version);
	const decided: Decided = { items: [], pending: [] };
	for (const [itemIndex, item] of items.entries()) {
		let decision: Decision;
		try {
			decision = withAnswerRule(
				decide(
					withGuardFields(readEscalationInput(item.json, requireDraft, version), item.json),
					config,
					now,
				),
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
		decided.items.push({
			item: {
				json: withSupport(item.json, {
					decision: {
						action: decision.action,
						reasons: decision.reasons,
						rules: decision.rules,
						decidedAt: decision.decidedAt,
					},
				}),
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
	const support = readSupport(item.json, {
		required: ['email', 'decision'],
		optional: ['draft', 'classification', 'priority', 'answer'],
		needs: { email: [], decision: [], draft: [], classification: [], priority: [], answer: [] },
	});
	const { email, draft, decision } = support;
	const from = email.from;
	return {
		index,
		from: from ? `${from.name ? `${from.name} ` : ''}<${from.address ?? ''}>` : '',
		subject: email.subject ?? '',
		customerText: email.text || email.fullText || '',
		draftText: draft?.text ?? '',
		reasons: (decision.reasons ?? []).map(String),
		details: reviewDetails(support),
	};
}

/** Category, priority and the cited knowledge, for the reviewer. */
function reviewDetails({
	classification,
	priority,
	draft,
	answer,
}: Pick<Partial<SupportFields>, 'classification' | 'priority' | 'draft' | 'answer'>): string[] {
	const lines: string[] = [];
	if (classification?.category) lines.push(`Category: ${classification.category}`);
	if (priority?.level) lines.push(`Priority: ${priority.level}`);
	for (const c of draft?.citations ?? answer?.citations ?? [])
		lines.push(`Cited: ${c.title ?? c.id}${c.url ? ` (${c.url})` : ''}`);
	if (typeof answer?.confidence === 'number')
		lines.push(`Answer confidence: ${Math.round(answer.confidence * 100)}%`);
	return lines;
}
