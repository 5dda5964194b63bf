/**
 * Keyword / pattern sets for the sensitive topics that support suites route to a person (Zendesk,
 * Intercom, Freshdesk, Help Scout all ship rules of this kind). English first, then German, French,
 * Spanish; legal threats and self-harm also in Italian, Portuguese, Dutch, Russian, Japanese and
 * Chinese, including the indirect wording ("my counsel will be in touch", "everyone would be better
 * off without me"). The text is folded first (NFKC, lookalike letters, invisible characters:
 * lib/guard/fold.ts) and only a bounded window is read. A hit names the topic and the words that
 * matched, so the reason on the item can be checked by a human.
 */
import { firstMatch, foldText, unicodeWords } from '../guard/fold';

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

const TOPIC_PATTERNS_RAW: Record<SensitiveTopic, RegExp[]> = {
	'legal-threat': [
		/\b(my|our|a) (lawyers?|attorneys?|solicitors?|legal (team|counsel|department))\b/i,
		/\b(sue|suing|lawsuit|law ?suit|legal action|legal proceedings|take (you|this) to court|small claims|class action|cease and desist)\b/i,
		/\b(consumer protection|trading standards|ombudsman|better business bureau|BBB complaint)\b/i,
		// the subtle ones: counsel, law firms, "you will hear from", "see you in court"
		/\b(my|our) (counsel|legal (advisers?|advisors?|representatives?|rep))\b|\bcounsel (will|shall|is going to) (be in touch|contact|write|reach)|\b(instruct|instructed|retain|retained|consult|consulted|engage|engaged|hire|hired|contact|contacted|speak(ing)? (to|with)|talk(ing)? (to|with)) (a |an |my |our )?(lawyer|attorney|solicitor|counsel|law firm|legal (team|counsel|advisers?))\b|\b(law firm|letter before (action|claim)|notice of (intended )?(claim|proceedings)|see you in court|in court|litigation|legal advice|legally (binding|entitled|responsible)|small claims court|arbitration)\b|\b(you|your company) will (be )?hear(ing)? from (my|our|a) (lawyer|attorney|solicitor|counsel|legal)/i,
		// de
		/\b(mein|meinen|meine|meinem|meiner|unser|unseren|unsere|unserem|einen|einem|einer) (anwalt|rechtsanwalt|anwältin|rechtsanwältin|anwälte|kanzlei|rechtsbeistand)\b|\b(anwalt|anwältin|anwaltlich|anwaltskanzlei|rechtsanwalt|rechtsweg|vor gericht|gerichtlich|juristische schritte|rechtliche (schritte|konsequenzen)|mahnbescheid|klage|verklagen|abmahnung|verbraucherzentrale|schlichtungsstelle)\b/i,
		// fr
		/\b(mon|notre|un) (avocat|avocate|conseil juridique|huissier)\b|\b(avocat|poursuites? judiciaires?|action en justice|porter plainte|mise en demeure|tribunal|huissier|procès|contentieux|juridiquement|service juridique|saisir la justice|protection des consommateurs|médiateur)\b/i,
		// es
		/\b(mi|nuestro|un) (abogad[oa]|asesor legal|bufete)\b|\b(abogad[oa]s?|les? demandaré|demandarles|demandaros|presentar una demanda|poner una demanda|acciones legales|vía judicial|denunciaré|tribunales?|juzgado|burofax|defensa del consumidor)\b/i,
		// it
		/\b(avvocat[oaie]|(il mio|un|mio) legale|studio legale|azioni? legal[ei]|vie legali|fare causa|faccio causa|farvi causa|vi denuncio|denuncia|tribunale|diffida|querela|giudice di pace)\b/i,
		// pt
		/\b(advogad[oa]s?|processo judicial|processar vocês|vou processar|processá-los|ação judicial|medidas legais|medidas judiciais|tribunal|justiça|procon|juizado|notificação extrajudicial)\b/i,
		// nl
		/\b(advocaat|advocaten|mijn jurist|rechtszaak|juridische stappen|rechtbank|dagvaarding|ingebrekestelling|aansprakelijk stellen|geschillencommissie|incassobureau)\b/i,
		// ru
		/\b(адвокат\w*|юрист\w*|суд|суде|судом|в суд|иск|иском|иска|исковое|прокуратур\w*|роспотребнадзор\w*|правов\w* мер\w*|юридическ\w* последстви\w*)\b/i,
		// ja / zh
		/(弁護士|訴訟|法的措置|法的手段|裁判|訴え(ます|る)|消費者センター|律师|律師|起诉|起訴|法律行动|法律行動|法律途径|法律途徑|法院|诉讼|消协|消協|消费者协会)/,
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
		// it / pt / nl / ru / ja / zh
		/\b(hackerat[oa]|account violato|accesso non autorizzato|furto d'identità|conta (hackeada|invadida)|acesso não autorizado|roubo de identidade|gehackt|gehacked|onbevoegde toegang|identiteitsfraude|взломал\w*|взломан\w*|несанкционированн\w* доступ\w*)\b|(乗っ取られ|不正アクセス|不正ログイン|被盗号|被盜號|被黑|被入侵|盗号|盜號|未经授权的访问)/i,
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
		/\b(kill (myself|me)|end (my life|it all|everything)|suicid(e|al)|take my (own )?life|self[- ]harm|hurt(ing)? myself|don'?t want to (live|be alive|be here|wake up)|no reason to (live|go on|keep going)|better off dead)\b/i,
		// indirect
		/\b((everyone|everybody|they|my family|the world) (would be|is|will be) better off without me|nothing (left )?to live for|can'?t (go on|do this) (any ?more|any longer|like this)|can'?t take (it|this) any ?more|(this|it) (is|will be) my (last|final) (email|message|letter)|won'?t be (around|here) (much longer|for long|anymore|to see)|want(ed)? to disappear (forever|for good)|no point (in )?(living|going on|anything any ?more)|(say|said) goodbye to everyone|not (be|going to be) here (tomorrow|next week|anymore)|ending it|want (it all )?to (end|stop) for good|give up on (life|living))\b/i,
		// de
		/\b(mich umbringen|selbstmord|suizid|mir das leben nehmen|will nicht mehr leben|mich selbst verletzen|(alle|jeder|meine familie) (wären|wäre) ohne mich besser dran|hat (alles )?keinen sinn mehr|nicht mehr weiter(leben|machen)|meine letzte (nachricht|mail|e-mail)|schluss machen mit allem|allem ein ende setzen)\b/i,
		// fr
		/\b(me suicider|suicide|me tuer|en finir( avec la vie| avec tout)?|mettre fin à mes jours|me faire du mal|plus envie de vivre|ne veux plus vivre|(tout le monde|ma famille) (serait|serai) mieux sans moi|plus aucune raison de vivre|mon dernier (message|mail|e-mail))\b/i,
		// es
		/\b(suicidarme|suicidio|quitarme la vida|matarme|no quiero (vivir|seguir viviendo|seguir)|hacerme daño|acabar con todo|ya no tiene sentido (nada|vivir|seguir)|(todos|mi familia) estar(ían|ía) mejor sin mí|mi último (mensaje|correo))\b/i,
		// it
		/\b(suicid\w*|togliermi la vita|farla finita|non voglio più vivere|uccidermi|farmi del male|(tutti|la mia famiglia) starebbero meglio senza di me|non ha più senso (niente|vivere)|il mio ultimo (messaggio|email))\b/i,
		// pt
		/\b(suicid\w*|me matar|tirar a minha (própria )?vida|não quero mais viver|acabar com tudo|me machucar|(todos|minha família) (estariam|ficariam) melhor sem mim|não faz mais sentido viver|minha última (mensagem|carta))\b/i,
		// nl
		/\b(zelfmoord|suïcide|suicide|mezelf (van kant maken|iets aandoen|pijn doen)|er een eind aan maken|niet meer (willen )?leven|wil niet meer leven|iedereen (is|zou) beter af (zijn )?zonder mij|mijn laatste (bericht|mail))\b/i,
		// ru
		/(покончить с собой|суицид\w*|самоубийств\w*|не хочу (больше )?жить|убить себя|свести сч[её]ты с жизнью|всем будет лучше без меня|нет смысла жить|это мо[её] последнее (письмо|сообщение))/i,
		// ja / zh
		/(死にたい|自殺|消えてしまいたい|消えたい|生きていたくない|生きる意味がない|もう終わりにしたい|私がいない方が|自杀|自殺|不想活|想死|活不下去|结束自己的生命|結束自己的生命|没有我会更好|沒有我會更好|轻生|輕生)/,
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
	const folded = foldText(text);
	for (const topic of SENSITIVE_TOPICS) {
		const evidence = firstMatch(folded, TOPIC_PATTERNS[topic]);
		if (evidence) hits.push({ topic, evidence: evidence.slice(0, 60) });
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
	return firstMatch(foldText(text), HUMAN_REQUEST_PATTERNS)?.slice(0, 60);
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
	return firstMatch(foldText(text), REPEAT_CONTACT_PATTERNS)?.slice(0, 60);
}
