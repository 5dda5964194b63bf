import type { LabelScore, OfflineClassifier } from './classifier';
import { getDefaultClassifier } from './default-model';
import { type Entities, extractEntities } from './entities';
import { detectLanguage } from './language';
import { analyzeSentiment, type SentimentLabel } from './sentiment';
import { summarize } from './summary';
import { detectUrgency, type UrgencyLevel } from './urgency';

export interface ClassifyOfflineOptions {
	/** A model from trainClassifier / OfflineClassifier.fromJSON; default: the built-in one. */
	model?: OfflineClassifier;
	/** Prepended to the text for classification; also the summary when the body has none. */
	subject?: string;
	/** Confidence under which `unsure` is true (default: the model's, 0.7 for the built-in one). */
	unsureThreshold?: number;
	/** Restrict language detection to these ISO 639-1 codes. */
	languages?: string[];
	/** Language reported when detection has too little to go on (default 'en'). */
	defaultLanguage?: string;
	/** Longest summary in characters (default 200). */
	summaryMaxLength?: number;
	/**
	 * The sentence vector of `classificationText(text, subject)`, for a model that mixes in the
	 * sentence encoder (`model.sentenceHead`); without it that model uses its word model alone.
	 */
	sentenceVector?: Float32Array;
}

/** The text the model classifies: the subject, when there is one, then the body. */
export function classificationText(text: string, subject?: string): string {
	const body = typeof text === 'string' ? text : '';
	const trimmed = subject?.trim();
	return trimmed ? `${trimmed}\n${body}` : body;
}

export interface OfflineClassification {
	category: string;
	intent?: string;
	/** Calibrated probability that `category` is right. */
	confidence: number;
	intentConfidence?: number;
	/** confidence < threshold: a human should look. */
	unsure: boolean;
	unsureThreshold: number;
	/** Probability that the mail is outside the model's categories (models with an out-of-scope label). */
	outOfScope?: number;
	alternatives: LabelScore[];
	sentiment: { label: SentimentLabel; score: number };
	urgency: UrgencyLevel;
	urgencySignals: string[];
	language: string;
	languageConfidence: number;
	entities: Entities;
	summary: string;
	/** Identifies the model, e.g. "offline/bitext-customer-support" or "offline/custom". */
	model: string;
}

/** Everything the Support Classifier needs, without network or API key. */
export function classifyOffline(
	text: string,
	options: ClassifyOfflineOptions = {},
): OfflineClassification {
	const body = typeof text === 'string' ? text : '';
	const subject = options.subject?.trim();
	const full = classificationText(body, subject);
	const model = options.model ?? getDefaultClassifier();
	const threshold = options.unsureThreshold ?? model.unsureThreshold;
	const prediction = model.predict(full, {
		unsureThreshold: threshold,
		sentenceVector: options.sentenceVector,
	});
	const language = detectLanguage(full, {
		only: options.languages,
		fallback: options.defaultLanguage,
	});
	const sentiment = analyzeSentiment(full, language.language);
	const urgency = detectUrgency(full);
	const result: OfflineClassification = {
		category: prediction.label,
		confidence: round(prediction.confidence),
		unsure: prediction.unsure,
		unsureThreshold: threshold,
		alternatives: prediction.alternatives.map((alternative) => ({
			label: alternative.label,
			confidence: round(alternative.confidence),
		})),
		sentiment: { label: sentiment.label, score: sentiment.score },
		urgency: urgency.level,
		urgencySignals: urgency.signals,
		language: language.language,
		languageConfidence: language.confidence,
		entities: extractEntities(full),
		summary: summarize(body, { subject, maxLength: options.summaryMaxLength }),
		model: typeof model.metadata.name === 'string' ? model.metadata.name : 'offline/custom',
	};
	if (prediction.outOfScope !== undefined) result.outOfScope = round(prediction.outOfScope);
	if (prediction.intent !== undefined) {
		result.intent = prediction.intent;
		result.intentConfidence = round(prediction.intentConfidence ?? 0);
	}
	return result;
}

function round(value: number): number {
	return Math.round(value * 10000) / 10000;
}
