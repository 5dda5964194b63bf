import Sentiment from 'sentiment';

/**
 * Sentiment with the `sentiment` package (MIT, no dependencies, AFINN-165 word list with English
 * negation handling and emoji scores). AFINN was built for tweets, so a few support-mail words are
 * re-weighted ("help", "please", "like", "cancel" are not feelings in a support request), sign-offs
 * are dropped before scoring, and small hand-written word lists (this package's own, MIT) cover
 * German, French, Spanish, Italian, Dutch and Portuguese through the package's registerLanguage API.
 */

export type SentimentLabel = 'negative' | 'neutral' | 'positive';

export interface SentimentResult {
	label: SentimentLabel;
	/** -1..1 (tanh of the summed word scores / 4). */
	score: number;
	/** The language whose word list was used. */
	lexicon: string;
	/** Words that counted, with their scores (after negation). */
	words: Array<{ word: string; score: number }>;
}

const ENGLISH_OVERRIDES: Record<string, number> = {
	help: 0,
	please: 0,
	want: 0,
	like: 1,
	thank: 1,
	thanks: 1,
	kind: 0,
	dear: 0,
	hope: 0,
	best: 1,
	cancel: 0,
	charged: -1,
	joke: -1,
	no: 0,
	problem: -1,
	problems: -1,
	free: 0,
	pay: 0,
	stop: 0,
	lost: -1,
	urgent: 0,
	support: 0,
	care: 0,
	matter: 0,
	missing: -1,
	damaged: -2,
	yes: 0,
	clear: 0,
	share: 0,
	interested: 0,
	true: 0,
	pretty: 0,
	trust: 0,
	cool: 0,
	justice: 0,
	waiting: -1,
	refund: 0,
};

const GERMAN: Record<string, number> = {
	danke: 1,
	dank: 1,
	super: 3,
	toll: 3,
	gut: 2,
	gute: 2,
	guten: 0,
	zufrieden: 2,
	freundlich: 2,
	hilfreich: 2,
	schnell: 1,
	perfekt: 3,
	ausgezeichnet: 3,
	prima: 2,
	großartig: 3,
	grossartig: 3,
	klasse: 2,
	wunderbar: 3,
	froh: 2,
	begeistert: 3,
	empfehlen: 2,
	schlecht: -3,
	schlechte: -3,
	schlechter: -3,
	schlechten: -3,
	enttäuscht: -2,
	enttäuschend: -2,
	ärgerlich: -2,
	verärgert: -3,
	wütend: -3,
	sauer: -2,
	unzufrieden: -2,
	inakzeptabel: -3,
	unverschämt: -3,
	frechheit: -3,
	katastrophe: -4,
	katastrophal: -4,
	mangelhaft: -2,
	kaputt: -2,
	defekt: -2,
	beschädigt: -2,
	falsch: -2,
	falsche: -2,
	fehler: -1,
	problem: -1,
	probleme: -1,
	leider: -1,
	betrug: -4,
	abzocke: -4,
	schrecklich: -3,
	furchtbar: -3,
	miserabel: -3,
	beschwerde: -2,
	ärger: -2,
	verspätet: -1,
	verspätung: -1,
	lächerlich: -3,
	unfreundlich: -2,
	nervig: -2,
};

const FRENCH: Record<string, number> = {
	merci: 1,
	super: 3,
	génial: 3,
	excellent: 3,
	parfait: 3,
	bien: 1,
	bon: 2,
	bonne: 2,
	satisfait: 2,
	satisfaite: 2,
	content: 2,
	contente: 2,
	ravi: 3,
	ravie: 3,
	rapide: 1,
	efficace: 2,
	aimable: 2,
	agréable: 2,
	formidable: 3,
	bravo: 3,
	mauvais: -3,
	mauvaise: -3,
	nul: -3,
	nulle: -3,
	déçu: -2,
	déçue: -2,
	décevant: -2,
	décevante: -2,
	inacceptable: -3,
	honteux: -3,
	scandaleux: -3,
	scandale: -3,
	arnaque: -4,
	escroquerie: -4,
	fraude: -4,
	problème: -1,
	problèmes: -1,
	erreur: -1,
	cassé: -2,
	cassée: -2,
	endommagé: -2,
	endommagée: -2,
	défectueux: -2,
	retard: -1,
	furieux: -3,
	furieuse: -3,
	énervé: -2,
	énervée: -2,
	mécontent: -2,
	mécontente: -2,
	horrible: -3,
	catastrophe: -4,
	inadmissible: -3,
	plainte: -2,
	malheureusement: -1,
	pire: -3,
	incompétent: -3,
};

const SPANISH: Record<string, number> = {
	gracias: 1,
	genial: 3,
	excelente: 3,
	perfecto: 3,
	bueno: 2,
	buena: 2,
	bien: 1,
	contento: 2,
	contenta: 2,
	satisfecho: 2,
	satisfecha: 2,
	encantado: 3,
	encantada: 3,
	rápido: 1,
	amable: 2,
	maravilloso: 3,
	estupendo: 3,
	fantástico: 3,
	malo: -3,
	mala: -3,
	pésimo: -4,
	pésima: -4,
	terrible: -3,
	horrible: -3,
	decepcionado: -2,
	decepcionada: -2,
	decepcionante: -2,
	inaceptable: -3,
	vergüenza: -3,
	estafa: -4,
	fraude: -4,
	problema: -1,
	problemas: -1,
	error: -1,
	roto: -2,
	rota: -2,
	dañado: -2,
	dañada: -2,
	defectuoso: -2,
	defectuosa: -2,
	retraso: -1,
	enfadado: -3,
	enfadada: -3,
	enojado: -3,
	enojada: -3,
	molesto: -2,
	molesta: -2,
	furioso: -3,
	furiosa: -3,
	queja: -2,
	lamentablemente: -1,
	peor: -3,
	incompetente: -3,
	ridículo: -3,
};

const ITALIAN: Record<string, number> = {
	grazie: 1,
	super: 3,
	ottimo: 3,
	ottima: 3,
	eccellente: 3,
	perfetto: 3,
	perfetta: 3,
	bene: 1,
	buono: 2,
	buona: 2,
	bravi: 2,
	soddisfatto: 2,
	soddisfatta: 2,
	contento: 2,
	contenta: 2,
	felice: 2,
	veloce: 1,
	rapido: 1,
	rapida: 1,
	gentile: 2,
	gentili: 2,
	cortese: 2,
	fantastico: 3,
	fantastica: 3,
	splendido: 3,
	meraviglioso: 3,
	complimenti: 3,
	entusiasta: 3,
	pessimo: -4,
	pessima: -4,
	scadente: -3,
	male: -2,
	deluso: -2,
	delusa: -2,
	deludente: -2,
	delusione: -2,
	inaccettabile: -3,
	vergogna: -3,
	vergognoso: -3,
	scandaloso: -3,
	truffa: -4,
	frode: -4,
	problema: -1,
	problemi: -1,
	errore: -1,
	rotto: -2,
	rotta: -2,
	danneggiato: -2,
	danneggiata: -2,
	difettoso: -2,
	difettosa: -2,
	ritardo: -1,
	arrabbiato: -3,
	arrabbiata: -3,
	furioso: -3,
	furiosa: -3,
	infastidito: -2,
	infastidita: -2,
	insoddisfatto: -2,
	insoddisfatta: -2,
	reclamo: -2,
	purtroppo: -1,
	peggiore: -3,
	peggio: -3,
	incompetente: -3,
	incompetenti: -3,
	ridicolo: -3,
	assurdo: -3,
	orribile: -3,
	terribile: -3,
	schifo: -4,
};

const DUTCH: Record<string, number> = {
	bedankt: 1,
	dank: 1,
	super: 3,
	geweldig: 3,
	uitstekend: 3,
	perfect: 3,
	goed: 2,
	goede: 2,
	tevreden: 2,
	blij: 2,
	snel: 1,
	snelle: 1,
	vriendelijk: 2,
	vriendelijke: 2,
	behulpzaam: 2,
	fantastisch: 3,
	top: 2,
	prima: 2,
	fijn: 2,
	fijne: 2,
	aanrader: 3,
	aanbevelen: 2,
	mooi: 2,
	slecht: -3,
	slechte: -3,
	slechtste: -4,
	teleurgesteld: -2,
	teleurstellend: -2,
	teleurstelling: -2,
	onacceptabel: -3,
	schandalig: -3,
	schande: -3,
	oplichting: -4,
	oplichters: -4,
	fraude: -4,
	probleem: -1,
	problemen: -1,
	fout: -1,
	fouten: -1,
	kapot: -2,
	beschadigd: -2,
	defect: -2,
	vertraging: -1,
	kwijt: -1,
	boos: -3,
	woedend: -3,
	kwaad: -3,
	geïrriteerd: -2,
	geirriteerd: -2,
	ontevreden: -2,
	klacht: -2,
	helaas: -1,
	erger: -3,
	incompetent: -3,
	belachelijk: -3,
	verschrikkelijk: -3,
	vreselijk: -3,
	waardeloos: -3,
	waardeloze: -3,
	onbeschoft: -3,
	frustrerend: -2,
};

const PORTUGUESE: Record<string, number> = {
	obrigado: 1,
	obrigada: 1,
	ótimo: 3,
	ótima: 3,
	otimo: 3,
	otima: 3,
	excelente: 3,
	perfeito: 3,
	perfeita: 3,
	bom: 2,
	boa: 2,
	bem: 1,
	satisfeito: 2,
	satisfeita: 2,
	contente: 2,
	feliz: 2,
	rápido: 1,
	rápida: 1,
	gentil: 2,
	atencioso: 2,
	atenciosa: 2,
	maravilhoso: 3,
	maravilhosa: 3,
	fantástico: 3,
	incrível: 3,
	parabéns: 3,
	adorei: 3,
	recomendo: 2,
	péssimo: -4,
	péssima: -4,
	pessimo: -4,
	pessima: -4,
	ruim: -3,
	decepcionado: -2,
	decepcionada: -2,
	decepcionante: -2,
	inaceitável: -3,
	inaceitavel: -3,
	vergonha: -3,
	vergonhoso: -3,
	golpe: -4,
	fraude: -4,
	problema: -1,
	problemas: -1,
	erro: -1,
	quebrado: -2,
	quebrada: -2,
	danificado: -2,
	danificada: -2,
	defeito: -2,
	defeituoso: -2,
	atraso: -1,
	irritado: -3,
	irritada: -3,
	chateado: -2,
	chateada: -2,
	furioso: -3,
	furiosa: -3,
	insatisfeito: -2,
	insatisfeita: -2,
	reclamação: -2,
	reclamacao: -2,
	infelizmente: -1,
	pior: -3,
	incompetente: -3,
	ridículo: -3,
	absurdo: -3,
	horrível: -3,
	horrivel: -3,
	terrível: -3,
	terrivel: -3,
	lamentável: -3,
	descaso: -3,
};

const NEGATORS: Record<string, string[]> = {
	de: ['nicht', 'kein', 'keine', 'keinen', 'keinem', 'keiner', 'nie', 'niemals', 'ohne'],
	fr: ['pas', 'jamais', 'sans', 'aucun', 'aucune', 'rien', 'plus'],
	es: ['no', 'nunca', 'jamás', 'sin', 'ni', 'tampoco', 'nada'],
	it: ['non', 'mai', 'senza', 'nessun', 'nessuno', 'nessuna', 'niente', 'nulla', 'né'],
	nl: ['niet', 'geen', 'nooit', 'zonder', 'niets', 'noch'],
	pt: ['não', 'nao', 'nunca', 'sem', 'nenhum', 'nenhuma', 'nada', 'nem'],
};

/** The hand-written word lists, by language (English is AFINN with ENGLISH_OVERRIDES). */
const WORD_LISTS: Record<string, Record<string, number>> = {
	de: GERMAN,
	fr: FRENCH,
	es: SPANISH,
	it: ITALIAN,
	nl: DUTCH,
	pt: PORTUGUESE,
};

/** Phrases whose words AFINN would misread, and sign-offs that are politeness, not feeling. */
const NEUTRAL_PHRASES =
	/(?<![\p{L}\p{N}])(?:no (?:problem|problems|worries|issue)|(?:kind|best|warm|warmest) (?:regards|wishes)|thanks in advance|thank you in advance|mit freundlichen grüßen|beste grüße|viele grüße|bien cordialement|cordialement|bien à vous|un saludo|saludos cordiales|atentamente|(?:cordiali|distinti|gentili) saluti|buona giornata|buona serata|buon pomeriggio|grazie in anticipo|(?:met )?vriendelijke groet(?:en)?|hartelijke groet(?:en)?|fijne dag|fijn weekend|alvast bedankt|bom dia|boa tarde|boa noite|(?:com os )?melhores cumprimentos|desde já obrigad[oa])(?![\p{L}\p{N}])/giu;

/** A thank-you on a line of its own is a sign-off. */
const SIGN_OFF_LINE =
	/^[ \t]*(?:thanks|thank you|many thanks|thanks again|cheers|danke|danke schön|vielen dank|merci|merci beaucoup|gracias|muchas gracias|grazie|grazie mille|bedankt|dank je wel|dank u wel|obrigado|obrigada|muito obrigado|muito obrigada)[ \t,.!]*$/gimu;

function negationStrategy(negators: string[]) {
	const set = new Set(negators);
	return {
		apply(tokens: string[], cursor: number, tokenScore: number): number {
			const previous = tokens[cursor - 1];
			const beforePrevious = tokens[cursor - 2];
			if ((previous && set.has(previous)) || (beforePrevious && set.has(beforePrevious))) {
				return -tokenScore;
			}
			return tokenScore;
		},
	};
}

let analyzer: Sentiment | undefined;

function getAnalyzer(): Sentiment {
	if (analyzer) return analyzer;
	const created = new Sentiment();
	// The English list is copied, never mutated: `sentiment` merges `extras` into its shared table.
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const afinn = require('sentiment/languages/en/labels.json') as Record<string, number>;
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const english = require('sentiment/languages/en/scoring-strategy.js') as {
		apply(tokens: string[], cursor: number, tokenScore: number): number;
	};
	created.registerLanguage('support-en', {
		labels: { ...afinn, ...ENGLISH_OVERRIDES },
		scoringStrategy: english,
	});
	for (const [language, labels] of Object.entries(WORD_LISTS))
		created.registerLanguage(`support-${language}`, {
			labels: { ...labels },
			scoringStrategy: negationStrategy(NEGATORS[language]),
		});
	analyzer = created;
	return created;
}

export const SENTIMENT_LANGUAGES = ['en', ...Object.keys(WORD_LISTS)];

/** Sentiment of a message; languages without a word list use the English one. */
export function analyzeSentiment(text: string, language = 'en'): SentimentResult {
	const lexicon = SENTIMENT_LANGUAGES.includes(language) ? language : 'en';
	// `sentiment` splits on spaces and ASCII punctuation only: typographic quotes and ¡ ¿ would stay
	// glued to a word ("¡excelente", "“terrible”"), and elided articles in French and Italian
	// ("l'arnaque", "un'esperienza") would hide the word after them.
	let cleaned = text
		.slice(0, 4000)
		.replace(/[’‘]/g, "'")
		.replace(/[¡¿«»“”„]/g, ' ')
		.replace(SIGN_OFF_LINE, ' ')
		.replace(NEUTRAL_PHRASES, ' ');
	if (lexicon !== 'en') cleaned = cleaned.replace(/'/g, ' ');
	const result = getAnalyzer().analyze(cleaned, {
		// Registered under prefixed codes so that other users of `sentiment` in the process keep theirs.
		language: lexicon === 'en' ? 'support-en' : `support-${lexicon}`,
	});
	const score = Math.round(Math.tanh(result.score / 4) * 1000) / 1000;
	const label: SentimentLabel =
		score <= -0.25 ? 'negative' : score >= 0.25 ? 'positive' : 'neutral';
	const words = result.calculation.map((entry) => {
		const [word, value] = Object.entries(entry)[0];
		return { word, score: value };
	});
	return { label, score: score === 0 ? 0 : score, lexicon, words };
}
