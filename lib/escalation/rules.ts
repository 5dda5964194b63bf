import { detectPromptInjection } from '../ai/injection';
import { senderMatches } from '../priority/rules';
import { guardChecks, readGuardFields } from '../guard';
import type { GuardFields } from '../guard';
import type { EscalationInput } from './input';
import type { SensitiveTopic } from './topics';
import {
	SENSITIVE_TOPICS,
	TOPIC_LABELS,
	detectHumanRequest,
	detectRepeatContactPhrase,
	detectSensitiveTopics,
} from './topics';

export type EscalationAction = 'auto_send' | 'human_review' | 'escalate';
type RuleAction = Exclude<EscalationAction, 'auto_send'>;

export interface EscalationConfig {
	/** Auto-send happens only when this is on AND every check passes. */
	allowAutoSend: boolean;
	/** Below this draft confidence: human review. */
	minDraftConfidence: number;
	/** Topics that escalate; the others found still go to human review. */
	escalateTopics: SensitiveTopic[];
	/** Where mail goes when the Priority Router's VIP Senders rule matched the sender. */
	vipAction: RuleAction;
	/** First response due within this many minutes (or overdue): escalate. */
	slaRiskMinutes: number;
	injectionAction: RuleAction;
	/** Classification urgency `critical` and priority `urgent` escalate. */
	escalateCritical: boolean;
	reviewCategories: string[];
	escalateCategories: string[];
	/**
	 * Support Escalation version 1 only: its own thresholds and VIP list. Version 2 has none: the
	 * Support Classifier decides "unsure", the Priority Router's rules find VIPs, repeat contacts and
	 * negative sentiment, and the Escalation acts on what they wrote.
	 */
	legacy?: LegacyRules;
}

export interface LegacyRules {
	minClassificationConfidence: number;
	negativeSentimentAt: number;
	/** Addresses (`ceo@client.com`) or domains (`client.com`, `@client.com`, `*.client.com`). */
	vipSenders: string[];
	repeatContactThreshold: number;
}

export const DEFAULT_LEGACY_RULES: LegacyRules = {
	minClassificationConfidence: 0.8,
	negativeSentimentAt: -0.6,
	vipSenders: [],
	repeatContactThreshold: 3,
};

export const DEFAULT_CONFIG: EscalationConfig = {
	allowAutoSend: false,
	minDraftConfidence: 0.8,
	escalateTopics: [...SENSITIVE_TOPICS],
	vipAction: 'human_review',
	slaRiskMinutes: 60,
	injectionAction: 'human_review',
	escalateCritical: true,
	reviewCategories: [],
	escalateCategories: [],
};

/**
 * The Escalation input plus what the guardrails read (sender name, Reply-To, recipients, the
 * parser's spoofing flags, the knowledge). Without `guard`, the guard still checks the text and
 * the draft, knowing only the sender's address.
 */
export type GuardedInput = EscalationInput & { guard?: GuardFields };

/** The input with the guard's fields read from the same item. */
export function withGuardFields(
	input: EscalationInput,
	json: Record<string, unknown>,
): GuardedInput {
	return { ...input, guard: readGuardFields(json) };
}

export interface RuleHit {
	/** Stable rule name, e.g. `sensitive-topic:legal-threat`. */
	rule: string;
	action: RuleAction;
	detail: string;
}

export interface Decision {
	action: EscalationAction;
	/** One line per rule that fired: `rule: detail`. */
	reasons: string[];
	rules: RuleHit[];
	decidedAt: string;
}

/**
 * Decides what happens to a drafted reply. Every check runs and every hit is a reason; the strongest
 * action wins (escalate > human review). Auto-send is never the default: it needs `allowAutoSend`
 * and no hit at all.
 */
export function decide(input: GuardedInput, config: EscalationConfig, now = new Date()): Decision {
	const hits: RuleHit[] = [];
	const hit = (rule: string, action: RuleAction, detail: string) =>
		hits.push({ rule, action, detail });
	const body = `${input.email.subject}\n${input.email.text}`;

	// Prompt injection: the classifier's report, the draft's flags, hidden HTML text and our own detector.
	const injection = new Set<string>(
		input.classification.injectionSignals.map((s) => `classifier:${s}`),
	);
	for (const reason of input.draft?.reasons ?? [])
		if (/inject/i.test(reason)) injection.add(`draft:${reason}`);
	const local = detectPromptInjection(body, input.email.hiddenText);
	for (const signal of local.signals) {
		const words = local.evidence?.[signal];
		injection.add(words ? `${signal} ("${words}")` : signal);
	}
	if (injection.size)
		hit('prompt-injection', config.injectionAction, [...injection].slice(0, 8).join(', '));

	// Guardrails no setting turns off: account takeover, payment redirection, executive fraud,
	// spoofed senders, and what an obedient model may have written into the reply.
	const guard: GuardFields = input.guard ?? {
		fromAddress: input.email.from,
		replyTo: [],
		to: [],
		spoofSignals: [],
		knowledgeText: '',
	};
	for (const found of guardChecks(
		{ subject: input.email.subject, text: input.email.text, hiddenText: input.email.hiddenText },
		guard,
		input.draft?.text,
	))
		hit(found.rule, found.action, found.detail);

	if (input.email.readError !== undefined)
		hit(
			'unreadable-mail',
			'human_review',
			`the message could not be read (${input.email.readError}): a person must open the original`,
		);

	if (input.email.autoSubmitted)
		hit(
			'auto-submitted',
			'human_review',
			`sent by a machine (${input.email.autoSubmittedReason ?? 'auto-submitted'}): never answered automatically`,
		);

	for (const topic of detectSensitiveTopics(`${body}\n${input.email.hiddenText ?? ''}`)) {
		hit(
			`sensitive-topic:${topic.topic}`,
			config.escalateTopics.includes(topic.topic) ? 'escalate' : 'human_review',
			`${TOPIC_LABELS[topic.topic]} ("${topic.evidence}")`,
		);
	}

	const human = detectHumanRequest(body);
	if (human) hit('human-requested', 'human_review', `the customer asks for a person ("${human}")`);

	const legacy = config.legacy;
	const fired = input.priority?.fired ?? {};
	const vipSender = legacy?.vipSenders.find((entry) => senderMatches(entry, input.email.from));
	if (input.priority?.vip)
		hit('vip', config.vipAction, `${fired.sender ?? 'VIP customer'} (Priority Router)`);
	else if (vipSender)
		hit('vip', config.vipAction, `VIP sender ${input.email.from} (matches "${vipSender}")`);
	else if (input.legacy?.vip) hit('vip', config.vipAction, 'VIP customer (support.customer.vip)');

	const phrase = detectRepeatContactPhrase(body);
	const contacts = Math.max(input.legacy?.previousContacts ?? 0, input.email.references.length);
	if (fired.repeatContact)
		hit('repeat-contact', 'human_review', `${fired.repeatContact} (Priority Router)`);
	else if (legacy && contacts >= legacy.repeatContactThreshold)
		hit(
			'repeat-contact',
			'human_review',
			`${contacts} earlier contacts (threshold ${legacy.repeatContactThreshold})`,
		);
	else if (phrase) hit('repeat-contact', 'human_review', `the customer says so ("${phrase}")`);

	const due = input.priority?.firstResponseDue;
	if (due) {
		const minutes = Math.round((due.getTime() - now.getTime()) / 60_000);
		if (minutes < 0)
			hit(
				'sla-breach',
				'escalate',
				`first response was due ${-minutes} min ago (${due.toISOString()})`,
			);
		else if (minutes <= config.slaRiskMinutes)
			hit(
				'sla-breach-risk',
				'escalate',
				`first response due in ${minutes} min (limit ${config.slaRiskMinutes} min)`,
			);
	}

	if (config.escalateCritical && input.classification.urgency === 'critical')
		hit('urgency-critical', 'escalate', 'the classifier rated the urgency critical');
	if (config.escalateCritical && input.priority?.level === 'urgent')
		hit('priority-urgent', 'escalate', 'the Priority Router rated it urgent');

	const category = input.classification.category;
	if (config.escalateCategories.includes(category))
		hit('category', 'escalate', `category "${category}" always escalates`);
	else if (config.reviewCategories.includes(category))
		hit('category', 'human_review', `category "${category}" always gets a review`);

	const { confidence, unsure, unsureBelow } = input.classification;
	if (unsure)
		hit(
			'low-classification-confidence',
			'human_review',
			`the Support Classifier is unsure: confidence ${round(confidence)}${unsureBelow === undefined ? '' : ` < its threshold ${unsureBelow}`}`,
		);
	else if (legacy && confidence < legacy.minClassificationConfidence)
		hit(
			'low-classification-confidence',
			'human_review',
			`classification confidence ${round(confidence)} < ${legacy.minClassificationConfidence}`,
		);

	const score = input.classification.sentimentScore;
	if (fired.sentiment)
		hit('negative-sentiment', 'human_review', `${fired.sentiment} (Priority Router)`);
	else if (legacy && score !== undefined && score <= legacy.negativeSentimentAt)
		hit(
			'negative-sentiment',
			'human_review',
			`sentiment ${round(score)} <= ${legacy.negativeSentimentAt}`,
		);

	if (!input.draft) hit('no-draft', 'human_review', 'there is no support.draft to send');
	else {
		if (!input.draft.text.trim()) hit('empty-draft', 'human_review', 'the draft is empty');
		if (input.draft.needsReview)
			hit(
				'draft-needs-review',
				'human_review',
				input.draft.reasons.length
					? input.draft.reasons.join('; ')
					: 'the drafter asked for a review',
			);
		if (input.draft.confidence === undefined)
			hit('low-draft-confidence', 'human_review', 'the draft has no confidence');
		else if (input.draft.confidence < config.minDraftConfidence)
			hit(
				'low-draft-confidence',
				'human_review',
				`draft confidence ${round(input.draft.confidence)} < ${config.minDraftConfidence}`,
			);
	}

	if (!config.allowAutoSend && hits.length === 0)
		hit('auto-send-off', 'human_review', '"Allow Auto Send" is off: every reply is reviewed');

	const action: EscalationAction = hits.some((h) => h.action === 'escalate')
		? 'escalate'
		: hits.length
			? 'human_review'
			: 'auto_send';
	const reasons = hits.length
		? hits.map((h) => `${h.rule}: ${h.detail}`)
		: ['all-checks-passed: every rule passed and "Allow Auto Send" is on'];
	return { action, reasons, rules: hits, decidedAt: now.toISOString() };
}

function round(value: number): number {
	return Math.round(value * 100) / 100;
}

/** A comma / newline separated list as trimmed entries. */
export function parseList(value: string | undefined): string[] {
	return (value ?? '')
		.split(/[,;\n]/)
		.map((v) => v.trim())
		.filter(Boolean);
}
