import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoKnowledgeBase, lexicalSearch } from '../../../lib/knowledge';
import type { LabelledQuestion, Scored } from '../../../scripts/own-data';
import {
	answerReport,
	crossCheckedThreshold,
	evaluateOwnData,
	loadKnowledge,
	loadQuestions,
	supportedThreshold,
} from '../../../scripts/own-data';
import { knowledgeFolderPerTest } from '../../support/knowledge-folder';

/** eval:answers on a team's own knowledge and labelled questions (--knowledge, --questions). */
describe('measuring answers on your own data (scripts/own-data.ts)', () => {
	const dir = knowledgeFolderPerTest('own-data-');

	const helpCentre = () => {
		const folder = join(dir(), 'help');
		mkdirSync(join(folder, 'billing'), { recursive: true });
		writeFileSync(
			join(folder, 'billing', 'refunds.md'),
			'---\nid: refunds\n---\n# When will I get my refund?\n\nRefunds reach your account within 5 business days after we receive the return.\n',
		);
		writeFileSync(
			join(folder, 'billing', 'refunds.de.md'),
			'---\nid: refunds\n---\n# Wann bekomme ich mein Geld zurück?\n\nDie Erstattung ist innerhalb von 5 Werktagen nach Eingang der Rücksendung auf Ihrem Konto.\n',
		);
		writeFileSync(
			join(folder, 'password.md'),
			'# How do I reset my password?\n\nClick "Forgot password" on the sign-in page and follow the link we email you.\n',
		);
		writeFileSync(join(folder, 'notes.pdf'), 'not an article');
		const replies = join(dir(), 'replies.jsonl');
		writeFileSync(
			replies,
			[
				{
					id: 'gift-wrap',
					customerMessage: 'Can you gift wrap my order?',
					reply: 'Yes, tick "gift wrap" at checkout; it costs 3 EUR.',
				},
				{ id: 'hours', title: 'Opening hours', text: 'We answer mail Monday to Friday, 9 to 17.' },
			]
				.map((r) => JSON.stringify(r))
				.join('\n'),
		);
		return { folder, replies };
	};

	test('knowledge from a folder of articles and a JSON Lines file of past replies and articles', async () => {
		const { folder, replies } = helpCentre();
		const base = await loadKnowledge([folder, replies]);
		const articles = [...base.articles()].map(([id, languages]) => `${id}:${languages.sort()}`);
		expect(articles.sort()).toEqual(['hours:en', 'password:en', 'refunds:de,en']);
		expect(
			base
				.documents()
				.filter((d) => d.source === 'reply')
				.map((d) => d.articleId),
		).toEqual(['gift-wrap']);
	});

	test('the index file the Support Knowledge node writes is read as it is', async () => {
		const file = join(dir(), 'help-centre.json');
		const demo = demoKnowledgeBase();
		writeFileSync(file, JSON.stringify(demo.toJSON()));
		const base = await loadKnowledge([file]);
		expect(base.size).toBe(demo.size);
		await expect(loadKnowledge([join(dir(), 'missing.json')])).rejects.toThrow(
			/missing\.json: not found/,
		);
		const csv = join(dir(), 'articles.csv');
		writeFileSync(csv, 'id,title,text\nrefunds,Refunds,Within 5 days\n');
		await expect(loadKnowledge([csv])).rejects.toThrow(
			/articles\.csv: not a knowledge file this reads\. Give an index file/,
		);
	});

	test('sent replies from an mbox export are past replies, labelled by their Message-ID', async () => {
		const { folder } = helpCentre();
		const reply = (id: string, subject: string, answer: string, quoted: string) =>
			[
				`From support@shop.example Mon Jun  3 10:00:00 2024`,
				'From: Shop Support <support@shop.example>',
				'To: jane@example.com',
				`Subject: ${subject}`,
				`Message-ID: <${id}@shop.example>`,
				'In-Reply-To: <q-1@example.com>',
				'Content-Type: text/plain; charset=utf-8',
				'',
				answer,
				'',
				'On Mon, 3 Jun 2024 Jane <jane@example.com> wrote:',
				...quoted.split('\n').map((line) => `> ${line}`),
				'',
			].join('\n');
		const mbox = join(dir(), 'Sent.mbox');
		writeFileSync(
			mbox,
			[
				reply(
					'r1',
					'Re: gift wrap?',
					'Yes, tick "gift wrap" at checkout; it costs 3 EUR.',
					'Can you gift wrap my order?',
				),
				// Not a reply: skipped with the reason, as the node skips it.
				[
					'From support@shop.example Mon Jun  3 11:00:00 2024',
					'From: Shop Support <support@shop.example>',
					'Subject: Our summer sale',
					'Message-ID: <news@shop.example>',
					'',
					'Everything 20% off.',
					'',
				].join('\n'),
				reply(
					'r2',
					'Re: Lieferung nach Österreich',
					'Ja, wir liefern nach Österreich, in 3 bis 5 Werktagen.',
					'Liefert ihr auch nach Österreich?',
				),
			].join(''),
		);
		const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
		const base = await loadKnowledge([folder, mbox]);
		expect(warn.mock.calls.map(([line]) => String(line))).toEqual([
			expect.stringMatching(/Sent\.mbox: 1 message\(s\) skipped \(not a reply/),
		]);
		const replies = base.documents().filter((d) => d.source === 'reply');
		expect(replies.map((d) => d.articleId).sort()).toEqual([
			'<r1@shop.example>',
			'<r2@shop.example>',
		]);
		expect(replies.find((d) => d.articleId === '<r1@shop.example>')?.question).toBe(
			'Can you gift wrap my order?',
		);

		const questions = join(dir(), 'questions.jsonl');
		writeFileSync(
			questions,
			[
				{ text: 'Could you gift wrap the order for me?', answers: 'r1@shop.example' },
				{ text: 'Liefert ihr nach Österreich?', answers: ['<r2@shop.example>'] },
			]
				.map((q) => JSON.stringify(q))
				.join('\n'),
		);
		const labelled = loadQuestions(questions, base);
		const scored = labelled.map((q) => {
			const { knowledge } = lexicalSearch(base, q, { limit: 1 });
			return { probability: 1, id: knowledge[0]?.id ?? '' };
		});
		expect(answerReport('lexical', labelled, scored, 0.5)).toMatchObject({ right: 2, wrong: [] });

		const empty = join(dir(), 'news.eml');
		writeFileSync(empty, 'From: a@b.example\nSubject: Hello\n\nNot a reply.\n');
		await expect(loadKnowledge([empty])).rejects.toThrow(/news\.eml: no past replies in it\./);
		warn.mockRestore();
	});

	test('questions from CSV: quoted commas, several answers, none; unknown ids and empty rows are clear errors', async () => {
		const { folder, replies } = helpCentre();
		const base = await loadKnowledge([folder, replies]);
		const csv = join(dir(), 'questions.csv');
		writeFileSync(
			csv,
			'subject,text,answers\n' +
				'refund,"I sent the parcel back, where is my money?",refunds|gift-wrap\n' +
				',Can I pay with bitcoin?,none\n' +
				'Passwort,Ich komme nicht in mein Konto,password\n',
		);
		const questions = loadQuestions(csv, base);
		expect(questions.map((q) => q.answers)).toEqual([['refunds', 'gift-wrap'], [], ['password']]);
		expect(questions[0].text).toBe('I sent the parcel back, where is my money?');
		expect(questions[1].where).toBe('questions.csv #2');

		writeFileSync(csv, 'text,answers\nWhere is my refund?,refund\n');
		expect(() => loadQuestions(csv, base)).toThrow(
			/questions\.csv #1: answer "refund" is not in the knowledge\. Use article ids or past-reply ids/,
		);
		writeFileSync(csv, 'text,answers\n"",refunds\n');
		expect(() => loadQuestions(csv, base)).toThrow(/questions\.csv #1: no question text/);
		const jsonl = join(dir(), 'questions.jsonl');
		writeFileSync(jsonl, '{"text": "refund?", "answers": ["refunds"]}\n{"text": oops}\n');
		expect(() => loadQuestions(jsonl, base)).toThrow(/questions\.jsonl line 2: not valid JSON/);
	});

	test('questions are searched as the node searches them and judged against their labels', async () => {
		const { folder, replies } = helpCentre();
		const base = await loadKnowledge([folder, replies]);
		const tsv = join(dir(), 'questions.tsv');
		writeFileSync(
			tsv,
			'subject\ttext\tanswer\n' +
				'Refund\tWhen will I get my refund for the returned shoes?\trefunds\n' +
				'Password\tHow do I reset my password? I forgot it.\tpassword\n' +
				'Gift\tCould you gift wrap my order please?\tgift-wrap\n',
		);
		const questions = loadQuestions(tsv, base);
		const scored = questions.map((q) => {
			const { knowledge } = lexicalSearch(base, q, { limit: 1 });
			return { probability: knowledge[0]?.score ?? 0, id: knowledge[0]?.id ?? '' };
		});
		expect(scored.map((s) => s.id)).toEqual([
			'refunds',
			'password',
			expect.stringMatching(/gift-wrap$/),
		]);
		const report = answerReport('lexical', questions, scored, 0);
		expect(report).toMatchObject({ right: 3, wrong: [], top1: 1, answerable: 3 });
	});

	const labelled = (answers: string[][]): LabelledQuestion[] =>
		answers.map((a, i) => ({ where: `#${i + 1}`, subject: '', text: `q${i}`, answers: a }));

	test('the report counts right and wrong auto-answers and unanswerable questions answered', () => {
		const questions = labelled([['a'], ['b'], [], ['c'], []]);
		const scored: Scored[] = [
			{ probability: 0.99, id: 'a' },
			{ probability: 0.97, id: 'x' },
			{ probability: 0.96, id: 'a' },
			{ probability: 0.5, id: 'reply:c' },
			{ probability: 0.1, id: 'a' },
		];
		const report = answerReport('m', questions, scored, 0.95);
		expect(report).toMatchObject({ answered: 3, right: 1, answerable: 3, noneAnsweredShare: 0.5 });
		expect(report.precision).toBeCloseTo(1 / 3);
		expect(report.wrong).toEqual(['#2 "q1" -> x (0.970)', '#3 "q2" -> a (0.960)']);
		// The past reply c is right: labels name past replies without "reply:".
		expect(report.top1).toBeCloseTo(2 / 3);
	});

	test('the supported threshold is the lowest that keeps the precision; chosen on one half, measured on the other', () => {
		const questions = labelled([['a'], ['a'], ['a'], ['a'], [], ['a']]);
		const scored: Scored[] = [
			{ probability: 0.99, id: 'a' },
			{ probability: 0.98, id: 'a' },
			{ probability: 0.9, id: 'a' },
			{ probability: 0.8, id: 'b' },
			{ probability: 0.7, id: 'a' },
			{ probability: 0.6, id: 'a' },
		];
		expect(supportedThreshold(questions, scored, 0.98, 0.01)).toBe(0.9);
		expect(supportedThreshold(questions, scored, 0.7, 1)).toBe(0.8);
		expect(supportedThreshold(questions, scored, 0.6, 1)).toBe(0.6);
		expect(supportedThreshold(labelled([[]]), [{ probability: 0.9, id: 'a' }], 0.98, 0)).toBe(
			undefined,
		);
		const [even, odd] = crossCheckedThreshold('m', questions, scored, 0.98, 0.01);
		// Even questions (#1, #3, #5): 0.9 holds there; on the odd ones it answers #2 right, not #4 (0.8).
		expect(even.threshold).toBe(0.9);
		expect(even.report).toMatchObject({ questions: 3, right: 1, wrong: [] });
		// Odd questions (#2, #4, #6): only 0.98 keeps the precision; on the even ones it answers #1.
		expect(odd.threshold).toBe(0.98);
		expect(odd.report).toMatchObject({ right: 1, wrong: [] });
	});

	/** What `npm run eval:answers -- --knowledge ... --questions ...` prints, and whether it misses. */
	const run = async (args: string[]) => {
		const lines: string[] = [];
		const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
			lines.push(parts.join(' '));
		});
		try {
			const missed = await evaluateOwnData(args);
			return { missed, output: lines.join('\n') };
		} finally {
			log.mockRestore();
		}
	};

	test('the command: articles alone, then with past replies; a wrong auto-answer below the goal is a miss', async () => {
		const { folder, replies } = helpCentre();
		const questions = join(dir(), 'questions.jsonl');
		writeFileSync(
			questions,
			[
				{
					subject: 'Refund',
					text: 'When will I get my refund for the returned shoes?',
					answers: 'refunds',
				},
				{ subject: 'Gift', text: 'Could you gift wrap my order please?', answers: ['gift-wrap'] },
				// Labelled with the wrong article on purpose: a low threshold auto-answers it, wrongly.
				{ subject: 'Password', text: 'How do I reset my password? I forgot it.', answers: 'hours' },
			]
				.map((q) => JSON.stringify(q))
				.join('\n'),
		);
		const args = [
			'--knowledge',
			folder,
			'--knowledge',
			replies,
			'--questions',
			questions,
			'--lexical',
		];
		const strict = await run([...args, '--threshold', '0.999']);
		expect(strict.missed).toBe(false);
		expect(strict.output).toContain('Articles only: your questions (2 answerable by an article)');
		expect(strict.output).toContain(
			'in your knowledge (3 articles, 1 past replies) at the threshold 0.999',
		);
		expect(strict.output).toMatch(/meets the goal at 0\.999/);

		const lax = await run([...args, '--threshold', '0.01']);
		expect(lax.missed).toBe(true);
		expect(lax.output).toMatch(
			/wrong auto-answer \(lexical \(versions 1 and 1\.1\)\): questions\.jsonl #3 "Password" -> password \(0\.9\d\d\)/,
		);
		expect(lax.output).toMatch(/MISSED at 0\.01/);

		await expect(run([...args, '--threshold', '2'])).rejects.toThrow(
			/--threshold 2: not a probability/,
		);
		await expect(run(['--knowledge', folder])).rejects.toThrow(/--questions: no file given/);
	});
});
