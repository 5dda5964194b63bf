/**
 * Answers measured on a team's own knowledge and questions (npm run eval:answers -- --knowledge PATH
 * --questions FILE): what a support lead runs before turning auto-send on, and how anyone checks the
 * package on data it never saw. Also the report of the hand-written mail part of every eval run.
 *
 * Knowledge (--knowledge, one or more): the Support Knowledge node's index file
 * (`.n8n/support-knowledge/<name>.json`), a folder of Markdown / HTML / text articles (as Sync Folder
 * reads them), or a JSON array / JSON Lines file of records: articles as Add or Update Articles takes
 * them (`id`, `title`, `text` | `markdown` | `html`, `url`, `language`) and past conversations as Add
 * Past Replies takes them (`customerMessage`, `reply`, `id`, `subject`), or the team's sent replies
 * as an mbox export or one .eml file (read as Add Past Replies from Mail Files reads them; a past
 * reply's id is its Message-ID).
 *
 * Questions (--questions): JSON Lines, a JSON array, CSV or TSV (with a header row). Each question has
 * `text` (the email body; or `body`, `question`), optionally `subject` and `language`, and `answers`
 * (or `answer`): the ids of the articles or past replies that answer it (a list, or one string split at
 * `,` or `|`), or nothing / `none` when nothing in the knowledge answers it.
 */
import { readFileSync, statSync } from 'fs';
import * as path from 'path';
import { InputError } from '../lib/errors';
import { KnowledgeBase } from '../lib/knowledge/base';
import type { KnowledgeDoc, KnowledgeSource } from '../lib/knowledge/documents';
import {
	articleFromFile,
	articleFromInput,
	conversationFromInput,
} from '../lib/knowledge/documents';
import { isArticleFileName, readArticleFolder } from '../lib/knowledge/folder';
import { knowledgeEntry, lexicalSearch } from '../lib/knowledge/search';
import { semanticSearchForEmail } from '../lib/knowledge/semantic';
import { parseKnowledgeBase } from '../lib/knowledge/store';
import {
	PAST_REPLY_LIMITS,
	pastReplyDocuments,
	pastRepliesFromFile,
} from '../lib/mail/past-replies';
import { parseCsv } from '../lib/offline-model/csv';

/** Precision auto-answers must keep (wrong auto-answers at most 2%). */
export const TARGET_PRECISION = 0.98;
/** Most out-of-scope (unanswerable) questions auto-answered, as a share of them. */
export const OUT_OF_SCOPE_GOAL = 0.01;

export function pct(value: number): string {
	return `${(value * 100).toFixed(1)}%`;
}

/** One question with the knowledge that answers it (none: nothing does). */
export interface LabelledQuestion {
	/** Where it comes from, for the report (file and row). */
	where: string;
	subject: string;
	text: string;
	language?: string;
	/** Article ids or past-reply ids that answer it; empty: nothing in the knowledge does. */
	answers: string[];
}

/** The best answer the package gives a question, with its confidence. */
export interface Scored {
	probability: number;
	/** The id of the best answer (`support.knowledge[0].id`: an article id or a past reply's `reply:` key). */
	id: string;
}

export interface AnswerReport {
	method: string;
	questions: number;
	answerable: number;
	answered: number;
	right: number;
	/** The wrong auto-answers, one line each. */
	wrong: string[];
	precision: number;
	/** Questions nothing answers (answers empty) that were auto-answered, as a share of them. */
	noneAnsweredShare: number;
	/** Answerable questions whose best answer is a right one. */
	top1: number;
}

/**
 * The id a label names: articles by their article id, past replies by their id without `reply:` (a
 * reply read from mail is named by its Message-ID, with or without the angle brackets).
 */
export function answerId(id: string): string {
	return id.replace(/^reply:/, '').replace(/^<([^<>\s]+)>$/, '$1');
}

/** Bad input to --knowledge / --questions: the message says where and what to fix (no stack needed). */
export class OwnDataError extends Error {}

function fail(where: string, problem: string, fix: string): never {
	throw new OwnDataError(`${where}: ${problem.replace(/\.$/, '')}. ${fix}`.trim());
}

function hintOf(error: unknown): string {
	return error instanceof InputError ? (error.hint ?? '') : '';
}

/** Records of a JSON array, or of JSON Lines (one object per line). */
function jsonRecords(file: string, content: string): Array<Record<string, unknown>> {
	const trimmed = content.trim();
	if (trimmed.startsWith('[')) {
		let parsed: unknown;
		try {
			parsed = JSON.parse(trimmed);
		} catch (error) {
			fail(file, `not valid JSON (${(error as Error).message})`, 'Give a JSON array of objects.');
		}
		return (parsed as unknown[]).map((value, i) => {
			if (!value || typeof value !== 'object' || Array.isArray(value))
				fail(`${file} item ${i + 1}`, 'not an object', 'Each item is one JSON object.');
			return value as Record<string, unknown>;
		});
	}
	const out: Array<Record<string, unknown>> = [];
	for (const [i, line] of content.split('\n').entries()) {
		if (!line.trim()) continue;
		let parsed: unknown;
		try {
			parsed = JSON.parse(line);
		} catch (error) {
			fail(
				`${file} line ${i + 1}`,
				`not valid JSON (${(error as Error).message})`,
				'Give one JSON object per line (JSON Lines) or one JSON array.',
			);
		}
		if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
			fail(`${file} line ${i + 1}`, 'not an object', 'Each line is one JSON object.');
		out.push(parsed as Record<string, unknown>);
	}
	return out;
}

/** Records of a CSV or TSV file with a header row (column names lower-cased). */
function tableRecords(content: string, separator: ',' | '\t'): Array<Record<string, unknown>> {
	const rows =
		separator === ','
			? parseCsv(content)
			: content
					.split(/\r?\n/)
					.filter((line) => line.trim())
					.map((line) => line.split('\t'));
	const [header, ...body] = rows;
	if (!header) return [];
	const names = header.map((name) => name.trim().toLowerCase());
	return body.map((cells) => Object.fromEntries(names.map((name, i) => [name, cells[i] ?? ''])));
}

/** A sent-mail export (.mbox, .eml) as past replies, as Add Past Replies from Mail Files reads it. */
async function mailFile(file: string, bytes: number): Promise<KnowledgeDoc[]> {
	if (bytes > PAST_REPLY_LIMITS.maxMboxBytes)
		fail(
			file,
			`${Math.round(bytes / 1048576)} MB, more than ${PAST_REPLY_LIMITS.maxMboxBytes / 1048576} MB`,
			'Split the export into smaller files (for example one per year).',
		);
	const { docs, skipped } = pastReplyDocuments(await pastRepliesFromFile(readFileSync(file)));
	for (const [reason, count] of Object.entries(skipped))
		console.warn(`${file}: ${count} message(s) skipped (${reason})`);
	if (docs.length === 0)
		fail(
			file,
			'no past replies in it',
			'Export the sent replies (they quote the customer message they answer), as Add Past Replies reads them.',
		);
	return docs;
}

function knowledgeFile(file: string): KnowledgeDoc[] | KnowledgeBase {
	const records = /\.(json|jsonl|ndjson)$/i.test(file);
	if (!records && !isArticleFileName(file))
		fail(
			file,
			'not a knowledge file this reads',
			'Give an index file, a folder of articles, a JSON / JSON Lines file of articles and past replies, an .mbox / .eml export of sent replies, or one .md / .html / .txt article.',
		);
	const content = readFileSync(file, 'utf8');
	if (/\.json$/i.test(file) && content.includes('"n8n-nodes-support-email/knowledge"'))
		return parseKnowledgeBase(file, content);
	if (!records) return [articleFromFile(path.basename(file), content)];
	return jsonRecords(file, content).map((record, i) => {
		try {
			return record.customerMessage !== undefined || record.reply !== undefined
				? conversationFromInput(record)
				: articleFromInput(record);
		} catch (error) {
			return fail(`${file} record ${i + 1}`, (error as Error).message, hintOf(error));
		}
	});
}

/**
 * The knowledge base from the given paths: index files, folders of articles, article / past-reply
 * records (JSON, JSON Lines) or single article files; several paths go into one knowledge base.
 */
export async function loadKnowledge(paths: string[]): Promise<KnowledgeBase> {
	if (paths.length === 0)
		fail('--knowledge', 'missing', 'Name an index file, a folder of articles or a JSON file.');
	let base: KnowledgeBase | undefined;
	const docs: KnowledgeDoc[] = [];
	for (const given of paths) {
		let stat;
		try {
			stat = statSync(given);
		} catch {
			fail(given, 'not found', 'Check the path given to --knowledge.');
		}
		let found: KnowledgeDoc[] | KnowledgeBase;
		try {
			if (stat.isDirectory()) {
				// As Sync Folder reads it: a file that is too large or not an article is skipped, with why.
				const read = await readArticleFolder(given);
				for (const { file, error } of read.skipped)
					console.warn(`${path.join(given, file)}: skipped (${error})`);
				found = read.docs;
			} else if (/\.(mbox|mbx|eml)$/i.test(given)) found = await mailFile(given, stat.size);
			else found = knowledgeFile(given);
		} catch (error) {
			if (!(error instanceof InputError)) throw error;
			return fail(given, error.message, error.hint ?? '');
		}
		if (found instanceof KnowledgeBase) {
			if (base) docs.push(...found.documents());
			else base = found;
		} else docs.push(...found);
	}
	base ??= new KnowledgeBase();
	base.upsert(docs);
	if (base.size === 0) fail(paths.join(', '), 'no articles or past replies', 'Check --knowledge.');
	return base;
}

function text(value: unknown): string {
	return value === undefined || value === null ? '' : String(value);
}

function answerList(value: unknown): string[] {
	const list = Array.isArray(value) ? value.map(text) : text(value).split(/[,|]/);
	const ids = list.map((id) => id.trim()).filter(Boolean);
	return ids.length === 1 && ids[0].toLowerCase() === 'none' ? [] : ids;
}

/**
 * Labelled questions from a JSON Lines / JSON / CSV / TSV file. Every answer id must be in `base`
 * (an article id, or a past reply's id), so a typo does not count as a wrong answer.
 */
export function loadQuestions(file: string, base: KnowledgeBase): LabelledQuestion[] {
	let content: string;
	try {
		content = readFileSync(file, 'utf8');
	} catch {
		fail(file, 'cannot be read', 'Check the path given to --questions.');
	}
	const records = /\.csv$/i.test(file)
		? tableRecords(content, ',')
		: /\.tsv$/i.test(file)
			? tableRecords(content, '\t')
			: jsonRecords(file, content);
	const known = new Set(base.documents().map((doc) => answerId(doc.articleId)));
	const questions = records.map((record, i): LabelledQuestion => {
		const where = `${path.basename(file)} #${i + 1}`;
		const body = text(record.text ?? record.body ?? record.question).trim();
		const subject = text(record.subject).trim();
		if (!body && !subject)
			fail(
				where,
				'no question text',
				'Give each question a "text" (the email body) or a "subject".',
			);
		const answers = answerList(record.answers ?? record.answer);
		const unknown = answers.filter((id) => !known.has(answerId(id)));
		if (unknown.length)
			fail(
				where,
				`answer ${unknown.map((id) => `"${id}"`).join(', ')} is not in the knowledge`,
				`Use article ids or past-reply ids (for example ${[...known].slice(0, 3).join(', ')}), or "none" when nothing answers it.`,
			);
		const language = text(record.language).trim() || undefined;
		return {
			where,
			subject,
			text: body,
			answers: answers.map(answerId),
			...(language ? { language } : {}),
		};
	});
	if (questions.length === 0) fail(file, 'no questions', 'Give one question per line or row.');
	return questions;
}

function isRight(question: LabelledQuestion, scored: Scored): boolean {
	return question.answers.includes(answerId(scored.id));
}

/** Right and wrong auto-answers at a threshold, and the questions nothing answers that were answered. */
export function answerReport(
	method: string,
	questions: LabelledQuestion[],
	scored: Scored[],
	threshold: number,
): AnswerReport {
	const answered = scored.map((_, i) => i).filter((i) => scored[i].probability >= threshold);
	const right = answered.filter((i) => isRight(questions[i], scored[i])).length;
	const none = questions.filter((q) => q.answers.length === 0).length;
	return {
		method,
		questions: questions.length,
		answerable: questions.length - none,
		answered: answered.length,
		right,
		wrong: answered
			.filter((i) => !isRight(questions[i], scored[i]))
			.map(
				(i) =>
					`${questions[i].where} "${questions[i].subject || questions[i].text.slice(0, 60)}" -> ${scored[i].id} (${scored[i].probability.toFixed(3)})`,
			),
		precision: answered.length ? right / answered.length : 1,
		noneAnsweredShare:
			answered.filter((i) => questions[i].answers.length === 0).length / Math.max(1, none),
		top1:
			questions.filter((q, i) => q.answers.length && isRight(q, scored[i])).length /
			Math.max(1, questions.length - none),
	};
}

/** One auto-answer candidate: its confidence, whether its answer is right, whether nothing answers it. */
export interface ThresholdRow {
	probability: number;
	correct: boolean;
	outOfScope: boolean;
}

/**
 * The lowest threshold at which auto-answers keep precision >= `precision` (over every row, out of
 * scope included) and answer at most `outOfScopeShare` of the out-of-scope rows; undefined when no
 * threshold does with at least one answer. Used for the public sets (eval-answers' thresholdFor) and
 * for a team's own questions (supportedThreshold).
 */
export function lowestThreshold(
	rows: ThresholdRow[],
	precision: number,
	outOfScopeShare: number,
): number | undefined {
	const sorted = rows
		.filter((r) => r.probability > 0)
		.sort((a, b) => b.probability - a.probability);
	const outOfScope = rows.filter((r) => r.outOfScope).length;
	let correct = 0;
	let answeredOutOfScope = 0;
	let best: number | undefined;
	for (let i = 0; i < sorted.length; i++) {
		if (sorted[i].correct) correct++;
		if (sorted[i].outOfScope) answeredOutOfScope++;
		if (sorted[i + 1]?.probability === sorted[i].probability) continue;
		if (correct / (i + 1) >= precision && answeredOutOfScope <= outOfScopeShare * outOfScope)
			best = sorted[i].probability;
	}
	return best;
}

/**
 * The lowest threshold at which these questions' auto-answers keep precision >= `precision` and
 * answer at most `noneShare` of the questions nothing answers; undefined when no threshold does with
 * at least one answer.
 */
export function supportedThreshold(
	questions: LabelledQuestion[],
	scored: Scored[],
	precision: number,
	noneShare: number,
): number | undefined {
	return lowestThreshold(
		scored.map((s, i) => ({
			probability: s.probability,
			correct: isRight(questions[i], s),
			outOfScope: questions[i].answers.length === 0,
		})),
		precision,
		noneShare,
	);
}

/**
 * An honest estimate of choosing the threshold on this data: chosen on every other question and
 * measured on the rest, both ways round. A threshold chosen and measured on the same questions
 * (supportedThreshold on all of them) looks better than it will do on the next mail.
 */
export function crossCheckedThreshold(
	method: string,
	questions: LabelledQuestion[],
	scored: Scored[],
	precision: number,
	noneShare: number,
): Array<{ threshold: number | undefined; report: AnswerReport }> {
	return [0, 1].map((half) => {
		const pick = (i: number) => i % 2 === half;
		const chosenOn = questions.map((_, i) => i).filter(pick);
		const measuredOn = questions.map((_, i) => i).filter((i) => !pick(i));
		const threshold = supportedThreshold(
			chosenOn.map((i) => questions[i]),
			chosenOn.map((i) => scored[i]),
			precision,
			noneShare,
		);
		return {
			threshold,
			report: answerReport(
				`${method}, threshold chosen on the ${half ? 'odd' : 'even'} questions, measured on the others`,
				measuredOn.map((i) => questions[i]),
				measuredOn.map((i) => scored[i]),
				threshold ?? Infinity,
			),
		};
	});
}

/**
 * Questions labelled with the knowledge that answers them, searched as the Support Knowledge node
 * searches them (subject and body; language given or detected, sentence by sentence), reported at
 * the threshold and at a few others: right and wrong auto-answers per method. Returns the lexical
 * report and (with `semantic`) the semantic check's, last.
 */
export async function measureQuestions(
	heading: string,
	base: KnowledgeBase,
	questions: LabelledQuestion[],
	threshold: number,
	options: { semantic: boolean; wholeRow?: boolean; sources?: KnowledgeSource[] },
): Promise<{ reports: AnswerReport[]; methods: Array<[string, Scored[]]> }> {
	const { semantic, wholeRow = false, sources } = options;
	const whole: Scored[] = [];
	const lexical: Scored[] = [];
	const checked: Scored[] = [];
	for (const q of questions) {
		const email = { subject: q.subject, text: q.text, language: q.language };
		const { query, knowledge } = lexicalSearch(base, email, { limit: 1, sources });
		if (wholeRow) {
			const plain = base.search(query, { limit: 1, language: q.language, sources })[0];
			whole.push({
				probability: plain?.probability ?? 0,
				id: plain ? knowledgeEntry(plain.doc, 0).id : '',
			});
		}
		lexical.push({ probability: knowledge[0]?.score ?? 0, id: knowledge[0]?.id ?? '' });
		if (semantic) {
			const found = await semanticSearchForEmail(base, email, { limit: 1, sources });
			checked.push({
				probability: found.knowledge[0]?.score ?? 0,
				id: found.knowledge[0]?.id ?? '',
			});
		}
	}
	const methods: Array<[string, Scored[]]> = [
		...(wholeRow
			? [['whole text only (before the sentence focus)', whole] as [string, Scored[]]]
			: []),
		['lexical (versions 1 and 1.1)', lexical],
		...(semantic
			? [['semantic check (version 1.2; English mail only)', checked] as [string, Scored[]]]
			: []),
	];
	const reports = methods.map(([name, scored]) => answerReport(name, questions, scored, threshold));
	console.log(`\n${heading} at the threshold ${threshold}`);
	console.log(
		'method | auto-answered: right / wrong | precision | answerable auto-answered | unanswerable auto-answered | top-1 accuracy',
	);
	for (const r of reports)
		console.log(
			`${r.method} | ${r.right} / ${r.wrong.length} | ${pct(r.precision)} | ${pct(r.right / Math.max(1, r.answerable))} | ${pct(r.noneAnsweredShare)} | ${pct(r.top1)}`,
		);
	console.log('other thresholds (right / wrong auto-answers):');
	for (const t of [0.8, 0.9, 0.95])
		console.log(
			`${t} | ${methods
				.map(([name, scored]) => {
					const r = answerReport(name, questions, scored, t);
					return `${name.split(' (')[0]}: ${r.right} / ${r.wrong.length}`;
				})
				.join(' | ')}`,
		);
	const judged = wholeRow ? reports.slice(1) : reports;
	for (const r of judged)
		for (const w of r.wrong) console.log(`wrong auto-answer (${r.method}): ${w}`);
	return { reports: judged, methods: wholeRow ? methods.slice(1) : methods };
}

/**
 * `--knowledge PATH... --questions FILE`: a team's own knowledge and labelled questions (scripts/
 * own-data.ts), at the shipped threshold (or `--threshold T`), with the threshold this data supports.
 * Prints the report; returns whether the judged method misses the goal at that threshold.
 */
export async function evaluateOwnData(args: string[]): Promise<boolean> {
	const values = (flag: string) =>
		args.flatMap((a, i) =>
			a === flag && args[i + 1] && !args[i + 1].startsWith('--') ? [args[i + 1]] : [],
		);
	const base = await loadKnowledge(values('--knowledge'));
	const [file] = values('--questions');
	if (!file) fail('--questions', 'no file given', 'Name a JSON Lines, JSON, CSV or TSV file.');
	const questions = loadQuestions(file, base);
	const given = values('--threshold')[0];
	const threshold = given === undefined ? base.autoAnswerThreshold : Number(given);
	if (!(threshold > 0 && threshold <= 1))
		fail(`--threshold ${given}`, 'not a probability', 'Give a number above 0 and at most 1.');
	const semantic = !args.includes('--lexical');
	const articles = base.articles().size;
	const replies = base.documents().filter((d) => d.source === 'reply').length;
	const answerable = questions.filter((q) => q.answers.length).length;
	// With articles and past replies: articles alone too (what the help centre answers by itself); a
	// question only past replies answer is then one nothing answers.
	const articleIds = new Set(
		base
			.documents()
			.filter((d) => d.source === 'article')
			.map((d) => answerId(d.articleId)),
	);
	if (articles && replies) {
		const articleQuestions = questions.map((q) => ({
			...q,
			answers: q.answers.filter((id) => articleIds.has(id)),
		}));
		await measureQuestions(
			`Articles only: your questions (${articleQuestions.filter((q) => q.answers.length).length} answerable by an article) in your ${articles} articles, past replies left out`,
			base,
			articleQuestions,
			threshold,
			{ semantic, sources: ['article'] },
		);
	}
	const { reports, methods } = await measureQuestions(
		`Your questions (${file}: ${questions.length}, ${answerable} answerable) in your knowledge (${articles} articles, ${replies} past replies)`,
		base,
		questions,
		threshold,
		{ semantic },
	);
	console.log(
		`\nThe threshold your questions support in all your knowledge (precision >= ${pct(TARGET_PRECISION)}, unanswerable auto-answered <= ${pct(OUT_OF_SCOPE_GOAL)}):`,
	);
	for (const [name, scored] of methods) {
		const all = supportedThreshold(questions, scored, TARGET_PRECISION, OUT_OF_SCOPE_GOAL);
		console.log(
			`${name}: ${all === undefined ? 'none (no threshold keeps the precision)' : `${all.toFixed(3)}, chosen and measured on the same questions (optimistic)`}`,
		);
		for (const { threshold: t, report: r } of crossCheckedThreshold(
			name,
			questions,
			scored,
			TARGET_PRECISION,
			OUT_OF_SCOPE_GOAL,
		))
			console.log(
				`  ${r.method}: ${t === undefined ? 'none' : t.toFixed(3)} -> ${r.right} right / ${r.wrong.length} wrong, ${pct(r.right / Math.max(1, r.answerable))} of the answerable, precision ${pct(r.precision)}`,
			);
	}
	console.log(
		'Set the Reply Drafter option Auto-Answer Threshold to the value you choose; keep it where it still holds when chosen on half of your questions and measured on the other half.',
	);
	const judged = reports[reports.length - 1];
	const missed =
		judged.precision < TARGET_PRECISION || judged.noneAnsweredShare > OUT_OF_SCOPE_GOAL;
	console.log(
		missed
			? `MISSED at ${threshold}, ${judged.method}: precision ${pct(judged.precision)}, unanswerable auto-answered ${pct(judged.noneAnsweredShare)}`
			: `meets the goal at ${threshold} (${judged.method}): precision ${pct(judged.precision)}, unanswerable auto-answered ${pct(judged.noneAnsweredShare)}, ${pct(judged.right / Math.max(1, judged.answerable))} of the answerable questions auto-answered`,
	);
	return missed;
}
