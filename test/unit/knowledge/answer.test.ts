import { draftReply, isThankYouOnly, signatureFor, unsupportedClaims } from '../../../lib/draft';
import type { DraftConfig, DraftInput } from '../../../lib/draft';
import { AUTO_ANSWER_THRESHOLD, withAnswerRule } from '../../../lib/escalation/answer-rule';
import type { Decision } from '../../../lib/escalation/rules';
import { demoKnowledgeBase, searchForEmail } from '../../../lib/knowledge';

const config: DraftConfig = {
	providers: [],
	templateFallback: true,
	language: 'customer',
	tone: 'friendly',
	companyName: 'Acme',
	agentName: 'The Acme support team',
	policies: [],
	templates: [],
	reviewThreshold: 0.7,
	minClassificationConfidence: 0.7,
	maxInputChars: 8000,
	maxKnowledgeChars: 12000,
	redactPersonalData: false,
	autoAnswerThreshold: 0.9,
};

function inputFor(subject: string, text: string, language: string): DraftInput {
	const found = searchForEmail(demoKnowledgeBase(), { subject, text, language });
	return {
		email: {
			subject,
			text,
			from: { name: 'Diego Martínez', address: 'd@example.mx' },
			messageId: '<m1@x>',
		},
		classification: { category: 'account', language, confidence: 0.5 },
		knowledge: found.knowledge,
		answer: found.answer,
	};
}

describe('offline answer in the drafter', () => {
	test('a FAQ question is answered from the article in the customer’s language, citing it', async () => {
		const input = inputFor(
			'No puedo entrar en mi cuenta',
			'Hola, olvidé mi contraseña y no puedo acceder a mi cuenta. ¿Cómo puedo restablecerla?',
			'es',
		);
		const draft = await draftReply(input, { ...config, autoAnswerThreshold: 0.5 });
		expect(draft).toMatchObject({
			provider: 'knowledge',
			language: 'es',
			knowledgeAnswered: true,
			needsReview: false,
		});
		expect(draft.citations[0]).toMatchObject({
			id: 'reset-password',
			url: 'https://help.acme.test/es/reset-password',
		});
		expect(draft.text).toMatch(/^Hola Diego:/);
		expect(draft.text).toContain('Olvidó su contraseña');
		expect(draft.text).toContain('https://help.acme.test/es/reset-password');
		// Signed in Spanish, the company named once.
		expect(draft.text).toMatch(/Saludos cordiales,\nEl equipo de soporte de Acme$/);
		expect(draft.confidence).toBe(input.answer!.confidence);
	});

	test('below the auto-answer threshold the answer is drafted for review', async () => {
		const input = inputFor(
			'No puedo entrar en mi cuenta',
			'Hola, olvidé mi contraseña. ¿Cómo puedo restablecerla?',
			'es',
		);
		const draft = await draftReply(input, { ...config, autoAnswerThreshold: 0.999 });
		expect(draft.provider).toBe('knowledge');
		expect(draft.needsReview).toBe(true);
		expect(draft.reasons).toContain('answer_confidence_low');
	});

	test('when the knowledge step abstains the template reply goes to review as before', async () => {
		const input = inputFor(
			'Podcast',
			'We are a marketing agency and would like to sponsor your podcast.',
			'en',
		);
		expect(input.answer!.abstained).toBe(true);
		const draft = await draftReply(input, config);
		expect(draft.provider).toBe('template');
		expect(draft.needsReview).toBe(true);
		expect(draft.reasons).toContain('template_reply');
	});

	test('knowledge without a calibrated answer is never auto-sent', async () => {
		const input: DraftInput = {
			...inputFor('x', 'How do I reset my password?', 'en'),
			answer: undefined,
		};
		input.knowledge = [{ id: 'kb1', text: 'Use the Forgot password link.', score: 0.99 }];
		const draft = await draftReply(input, config);
		expect(draft.provider).toBe('knowledge');
		expect(draft.reasons).toContain('answer_uncalibrated');
	});

	test('a thank-you mail gets a thank-you', async () => {
		expect(
			isThankYouOnly('Thank you!', 'Just wanted to say the agent was fantastic. Great service!'),
		).toBe(true);
		expect(isThankYouOnly('Thanks', 'Thanks, but the parcel still has not arrived.')).toBe(false);
		expect(isThankYouOnly('Danke', 'Vielen Dank für die schnelle Hilfe!')).toBe(true);
		const draft = await draftReply(
			{
				email: { subject: 'Merci !', text: 'Merci beaucoup pour votre aide rapide.' },
				classification: { category: 'feedback', language: 'fr', confidence: 0.9 },
				knowledge: [],
			},
			config,
		);
		expect(draft.text).toMatch(/^Bonjour,\n\nMerci pour votre gentil message/);
		expect(draft.needsReview).toBe(false);
		expect(draft.text).not.toMatch(/examiner|look into/);
	});
});

describe('signature', () => {
	test('names the company once and speaks the reply language', () => {
		expect(
			signatureFor('en', '', { agentName: 'The Acme support team', companyName: 'Acme' }, true),
		).toBe('Best regards,\nThe Acme support team');
		expect(
			signatureFor('de', '', { agentName: 'The Acme support team', companyName: 'Acme' }, true),
		).toBe('Mit freundlichen Grüßen\nIhr Acme-Support-Team');
		expect(signatureFor('fr', '', { companyName: 'Acme' }, true)).toBe(
			'Cordialement,\nL’équipe support Acme',
		);
		expect(signatureFor('de', '', { agentName: 'Sam', companyName: 'Acme' }, true)).toBe(
			'Mit freundlichen Grüßen\nSam\nAcme',
		);
	});
});

describe('grounding check', () => {
	test('facts the knowledge and the email do not state are unsupported claims', () => {
		const sources = [
			'Refunds are paid within 5 working days. See https://help.acme.test/refunds',
			'My order 51007 cost 149.99 EUR',
		];
		expect(
			unsupportedClaims(
				'Your refund arrives within 5 working days (https://help.acme.test/refunds).',
				sources,
			),
		).toEqual([]);
		expect(
			unsupportedClaims(
				'You will get 20% off and the refund arrives within 2 days. Call +49 30 9999 0000.',
				sources,
			).sort(),
		).toEqual(['+49 30 9999 0000', '2 days', '20%']);
		expect(unsupportedClaims('We refunded 149.99 EUR for order 51007.', sources)).toEqual([]);
	});
});

describe('answer-confidence escalation rule', () => {
	const autoSend: Decision = {
		action: 'auto_send',
		reasons: ['all-checks-passed: x'],
		rules: [],
		decidedAt: 'now',
	};
	test('an auto-send below the threshold, or after an abstention, goes to review', () => {
		const low = withAnswerRule(
			autoSend,
			{ support: { answer: { confidence: 0.5, abstained: false, citations: [], reasons: [] } } },
			0.9,
		);
		expect(low.action).toBe('human_review');
		expect(low.reasons[0]).toMatch(
			/^answer-confidence: answer confidence 0.5 < auto-answer threshold 0.9/,
		);
		const abstained = withAnswerRule(
			autoSend,
			{ support: { answer: { confidence: 0.95, abstained: true, citations: [], reasons: [] } } },
			0.9,
		);
		expect(abstained.action).toBe('human_review');
		expect(
			withAnswerRule(
				autoSend,
				{ support: { answer: { confidence: 0.95, abstained: false } } },
				0.9,
			),
		).toBe(autoSend);
		expect(withAnswerRule(autoSend, { support: {} }, 0.9)).toBe(autoSend);
		// A thank-you rests on no knowledge.
		expect(
			withAnswerRule(
				autoSend,
				{
					support: {
						answer: { confidence: 0, abstained: true },
						draft: { provider: 'template', knowledgeAnswered: false },
					},
				},
				0.9,
			),
		).toBe(autoSend);
	});
});

describe('one auto-answer threshold for the drafter and the escalation', () => {
	test('the Escalation rule applies the threshold the Reply Drafter judged the answer against', async () => {
		const input = inputFor(
			'Delete my account and data',
			'Under the GDPR I ask you to delete my account and all personal data you hold about me. Please confirm when this is done.',
			'en',
		);
		const confidence = input.answer!.confidence;
		// A threshold just under the answer's confidence: the drafter finds it good enough ...
		const threshold = Math.floor(confidence * 100) / 100;
		const draft = await draftReply(input, { ...config, autoAnswerThreshold: threshold });
		expect(draft.autoAnswerThreshold).toBe(threshold);
		expect(draft.reasons).not.toContain('answer_confidence_low');
		const autoSend: Decision = { action: 'auto_send', reasons: [], rules: [], decidedAt: 'now' };
		const item = { support: { answer: input.answer, draft } };
		// ... and so does the Escalation, though the shipped default is stricter than this answer.
		expect(confidence).toBeLessThan(AUTO_ANSWER_THRESHOLD);
		expect(withAnswerRule(autoSend, item).action).toBe('auto_send');
		// The default applies when no drafter said otherwise.
		const { autoAnswerThreshold: _, ...unstamped } = draft;
		expect(
			withAnswerRule(autoSend, { support: { answer: input.answer, draft: unstamped } }).action,
		).toBe('human_review');
		// A draft without support.answer records no threshold.
		const plain = await draftReply({ ...input, answer: undefined }, config);
		expect(plain.autoAnswerThreshold).toBeUndefined();
	});
});
