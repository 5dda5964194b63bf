/** Personal data replaced before text leaves the machine, and put back in what comes back. */
export interface Redaction {
	text: string;
	/** placeholder -> original */
	map: Record<string, string>;
}

const RULES: Array<[string, RegExp]> = [
	['EMAIL', /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g],
	['CARD', /\b(?:\d[ -]?){13,19}\b/g],
	['IBAN', /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b/g],
	['PHONE', /(?<![\w#])\+?\d[\d ()./-]{7,}\d(?!\w)/g],
];

export function redactPersonalData(text: string): Redaction {
	const map: Record<string, string> = {};
	const counters: Record<string, number> = {};
	let result = text;
	for (const [kind, pattern] of RULES) {
		result = result.replace(pattern, (match) => {
			if (kind === 'CARD' && !luhn(match.replace(/\D/g, ''))) return match;
			const existing = Object.entries(map).find(([, original]) => original === match);
			if (existing) return existing[0];
			counters[kind] = (counters[kind] ?? 0) + 1;
			const placeholder = `[${kind}_${counters[kind]}]`;
			map[placeholder] = match;
			return placeholder;
		});
	}
	return { text: result, map };
}

/** Puts originals back into every string of a value (e.g. extracted entities). */
export function restorePersonalData<T>(value: T, map: Record<string, string>): T {
	if (Object.keys(map).length === 0) return value;
	const restore = (v: unknown): unknown => {
		if (typeof v === 'string')
			return v.replace(/\[(EMAIL|CARD|IBAN|PHONE)_\d+\]/g, (p) => map[p] ?? p);
		if (Array.isArray(v)) return v.map(restore);
		if (v && typeof v === 'object')
			return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, restore(x)]));
		return v;
	};
	return restore(value) as T;
}

function luhn(digits: string): boolean {
	if (digits.length < 13) return false;
	let sum = 0;
	for (let i = 0; i < digits.length; i++) {
		let d = Number(digits[digits.length - 1 - i]);
		if (i % 2 === 1) {
			d *= 2;
			if (d > 9) d -= 9;
		}
		sum += d;
	}
	return sum % 10 === 0;
}
