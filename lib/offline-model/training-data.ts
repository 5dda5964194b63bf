import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

import {
	OfflineClassifier,
	type SerializedModel,
	trainClassifier,
	type TrainClassifierOptions,
	type TrainingExample,
	type TrainingSummary,
} from './classifier';
import { parseCsvRecords } from './csv';

/**
 * The data the built-in model learns from, as shipped in the repository's data/ folder, and the
 * options the training script uses (the evaluation script reuses them, so what it measures is
 * what ships).
 */

export const BITEXT_CSV = path.join(
	'data',
	'bitext-customer-support',
	'Bitext_Sample_Customer_Support_Training_Dataset.csv',
);
export const BANKING77_CSV = path.join('data', 'banking77', 'train.csv');
export const OUT_OF_TAXONOMY_TXT = path.join('data', 'out-of-taxonomy.txt');
/** Hand-written multilingual training examples (one `label<TAB>text` a line, per language). */
export const SUPPORT_MAIL_TRAIN_DIR = path.join('data', 'support-mail-train');
/** The held-out evaluation mail: read by the evaluation only, never by training. */
export const SUPPORT_MAIL_EVAL_DIR = path.join('data', 'support-mail-eval');
export const SUPPORT_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'nl', 'pt'] as const;
/** The label of "mail a shop's support inbox gets that fits no category" in the training data. */
export const OUT_OF_SCOPE_LABEL = '_other';

export const DEFAULT_MODEL_NAME = 'offline/support-mail';
/** How many n-grams the shipped model keeps (by largest weight). */
export const DEFAULT_MODEL_MAX_FEATURES = 40000;
/**
 * The built-in model's unsure threshold: the one default for it (models learned on the spot from
 * a team's own taxonomy use the library's 0.5). Chosen by cross-validation on the training data
 * (scripts/tune-offline-model.ts), not on the held-out mail.
 */
export const DEFAULT_MODEL_THRESHOLD = 0.5;
export const DEFAULT_MODEL_TRAINING: TrainClassifierOptions = {
	seed: 7,
	unsureThreshold: DEFAULT_MODEL_THRESHOLD,
	outOfScopeLabel: OUT_OF_SCOPE_LABEL,
	// Pinned here, not taken from the library's defaults (which are tuned for a team's own examples,
	// e.g. BANKING77), so a change of those defaults does not silently change the shipped model.
	features: {
		wordNgramMax: 2,
		charNgramMin: 3,
		charNgramMax: 5,
		wordWeight: 1,
		charWeight: 2,
		maxInputChars: 4000,
		unknownInNorm: false,
	},
	softmax: {
		epochs: 5,
		l2: 5e-6,
		learningRate: 2,
		tolerance: 0,
		averageFromEpoch: 1,
	},
};
/** Every how-many-th Bitext row is kept: its templated English would otherwise outweigh the rest. */
export const BITEXT_EVERY = 4;
/** How often each hand-written example counts (they are few beside the Bitext rows). */
export const OWN_EXAMPLE_REPEAT = 3;

/** The folder holding this package's package.json, searched upwards from `start`. */
export function findRepositoryRoot(start: string): string {
	let current = path.resolve(start);
	for (;;) {
		const manifest = path.join(current, 'package.json');
		if (existsSync(manifest)) {
			const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
			if (name === 'n8n-nodes-support-email') return current;
		}
		const parent = path.dirname(current);
		if (parent === current)
			throw new Error(`No n8n-nodes-support-email package.json above ${start}`);
		current = parent;
	}
}

/** Bitext rows as examples: the customer's text, its category (lower-cased) and its intent. */
export function loadBitextExamples(root: string): TrainingExample[] {
	return parseCsvRecords(readFileSync(path.join(root, BITEXT_CSV), 'utf8')).map((row) => ({
		text: row.instruction,
		label: row.category.toLowerCase(),
		intent: row.intent,
	}));
}

export function loadBanking77Examples(root: string): TrainingExample[] {
	return parseCsvRecords(readFileSync(path.join(root, BANKING77_CSV), 'utf8')).map((row) => ({
		text: row.text,
		label: row.category,
	}));
}

export interface LanguageExample extends TrainingExample {
	language: string;
	/** A keyword line from keywords.tsv rather than a written request. */
	keywords?: boolean;
}

/**
 * The rows of a tab-separated file of this repository's data folders: blank lines and lines starting
 * with # skipped, tabs beyond the last column kept in it, every column trimmed. A row with an empty
 * column is an error that names the file, the line and the expected columns.
 */
export function tsvRows(file: string, columns: readonly string[]): string[][] {
	const rows: string[][] = [];
	readFileSync(file, 'utf8')
		.split('\n')
		.forEach((line, index) => {
			if (!line.trim() || line.startsWith('#')) return;
			const parts = line.split('\t');
			const row = [
				...parts.slice(0, columns.length - 1),
				parts.slice(columns.length - 1).join('\t'),
			].map((part) => part.trim());
			if (parts.length < columns.length || row.some((part) => !part))
				throw new Error(`${file}:${index + 1}: expected "${columns.join('<TAB>')}"`);
			rows.push(row);
		});
	return rows;
}

/** The hand-written examples in data/support-mail-train, every language, in a fixed order. */
export function loadSupportMailTraining(root: string): LanguageExample[] {
	const dir = path.join(root, SUPPORT_MAIL_TRAIN_DIR);
	const examples: LanguageExample[] = [];
	for (const language of SUPPORT_LANGUAGES)
		for (const [label, text] of tsvRows(path.join(dir, `${language}.tsv`), ['label', 'text']))
			examples.push({ language, label, text });
	for (const [language, text] of tsvRows(path.join(dir, 'out-of-scope.tsv'), ['language', 'text']))
		examples.push({ language, label: OUT_OF_SCOPE_LABEL, text });
	for (const [label, language, text] of tsvRows(path.join(dir, 'keywords.tsv'), [
		'label',
		'language',
		'words',
	]))
		examples.push({ language, label, text, keywords: true });
	return examples;
}

export interface EvaluationEmail {
	/** The file's language, or "mixed" for the out-of-taxonomy file. */
	language: string;
	label: string;
	subject: string;
	text: string;
}

/** Parses the `=== label | subject` blocks of one evaluation file. */
export function parseEvaluationMail(content: string, language: string): EvaluationEmail[] {
	const emails: EvaluationEmail[] = [];
	let current: EvaluationEmail | undefined;
	const lines: string[] = [];
	const flush = () => {
		if (current) emails.push({ ...current, text: lines.join('\n').trim() });
		lines.length = 0;
	};
	for (const line of content.split('\n')) {
		const header = /^=== ([\w-]+) \| (.*)$/.exec(line);
		if (header) {
			flush();
			current = { language, label: header[1], subject: header[2].trim(), text: '' };
		} else if (current) lines.push(line);
	}
	flush();
	return emails;
}

/** The held-out mail: every language's file, then the out-of-taxonomy file (label "unsure"). */
export function loadSupportMailEvaluation(root: string): EvaluationEmail[] {
	const read = (name: string) => readFileSync(path.join(root, SUPPORT_MAIL_EVAL_DIR, name), 'utf8');
	return [
		...SUPPORT_LANGUAGES.flatMap((language) =>
			parseEvaluationMail(read(`${language}.txt`), language),
		),
		...parseEvaluationMail(read('out-of-taxonomy.txt'), 'mixed'),
	];
}

export function loadOutOfTaxonomyTexts(root: string): string[] {
	return readFileSync(path.join(root, OUT_OF_TAXONOMY_TXT), 'utf8')
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => line && !line.startsWith('#'));
}

export const TRAINING_SET_FORMAT = 'n8n-nodes-support-email/offline-training-set';

/**
 * The examples the built-in model learns from, as shipped beside it (lib/offline-model/model/
 * training-set.json): when a team adds its own examples to the built-in taxonomy, the node learns
 * from these plus theirs, so the team's examples extend the built-in categories instead of replacing
 * them. Bitext rows are CDLA-Sharing-1.0 (licence beside the file); the rest were written for this
 * package (MIT).
 */
export interface TrainingSet {
	format: typeof TRAINING_SET_FORMAT;
	outOfScopeLabel: string;
	/** How often each example with `repeat` counts. */
	ownExampleRepeat: number;
	sources: Array<{ name: string; file: string; license: string; examples: number }>;
	examples: Array<{ text: string; label: string; intent?: string; own?: true }>;
}

export function buildTrainingSet(root: string): TrainingSet {
	const bitext = loadBitextExamples(root).filter((_, index) => index % BITEXT_EVERY === 0);
	const own = loadSupportMailTraining(root);
	return {
		format: TRAINING_SET_FORMAT,
		outOfScopeLabel: OUT_OF_SCOPE_LABEL,
		ownExampleRepeat: OWN_EXAMPLE_REPEAT,
		sources: [
			{
				name: `Bitext customer-support sample, every ${BITEXT_EVERY}th row`,
				file: BITEXT_CSV.split(path.sep).join('/'),
				license: 'CDLA-Sharing-1.0',
				examples: bitext.length,
			},
			{
				name: 'Hand-written requests and keywords in en, de, fr, es, it, nl, pt',
				file: `${SUPPORT_MAIL_TRAIN_DIR.split(path.sep).join('/')}/`,
				license: 'MIT (written for this package)',
				examples: own.length,
			},
		],
		examples: [
			...bitext.map(({ text, label, intent }) => ({ text, label, intent })),
			...own.map(({ text, label }) => ({ text, label, own: true as const })),
		],
	};
}

/**
 * The training examples of a set, hand-written ones repeated; `labels` keeps only those labels
 * (and always the out-of-scope one).
 */
export function expandTrainingSet(
	set: TrainingSet,
	labels?: ReadonlySet<string>,
): TrainingExample[] {
	const out: TrainingExample[] = [];
	for (const example of set.examples) {
		if (labels && example.label !== set.outOfScopeLabel && !labels.has(example.label)) continue;
		const copy: TrainingExample = { text: example.text, label: example.label };
		if (example.intent) copy.intent = example.intent;
		for (let i = 0; i < (example.own ? set.ownExampleRepeat : 1); i++) out.push(copy);
	}
	return out;
}

/**
 * Trains the shipped model from its training set and returns it exactly as it is stored: pruned to
 * DEFAULT_MODEL_MAX_FEATURES, 8-bit weights, and metadata without timestamps or timings, so the same
 * data always gives the same bytes.
 */
export function buildDefaultModel(set: TrainingSet): SerializedModel {
	const trained = trainClassifier(expandTrainingSet(set), DEFAULT_MODEL_TRAINING);
	const summary = trained.metadata.training as TrainingSummary;
	const serialized = trained.compact(DEFAULT_MODEL_MAX_FEATURES).toJSON('int8');
	serialized.metadata = {
		name: DEFAULT_MODEL_NAME,
		description:
			'Support e-mail category (11, plus an out-of-scope label) and intent (27) classifier for en, de, fr, es, it, nl, pt',
		trainingData: set.sources,
		trainingSet: 'lib/offline-model/model/training-set.json',
		trainingOptions: DEFAULT_MODEL_TRAINING,
		features: { learned: summary.features, kept: serialized.vocabulary.size },
		temperatures: summary.temperatures,
		epochs: summary.epochs,
		script: 'scripts/train-offline-model.ts',
	};
	return serialized;
}

/** The stored form, byte for byte (two-space JSON and a final newline). */
export function serializeModel(model: SerializedModel | TrainingSet): string {
	return `${JSON.stringify(model, null, 2)}\n`;
}

export function modelFromSerialized(model: SerializedModel): OfflineClassifier {
	return OfflineClassifier.fromJSON(JSON.parse(JSON.stringify(model)) as SerializedModel);
}
