/**
 * Urgency from explicit signals in English, German, French and Spanish: outages, security and
 * legal threats are critical; "urgent", "asap", deadlines, lock-outs and repeated chasing are high;
 * "no rush" and the like are low. Every match is reported so a human sees why.
 */

export type UrgencyLevel = 'low' | 'normal' | 'high' | 'critical';

export interface UrgencyResult {
	level: UrgencyLevel;
	/** What was found, e.g. "critical: outage", "high: asap". */
	signals: string[];
}

interface Signal {
	name: string;
	pattern: RegExp;
}

/** A pattern bounded by non-letters (JavaScript's \b ignores accented letters). */
function words(name: string, source: string): Signal {
	return { name, pattern: new RegExp(`(?<![\\p{L}\\p{N}])(?:${source})(?![\\p{L}\\p{N}])`, 'iu') };
}

const CRITICAL: Signal[] = [
	words('outage', 'outages?|ausfall|ausgefallen|störung|panne|en panne|caída|caido|caído'),
	words(
		'service down',
		'(?:site|website|service|system|server|servers|app|platform|api|production|checkout|everything|portal|shop|store)\\s+(?:is\\s+|are\\s+|went\\s+|has\\s+gone\\s+|have\\s+gone\\s+|seems\\s+|appears\\s+)?(?:completely\\s+|totally\\s+)?down',
	),
	words(
		'nothing works',
		'(?:nothing|none of (?:it|them)) (?:is )?working|not working for (?:anyone|everyone|all|any of our)|funktioniert (?:gar|überhaupt) nichts|hors service|rien ne fonctionne|ne fonctionne plus du tout|fuera de servicio|no funciona nada',
	),
	words(
		'security incident',
		'data (?:breach|leak|loss)|security (?:breach|incident)|hacked|been compromised|account compromised|unauthori[sz]ed (?:access|charges?|transactions?|payments?)|identity theft|gehackt|datenleck|datenpanne|piraté|piratée|fuite de données|hackeado|hackeada|filtración de datos',
	),
	words('fraud', 'fraud|fraudulent|betrug|fraude|estafa|arnaque|escroquerie'),
	words(
		'legal threat',
		'lawyers?|attorneys?|solicitors?|legal action|lawsuit|sue you|will sue|take you to court|small claims|court|ombudsman|regulator|trading standards|anwalt|anwältin|rechtsanwalt|rechtliche schritte|klage|verklagen|gericht|verbraucherzentrale|avocat|avocate|poursuites|action en justice|tribunal|porter plainte|abogado|abogada|demanda|demandar|acciones legales|denuncia',
	),
	words(
		'safety',
		'injur(?:y|ed|ies)|fire hazard|caught fire|explod(?:ed|ing)|dangerous|verletzt|brandgefahr|blessé|blessée|herido|herida',
	),
];

const HIGH: Signal[] = [
	words('urgent', 'urgent|urgently|urgence|urgente|urgencia|dringend|eilig|eilt'),
	words('asap', 'asap|a\\.s\\.a\\.p\\.?'),
	words(
		'as soon as possible',
		'as soon as possible|so schnell wie möglich|schnellstmöglich|umgehend|dès que possible|au plus vite|le plus rapidement possible|lo antes posible|cuanto antes|lo más pronto posible',
	),
	words(
		'immediately',
		'immediately|right away|right now|at once|sofort|unverzüglich|immédiatement|tout de suite|inmediatamente|de inmediato|ya mismo',
	),
	words('emergency', 'emergency|critical|notfall|kritisch|critique|emergencia|crítico'),
	words(
		'deadline',
		'deadline|by (?:today|tonight|tomorrow|end of (?:the )?day|eod|cob)|heute noch|bis morgen|frist|avant demain|date limite|hoy mismo|para mañana|fecha límite',
	),
	words(
		'still unresolved',
		"still (?:not|no|nothing|waiting|haven't|hasn't|have not|has not|can't|cannot)|(?:second|third|fourth|fifth) time|again and again|several times|weeks? (?:later|now)|immer noch|noch immer|schon wieder|toujours pas|toujours rien|encore une fois|todavía no|aún no|otra vez",
	),
	words(
		'locked out',
		"locked out|can(?:'|no)t (?:log ?in|login|sign in|access)|cannot (?:log ?in|login|sign in|access)|unable to (?:log ?in|login|sign in|access)|account (?:is )?(?:blocked|suspended|locked)|gesperrt|kann mich nicht anmelden|bloqué|bloquée|impossible de me connecter|bloqueado|bloqueada|no puedo (?:entrar|acceder)",
	),
	words(
		'charged twice',
		'charged twice|double charged|charged two times|doppelt (?:abgebucht|belastet)|débité deux fois|prélevé deux fois|cobrado dos veces|cobro doble',
	),
	words(
		'escalation',
		'escalate|escalation|(?:speak|talk) (?:to|with) (?:a|your|the) (?:manager|supervisor)|ihren vorgesetzten|votre responsable|su supervisor|el gerente',
	),
	words(
		'chargeback',
		'chargeback|dispute the (?:charge|payment)|rückbuchung|rétrofacturation|contracargo',
	),
];

const LOW: Signal[] = [
	words(
		'no rush',
		"no rush|no hurry|not urgent|isn't urgent|low priority|whenever you (?:can|have time|get a chance)|when you get a chance|when you have (?:a moment|time)|at your convenience|just (?:wondering|curious)|out of curiosity|keine eile|nicht dringend|bei gelegenheit|wann immer|pas urgent|pas pressé|rien ne presse|quand vous aurez le temps|à l'occasion|sin prisa|no es urgente|cuando puedan|cuando tengan tiempo",
	),
];

export function detectUrgency(text: string): UrgencyResult {
	const sample = text.slice(0, 6000);
	const signals: string[] = [];
	const low = LOW.filter((signal) => signal.pattern.test(sample));
	// "not urgent" must not count as "urgent".
	const withoutLow = low.reduce(
		(current, signal) => current.replace(new RegExp(signal.pattern.source, 'giu'), ' '),
		sample,
	);
	const critical = CRITICAL.filter((signal) => signal.pattern.test(withoutLow));
	const high = HIGH.filter((signal) => signal.pattern.test(withoutLow));
	const shouting = (withoutLow.match(/(?<![\p{L}])\p{Lu}{4,}(?![\p{L}])/gu) ?? []).filter(
		(word) => !['ASAP', 'URGENT'].includes(word),
	).length;
	const exclamations = (withoutLow.match(/!/g) ?? []).length;
	for (const signal of critical) signals.push(`critical: ${signal.name}`);
	for (const signal of high) signals.push(`high: ${signal.name}`);
	if (shouting >= 3 || exclamations >= 3) signals.push('high: shouting');
	for (const signal of low) signals.push(`low: ${signal.name}`);

	let level: UrgencyLevel = 'normal';
	if (critical.length > 0) level = 'critical';
	else if (high.length > 0 || shouting >= 3 || exclamations >= 3) level = 'high';
	else if (low.length > 0) level = 'low';
	return { level, signals };
}
