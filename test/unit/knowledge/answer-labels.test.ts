import { join } from 'node:path';
import { demoKnowledgeBase } from '../../../lib/knowledge';
import { loadLabelledMail } from '../../../scripts/answer-labels';

describe('the hand-written mail labelled with the demo help centre’s answers (eval:answers)', () => {
	const mail = loadLabelledMail(join(__dirname, '../../..'));

	test('every mail is labelled, by subject, with knowledge the demo help centre has', () => {
		expect(mail).toHaveLength(7 * 33 + 42);
		const base = demoKnowledgeBase();
		const known = new Set([
			...base.articles().keys(),
			...base
				.documents()
				.filter((d) => d.source === 'reply')
				.map((d) => d.articleId),
		]);
		const unknown = mail.flatMap((m) => m.answers.filter((id) => !known.has(id)));
		expect(unknown).toEqual([]);
		// Mail outside the shop's taxonomy is answered by nothing.
		expect(mail.filter((m) => m.file === 'out-of-taxonomy.txt' && m.answers.length)).toEqual([]);
		expect(mail.filter((m) => m.answers.length).length).toBeGreaterThan(50);
	});
});
