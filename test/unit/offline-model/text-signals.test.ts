import { extractEntities, parseAmount } from '../../../lib/offline-model/entities';
import { detectLanguage } from '../../../lib/offline-model/language';
import { SENTIMENT_LANGUAGES, analyzeSentiment } from '../../../lib/offline-model/sentiment';
import { summarize } from '../../../lib/offline-model/summary';
import { SUPPORT_LANGUAGES } from '../../../lib/offline-model/training-data';
import { detectUrgency } from '../../../lib/offline-model/urgency';

describe('language detection', () => {
	it.each([
		['en', 'Hello, I have not received my order yet. Could you please check what happened?'],
		['de', 'Hallo, ich habe meine Bestellung noch nicht erhalten. Können Sie bitte nachsehen?'],
		[
			'fr',
			"Bonjour, je n'ai toujours pas reçu ma commande. Pouvez-vous vérifier ce qui se passe ?",
		],
		['es', 'Hola, todavía no he recibido mi pedido. ¿Pueden comprobar qué ha pasado?'],
	])('detects %s', (language, text) => {
		const result = detectLanguage(text);
		expect(result.language).toBe(language);
		expect(result.confidence).toBeGreaterThan(0);
	});

	// Short mail: subjects and one-line replies. The detector before (tinyld 1.3.4) got all but the
	// last of these wrong (sv, fr, none, none, sr, pl, eo).
	it.each([
		['fr', 'Colis endommagé'],
		['nl', 'Retour aanvragen'],
		['it', 'Ordine in ritardo'],
		['pt', 'Fatura errada'],
		['es', 'Cambio de talla'],
		['en', 'Wrong size'],
		['de', 'Konto löschen DSGVO'],
		['de', 'Danke, das hat geholfen!'],
	])('detects %s in a short text', (language, text) => {
		expect(detectLanguage(text).language).toBe(language);
	});

	it('ranks candidates by score, and within the allowed languages when limited', () => {
		const open = detectLanguage('Grazie mille per il rimborso veloce');
		expect(open.candidates.length).toBeGreaterThan(1);
		const scores = open.candidates.map((candidate) => candidate.confidence);
		expect([...scores].sort((a, b) => b - a)).toEqual(scores);
		const limited = detectLanguage('Grazie mille per il rimborso veloce', { only: ['FR', 'es'] });
		expect(limited.candidates.map((candidate) => candidate.language)).toEqual(
			expect.arrayContaining([limited.language]),
		);
		for (const candidate of limited.candidates) expect(['fr', 'es']).toContain(candidate.language);
	});

	it('falls back when there is nothing to go on', () => {
		expect(detectLanguage('#12345 ...', { fallback: 'de' })).toEqual({
			language: 'de',
			confidence: 0,
			candidates: [],
		});
	});

	it('can be limited to the languages a team answers in', () => {
		const result = detectLanguage('Obrigado pela ajuda com a minha encomenda', {
			only: ['es', 'en'],
		});
		expect(['es', 'en']).toContain(result.language);
	});
});

describe('sentiment', () => {
	it('reads angry English mail as negative', () => {
		const result = analyzeSentiment('This is terrible service, I am angry and very disappointed.');
		expect(result.label).toBe('negative');
		expect(result.score).toBeLessThan(-0.5);
	});

	it('reads thanks and praise as positive', () => {
		expect(
			analyzeSentiment('Thank you so much, your team was excellent and super helpful!').label,
		).toBe('positive');
	});

	it('keeps a polite request neutral (AFINN would score "please help, I would like" positive)', () => {
		const result = analyzeSentiment(
			'Could you please help me? I would like to change my order. Kind regards',
		);
		expect(result.label).toBe('neutral');
	});

	it('handles negation and "no problem"', () => {
		expect(analyzeSentiment('I am not happy with this').label).toBe('negative');
		expect(analyzeSentiment('No problem at all, thanks').score).toBeGreaterThanOrEqual(0);
	});

	it.each([
		['de', 'Das ist eine Frechheit, ich bin sehr enttäuscht und verärgert.'],
		['fr', 'Service nul, je suis très déçu et furieux.'],
		['es', 'Pésimo servicio, estoy muy decepcionado y enfadado.'],
		['it', 'Servizio pessimo, sono molto deluso e arrabbiato.'],
		['nl', 'Belachelijk slechte service, ik ben echt boos en teleurgesteld.'],
		['pt', 'Atendimento péssimo, estou muito decepcionado e irritado.'],
	])('has a word list for %s', (language, text) => {
		const result = analyzeSentiment(text, language);
		expect(result.lexicon).toBe(language);
		expect(result.label).toBe('negative');
	});

	it('negates German words', () => {
		expect(analyzeSentiment('Ich bin nicht zufrieden', 'de').score).toBeLessThan(0);
	});

	it.each([
		['it', 'Non sono soddisfatto del servizio'],
		['nl', 'Ik ben helemaal niet tevreden'],
		['pt', 'Não estou satisfeito com o serviço'],
		['pt', 'Nao estou satisfeito com o servico'],
	])('negates %s words: %s', (language, text) => {
		expect(analyzeSentiment(text, language).score).toBeLessThan(0);
	});

	it.each([
		['it', 'Grazie mille, servizio eccellente e spedizione veloce!'],
		['nl', 'Bedankt, alles was perfect en jullie waren heel behulpzaam!'],
		['pt', 'Muito obrigada, atendimento excelente e entrega rápida!'],
	])('reads %s praise as positive', (language, text) => {
		expect(analyzeSentiment(text, language).label).toBe('positive');
	});

	it.each([
		['it', "Buongiorno,\nvorrei cambiare l'indirizzo di consegna.\nCordiali saluti\nGiulia"],
		['nl', 'Goedemiddag,\nkunt u mijn adres wijzigen?\nMet vriendelijke groet,\nJan'],
		['pt', 'Boa tarde,\ngostaria de alterar o endereço de entrega.\nObrigado\nJoão'],
	])('keeps a polite %s request with its greeting and sign-off neutral', (language, text) => {
		const result = analyzeSentiment(text, language);
		expect(result.words).toEqual([]);
		expect(result.label).toBe('neutral');
	});

	it('reads words behind ¡, typographic quotes and elided articles', () => {
		expect(analyzeSentiment('¡Pésimo servicio!', 'es').words).toEqual([
			{ word: 'pésimo', score: -4 },
		]);
		expect(analyzeSentiment('The service was “terrible”.', 'en').label).toBe('negative');
		expect(analyzeSentiment("C'est de l'arnaque", 'fr').words).toContainEqual({
			word: 'arnaque',
			score: -4,
		});
		expect(analyzeSentiment("È stata un'esperienza orribile", 'it').label).toBe('negative');
	});

	it('has a word list for every language the built-in model classifies', () => {
		expect([...SENTIMENT_LANGUAGES].sort()).toEqual([...SUPPORT_LANGUAGES].sort());
	});
});

describe('urgency', () => {
	it.each([
		['Your website is down and our customers cannot check out', 'critical'],
		['If this is not fixed I will contact my lawyer', 'critical'],
		['Someone hacked my account and made purchases', 'critical'],
		['Ich werde rechtliche Schritte einleiten', 'critical'],
		['Le service est en panne depuis ce matin', 'critical'],
		['Please reply ASAP, I need the invoice', 'high'],
		['Bitte dringend um Rückmeldung', 'high'],
		['Necesito una respuesta urgente', 'high'],
		['I still have not received my refund after three weeks', 'high'],
		['I cannot log in to my account', 'high'],
		['Where can I find my invoice?', 'normal'],
		['Not urgent, but could you update my address when you get a chance?', 'low'],
		['Keine Eile, aber können Sie meine Adresse ändern?', 'low'],
		['Il sito è fuori servizio da stamattina', 'critical'],
		['Se non risolvete, mi rivolgo al mio avvocato', 'critical'],
		['De website ligt plat, niemand kan afrekenen', 'critical'],
		['Ik schakel een advocaat in als dit niet wordt opgelost', 'critical'],
		['Meu cartão teve compras não autorizadas', 'critical'],
		['Vou procurar um advogado', 'critical'],
		['Rispondete il prima possibile, per favore', 'high'],
		['Non riesco ad accedere al mio account', 'high'],
		['Ik heb nog steeds mijn geld niet terug', 'high'],
		['Graag zo snel mogelijk terugstorten', 'high'],
		['Ainda não recebi o reembolso', 'high'],
		['Vocês me cobraram duas vezes pelo mesmo pedido', 'high'],
		['Nessuna fretta, ma potete aggiornare il mio indirizzo?', 'low'],
		['Geen haast, maar kunnen jullie mijn adres aanpassen?', 'low'],
		['Sem pressa, mas podem atualizar a minha morada?', 'low'],
		['Waar kan ik mijn factuur vinden?', 'normal'],
		['Dove trovo la mia fattura?', 'normal'],
		['Onde encontro a minha fatura?', 'normal'],
	])('%j is %s', (text, level) => {
		expect(detectUrgency(text).level).toBe(level);
	});

	it('reports why', () => {
		expect(detectUrgency('URGENT: production is down!').signals).toEqual(
			expect.arrayContaining(['critical: service down', 'high: urgent']),
		);
	});
});

describe('entities', () => {
	const sample = [
		'Hi, my order #A-10023 arrived broken and purchase 113542617735902 never came.',
		'You charged me $1,234.56 and then another 49,99 € and EUR 12.50 on 2024-05-03 (also on 5 March 2024).',
		'Invoice no. INV-2024-0042 is wrong. Tracking number 1Z999AA10123456784.',
		'Call me on +49 170 1234567 or write to jane.doe@example.com.',
		'See https://example.com/orders/A-10023?tab=status, thanks.',
	].join('\n');
	const entities = extractEntities(sample);

	it('finds order numbers next to their keywords', () => {
		expect(entities.orderIds).toEqual(['A-10023', '113542617735902']);
		expect(entities.orderId).toBe('A-10023');
	});

	it('finds amounts with their currency', () => {
		expect(entities.amounts).toEqual([
			{ raw: '$1,234.56', value: 1234.56, currency: 'USD' },
			{ raw: '49,99 €', value: 49.99, currency: 'EUR' },
			{ raw: 'EUR 12.50', value: 12.5, currency: 'EUR' },
		]);
	});

	it('finds invoice and tracking numbers, emails, phones, URLs and dates', () => {
		expect(entities.invoiceIds).toEqual(['INV-2024-0042']);
		expect(entities.trackingNumbers).toEqual(['1Z999AA10123456784']);
		expect(entities.emails).toEqual(['jane.doe@example.com']);
		expect(entities.phones).toEqual(['+49 170 1234567']);
		expect(entities.urls).toEqual(['https://example.com/orders/A-10023?tab=status']);
		expect(entities.dates).toEqual([
			{ raw: '2024-05-03', iso: '2024-05-03' },
			{ raw: '5 March 2024', iso: '2024-03-05' },
		]);
	});

	it('does not take an order number for a phone number', () => {
		expect(extractEntities('order 113542617735902 is late').phones).toEqual([]);
	});

	it('finds German, French and Spanish order numbers', () => {
		expect(extractEntities('Bestellnummer: 4711-883').orderIds).toEqual(['4711-883']);
		expect(extractEntities('commande n° 98765').orderIds).toEqual(['98765']);
		expect(extractEntities('mi pedido número 55321').orderIds).toEqual(['55321']);
	});

	it('parses amounts in both decimal conventions', () => {
		expect(parseAmount('1.234,56')).toBe(1234.56);
		expect(parseAmount('1,234.56')).toBe(1234.56);
		expect(parseAmount('1,234')).toBe(1234);
		expect(parseAmount('12,5')).toBe(12.5);
	});
});

describe('summary', () => {
	it('skips the greeting and keeps the first meaningful sentence', () => {
		const text =
			'Hi team,\n\nI hope you are well.\nMy package arrived damaged and I want a replacement. Photos attached.\n\nThanks,\nAnna';
		expect(summarize(text)).toBe('My package arrived damaged and I want a replacement.');
	});

	it('drops a greeting glued to the request', () => {
		expect(summarize('Hello Maria, where is my order?')).toBe('Where is my order?');
	});

	it('truncates at a word boundary', () => {
		const summary = summarize(`I ${'really '.repeat(60)}need help with my invoice.`, {
			maxLength: 80,
		});
		expect(summary.length).toBeLessThanOrEqual(80);
		expect(summary.endsWith('…')).toBe(true);
		expect(summary).not.toMatch(/\s…$/);
	});

	it('uses the subject when the body has nothing', () => {
		expect(summarize('Thanks!', { subject: 'Refund for order 123' })).toBe('Refund for order 123');
	});
});
