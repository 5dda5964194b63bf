/**
 * Entities a support agent looks for, found with patterns (no model): order, invoice and tracking
 * numbers next to their keywords (en/de/fr/es), amounts with a currency, email addresses, phone
 * numbers, URLs and dates.
 */

export interface Amount {
	raw: string;
	value: number;
	/** ISO 4217 code. */
	currency: string;
}

export interface DateMention {
	raw: string;
	/** yyyy-mm-dd when the date is unambiguous. */
	iso?: string;
}

export interface Entities {
	/** The first order number (the design's `entities.orderId`). */
	orderId?: string;
	orderIds: string[];
	invoiceIds: string[];
	trackingNumbers: string[];
	amounts: Amount[];
	emails: string[];
	phones: string[];
	urls: string[];
	dates: DateMention[];
}

const NOT_LETTER_BEFORE = '(?<![\\p{L}\\p{N}])';

function keywordNumber(keywords: string): RegExp {
	return new RegExp(
		`${NOT_LETTER_BEFORE}(?:${keywords})(?:\\s*(?:#|no\\.?|nr\\.?|n[°º]\\.?|number|nummer|numéro|número|num\\.?|id|ref\\.?|reference)){0,2}\\s*[:#]?\\s*([A-Z0-9][A-Z0-9/_-]{2,}[A-Z0-9])`,
		'giu',
	);
}

const ORDER = keywordNumber(
	'orders?|purchases?|order id|bestellung|bestellnummer|auftrag|auftragsnummer|commande|pedido|ordine',
);
const INVOICE = keywordNumber(
	'invoices?|bills?|receipt|rechnung|rechnungsnummer|facture|factura|fattura',
);
const TRACKING = keywordNumber(
	'tracking|tracking code|shipment|parcel|package|sendungsnummer|sendungsverfolgung|paket|suivi|colis|seguimiento|envío|envio|paquete',
);
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/gi;
const URL = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;

const CURRENCY_SYMBOLS: Record<string, string> = {
	'€': 'EUR',
	$: 'USD',
	US$: 'USD',
	'£': 'GBP',
	'¥': 'JPY',
	'₹': 'INR',
	CHF: 'CHF',
	'Fr.': 'CHF',
};
const CURRENCY_WORDS: Record<string, string> = {
	euro: 'EUR',
	euros: 'EUR',
	dollar: 'USD',
	dollars: 'USD',
	pound: 'GBP',
	pounds: 'GBP',
	franken: 'CHF',
};
const CODES = 'USD|EUR|GBP|CHF|JPY|CAD|AUD|NZD|SEK|NOK|DKK|PLN|CZK|INR|BRL|MXN';
const NUMBER = '\\d{1,3}(?:[.,\\s\u00a0\u202f]\\d{3})+(?:[.,]\\d{1,2})?|\\d+(?:[.,]\\d{1,2})?';
const AMOUNT = new RegExp(
	`(?:(US\\$|€|\\$|£|¥|₹|(?<![\\p{L}])(?:${CODES})(?![\\p{L}]))\\s?(${NUMBER}))|(?:(${NUMBER})\\s?(€|\\$|£|(?<![\\p{L}])(?:${CODES}|euros?|dollars?|pounds?|franken)(?![\\p{L}])))`,
	'giu',
);

const PHONE_CANDIDATE = /(?<![\w/.-])(\+?\(?\d[\d\s().-]{5,}\d)(?![\w/-])/g;
const PHONE_KEYWORD =
	/(?:phone|tel\.?|telephone|call|mobile|cell|whatsapp|telefon|handy|téléphone|portable|teléfono|móvil|movil)\s*(?:number|nummer|nr\.?|no\.?)?\s*[:.]?\s*$/i;

const MONTHS: Record<string, number> = {};
[
	['january', 'jan', 'januar', 'janvier', 'enero', 'jänner'],
	['february', 'feb', 'februar', 'février', 'fevrier', 'febrero'],
	['march', 'mar', 'märz', 'maerz', 'mars', 'marzo'],
	['april', 'apr', 'avril', 'abril'],
	['may', 'mai', 'mayo'],
	['june', 'jun', 'juni', 'juin', 'junio'],
	['july', 'jul', 'juli', 'juillet', 'julio'],
	['august', 'aug', 'août', 'aout', 'agosto'],
	['september', 'sep', 'sept', 'septembre', 'septiembre'],
	['october', 'oct', 'oktober', 'okt', 'octobre', 'octubre'],
	['november', 'nov', 'novembre', 'noviembre'],
	['december', 'dec', 'dezember', 'dez', 'décembre', 'decembre', 'diciembre'],
].forEach((names, index) => names.forEach((name) => (MONTHS[name] = index + 1)));
const MONTH_NAMES = Object.keys(MONTHS)
	.sort((a, b) => b.length - a.length)
	.join('|');
const DATE_ISO = /(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)/g;
const DATE_NUMERIC = /(?<![\d.\/-])(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?![\d.\/-]*\d)/g;
const DATE_DAY_MONTH = new RegExp(
	`(?<![\\p{L}\\d])(\\d{1,2})(?:st|nd|rd|th|\\.|er)?\\s+(?:de\\s+)?(${MONTH_NAMES})\\.?(?:\\s+(?:de\\s+)?(\\d{4}))?(?![\\p{L}])`,
	'giu',
);
const DATE_MONTH_DAY = new RegExp(
	`(?<![\\p{L}])(${MONTH_NAMES})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?(?:,?\\s+(\\d{4}))?(?![\\p{L}\\d])`,
	'giu',
);

function unique<T>(values: T[], key: (value: T) => string = String): T[] {
	const seen = new Set<string>();
	return values.filter((value) => {
		const k = key(value);
		if (seen.has(k)) return false;
		seen.add(k);
		return true;
	});
}

function keywordMatches(text: string, pattern: RegExp): string[] {
	const found: string[] = [];
	for (const match of text.matchAll(pattern)) {
		const value = match[1];
		// An identifier has a digit in it; "order status" is not an order number.
		if (/\d/.test(value) && !/^\d{1,2}$/.test(value)) found.push(value);
	}
	return unique(found);
}

/** "1.234,56" and "1,234.56" and "12,50" and "12.50" to a number. */
export function parseAmount(raw: string): number {
	const compact = raw.replace(/[\s\u00a0\u202f]/g, '');
	const lastSeparator = Math.max(compact.lastIndexOf(','), compact.lastIndexOf('.'));
	if (lastSeparator === -1) return Number(compact);
	const decimals = compact.length - lastSeparator - 1;
	if (decimals === 3) return Number(compact.replace(/[.,]/g, ''));
	const integer = compact.slice(0, lastSeparator).replace(/[.,]/g, '');
	return Number(`${integer}.${compact.slice(lastSeparator + 1)}`);
}

function currencyCode(token: string): string {
	const upper = token.toUpperCase();
	if (CURRENCY_SYMBOLS[token]) return CURRENCY_SYMBOLS[token];
	if (CURRENCY_WORDS[token.toLowerCase()]) return CURRENCY_WORDS[token.toLowerCase()];
	return upper;
}

function isoDate(year: number, month: number, day: number): string | undefined {
	if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
	const date = new Date(Date.UTC(year, month - 1, day));
	if (date.getUTCDate() !== day) return undefined;
	return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function extractDates(text: string): DateMention[] {
	const dates: DateMention[] = [];
	for (const m of text.matchAll(DATE_ISO)) {
		dates.push({ raw: m[0], iso: isoDate(Number(m[1]), Number(m[2]), Number(m[3])) });
	}
	for (const m of text.matchAll(DATE_NUMERIC)) {
		const a = Number(m[1]);
		const b = Number(m[3]);
		const year = m[4].length === 2 ? 2000 + Number(m[4]) : Number(m[4]);
		let iso: string | undefined;
		// Day first (most of the world, and always with dots) unless that cannot be a date.
		if (m[2] === '.' || (a > 12 && b <= 12)) iso = isoDate(year, b, a);
		else if (b > 12 && a <= 12) iso = isoDate(year, a, b);
		else if (a === b) iso = isoDate(year, a, b);
		dates.push(iso ? { raw: m[0], iso } : { raw: m[0] });
	}
	for (const m of text.matchAll(DATE_DAY_MONTH)) {
		const month = MONTHS[m[2].toLowerCase()];
		const iso = m[3] ? isoDate(Number(m[3]), month, Number(m[1])) : undefined;
		dates.push(iso ? { raw: m[0], iso } : { raw: m[0] });
	}
	for (const m of text.matchAll(DATE_MONTH_DAY)) {
		const month = MONTHS[m[1].toLowerCase()];
		// "may 5" only with a year: "may" is also a verb.
		if (m[1].toLowerCase() === 'may' && !m[3]) continue;
		const iso = m[3] ? isoDate(Number(m[3]), month, Number(m[2])) : undefined;
		dates.push(iso ? { raw: m[0], iso } : { raw: m[0] });
	}
	return unique(dates, (date) => date.raw);
}

function extractPhones(text: string, taken: Set<string>): string[] {
	const phones: string[] = [];
	for (const match of text.matchAll(PHONE_CANDIDATE)) {
		const raw = match[1].trim().replace(/[\s.-]+$/, '');
		const digits = raw.replace(/\D/g, '');
		if (digits.length < 7 || digits.length > 15) continue;
		if (taken.has(raw) || [...taken].some((value) => value.includes(digits))) continue;
		if (/^\d{4}-\d{2}-\d{2}$/.test(raw) || /^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/.test(raw)) continue;
		const before = text.slice(Math.max(0, (match.index ?? 0) - 30), match.index);
		const hasSeparators = /[\s().-]/.test(raw);
		// A bare run of digits is an order or account number far more often than a phone number.
		if (
			raw.startsWith('+') ||
			PHONE_KEYWORD.test(before) ||
			(hasSeparators && digits.length >= 9)
		) {
			phones.push(raw);
		}
	}
	return unique(phones);
}

export function extractEntities(text: string): Entities {
	const sample = text.slice(0, 20000);
	const urls = unique((sample.match(URL) ?? []).map((url) => url.replace(/[.,;:!?)\]]+$/, '')));
	const emails = unique(sample.match(EMAIL) ?? []);
	const withoutLinks = sample.replace(URL, ' ').replace(EMAIL, ' ');
	const orderIds = keywordMatches(withoutLinks, ORDER);
	const invoiceIds = keywordMatches(withoutLinks, INVOICE);
	const trackingNumbers = keywordMatches(withoutLinks, TRACKING).filter(
		(value) => !orderIds.includes(value),
	);
	const amounts: Amount[] = [];
	for (const match of withoutLinks.matchAll(AMOUNT)) {
		const raw = match[0].trim();
		const number = match[2] ?? match[3];
		const currency = currencyCode(match[1] ?? match[4]);
		const value = parseAmount(number);
		if (Number.isFinite(value)) amounts.push({ raw, value, currency });
	}
	const dates = extractDates(withoutLinks);
	const taken = new Set<string>([
		...orderIds,
		...invoiceIds,
		...trackingNumbers,
		...dates.map((d) => d.raw),
	]);
	const phones = extractPhones(withoutLinks, taken);
	const entities: Entities = {
		orderIds,
		invoiceIds,
		trackingNumbers,
		amounts: unique(amounts, (amount) => `${amount.value} ${amount.currency}`),
		emails,
		phones,
		urls,
		dates,
	};
	if (orderIds.length > 0) entities.orderId = orderIds[0];
	return entities;
}
