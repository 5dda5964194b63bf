import { InputError } from '../errors';
import { detectPromptInjection, providerList, runOnEmail } from '../ai';
import type { AttemptRecord, ProviderEntry, ResilienceOptions, Usage } from '../ai';
import { detectLanguage } from '../offline-model';
import type { KnowledgeSnippet } from './knowledge';
import { draftSchema, fenceKnowledge, systemPrompt, userPrompt } from './prompt';
import type { DraftAnswer, Tone } from './prompt';
import { orderReasons, touchesPolicy } from './review';
import type { ReviewReason } from './review';
import { replySubject, signatureFor, textToHtml, withSignature } from './format';
import { chooseTemplate, fillPlaceholders, greeting } from './templates';
import type { SupportAnswer } from '../knowledge/search';
import {
	DEFAULT_AUTO_ANSWER_THRESHOLD,
	OFFLINE_ANSWER_MODEL,
	offlineDraft,
} from './offline-answer';
import { unsupportedClaims } from './grounding';
import type { CustomTemplate, PlaceholderValues } from './templates';

export * from './knowledge';
export * from './prompt';
export * from './review';
export * from './format';
export * from './templates';
export * from './answer';
export * from './offline-answer';
export * from './grounding';

export interface DraftConfig {
	/**
	 * The providers in order: AI services and `offline` (an answer from the knowledge, else a template
	 * reply) wherever it stands; the entries after it are asked only when its reply needs review.
	 */
	providers: ProviderEntry[];
	/** The built-in reply last, when `providers` does not list it. */
	templateFallback: boolean;
	/** `customer`: the classification's (or the email's, or detected) language; else an ISO 639-1 code. */
	language: 'customer' | string;
	tone: Tone;
	companyName?: string;
	agentName?: string;
	/** The node's own signature (placeholders allowed); empty: agent and company name. */
	signature?: string;
	policies: string[];
	templates: CustomTemplate[];
	/** Extra instructions for the model (the grounding rules and the data fence always apply). */
	instructions?: string;
	/** A draft below this confidence needs review. */
	reviewThreshold: number;
	/**
	 * Support Reply Drafter version 1 only: its own classification threshold. From version 2 a draft
	 * needs review when the Support Classifier marked the classification unsure, and nothing else.
	 */
	minClassificationConfidence?: number;
	maxInputChars: number;
	maxKnowledgeChars: number;
	redactPersonalData: boolean;
	resilience?: Partial<ResilienceOptions>;
	maxOutputTokens?: number;
	/** Offline: answer from the knowledge (and thank thank-you mail) before a template (default true). */
	answerFromKnowledge?: boolean;
	/** An offline answer below this calibrated confidence needs review (default: the measured threshold). */
	autoAnswerThreshold?: number;
}

/** What the drafter reads: support.email and support.classification (DESIGN.md section 2). */
export interface DraftInput {
	email: {
		subject: string;
		text: string;
		from?: { name?: string; address?: string };
		messageId?: string;
		language?: string;
		hiddenText?: string;
		autoSubmitted?: boolean;
	};
	classification: {
		category: string;
		language?: string;
		confidence?: number;
		unsure?: boolean;
		entities?: Record<string, unknown>;
		promptInjection?: { suspected?: boolean; signals?: string[] };
	};
	knowledge: KnowledgeSnippet[];
	/** `support.answer` from the Support Knowledge node, when it ran. */
	answer?: SupportAnswer;
}

export interface Citation {
	id: string;
	title?: string;
	url?: string;
}

/** `support.draft`. */
export interface Draft {
	subject: string;
	text: string;
	html: string;
	language: string;
	confidence: number;
	needsReview: boolean;
	reasons: ReviewReason[];
	/** AI provider kind, or `template`. */
	provider: string;
	model: string;
	usage: Usage;
	latencyMs: number;
	/** The snippets the reply relies on (AI replies). */
	citations: Citation[];
	/** Whether the supplied knowledge answered the question (false for template replies). */
	knowledgeAnswered: boolean;
	inReplyTo?: string;
	/** Injection signals seen by the classifier, the local check and the drafting model. */
	injectionSignals?: string[];
	/** Policy words the email touched. */
	policyKeywords?: string[];
	/** Why the answer did not come from the first provider (each attempt, in order). */
	attempts?: AttemptRecord[];
	truncated?: boolean;
	/** Facts in an AI reply that neither the knowledge nor the email states (grounding check). */
	unsupportedClaims?: string[];
	/** With `support.answer` on the item: the answer confidence needed to send without review. */
	autoAnswerThreshold?: number;
}

export const TEMPLATE_MODEL = 'built-in-templates';

/**
 * Drafts one reply: through the provider chain, with a template reply (marked for review) as the last
 * resort. When the item carries `support.answer`, the draft records the auto-answer threshold it was
 * judged against, so Support Escalation's answer-confidence rule applies the same one.
 */
export async function draftReply(input: DraftInput, config: DraftConfig): Promise<Draft> {
	const draft = await composeDraft(input, config);
	if (input.answer)
		draft.autoAnswerThreshold = config.autoAnswerThreshold ?? DEFAULT_AUTO_ANSWER_THRESHOLD;
	return draft;
}

async function composeDraft(input: DraftInput, config: DraftConfig): Promise<Draft> {
	const started = performance.now();
	const { email, classification } = input;
	const language = replyLanguage(input, config.language);
	const customerName = customerNameOf(input);
	const values: PlaceholderValues = {
		customerName,
		firstName: customerName?.split(/\s+/)[0],
		companyName: config.companyName?.trim() || undefined,
		agentName: config.agentName?.trim() || undefined,
		orderId: stringOrUndefined(classification.entities?.orderId),
		subject: email.subject,
		category: classification.category,
	};

	const reasons = new Set<ReviewReason>();
	const injectionSignals = new Set<string>();
	const local = detectPromptInjection(`${email.subject}\n${email.text}`, email.hiddenText);
	for (const signal of local.signals) injectionSignals.add(signal);
	if (classification.promptInjection?.suspected) {
		for (const signal of classification.promptInjection.signals ?? ['classifier'])
			injectionSignals.add(signal);
		injectionSignals.add('classifier-flagged');
	}
	const confidence = classification.confidence;
	if (
		classification.unsure === true ||
		(typeof confidence === 'number' &&
			config.minClassificationConfidence !== undefined &&
			confidence < config.minClassificationConfidence)
	)
		reasons.add('low_classification_confidence');
	const policy = touchesPolicy(
		config.policies,
		`${email.subject}\n${email.text}`,
		classification.category,
	);
	if (policy.touched) reasons.add('policy_topic');
	if (input.knowledge.length === 0) reasons.add('no_knowledge');
	if (email.autoSubmitted) reasons.add('auto_submitted');

	const from = email.from
		? `${email.from.name ?? ''} <${email.from.address ?? ''}>`.trim()
		: undefined;
	const knowledge = fenceKnowledge(input.knowledge, config.maxKnowledgeChars);
	const ids = input.knowledge.map((s) => s.id);
	const run = await runOnEmail<DraftAnswer, Draft>(
		{ from, subject: email.subject, text: email.text, hiddenText: email.hiddenText },
		{
			providers: providerList(config.providers, config.templateFallback),
			maxInputChars: config.maxInputChars,
			redactPersonalData: config.redactPersonalData,
			resilience: config.resilience,
		},
		{
			request: (fencedEmail) => ({
				system: systemPrompt({
					language,
					tone: config.tone,
					companyName: config.companyName,
					agentName: config.agentName,
					policies: config.policies,
					instructions: config.instructions,
				}),
				user: userPrompt({
					customerName: config.redactPersonalData ? undefined : customerName,
					category: classification.category,
					knowledgeBlock: knowledge.block,
					emailBlock: fencedEmail,
				}),
				schema: draftSchema(ids),
				schemaName: 'support_reply_draft',
				maxOutputTokens: config.maxOutputTokens ?? 1000,
			}),
			validate: (value) => {
				const used = (value as DraftAnswer).usedSnippets ?? [];
				const unknown = used.filter((id) => !ids.includes(id));
				return unknown.length
					? `usedSnippets names snippets that do not exist: ${unknown.join(', ')} (known: ${ids.join(', ') || 'none'})`
					: undefined;
			},
			// Its own copies: the review reasons and placeholders found so far also serve an AI reply
			// asked after it (when the built-in reply needs review and the list goes on).
			offline: () =>
				builtInReply(input, config, { ...values }, language, new Set(reasons), {
					started,
					injectionSignals,
					policy,
				}),
			offlineSettles: (draft) => !draft.needsReview,
			describeOffline: (draft) => ({
				provider: draft.model === OFFLINE_ANSWER_MODEL ? OFFLINE_ANSWER_LABEL : TEMPLATE_LABEL,
				model: draft.model,
			}),
			noProviders: () =>
				new InputError(
					'No provider is selected and template replies are switched off',
					'Select at least one provider, or turn "Offline Fallback" on.',
				),
		},
	);

	if (run.source === 'offline') {
		const draft = run.answer;
		if (run.failed)
			draft.attempts =
				draft.model === OFFLINE_ANSWER_MODEL
					? run.failed
					: [
							...run.failed,
							{
								provider: TEMPLATE_LABEL,
								model: draft.model,
								outcome: 'ok',
								latencyMs: draft.latencyMs,
								retries: 0,
							},
						];
		return draft;
	}

	const { answer, result } = run;
	const used = [...new Set(answer.usedSnippets)];
	if (answer.promptInjection) injectionSignals.add('model-flagged');
	if (answer.policyTopic) reasons.add('policy_topic');
	if (input.knowledge.length > 0) {
		if (!answer.knowledgeAnswers) reasons.add('knowledge_insufficient');
		if (used.length === 0) reasons.add('no_citations');
	}
	// Every checkable fact in the reply must come from the snippets or the customer's email.
	const unsupported =
		input.knowledge.length === 0
			? []
			: unsupportedClaims(answer.reply, [
					...input.knowledge.map((s) => `${s.title ?? ''}\n${s.text}\n${s.url ?? ''}`),
					`${email.subject}\n${email.text}`,
					config.signature ?? '',
					config.companyName ?? '',
				]);
	if (unsupported.length) reasons.add('unsupported_claim');
	let draftConfidence = clamp(answer.confidence);
	// A reply no knowledge supports is a guess, however sure the model says it is.
	if (
		reasons.has('no_knowledge') ||
		reasons.has('knowledge_insufficient') ||
		reasons.has('no_citations') ||
		reasons.has('unsupported_claim')
	)
		draftConfidence = Math.min(draftConfidence, 0.5);
	if (draftConfidence < config.reviewThreshold) reasons.add('low_confidence');
	if (injectionSignals.size) reasons.add('injection_suspected');
	const text = withSignature(
		answer.reply,
		signatureFor(language, config.signature, values, false),
		true,
	);
	const ordered = orderReasons(reasons);
	const draft: Draft = {
		subject: replySubject(email.subject),
		text,
		html: textToHtml(text),
		language,
		confidence: round(draftConfidence),
		needsReview: ordered.length > 0,
		reasons: ordered,
		provider: result.provider.kind,
		model: result.model,
		usage: result.usage,
		latencyMs: result.latencyMs,
		citations: used.map((id) => citation(input.knowledge, id)),
		knowledgeAnswered: input.knowledge.length > 0 && answer.knowledgeAnswers,
	};
	if (email.messageId) draft.inReplyTo = email.messageId;
	if (injectionSignals.size) draft.injectionSignals = [...injectionSignals];
	if (policy.touched) draft.policyKeywords = policy.keywords;
	if (run.attempts) draft.attempts = run.attempts;
	if (run.truncated || knowledge.truncated) draft.truncated = true;
	if (unsupported.length) draft.unsupportedClaims = unsupported;
	return draft;
}

/** The attempt-log lines of the built-in replies. */
const TEMPLATE_LABEL = 'Template reply';
const OFFLINE_ANSWER_LABEL = 'Offline answer';

/**
 * The drafter's built-in reply (no network): an answer from the knowledge (or a thank-you), else the
 * template of the category, marked for review.
 */
function builtInReply(
	input: DraftInput,
	config: DraftConfig,
	values: PlaceholderValues,
	language: string,
	reasons: Set<ReviewReason>,
	found: {
		started: number;
		injectionSignals: Set<string>;
		policy: ReturnType<typeof touchesPolicy>;
	},
): Draft {
	const { email, classification } = input;
	const { injectionSignals, policy } = found;
	const fromKnowledge = offlineDraft(input, config, values, language, reasons, found.started);
	if (fromKnowledge) {
		if (injectionSignals.size) {
			fromKnowledge.injectionSignals = [...injectionSignals];
			fromKnowledge.reasons = orderReasons([...fromKnowledge.reasons, 'injection_suspected']);
			fromKnowledge.needsReview = true;
		}
		if (policy.touched) fromKnowledge.policyKeywords = policy.keywords;
		return fromKnowledge;
	}
	// A category the classifier is not sure of would put the wrong topic in the customer's mouth:
	// the general template (or the node's `*` one) answers instead.
	const template = chooseTemplate(
		reasons.has('low_classification_confidence') ? '*' : classification.category,
		language,
		config.templates,
	);
	const templateLanguage = template.language;
	values.greeting = greeting(templateLanguage, config.tone, values.customerName, values.firstName);
	const body = fillPlaceholders(template.text, values);
	const text = withSignature(body, signatureFor(templateLanguage, config.signature, values, true));
	reasons.add('template_reply');
	if (template.languageFallback) reasons.add('language_fallback');
	if (injectionSignals.size) reasons.add('injection_suspected');
	const templateConfidence = template.generic ? 0.1 : 0.2;
	if (templateConfidence < config.reviewThreshold) reasons.add('low_confidence');
	const draft: Draft = {
		subject: replySubject(email.subject),
		text,
		html: textToHtml(text),
		language: templateLanguage,
		confidence: templateConfidence,
		needsReview: true,
		reasons: orderReasons(reasons),
		provider: 'template',
		model: template.source === 'node' ? 'node-templates' : TEMPLATE_MODEL,
		usage: { inputTokens: 0, outputTokens: 0 },
		latencyMs: round(performance.now() - found.started),
		citations: [],
		knowledgeAnswered: false,
	};
	if (email.messageId) draft.inReplyTo = email.messageId;
	if (injectionSignals.size) draft.injectionSignals = [...injectionSignals];
	if (policy.touched) draft.policyKeywords = policy.keywords;
	return draft;
}

/** The reply language: fixed on the node, or the customer's (classification, email, detected). */
export function replyLanguage(input: DraftInput, setting: string): string {
	if (setting && setting !== 'customer') return setting.toLowerCase();
	const candidates = [input.classification.language, input.email.language];
	for (const candidate of candidates) {
		if (typeof candidate === 'string' && /^[a-z]{2}$/i.test(candidate.trim()))
			return candidate.trim().toLowerCase();
	}
	return detectLanguage(`${input.email.subject}\n${input.email.text}`).language;
}

function customerNameOf(input: DraftInput): string | undefined {
	const fromName = input.email.from?.name?.trim();
	if (fromName && !/@/.test(fromName) && !/^(no-?reply|mailer-daemon)/i.test(fromName))
		return fromName.replace(/^"|"$/g, '');
	return stringOrUndefined(input.classification.entities?.customerName);
}

function citation(knowledge: KnowledgeSnippet[], id: string): Citation {
	const snippet = knowledge.find((s) => s.id === id);
	return {
		id,
		...(snippet?.title ? { title: snippet.title } : {}),
		...(snippet?.url ? { url: snippet.url } : {}),
	};
}

function stringOrUndefined(value: unknown): string | undefined {
	return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function clamp(value: number): number {
	return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

function round(value: number): number {
	return Math.round(value * 1000) / 1000;
}
