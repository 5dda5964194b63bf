/**
 * Keyword / pattern sets for the sensitive topics that support suites route to a person (Zendesk,
 * Intercom, Freshdesk, Help Scout all ship rules of this kind). English first, then German, French and
 * Spanish where the wording is common enough to match reliably. A hit names the topic and the words
 * that matched, so the reason on the item can be checked by a human.
 */

export type SensitiveTopic =
	| 'legal-threat'
	| 'chargeback'
	| 'security-incident'
	| 'privacy-request'
	| 'self-harm'
	| 'harassment';

export const SENSITIVE_TOPICS: SensitiveTopic[] = [
	'legal-threat',
	'chargeback',
	'security-incident',
	'privacy-request',
	'self-harm',
	'harassment',
];

export const TOPIC_LABELS: Record<SensitiveTopic, string> = {
	'legal-threat': 'Legal threat',
	chargeback: 'Chargeback or payment dispute',
	'security-incident': 'Security incident',
	'privacy-request': 'Data deletion or privacy request',
	'self-harm': 'Self-harm',
	harassment: 'Harassment or threats',
};

/**
 * `\b` in a JavaScript regex without the `u` flag sees "é" or "ö" as a non-word character, so
 * "piraté" or "gehackt" at a word edge would not match. Word edges here are Unicode-aware.
 */
const EDGE = '(?:(?<![\\p{L}\\p{N}_])(?=[\\p{L}\\p{N}_])|(?<=[\\p{L}\\p{N}_])(?![\\p{L}\\p{N}_]))';
function unicodeWords(pattern: RegExp): RegExp {
	return new RegExp(pattern.source.replace(/\\b/g, EDGE), 'iu');
}

const TOPIC_PATTERNS_RAW: Record<SensitiveTopic, RegExp[]> = {
	'legal-threat': [
		/\b(my|our|a) (lawyers?|attorneys?|solicitors?|legal (team|counsel|department))\b/i,
		/\b(sue|suing|lawsuit|law ?suit|legal action|legal proceedings|take (you|this) to court|small claims|class action|cease and desist)\b/i,
		/\b(consumer protection|trading standards|ombudsman|better business bureau|BBB complaint)\b/i,
		// de
		/\b(mein|meinen|unser|unseren) (anwalt|rechtsanwalt|anwältin)\b|\b(klage|verklagen|rechtliche schritte|gerichtlich|abmahnung|verbraucherzentrale)\b/i,
		// fr
		/\b(mon|notre) (avocat|avocate)\b|\b(poursuites? judiciaires?|action en justice|porter plainte|mise en demeure|tribunal)\b/i,
		// es
		/\b(mi|nuestro) (abogad[oa])\b|\b(les? demandaré|demandarles|presentar una demanda|acciones legales|denunciaré|tribunales?)\b/i,
	],
	chargeback: [
		/\b(charge ?backs?|dispute (the|this) (charge|payment|transaction)|disputing (the|this) (charge|payment)|reverse (the|this) (charge|payment)|call my bank|contact(ing)? my (bank|card issuer|credit card company))\b/i,
		/\b(unauthori[sz]ed (charge|payment|transaction)s?|fraudulent (charge|transaction)s?|paypal (dispute|claim))\b/i,
		// de
		/\b(rückbuchung|rücklastschrift|lastschrift zurück|zahlung (zurückbuchen|widerrufen|anfechten)|meine bank (einschalten|kontaktieren))\b/i,
		// fr
		/\b(rétrofacturation|contestation de (paiement|prélèvement)|contester le (paiement|prélèvement)|opposition (bancaire|sur (ma|la) carte))\b/i,
		// es
		/\b(contracargo|disputa del cargo|disputar el cargo|reclamación (a|con) mi banco|cargo no autorizado)\b/i,
	],
	'security-incident': [
		/\b(account|password|email) (was |has been |got )?(hacked|compromised|breached|taken over)\b/i,
		/\b(hacked|data breach|security (breach|incident|vulnerability)|vulnerability|exploit|phishing|ransomware|malware|leaked (data|passwords?|credentials))\b/i,
		/\b(someone (else )?(logged|signed) into my account|unauthori[sz]ed (access|login|log-in)|identity theft|XSS|SQL injection|CVE-\d{4}-\d+)\b/i,
		// de
		/\b(gehackt|datenleck|datenpanne|sicherheitslücke|unbefugte[rn]? zugriff|identitätsdiebstahl)\b/i,
		// fr
		/\b(piraté|fuite de données|faille de sécurité|accès non autorisé|usurpation d'identité|hameçonnage)\b/i,
		// es
		/\b(hackeado|hackearon|filtración de datos|brecha de seguridad|acceso no autorizado|robo de identidad|suplantación)\b/i,
	],
	'privacy-request': [
		/\b(delete|erase|remove) (all )?(my|our) (personal )?(data|information|details|account and data)\b/i,
		/\b(GDPR|DSGVO|RGPD|CCPA|right to (be forgotten|erasure|access)|data subject (access )?request|DSAR|subject access request|data protection (officer|authority))\b/i,
		/\b(what (personal )?data (do )?you (hold|have|store) (about|on) me|copy of (all )?my (personal )?data|opt out of (the )?sale of my)\b/i,
		// de
		/\b(meine (persönlichen )?daten (löschen|entfernen)|löschung meiner daten|auskunft (über|nach) (meine|art\.? ?15)|datenschutzbeauftragte[rn]?|recht auf vergessenwerden)\b/i,
		// fr
		/\b(supprimer (toutes )?mes données|suppression de mes données|droit à l'oubli|droit d'accès|délégué à la protection des données|CNIL)\b/i,
		// es
		/\b(borrar|eliminar|suprimir) (todos )?mis datos|\b(derecho al olvido|derecho de (acceso|supresión)|protección de datos)\b/i,
	],
	'self-harm': [
		/\b(kill (myself|me)|end (my|it all)|suicid(e|al)|take my (own )?life|self[- ]harm|hurt(ing)? myself|don'?t want to (live|be alive)|no reason to live|better off dead)\b/i,
		// de
		/\b(mich umbringen|selbstmord|suizid|mir das leben nehmen|will nicht mehr leben|mich selbst verletzen)\b/i,
		// fr
		/\b(me suicider|suicide|me tuer|en finir avec la vie|mettre fin à mes jours|me faire du mal)\b/i,
		// es
		/\b(suicidarme|suicidio|quitarme la vida|matarme|no quiero vivir|hacerme daño)\b/i,
	],
	harassment: [
		/\b(harass(ed|ing|ment)?|stalk(ed|ing)|threaten(ed|ing)? (me|us|my (family|life|staff))|threaten(ed|ing)? to (kill|hurt|harm)|sexual(ly)? (harass|abuse|explicit)|bully(ing)?|doxx?(ed|ing)?)\b/i,
		/\b(i('| wi)ll (kill|hurt|find) (you|your)|you('ll| will) (regret|pay for) this|watch your back|i know where you live)\b/i,
		// de
		/\b(belästigung|belästigt|bedroht|bedrohung|stalking|mobbing|ich bring(e)? dich um)\b/i,
		// fr
		/\b(harcèlement|harcelé(e)?|menacé(e)?|menaces|je vais te tuer)\b/i,
		// es
		/\b(acoso|acosad[oa]|amenaza(s|do|da)?|te voy a matar)\b/i,
	],
};

const TOPIC_PATTERNS = Object.fromEntries(
	Object.entries(TOPIC_PATTERNS_RAW).map(([topic, patterns]) => [
		topic,
		patterns.map(unicodeWords),
	]),
) as Record<SensitiveTopic, RegExp[]>;

export interface TopicHit {
	topic: SensitiveTopic;
	/** The words that matched, as written (shortened), so a reviewer sees why. */
	evidence: string;
}

/** Every sensitive topic the text touches, with the first matching words of each. */
export function detectSensitiveTopics(text: string): TopicHit[] {
	const hits: TopicHit[] = [];
	for (const topic of SENSITIVE_TOPICS) {
		for (const pattern of TOPIC_PATTERNS[topic]) {
			const match = pattern.exec(text);
			if (match) {
				hits.push({ topic, evidence: match[0].trim().slice(0, 60) });
				break;
			}
		}
	}
	return hits;
}

const HUMAN_REQUEST_PATTERNS: RegExp[] = (
	[
		/\b(speak|talk|chat|get through) (to|with) (a |an |some)?(real |actual |live )?(human|person|people|agent|manager|supervisor|representative|someone)\b/i,
		/\b(real|actual|live) (human|person|agent)\b|\b(not|no more|stop sending) (a |an )?(bot|robot|automated|canned)\b|\bare you a (bot|robot|human)\b/i,
		/\b(escalate (this|my)|your (manager|supervisor)|human being|call me back|give me a call)\b/i,
		// de
		/\b(mit einem (echten )?menschen|echte[rn]? (person|mitarbeiter)|ihre[mn]? (vorgesetzten|chef)|kein(en)? (bot|roboter)|rufen sie mich an|rückruf)\b/i,
		// fr
		/\b(parler (à|avec) (un|une) (humain|personne|conseill(er|ère)|responsable)|vrai(e)? (personne|humain)|pas un robot|rappelez-moi)\b/i,
		// es
		/\b(hablar con (un|una) (humano|persona|agente|supervisor|responsable)|persona real|no (un|con un) (bot|robot)|llámenme)\b/i,
	] as RegExp[]
).map(unicodeWords);

/** Whether the customer asks for a person instead of an automatic answer. */
export function detectHumanRequest(text: string): string | undefined {
	for (const pattern of HUMAN_REQUEST_PATTERNS) {
		const match = pattern.exec(text);
		if (match) return match[0].trim().slice(0, 60);
	}
	return undefined;
}

const REPEAT_CONTACT_PATTERNS: RegExp[] = (
	[
		/\b(second|third|fourth|fifth|\d+(st|nd|rd|th)|several|multiple|many) (time|email|message|request)s?\b[^.\n]{0,30}\b(writ|contact|ask|email|sen[dt])/i,
		/\b(i('ve| have) (already )?(written|emailed|contacted|asked|called) (you )?(several|many|multiple|\d+|two|three) times|still (no|haven'?t (had|got|received)) (a )?(reply|answer|response)|no one (has )?(replied|answered|got back)|(again|yet again),? (i am|i'm) (writing|asking))\b/i,
		// de
		/\b(schon (wieder|mehrmals|zum (zweiten|dritten)( mal)?)|bereits mehrfach|immer noch keine antwort|zum wiederholten mal)\b/i,
		// fr
		/\b(déjà (écrit|contacté) (plusieurs|\d+) fois|toujours pas de réponse|pour la (deuxième|troisième) fois|encore une fois)\b/i,
		// es
		/\b(ya (les )?he (escrito|contactado) (varias|\d+) veces|sigo sin (respuesta|recibir)|por (segunda|tercera) vez|otra vez)\b/i,
	] as RegExp[]
).map(unicodeWords);

/** Words saying the customer has written before without an answer. */
export function detectRepeatContactPhrase(text: string): string | undefined {
	for (const pattern of REPEAT_CONTACT_PATTERNS) {
		const match = pattern.exec(text);
		if (match) return match[0].trim().slice(0, 60);
	}
	return undefined;
}
