/**
 * Language-aware terms for retrieval: lower case, accents folded after stemming, stop words
 * dropped, Snowball stems (the `@orama/stemmers` ports) for the languages the package answers in.
 * Articles and queries go through the same function, so a German article and a German question
 * meet on the same stems ("Rücksendungen" / "Rücksendung" -> "rucksend").
 */

type Stemmer = (word: string) => string;

/** `@orama/stemmers` ships CommonJS under subpath exports, which this tsconfig's resolver cannot type. */
function loadStemmer(name: string): Stemmer {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	return (require(`@orama/stemmers/${name}`) as { stemmer: Stemmer }).stemmer;
}

const STEMMER_NAMES: Record<string, string> = {
	en: 'english',
	de: 'german',
	fr: 'french',
	es: 'spanish',
	it: 'italian',
	nl: 'dutch',
	pt: 'portuguese',
	sv: 'swedish',
	da: 'danish',
	no: 'norwegian',
	fi: 'finnish',
};

const stemmers = new Map<string, Stemmer>();
/** Stems already computed, per language: words repeat across articles and mail, stemming is the hot path. */
const stemCache = new Map<string, Map<string, string>>();
const MAX_CACHED_STEMS = 200_000;

function stemmerFor(language: string): Stemmer | undefined {
	const name = STEMMER_NAMES[language];
	if (!name) return undefined;
	let stemmer = stemmers.get(language);
	if (!stemmer) {
		const raw = loadStemmer(name);
		const cache = new Map<string, string>();
		stemCache.set(language, cache);
		stemmer = (word: string) => {
			let stem = cache.get(word);
			if (stem === undefined) {
				if (cache.size >= MAX_CACHED_STEMS) cache.clear();
				stem = fold(raw(word));
				cache.set(word, stem);
			}
			return stem;
		};
		stemmers.set(language, stemmer);
	}
	return stemmer;
}

/** Words that say nothing about what a message is about (written for this package). */
const STOP_WORDS: Record<string, string> = {
	en: 'a an and are as at be been but by can could did do does doing for from had has have having he her hi hello dear him his how i if in into is it its just me my myself no nor not of on or our ours please so some such than thank thanks that the their them then there these they this those to too very was we were what when where which while who why will with would you your yours regards best kind team support ok okay am im ive id cant dont doesnt isnt wont hey',
	de: 'aber alle als also am an auch auf aus bei bin bis bitte da damit dann das dass dein deine deinem deinen deiner dem den der des die dies diese doch du ein eine einem einen einer eines meinem meinen meiner meines ihrem ihren ihrer ihres unsere unserem unseren unserer er es euch für hallo hat hatte habe haben hier ich ihr ihre im in ist ja jetzt kann können mein meine mich mir mit muss nach nicht noch nun nur ob oder sehr sein sich sie sind so über um und uns unser vom von vor war was wie wir wird wo zu zum zur danke vielen dank grüße freundlichen liebe lieber sehr geehrte geehrter guten tag',
	fr: 'a au aux avec ce ces cette dans de des du elle en est et eu il ils je la le les leur lui ma mais me mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous y bonjour merci cordialement madame monsieur svp plait est-ce',
	es: 'a al algo con de del el ella ellos en es esta este esto estoy fue ha han hay la las le les lo los me mi mis muy no nos o para pero por que qué se su sus te tu un una uno y ya hola gracias saludos buenos días favor estimado estimada',
};

const stopWords = new Map<string, Set<string>>(
	Object.entries(STOP_WORDS).map(([language, words]) => [
		language,
		new Set(words.split(' ').map(fold)),
	]),
);
const ANY_STOP_WORDS = new Set([...stopWords.values()].flatMap((set) => [...set]));

/** Lower case without accents (é -> e, ß -> ss). */
export function fold(text: string): string {
	return text
		.toLowerCase()
		.normalize('NFD')
		.replace(/[\u0300-\u036f]/g, '')
		.replace(/ß/g, 'ss');
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** The words of a text, in order, lower-cased (accents kept for the stemmer). */
export function words(text: string): string[] {
	return (text.toLowerCase().match(WORD) ?? []).map((w) =>
		w.replace(/^(?:l|d|qu|j|n|s|c|m|t)['’]/, ''),
	);
}

/**
 * The index terms of a text in a language: stop words out, stems in, accents folded. A language
 * without a stemmer keeps whole words (still folded), so nothing is lost, only recall.
 */
export function terms(text: string, language: string | undefined): string[] {
	const lang = (language ?? '').toLowerCase();
	const stop = stopWords.get(lang) ?? ANY_STOP_WORDS;
	const stem = stemmerFor(lang);
	const out: string[] = [];
	for (const word of words(text)) {
		const folded = fold(word).replace(/['’]/g, '');
		if (folded.length < 2 && !/\d/.test(folded)) continue;
		if (stop.has(folded)) continue;
		// Long digit runs are order numbers and the like: they identify one customer, not a topic.
		if (/^\d{5,}$/.test(folded)) continue;
		out.push(stem ? stem(word) : folded);
	}
	return out;
}

export function supportedStemLanguages(): string[] {
	return Object.keys(STEMMER_NAMES);
}
