import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../lib/errors';
import {
	KnowledgeBase,
	articleFromFile,
	articleFromInput,
	clearKnowledgeCache,
	conversationFromInput,
	demoKnowledgeBase,
	frontMatter,
	indexFile,
	loadKnowledgeBase,
	replyBody,
	emailQueryText,
	focusFloor,
	focusedSearch,
	querySentences,
	searchForEmail,
	terms,
	updateKnowledgeBase,
} from '../../../lib/knowledge';
import { createRng } from '../../../lib/offline-model/random';
import { knowledgeFolderPerTest } from '../../support/knowledge-folder';

const refundsEn = () =>
	articleFromInput({
		articleId: 'refunds',
		language: 'en',
		title: 'When will I get my refund?',
		text: 'We refund a return within 5 working days after it arrives at our warehouse.',
		url: 'https://help.example.com/en/refunds',
	});
const refundsDe = () =>
	articleFromInput({
		articleId: 'refunds',
		language: 'de',
		title: 'Wann bekomme ich meine Erstattung?',
		text: 'Wir erstatten eine Rücksendung innerhalb von 5 Werktagen nach Eingang in unserem Lager.',
		url: 'https://help.example.com/de/refunds',
	});
const passwordEn = () =>
	articleFromInput({
		id: 'password',
		language: 'en',
		title: 'How do I reset my password?',
		text: 'Click Forgot password on the login page and we send you a reset link valid for 60 minutes.',
	});

describe('terms', () => {
	test('stems per language, folds accents, drops stop words and order numbers', () => {
		expect(terms('Die Rücksendungen meiner Bestellung 1234567', 'de')).toEqual(
			terms('Rücksendung Bestellungen', 'de'),
		);
		expect(terms('remboursements du colis', 'fr')).toEqual(terms('remboursement colis', 'fr'));
		expect(terms('the refunds', 'en')).toEqual(['refund']);
		expect(terms('Ελληνικά κείμενο', 'el').length).toBe(2);
	});
});

describe('documents', () => {
	test('Markdown with front matter: title, language, url and the text without the heading', () => {
		const doc = articleFromFile(
			'returns.md',
			'---\ntitle: Returning an item\nurl: https://help.example.com/returns\nlanguage: en\n---\n# Ignored heading\n\nUse the **prepaid** [label](https://x.test/l).',
		);
		expect(doc).toMatchObject({
			key: 'article:returns:en',
			title: 'Returning an item',
			url: 'https://help.example.com/returns',
			language: 'en',
			source: 'article',
		});
		expect(doc.text).toContain('Use the prepaid label (https://x.test/l).');
		expect(frontMatter('no front matter')).toEqual({});
	});

	test('file name language and HTML title', () => {
		const doc = articleFromFile(
			'faq/shipping.de.html',
			'<html><head><title>Versand</title></head><body><p>Der Versand dauert 2 Tage.</p></body></html>',
		);
		expect(doc).toMatchObject({ key: 'article:shipping:de', title: 'Versand', language: 'de' });
		expect(doc.text).toBe('Der Versand dauert 2 Tage.');
		expect(() => articleFromFile('picture.png', 'x')).toThrow(InputError);
	});

	test('a changed article gets a new hash; the same content the same hash', () => {
		expect(refundsEn().hash).toBe(refundsEn().hash);
		expect(
			articleFromInput({
				id: 'refunds',
				language: 'en',
				title: 'When will I get my refund?',
				text: 'Changed.',
			}).hash,
		).not.toBe(refundsEn().hash);
	});

	test('past replies lose the greeting and sign-off that named another customer', () => {
		expect(replyBody('Hi Anna,\n\nThe parcel ships tomorrow.\n\nBest regards,\nTom\nAcme')).toBe(
			'The parcel ships tomorrow.',
		);
		expect(
			replyBody('Bonjour Claire,\n\nVotre colis part demain.\n\nCordialement,\nLe support'),
		).toBe('Votre colis part demain.');
		const doc = conversationFromInput({
			customerMessage: 'Where is my parcel?',
			reply: 'Hello Bob,\n\nIt ships tomorrow.\n\nThanks,\nAcme',
			language: 'en',
		});
		expect(doc).toMatchObject({
			source: 'reply',
			text: 'It ships tomorrow.',
			question: 'Where is my parcel?',
		});
	});

	test('bad input says what to fix', () => {
		expect(() => articleFromInput({ id: 'x' })).toThrow(/no text/);
		expect(() => articleFromInput({ text: 'body only' })).toThrow(/neither an id nor a title/);
		expect(() => articleFromInput({ id: 'x', text: ['a'] as unknown as string })).toThrow(
			/must be text/,
		);
		expect(() => conversationFromInput({ customerMessage: 'hi' })).toThrow(/no reply/);
	});
});

describe('KnowledgeBase', () => {
	test('updates incrementally by content hash and removes', () => {
		const base = new KnowledgeBase();
		expect(base.upsert([refundsEn(), refundsDe(), passwordEn()])).toEqual({
			added: 3,
			updated: 0,
			unchanged: 0,
		});
		expect(base.upsert([refundsEn(), passwordEn()])).toEqual({
			added: 0,
			updated: 0,
			unchanged: 2,
		});
		const changed = articleFromInput({
			id: 'password',
			language: 'en',
			title: 'How do I reset my password?',
			text: 'Use the Forgot password link; the reset link is valid for 30 minutes.',
		});
		expect(base.upsert([changed])).toEqual({ added: 0, updated: 1, unchanged: 0 });
		expect(base.search('reset password link', { language: 'en' })[0].doc.text).toContain(
			'30 minutes',
		);
		expect(base.remove(['article:password:en', 'missing'])).toBe(1);
		expect(
			base.search('reset password link', { language: 'en' }).map((h) => h.doc.articleId),
		).not.toContain('password');
	});

	test('a hit on any language version is served in the customer’s language', () => {
		const base = new KnowledgeBase();
		base.upsert([refundsEn(), refundsDe(), passwordEn()]);
		const german = base.search('Wann bekomme ich meine Erstattung für die Rücksendung?', {
			language: 'de',
		});
		expect(german[0].doc.key).toBe('article:refunds:de');
		// An English question on an article that also exists in German: one hit per article.
		const english = base.search('when do I get my refund', { language: 'en' });
		expect(english.filter((h) => h.doc.articleId === 'refunds')).toHaveLength(1);
		expect(english[0].doc.key).toBe('article:refunds:en');
		expect(english[0].probability).toBeGreaterThan(english[1]?.probability ?? 0);
	});

	test('serialised and loaded, it answers the same', () => {
		const base = new KnowledgeBase();
		base.upsert([refundsEn(), refundsDe(), passwordEn()]);
		const loaded = KnowledgeBase.fromJSON(JSON.parse(JSON.stringify(base.toJSON())));
		const query = 'I forgot my password, how can I reset it?';
		expect(loaded.search(query, { language: 'en' })).toEqual(
			base.search(query, { language: 'en' }),
		);
		loaded.upsert([
			articleFromInput({
				id: 'new',
				language: 'en',
				title: 'Gift cards',
				text: 'Gift cards are valid for 3 years.',
			}),
		]);
		expect(
			loaded.search('how long is a gift card valid', { language: 'en' })[0].doc.articleId,
		).toBe('new');
	});

	test('past replies never take away an answer the articles alone give', () => {
		// Past replies on neighbouring questions, each worded differently (no two are one answer): in
		// one ranking they crowd the article's margin and agreement.
		const replies = [
			[
				'I forgot my password and the reset mail never arrives',
				'Check your spam folder; we sent the link again.',
			],
			['How can I change my password?', 'Go to Account, Security and choose Change password.'],
			[
				'My password reset link has expired',
				'Request a new link: each one is valid for 60 minutes.',
			],
			[
				'I cannot log in, it says my password is wrong',
				'We unlocked your account after three failed tries; try again.',
			],
		].map(([customerMessage, reply], i) =>
			conversationFromInput({ id: `r${i}`, customerMessage, reply, language: 'en' }),
		);
		const base = new KnowledgeBase();
		base.upsert([refundsEn(), passwordEn(), ...replies]);
		const query = 'I forgot my password, how can I reset it?';
		const [alone] = base.search(query, { language: 'en', sources: ['article'] });
		expect(alone.doc.articleId).toBe('password');
		expect(alone.probability).toBeGreaterThanOrEqual(base.autoAnswerThreshold);
		const hits = base.search(query, { language: 'en', limit: 5 });
		expect(hits[0]).toEqual(alone);
		// The past replies are still there, after it.
		expect(hits.slice(1).some((h) => h.doc.source === 'reply')).toBe(true);
		// Restricted to past replies, no article comes back.
		expect(
			base
				.search(query, { language: 'en', sources: ['reply'] })
				.every((h) => h.doc.source === 'reply'),
		).toBe(true);
	});

	test('a large base searches the rare query terms and still finds the one article that has them', () => {
		// 3,000 articles share "order" and "delivery" (more postings than one search scores); one
		// article is about the rare words of the question.
		const filler = Array.from({ length: 3000 }, (_, i) =>
			articleFromInput({
				id: `filler-${i}`,
				language: 'en',
				title: `Order update ${i}`,
				text: `Your order ${i % 7 === 0 ? 'delivery' : 'shipment'} is on its way; track the order delivery in your account.`,
			}),
		);
		const gift = articleFromInput({
			id: 'gift-wrap',
			language: 'en',
			title: 'Gift wrapping',
			text: 'We gift wrap any order with a handwritten card for 3 euros; choose gift wrapping at checkout.',
		});
		const base = new KnowledgeBase();
		base.upsert([...filler, gift]);
		const query = 'Can you gift wrap my order before delivery, with a handwritten card?';
		const [top] = base.search(query, { language: 'en' });
		expect(top.doc.articleId).toBe('gift-wrap');
		// Every query term the article has counts in the features, searched or not: 5 of the 7 terms
		// (gift, wrap, order, handwritten, card; not before, delivery), although "order" is in every article.
		expect(top.features.coverage).toBeCloseTo(5 / 7);
		const loaded = KnowledgeBase.fromJSON(JSON.parse(JSON.stringify(base.toJSON())));
		expect(loaded.search(query, { language: 'en' })).toEqual(
			base.search(query, { language: 'en' }),
		);
	});
});

describe('store', () => {
	const dir = knowledgeFolderPerTest('knowledge-');

	test('persists, reloads when another process changed the file, and keeps concurrent updates', async () => {
		const file = join(dir(), 'kb.json');
		expect((await loadKnowledgeBase(file)).size).toBe(0);
		await updateKnowledgeBase(file, (base) => ({
			result: base.upsert([refundsEn()]),
			changed: true,
		}));
		expect((await loadKnowledgeBase(file)).size).toBe(1);
		// Another worker writes the file: the next load sees it.
		const other = new KnowledgeBase();
		other.upsert([refundsEn(), passwordEn()]);
		writeFileSync(file, JSON.stringify(other.toJSON()));
		expect((await loadKnowledgeBase(file)).size).toBe(2);
		await Promise.all([
			updateKnowledgeBase(file, (base) => ({ result: base.upsert([refundsDe()]), changed: true })),
			updateKnowledgeBase(file, (base) => ({
				result: base.upsert([
					articleFromInput({
						id: 'gift',
						title: 'Gift cards',
						text: 'Valid 3 years.',
						language: 'en',
					}),
				]),
				changed: true,
			})),
		]);
		clearKnowledgeCache();
		expect(
			(await loadKnowledgeBase(file))
				.documents()
				.map((d) => d.key)
				.sort(),
		).toEqual([
			'article:gift:en',
			'article:password:en',
			'article:refunds:de',
			'article:refunds:en',
		]);
	});

	test('a file that is not a knowledge file is a clear error', async () => {
		const file = join(dir(), 'broken.json');
		writeFileSync(file, '{"not": "knowledge"');
		await expect(loadKnowledgeBase(file)).rejects.toThrow(/not valid JSON/);
		writeFileSync(file, '{"format": "something else"}');
		await expect(loadKnowledgeBase(file)).rejects.toThrow(/not a knowledge file/);
		expect(readFileSync(file, 'utf8')).toContain('something else');
	});

	test('index names cannot leave the knowledge folder', () => {
		expect(() => indexFile('../etc/passwd')).toThrow(InputError);
		expect(indexFile('help-centre')).toMatch(/support-knowledge[\\/]help-centre\.json$/);
		expect(indexFile('x', '/shared/kb.json')).toBe('/shared/kb.json');
	});
});

describe('searchForEmail on the demo help centre', () => {
	const base = demoKnowledgeBase();

	test('has at least 25 articles, each in en, de, fr and es', () => {
		const articles = base.articles();
		expect(articles.size).toBeGreaterThanOrEqual(25);
		for (const languages of articles.values())
			expect(languages.sort()).toEqual(['de', 'en', 'es', 'fr']);
	});

	test('a FAQ question is answered from the right article in the customer’s language', () => {
		const result = searchForEmail(base, {
			subject: 'No puedo entrar',
			text: 'Olvidé mi contraseña. ¿Cómo puedo restablecerla?',
			language: 'es',
		});
		expect(result.knowledge[0]).toMatchObject({
			id: 'reset-password',
			language: 'es',
			source: 'article',
		});
		expect(result.answer.abstained).toBe(false);
		expect(result.answer.citations[0]).toMatchObject({
			id: 'reset-password',
			url: 'https://help.acme.test/es/reset-password',
		});
		expect(result.answer.confidence).toBe(result.knowledge[0].score);
	});

	test('the greeting line and the sign-off are not searched: they are in no answer', () => {
		const question = 'Olvidé mi contraseña. ¿Cómo puedo restablecerla?';
		const framed = `Hola equipo de Acme,\n\n${question}\n\nSaludos cordiales,\nMaría Fernández\nCalle Mayor 5, Madrid`;
		expect(emailQueryText({ subject: 'No puedo entrar', text: framed })).toBe(
			`No puedo entrar\n${question}`,
		);
		const plain = searchForEmail(base, {
			subject: 'No puedo entrar',
			text: question,
			language: 'es',
		});
		const inMail = searchForEmail(base, {
			subject: 'No puedo entrar',
			text: framed,
			language: 'es',
		});
		expect(inMail.knowledge[0].id).toBe('reset-password');
		expect(inMail.answer.confidence).toBe(plain.answer.confidence);
		// A first line that greets and asks is the question: it stays.
		for (const text of [
			'Hi, I cannot log in\nThanks,\nBob',
			'Hello can you reset my password please\nBob',
			'Hola, olvidé mi contraseña.\n¿Me ayudan?',
		])
			expect(emailQueryText({ text })).toContain(text.split('\n')[0]);
		expect(emailQueryText({ text: 'Dear Sir or Madam,\nmy card was charged twice.' })).toBe(
			'\nmy card was charged twice.',
		);
	});

	test('a sentence that asks what the best answer answers raises its confidence halfway, in log-odds', () => {
		const question = 'How long does delivery take to Ireland?';
		const text = `Hi,\n\nI have been a customer for a few years and never had to write to you before. ${question}\n\nThanks,\nTom`;
		const email = { subject: 'Question', text, language: 'en' };
		const whole = base.search(emailQueryText(email), { language: 'en', limit: 1 })[0];
		const alone = base.search(question, { language: 'en', limit: 1 })[0];
		expect([whole.doc.articleId, alone.doc.articleId]).toEqual([
			'delivery-times',
			'delivery-times',
		]);
		expect(alone.probability).toBeGreaterThan(whole.probability);
		const logit = (p: number) => Math.log(p / (1 - p));
		const expected = 1 / (1 + Math.exp(-(logit(whole.probability) + logit(alone.probability)) / 2));

		const result = searchForEmail(base, email);
		expect(result.knowledge[0].id).toBe('delivery-times');
		expect(result.answer.confidence).toBeCloseTo(expected, 3);
		expect(result.answer.confidence).toBeGreaterThan(whole.probability);
		expect(result.answer.confidence).toBeLessThan(alone.probability);
		expect(result.answer.reasons.join('\n')).toContain(`"${question}" asks what it answers`);
		// A one-sentence question is searched once: nothing to raise.
		const single = searchForEmail(base, { text: question, language: 'en' });
		expect(single.answer.confidence).toBe(Math.round(alone.probability * 1000) / 1000);
		expect(single.answer.reasons.join('\n')).not.toContain('asks what it answers');
	});

	test('a mail that asks two things keeps the whole text’s confidence', () => {
		const twoTopics = new KnowledgeBase();
		twoTopics.upsert([refundsEn(), passwordEn()]);
		const text = 'When will I get my refund for the return? I also forgot my password.';
		const query = emailQueryText({ text });
		const whole = twoTopics.search(query, { language: 'en', limit: 1 })[0];
		// High enough for the sentences to be searched ...
		expect(whole.probability).toBeGreaterThanOrEqual(focusFloor(twoTopics.autoAnswerThreshold));
		// ... and each question alone finds its own article, surely: raised half-way to the refund
		// sentence, the refund article alone would be sent for both questions.
		const refund = twoTopics.search('When will I get my refund for the return?', {
			language: 'en',
			limit: 1,
		})[0];
		const password = twoTopics.search('I also forgot my password.', {
			language: 'en',
			limit: 1,
		})[0];
		expect([refund.doc.articleId, password.doc.articleId]).toEqual(['refunds', 'password']);
		expect(Math.min(refund.probability, password.probability)).toBeGreaterThan(0.5);
		const result = searchForEmail(twoTopics, { text, language: 'en' });
		expect(result.knowledge[0].id).toBe('refunds');
		expect(result.answer.confidence).toBe(Math.round(whole.probability * 1000) / 1000);
		expect(focusedSearch(twoTopics, query, { language: 'en' })[0].focus).toBeUndefined();
		// With a statement in place of the second question, the same mail is raised.
		const statement = emailQueryText({
			text: 'When will I get my refund for the return? I also bought a new lamp.',
		});
		const plain = twoTopics.search(statement, { language: 'en', limit: 1 })[0];
		const raised = focusedSearch(twoTopics, statement, { language: 'en' })[0];
		expect(raised.focus).toBe('When will I get my refund for the return?');
		expect(raised.probability).toBeGreaterThan(plain.probability);
	});

	test('querySentences: the subject line and sentences of three words or more, at most six', () => {
		expect(
			querySentences(
				'Refund not received\nHi there. Sent back. It arrived at your warehouse on May 3! Where is my money?',
			),
		).toEqual([
			'Refund not received',
			'It arrived at your warehouse on May 3!',
			'Where is my money?',
		]);
		expect(
			querySentences(Array.from({ length: 20 }, (_, i) => `This is sentence ${i}.`).join(' ')),
		).toHaveLength(6);
		expect(querySentences('')).toEqual([]);
	});

	test('a crafted mail of blank lines is cleaned in linear time (the sign-off pattern was quadratic)', () => {
		// 200,000 newlines took minutes before the blank lines were collapsed; now a moment.
		const text = `Where is my order?${'\n'.repeat(200_000)}Kind regards,\nSarah`;
		expect(emailQueryText({ text })).toBe('\nWhere is my order?');
		expect(replyBody(`Hi Ann,\n\nIt ships today.${'\n \t'.repeat(100_000)}\nThanks,\nBen`)).toBe(
			'It ships today.',
		);
	});

	test('an email the help centre does not cover abstains', () => {
		const result = searchForEmail(base, {
			subject: 'Partnership',
			text: 'We are a marketing agency and would like to discuss a sponsorship of your podcast.',
			language: 'en',
		});
		expect(result.answer.abstained).toBe(true);
		expect(result.answer.reasons[0]).toMatch(/confidence|nothing in the knowledge matches/);
	});

	test('fuzz: random text never throws and scores stay probabilities', () => {
		const random = createRng(42);
		const alphabet = 'abcdefghijklmnopqrstuvwxyzäöüéñß 0123456789?!.,\n\'"<>#*[]()-_';
		for (let i = 0; i < 120; i++) {
			const length = Math.floor(random() * 400);
			let text = '';
			for (let k = 0; k < length; k++) text += alphabet[Math.floor(random() * alphabet.length)];
			const result = searchForEmail(base, { text, language: ['en', 'de', 'xx', undefined][i % 4] });
			for (const entry of result.knowledge) expect(entry.score).toBeGreaterThanOrEqual(0);
			for (const entry of result.knowledge) expect(entry.score).toBeLessThanOrEqual(1);
			try {
				articleFromFile(`f${i}.md`, text);
			} catch (error) {
				expect(error).toBeInstanceOf(InputError);
			}
		}
	});
});
