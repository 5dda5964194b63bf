import { detectSensitiveTopics } from '../../../lib/escalation';

const cases: Array<[string, string]> = [
	['legal-threat', 'If this is not fixed I will take legal action.'],
	['legal-threat', 'Mein Anwalt wird sich bei Ihnen melden.'],
	['legal-threat', 'Mon avocat vous contactera, mise en demeure.'],
	['legal-threat', 'Mi abogado presentará acciones legales.'],
	['chargeback', 'I will file a chargeback with my bank.'],
	['chargeback', 'Ich mache eine Rückbuchung über meine Bank.'],
	['chargeback', 'Je vais faire une contestation de paiement.'],
	['chargeback', 'Voy a pedir un contracargo.'],
	['security-incident', 'My account was hacked last night.'],
	['security-incident', 'Mein Konto wurde gehackt.'],
	['security-incident', 'Mon compte a été piraté.'],
	['security-incident', 'Creo que hubo una filtración de datos.'],
	['privacy-request', 'Please delete my personal data.'],
	['privacy-request', 'Bitte meine Daten löschen gemäß DSGVO.'],
	['privacy-request', 'Merci de supprimer mes données.'],
	['privacy-request', 'Quiero ejercer mi derecho al olvido.'],
	['self-harm', 'Honestly I want to kill myself.'],
	['self-harm', 'Ich denke an Selbstmord.'],
	['self-harm', 'Je pense au suicide.'],
	['self-harm', 'No quiero vivir así.'],
	['harassment', 'Your driver keeps harassing me.'],
	['harassment', 'Das ist Belästigung.'],
	['harassment', "C'est du harcèlement."],
	['harassment', 'Esto es acoso.'],
];

describe('sensitive topics', () => {
	it.each(cases)('%s: %s', (topic, text) => {
		expect(detectSensitiveTopics(text).map((h) => h.topic)).toContain(topic);
	});

	it('ordinary support mail touches none', () => {
		for (const text of [
			'Where is my order #4521? It has not arrived yet.',
			'Can I change the delivery address to Berlin?',
			'Wie kann ich meine Rechnung herunterladen?',
			'La demande est forte, merci pour le produit.',
			'Hay mucha demanda, ¿cuándo vuelve el stock?',
			'Please reset my password, I forgot it.',
		])
			expect(detectSensitiveTopics(text)).toEqual([]);
	});

	it('names the words that matched', () => {
		expect(detectSensitiveTopics('I am calling my lawyer tomorrow')).toEqual([
			{ topic: 'legal-threat', evidence: 'my lawyer' },
		]);
	});
});
