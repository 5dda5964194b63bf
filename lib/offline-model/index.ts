export {
	OfflineClassifier,
	trainClassifier,
	MODEL_FORMAT,
	MODEL_FORMAT_VERSION,
	type LabelScore,
	type Prediction,
	type PredictOptions,
	type SerializedModel,
	type TrainClassifierOptions,
	type TrainingExample,
	type TrainingSummary,
} from './classifier';
export { calibrationReport, fitTemperature, type CalibrationReport } from './calibration';
export {
	classificationText,
	classifyOffline,
	type ClassifyOfflineOptions,
	type OfflineClassification,
} from './classify';
export { parseCsv, parseCsvRecords } from './csv';
export { getDefaultClassifier } from './default-model';
export { extractEntities, type Amount, type DateMention, type Entities } from './entities';
export { detectLanguage, type LanguageOptions, type LanguageResult } from './language';
export { analyzeSentiment, type SentimentLabel, type SentimentResult } from './sentiment';
export { summarize, type SummaryOptions } from './summary';
export { detectUrgency, type UrgencyLevel, type UrgencyResult } from './urgency';
export { DEFAULT_FEATURE_OPTIONS, type FeatureOptions } from './text-features';
export {
	clearClassifierCache,
	getOrTrainClassifier,
	getOrTrainClassifierWithSentences,
	trainingKey,
} from './model-cache';
export {
	encodeSentences,
	SENTENCE_ENCODER_ID,
	SENTENCE_ENCODER_MAX_CHARS,
} from './sentence-encoder';
