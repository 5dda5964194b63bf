/**
 * Support Knowledge in real n8n: articles added through the node persist in the knowledge file and
 * are found by later executions (incrementally: unchanged articles are skipped), the search writes
 * support.knowledge and support.answer, and the Reply Drafter answers from it offline with the
 * citation, without any wiring.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Workflow } from '../harness/n8n';
import { NODE_PREFIX, sharedN8n } from '../harness/shared';
import { emailItem } from '../support/support-item';

const KNOWLEDGE = 'Support Knowledge';
const DRAFTER = 'Support Reply Drafter';

function knowledgeWorkflow(
	parameters: Record<string, unknown>,
	extra: Record<string, unknown> = {},
	withDrafter = false,
): Workflow {
	return {
		nodes: [
			{
				name: KNOWLEDGE,
				type: `${NODE_PREFIX}.supportKnowledge`,
				typeVersion: 1,
				parameters,
				...extra,
			},
			...(withDrafter
				? [
						{
							name: DRAFTER,
							type: `${NODE_PREFIX}.supportReplyDrafter`,
							typeVersion: 1,
							parameters: {
								companyName: 'Acme',
								options: { autoAnswerThreshold: 0.5 },
							},
						},
					]
				: []),
		],
		connections: withDrafter
			? { [KNOWLEDGE]: { main: [[{ node: DRAFTER, type: 'main', index: 0 }]] } }
			: {},
	};
}

describe('Support Knowledge in real n8n', () => {
	const n8n = sharedN8n();
	let dir: string;
	beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'n8n-knowledge-'))));
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	it('adds articles once, skips unchanged ones, and later executions find them', async () => {
		const indexPath = join(dir, 'help-centre.json');
		const write = knowledgeWorkflow(
			{
				operation: 'upsertArticles',
				knowledgeBase: 'file',
				articleInput: 'fields',
				writeOptions: { indexPath },
			},
			{ continueOnFail: true },
		);
		const articles = [
			{
				id: 'gift-cards',
				language: 'en',
				title: 'How long are gift cards valid?',
				text: 'Gift cards are valid for 3 years from purchase.',
				url: 'https://help.example.test/en/gift-cards',
			},
			{
				id: 'gift-cards',
				language: 'de',
				title: 'Wie lange sind Geschenkkarten gültig?',
				markdown:
					'# Wie lange sind Geschenkkarten gültig?\n\nGeschenkkarten sind **3 Jahre** ab Kauf gültig.',
				url: 'https://help.example.test/de/gift-cards',
			},
			{ id: 'broken', title: 'No text' },
		];
		const first = await n8n.execute(write, articles);
		expect(first.nodeError(KNOWLEDGE)?.message).toBeUndefined();
		expect(first.status).toBe('success');
		const out = first.output(KNOWLEDGE, 0);
		expect(out.map((i) => i.json.knowledge?.status ?? i.json.error)).toEqual([
			'added',
			'added',
			'The article has no text',
		]);
		expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);

		const again = await n8n.execute(write, articles.slice(0, 2));
		expect(again.output(KNOWLEDGE, 0).map((i) => i.json.knowledge.status)).toEqual([
			'unchanged',
			'unchanged',
		]);

		const search = await n8n.execute(
			knowledgeWorkflow({ operation: 'search', knowledgeBase: 'file', options: { indexPath } }),
			[emailItem('q1', 'Geschenkkarte', 'Wie lange ist meine Geschenkkarte gültig?', 'de')],
		);
		expect(search.status).toBe('success');
		const [item] = search.output(KNOWLEDGE, 0);
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json.support.email.messageId).toBe('<q1@example.test>');
		expect(item.json.support.knowledge[0]).toMatchObject({
			id: 'gift-cards',
			language: 'de',
			source: 'article',
			url: 'https://help.example.test/de/gift-cards',
		});
		expect(item.json.support.knowledge[0].text).toContain('3 Jahre');
		expect(item.json.support.answer.citations[0].id).toBe('gift-cards');
		expect(item.json.support.answer.confidence).toBe(item.json.support.knowledge[0].score);
	});

	it('the demo help centre answers through the Reply Drafter offline, citing the article', async () => {
		const run = await n8n.execute(
			knowledgeWorkflow({ operation: 'search', knowledgeBase: 'demo' }, {}, true),
			[
				emailItem(
					'q2',
					'No puedo entrar en mi cuenta',
					'Hola, olvidé mi contraseña y no puedo acceder a mi cuenta. ¿Cómo puedo restablecerla?',
					'es',
				),
				emailItem(
					'q3',
					'Podcast',
					'We are an agency and want to sponsor your podcast episode next month.',
					'en',
				),
			],
		);
		expect(run.nodeError(KNOWLEDGE)?.message ?? run.nodeError(DRAFTER)?.message).toBeUndefined();
		expect(run.status).toBe('success');
		const [answered, abstained] = run.output(DRAFTER, 0);
		expect(answered.json.support.draft).toMatchObject({
			provider: 'knowledge',
			language: 'es',
			knowledgeAnswered: true,
		});
		expect(answered.json.support.draft.citations[0]).toMatchObject({
			id: 'reset-password',
			url: 'https://help.acme.test/es/reset-password',
		});
		expect(answered.json.support.draft.text).toContain('https://help.acme.test/es/reset-password');
		expect(abstained.json.support.answer.abstained).toBe(true);
		expect(abstained.json.support.draft).toMatchObject({ provider: 'template', needsReview: true });
	});

	it('version 1.2 checks English mail by meaning with the offline sentence encoder; 1.1 and the switched-off option do not', async () => {
		const mail = emailItem(
			'q4',
			'Password reset',
			'I forgot my password and the reset link never arrives. How do I reset my password?',
			'en',
		);
		const german = emailItem(
			'q5',
			'Passwort',
			'Ich habe mein Passwort vergessen, wie kann ich es zurücksetzen?',
			'de',
		);
		const searchWith = async (typeVersion: number, options: Record<string, unknown> = {}) => {
			const run = await n8n.execute(
				knowledgeWorkflow({ operation: 'search', knowledgeBase: 'demo', options }, { typeVersion }),
				[mail, german],
			);
			expect(run.nodeError(KNOWLEDGE)?.message).toBeUndefined();
			expect(run.status).toBe('success');
			return run.output(KNOWLEDGE, 0).map((i) => i.json.support);
		};
		const [checked, other] = await searchWith(1.2);
		expect(checked.knowledge[0].id).toBe('reset-password');
		expect(checked.knowledge[0].similarity).toBeGreaterThan(0.5);
		expect(checked.answer.confidence).toBe(checked.knowledge[0].score);
		expect(checked.answer.reasons.join(' ')).toMatch(/semantic check: similarity 0\.\d+/);
		expect(other.knowledge[0].similarity).toBeUndefined();
		expect(other.answer.reasons.join(' ')).toContain('reads English mail only');

		const [lexical] = await searchWith(1.1);
		const [off] = await searchWith(1.2, { semanticCheck: false });
		for (const support of [lexical, off]) {
			expect(support.knowledge[0].id).toBe('reset-password');
			expect(support.knowledge[0].similarity).toBeUndefined();
			expect(support.answer.reasons.join(' ')).not.toContain('semantic check');
		}
		expect(off.answer.confidence).toBe(lexical.answer.confidence);
	});

	it('past replies from an mbox export (a binary file) are found by a later search', async () => {
		const indexPath = join(dir, 'replies.json');
		const reply = (n: number, subject: string, answer: string, question: string) =>
			[
				`From support@acme.test Mon Jan  ${n} 10:00:00 2026`,
				'From: Acme Support <support@acme.test>',
				'To: customer@example.test',
				`Subject: Re: ${subject}`,
				`Message-ID: <sent-${n}@acme.test>`,
				`In-Reply-To: <question-${n}@example.test>`,
				'Content-Type: text/plain; charset=utf-8',
				'',
				answer,
				'',
				`On Mon, ${n} Jan 2026, Customer <customer@example.test> wrote:`,
				...question.split('\n').map((line) => `> ${line}`),
				'',
			].join('\n');
		const mbox = [
			reply(
				1,
				'Engraving',
				'Hello,\n\nYes: we engrave up to 20 characters on every watch for free; add the text in the order notes.\n\nBest regards,\nAcme',
				'Hi, can you engrave a name on the back of the watch I want to order?',
			),
			'From support@acme.test Mon Jan  2 10:00:00 2026\nFrom: Acme <support@acme.test>\nSubject: Newsletter\nMessage-ID: <news@acme.test>\n\nOur news.\n',
		].join('\n');
		const write: Workflow = {
			nodes: [
				{
					name: 'To File',
					type: 'n8n-nodes-base.convertToFile',
					typeVersion: 1.1,
					parameters: {
						operation: 'toBinary',
						sourceProperty: 'base64',
						binaryPropertyName: 'data',
						options: { fileName: 'sent.mbox', mimeType: 'application/mbox' },
					},
				},
				{
					name: KNOWLEDGE,
					type: `${NODE_PREFIX}.supportKnowledge`,
					typeVersion: 1,
					parameters: {
						operation: 'upsertReplies',
						knowledgeBase: 'file',
						replyInput: 'mailFiles',
						writeOptions: { indexPath },
					},
				},
			],
			connections: { 'To File': { main: [[{ node: KNOWLEDGE, type: 'main', index: 0 }]] } },
		};
		const run = await n8n.execute(write, [{ base64: Buffer.from(mbox).toString('base64') }]);
		expect(run.nodeError(KNOWLEDGE)?.message).toBeUndefined();
		const [summary] = run.output(KNOWLEDGE, 0);
		expect(summary.pairedItem).toEqual({ item: 0 });
		expect(summary.json.knowledge).toMatchObject({
			messages: 2,
			replies: 1,
			added: 1,
			skipped: 1,
			fileName: 'sent.mbox',
		});
		expect(Object.keys(summary.json.knowledge.skippedBecause)[0]).toMatch(/not a reply/);

		const search = await n8n.execute(
			knowledgeWorkflow({ operation: 'search', knowledgeBase: 'file', options: { indexPath } }),
			[emailItem('q4', 'Watch engraving', 'Can you engrave initials on a watch?', 'en')],
		);
		const [item] = search.output(KNOWLEDGE, 0);
		expect(item.json.support.knowledge[0]).toMatchObject({ source: 'reply' });
		expect(item.json.support.knowledge[0].text).toContain('20 characters');
	});

	it('the demo help centre cannot be written to: a clear error', async () => {
		const run = await n8n.execute(
			knowledgeWorkflow({ operation: 'upsertArticles', knowledgeBase: 'demo' }),
			[{ id: 'x', text: 'y' }],
		);
		expect(run.status).toBe('error');
		expect(run.nodeError(KNOWLEDGE)?.message).toMatch(/demo help centre cannot be changed/);
	});
});
