/**
 * The held-out hand-written mail with the demo help centre's answers to each (data/support-mail-eval/
 * answers.tsv): what `npm run eval:answers` measures mail-length answers on.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import {
	parseEvaluationMail,
	SUPPORT_LANGUAGES,
	SUPPORT_MAIL_EVAL_DIR,
} from '../lib/offline-model/training-data';

/** One held-out mail (data/support-mail-eval) with the demo help centre's answers to it (answers.tsv). */
export interface LabelledMail {
	file: string;
	index: number;
	subject: string;
	text: string;
	/** Article ids or past-reply ids that answer it; empty: nothing in the demo help centre does. */
	answers: string[];
}

/** The held-out mail and its answer labels, matched by file and position (every mail must be labelled). */
export function loadLabelledMail(root: string): LabelledMail[] {
	const labels = new Map<string, { subject: string; answers: string[] }>();
	const tsv = readFileSync(path.join(root, SUPPORT_MAIL_EVAL_DIR, 'answers.tsv'), 'utf8');
	for (const line of tsv.split('\n').slice(1)) {
		const [file, index, subject, answer] = line.split('\t');
		if (!file || answer === undefined) continue;
		labels.set(`${file}#${index}`, {
			subject,
			answers: answer === 'none' ? [] : answer.split(',').map((a) => a.trim()),
		});
	}
	const mail: LabelledMail[] = [];
	for (const file of [...SUPPORT_LANGUAGES.map((l) => `${l}.txt`), 'out-of-taxonomy.txt']) {
		const content = readFileSync(path.join(root, SUPPORT_MAIL_EVAL_DIR, file), 'utf8');
		for (const [index, email] of parseEvaluationMail(content, file).entries()) {
			const label = labels.get(`${file}#${index}`);
			if (!label) throw new Error(`answers.tsv has no label for ${file} #${index}`);
			if (label.subject.trim() !== email.subject.replace(/\t/g, ' ').trim())
				throw new Error(
					`answers.tsv ${file} #${index} is labelled for "${label.subject}", the mail is "${email.subject}"`,
				);
			mail.push({ file, index, subject: email.subject, text: email.text, answers: label.answers });
		}
	}
	return mail;
}
