/**
 * Urgency from explicit signals in English, German, French, Spanish, Italian, Dutch and Portuguese:
 * outages, security and legal threats are critical; "urgent", "asap", deadlines, lock-outs and
 * repeated chasing are high; "no rush" and the like are low. Every match is reported so a human sees
 * why.
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
	words(
		'outage',
		'outages?|ausfall|ausgefallen|störung|panne|en panne|caída|caido|caído|disservizio|(?:een|de|grote) storing|storingen|ligt (?:er)?\\s*(?:plat|eruit)|fora do ar',
	),
	words(
		'service down',
		'(?:site|website|service|system|server|servers|app|platform|api|production|checkout|everything|portal|shop|store)\\s+(?:is\\s+|are\\s+|went\\s+|has\\s+gone\\s+|have\\s+gone\\s+|seems\\s+|appears\\s+)?(?:completely\\s+|totally\\s+)?down',
	),
	words(
		'nothing works',
		'(?:nothing|none of (?:it|them)) (?:is )?working|not working for (?:anyone|everyone|all|any of our)|funktioniert (?:gar|überhaupt) nichts|hors service|rien ne fonctionne|ne fonctionne plus du tout|fuera de servicio|no funciona nada|fuori servizio|non funziona (?:più )?(?:niente|nulla)|niets werkt|er werkt niets|nada funciona|n[ãa]o funciona nada',
	),
	words(
		'security incident',
		'data (?:breach|leak|loss)|security (?:breach|incident)|hacked|been compromised|account compromised|unauthori[sz]ed (?:access|charges?|transactions?|payments?)|identity theft|gehackt|datenleck|datenpanne|piraté|piratée|fuite de données|hackeado|hackeada|filtración de datos|hackerato|hackerata|violazione dei dati|furto di identità|accesso non autorizzato|addebiti non autorizzati|datalek|identiteitsfraude|onbevoegde toegang|vazamento de dados|fuga de dados|roubo de identidade|acesso n[ãa]o autorizado|compras n[ãa]o autorizadas',
	),
	words(
		'fraud',
		'fraud|fraudulent|betrug|fraude|estafa|arnaque|escroquerie|frode|truffa|oplichting|opgelicht|oplichters',
	),
	words(
		'legal threat',
		'lawyers?|attorneys?|solicitors?|legal action|lawsuit|sue you|will sue|take you to court|small claims|court|ombudsman|regulator|trading standards|anwalt|anwältin|rechtsanwalt|rechtliche schritte|klage|verklagen|gericht|verbraucherzentrale|avocat|avocate|poursuites|action en justice|tribunal|porter plainte|abogado|abogada|demanda|demandar|acciones legales|denuncia|avvocato|avvocata|avvocati|azioni legali|vie legali|tribunale|querela|advocaat|juridische stappen|rechtszaak|consumentenbond|geschillencommissie|advogado|advogada|a[çc][ãa]o judicial|medidas legais|procon',
	),
	words(
		'safety',
		'injur(?:y|ed|ies)|fire hazard|caught fire|explod(?:ed|ing)|dangerous|verletzt|brandgefahr|blessé|blessée|herido|herida|ferito|ferita|pericoloso|pericolosa|ha preso fuoco|esploso|gewond|brandgevaar|gevaarlijk|vlam gevat|ontploft|ferido|ferida|perigoso|perigosa|pegou fogo|explodiu',
	),
];

const HIGH: Signal[] = [
	words(
		'urgent',
		'urgent|urgently|urgence|urgente|urgentemente|urgencia|urgência|con urgenza|com urgência|dringend|eilig|eilt|spoed',
	),
	words('asap', 'asap|a\\.s\\.a\\.p\\.?'),
	words(
		'as soon as possible',
		'as soon as possible|so schnell wie möglich|schnellstmöglich|umgehend|dès que possible|au plus vite|le plus rapidement possible|lo antes posible|cuanto antes|lo más pronto posible|il prima possibile|al più presto|quanto prima|zo snel mogelijk|zo spoedig mogelijk|z\\.s\\.m\\.?|zsm|o mais r[áa]pido poss[íi]vel|o quanto antes|o mais breve poss[íi]vel',
	),
	words(
		'immediately',
		'immediately|right away|right now|at once|sofort|unverzüglich|immédiatement|tout de suite|inmediatamente|de inmediato|ya mismo|immediatamente|subito|onmiddellijk|per direct|meteen|imediatamente|agora mesmo',
	),
	words(
		'emergency',
		'emergency|critical|notfall|kritisch|critique|emergencia|crítico|emergenza|critico|noodgeval|emergência',
	),
	words(
		'deadline',
		'deadline|by (?:today|tonight|tomorrow|end of (?:the )?day|eod|cob)|heute noch|bis morgen|frist|avant demain|date limite|hoy mismo|para mañana|fecha límite|entro oggi|entro domani|vandaag nog|uiterlijk morgen|até amanhã|ainda hoje|hoje ainda|prazo final',
	),
	words(
		'still unresolved',
		"still (?:not|no|nothing|waiting|haven't|hasn't|have not|has not|can't|cannot)|(?:second|third|fourth|fifth) time|again and again|several times|weeks? (?:later|now)|immer noch|noch immer|schon wieder|toujours pas|toujours rien|encore une fois|todavía no|aún no|otra vez|ancora non|non (?:ho |abbiamo )?ancora (?:ricevuto|avuto|visto)|non (?:è|sono) ancora (?:arrivat[oaie]|stat[oaie] rimborsat[oaie])|ancora niente|per la (?:seconda|terza) volta|più volte|nog steeds|nog altijd|alweer|meerdere keren|voor de (?:tweede|derde) keer|ainda n[ãa]o (?:recebi|recebemos|chegou|chegaram|tive|foi (?:reembolsad|devolvid)[oa])|ainda nada|outra vez|v[áa]rias vezes|pela (?:segunda|terceira) vez",
	),
	words(
		'locked out',
		"locked out|can(?:'|no)t (?:log ?in|login|sign in|access)|cannot (?:log ?in|login|sign in|access)|unable to (?:log ?in|login|sign in|access)|account (?:is )?(?:blocked|suspended|locked)|gesperrt|kann mich nicht anmelden|bloqué|bloquée|impossible de me connecter|bloqueado|bloqueada|no puedo (?:entrar|acceder)|non riesco (?:più )?(?:ad|a) (?:accedere|entrare)|account bloccato|bloccato|bloccata|kan (?:niet|nergens) (?:meer )?inloggen|geblokkeerd|buitengesloten|n[ãa]o consigo (?:entrar|acessar|aceder)|conta bloqueada",
	),
	words(
		'charged twice',
		'charged twice|double charged|charged two times|doppelt (?:abgebucht|belastet)|débité deux fois|prélevé deux fois|cobrado dos veces|cobro doble|addebitato due volte|doppio addebito|addebito doppio|dubbel afgeschreven|twee keer afgeschreven|dubbel betaald|cobrado duas vezes|cobraram duas vezes|cobran[çc]a em dobro|cobran[çc]a duplicada|cobran[çc]a dupla',
	),
	words(
		'escalation',
		'escalate|escalation|(?:speak|talk) (?:to|with) (?:a|your|the) (?:manager|supervisor)|ihren vorgesetzten|votre responsable|su supervisor|el gerente|(?:parlare|parlo) con (?:un|il) responsabile|(?:spreken|praten) met (?:een|uw|je|jullie) (?:leidinggevende|manager)|falar com (?:um|o) (?:supervisor|gerente|respons[áa]vel)',
	),
	words(
		'chargeback',
		'chargeback|dispute the (?:charge|payment)|rückbuchung|rétrofacturation|contracargo|contestare l.addebito|terugboeking|storneren|contestar a compra|contesta[çc][ãa]o',
	),
];

const LOW: Signal[] = [
	words(
		'no rush',
		"no rush|no hurry|not urgent|isn't urgent|low priority|whenever you (?:can|have time|get a chance)|when you get a chance|when you have (?:a moment|time)|at your convenience|just (?:wondering|curious)|out of curiosity|keine eile|nicht dringend|bei gelegenheit|wann immer|pas urgent|pas pressé|rien ne presse|quand vous aurez le temps|à l'occasion|sin prisa|no es urgente|cuando puedan|cuando tengan tiempo|nessuna fretta|non è urgente|non urgente|con calma|quando potete|quando avete tempo|geen haast|niet dringend|niet urgent|als jullie tijd hebben|sem pressa|n[ãa]o [ée] urgente|quando puderem|quando tiverem tempo",
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
