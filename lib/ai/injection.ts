/**
 * Signs that an email tries to steer the AI that reads it. The Escalation node acts on them.
 *
 * The checks hold when the model is fooled: they read the mail after folding (NFKC, lookalike
 * letters, invisible characters, leetspeak, spaced-out letters: lib/guard/fold.ts), in English,
 * German, French, Spanish, Italian, Portuguese, Dutch, Polish, Swedish, Turkish, Russian, Japanese,
 * Chinese and Korean, and also inside base64 / rot13 encoded text. They read a bounded window of the
 * mail, and every pattern has bounded gaps, so a large mail costs no more than a small one.
 */
import { foldText, scanWindow, unicodeWords, visibleText } from '../guard/fold';
import type { FoldedText } from '../guard/fold';

export interface InjectionReport {
	suspected: boolean;
	signals: string[];
	/** Per signal, the words that matched (shortened), so a reviewer sees why. */
	evidence?: Record<string, string>;
}

/** Gap of up to N characters within one sentence. */
const G = (n: number) => `(?:[^.!?\\n。！？]|[.!?](?=[^\\s.!?])){0,${n}}`;

const INSTRUCTION_WORDS =
	'(instructions?|prompts?|rules?|directives?|guidelines?|guardrails?|programming|system message)';

const RAW: Array<[string, RegExp[]]> = [
	[
		'ignore-instructions',
		[
			// en
			new RegExp(
				`\\b(ignore|disregard|forget|override|bypass|skip|drop|discard|neglect)\\b${G(40)}\\b(previous|prior|above|earlier|preceding|all|any|your|the|system|original|initial|existing|safety|default)\\b${G(30)}\\b${INSTRUCTION_WORDS}`,
			),
			/\b(ignore|disregard|forget) (everything|all) (you were|you've been|you have been|that was) (told|given|instructed)\b/,
			// de
			new RegExp(
				`\\b(ignorier(e|en|t)?|vergiss|vergessen sie|missachte|übergehe?|verwirf)\\b${G(40)}\\b(anweisung(en)?|vorgaben|regeln|richtlinien|instruktionen|befehle|prompts?)\\b`,
			),
			// fr
			new RegExp(
				`\\b(ignore[rz]?|oublie[rz]?|ne tiens pas compte|ne tenez pas compte|fais abstraction)\\b${G(40)}\\b(instructions?|consignes?|règles?|directives?|prompts?)\\b`,
			),
			// es / it / pt
			new RegExp(
				`\\b(ignora(r|d|te)?|ignore|ignorem|olvida(r|te)?|olvide|dimentica(re)?|esqueça|esquece(r)?|desconsidera(r)?|descarta|no hagas caso|non considerare|trascura)\\b${G(40)}\\b(instrucciones|instruccion|reglas|normas|directrices|istruzioni|regole|direttive|instruções|instrucoes|regras|diretrizes|prompts?|indicaciones|indicazioni)\\b`,
			),
			// nl
			new RegExp(
				`\\b(negeer|vergeet|negeren|sla over)\\b${G(40)}\\b(instructies|regels|richtlijnen|opdrachten|prompts?)\\b`,
			),
			// pl / sv / tr
			new RegExp(
				`\\b(zignoruj|ignoruj|zapomnij)\\b${G(40)}\\b(instrukcje|instrukcji|polecenia|zasady|reguły)\\b|\\b(ignorera|glöm)\\b${G(40)}\\b(instruktioner(na)?|regler(na)?)\\b|\\b(talimatları|kuralları)\\b${G(30)}\\b(yok say|görmezden gel|unut)`,
			),
			// ru
			new RegExp(
				`\\b(игнорируй(те)?|проигнорируй(те)?|забудь(те)?|не обращай(те)? внимания на|отмени(те)?)\\b${G(40)}\\b(инструкци[июяей]+|указани[яей]+|правил[аио]?|промпт[ау]?|команд[ыу]?)`,
			),
			// ja / zh / ko (no word edges)
			/(指示|命令|指令|プロンプト|ルール|設定)[^。！？\n]{0,12}(無視|忘れ)/,
			/(忽略|无视|無視|忽視|忘记|忘記|不要理会|不要理會)[^。！？\n]{0,12}(指令|指示|说明|說明|规则|規則|提示|提示词|要求|设定|設定)/,
			/(이전|모든|위의)?\s?(지시|명령|규칙|프롬프트)[을를]?\s?(무시|잊어)/,
		],
	],
	[
		'new-instructions',
		[
			/\b(new|updated|real|actual|revised|additional|override|hidden|secret) (instructions?|system prompt|rules|orders|directives?)\s*:/,
			/\b(neue|aktualisierte|geänderte) (anweisungen|regeln|instruktionen)\s*:|\b(nouvelles?|vraies?) (instructions|consignes|règles)\s*:|\b(nuevas|verdaderas) (instrucciones|reglas)\s*:|\b(nuove|vere) (istruzioni|regole)\s*:|\b(novas|verdadeiras) (instruções|regras)\s*:|\bnieuwe (instructies|regels)\s*:|\bновые (инструкции|указания|правила)\s*:/,
			/(新しい指示|新たな指示|新的指令|新的指示|新指令|새로운 지시)\s*[:：]/,
			/\b(system|developer|admin|administrator|operator|root)\s*(prompt|message|override|instruction|note)?\s*:\s*(you|ignore|the assistant|from now|new|always|never|do not|approve|reply|send)/,
		],
	],
	[
		'role-change',
		[
			/\byou are (now|no longer)\b|\b(act|behave|respond) as (an? )?(admin|administrator|developer|system|root|different|unrestricted|unfiltered)|\bpretend (to be|you are)\b|\bdeveloper mode\b|\bjailbreak|\bdan mode\b|\bfrom now on,? (you|your|the assistant)\b|\b(admin|god|sudo) mode\b/,
			/\bdu bist (jetzt|ab sofort|nun|nicht mehr)\b|\bab (jetzt|sofort) (bist du|antwortest du)\b|\b(tu es|vous êtes) (maintenant|désormais|dorénavant)\b|\bà partir de maintenant,? (tu|vous)\b|\b(ahora|a partir de ahora) eres\b|\b(ora|d'ora in poi) (sei|tu sei)\b|\b(agora|a partir de agora) (você é|voce e|és|tu és)\b|\bje bent (nu|vanaf nu)\b|\bvanaf nu ben je\b|\b(теперь|отныне|с этого момента) ты\b|\bты (теперь|больше не)\b/,
			/(あなたは今から|今からあなたは|これからあなたは|你现在是|你現在是|从现在开始你|從現在開始你|现在你是|你不再是|당신은 이제)/,
		],
	],
	[
		'prompt-exfiltration',
		[
			/\b(reveal|print|show|repeat|output|display|tell me|give me|send me|leak|dump)\b[^.\n]{0,30}\b(system prompt|your (instructions|prompt|rules|configuration)|initial prompt|hidden prompt|api keys?|secret keys?|credentials|access tokens?)\b/,
			/\b(systemprompt|system-prompt|systemanweisung|invite système|prompt (du )?système|prompt del sistema|prompt de sistema|prompt do sistema|systeemprompt|системн(ый|ого) (промпт|подсказк))/,
			/(システムプロンプト|系统提示|系統提示|系统指令|系統指令|시스템 프롬프트)/,
		],
	],
	[
		'chat-markup',
		[
			/<\|?(im_start|im_end|system|endoftext|eot_id|start_header_id|end_header_id|assistant|user)\|?>|\[\/?(inst|sys)\]|<<\/?sys>>|<\/?(system|assistant|instructions?|admin|developer)>/,
			/^\s*(#{1,4}|\*\*|\[)\s*(system|assistant|instructions?|developer|admin)s?\s*(\]|\*\*|:|$)/m,
			/"role"\s*:\s*"(system|assistant|developer)"/,
			/<<<\s*email-|email-[0-9a-f]{6,}\s*>>>|\b(end of (the )?(customer )?(email|message|data)|end email|email ends here|fin du message|ende der (e-mail|nachricht))\b\s*[\]>)-]*\s*$/m,
		],
	],
	[
		'addressed-to-ai',
		[
			/\b(note|message|instructions?|reminder|attention|p\.?s\.?) (to|for) (the |any |all )?(ai|a\.i\.|assistant|bot|chatbot|model|llm|language model|gpt|chatgpt|claude|copilot|automated system|auto-?responder)\b/,
			/\b(dear|hey|hello|hi|attention|to the) (ai|assistant|bot|chatbot|llm|language model|gpt|chatgpt|claude)\b|\b(if you are|you're|as) an? (ai|llm|language model|assistant|bot)\b/,
			/\b(hinweis|anweisung|nachricht|notiz) (an|für) (die |den |das )?(ki|ai|assistenten|bot|sprachmodell)\b|\b(liebe|hallo) (ki|assistent)\b|\b(note|message|instructions?|consigne) (à|pour) (l'|le |la )?(ia|assistant|bot|modèle)\b|\b(nota|mensaje|instrucción|instrucciones|aviso) (para|a) (la |el )?(ia|asistente|bot|modelo)\b|\b(nota|messaggio|istruzioni) per (l'|il )?(ia|assistente|bot|modello)\b|\b(nota|mensagem|instruções|aviso) (para|à|ao) (a |o )?(ia|assistente|bot|modelo)\b|\b(notitie|bericht|instructie|instructies|opmerking) (voor|aan) (de |het )?(ai|assistent|bot|model)\b|\b(примечание|сообщение|инструкция|указание|заметка) для (ии|ai|ассистента|бота|модели|нейросети)\b/,
			/(aiへ|ａｉへ|aiアシスタントへ|アシスタントへの指示|給ai|给ai|致ai|给助手|給助手|给人工智能|给机器人|ai에게)/,
		],
	],
	[
		'output-steering',
		[
			/\b(respond|reply|answer|classify|categor[iy]ze|mark|set|label|rate|score)\b[^.\n]{0,30}\b(only|exactly|always)\b[^.\n]{0,30}\b(with|as)\b|\bauto[_ -]?(send|approve|reply|resolve)\b|\bconfidence\s*(score)?\s*(to|[:=]|of)\s*(1(\.0+)?|100|0?\.9\d*|max(imum)?)\b/,
			/\b(do not|don't|never|must not) (flag|escalate)\b|\b(do not|don't|never) (forward|send|pass|show) (this|it) to (a |any )?(human|person|agent|manager|reviewer|supervisor)\b|\b(without|no need for) (any |a )?(human|manual) (review|approval|verification|check)\b|\b(skip|bypass) (the |any )?(human |manual )?(review|approval)\b|\bthis (is not|isn't) (a )?(prompt injection|phishing|spam|scam)\b|\b(mark|classify|treat) (this|it|me)? ?as (safe|trusted|verified|approved|not spam|legitimate)\b/,
			/\bohne (menschliche |manuelle )?(prüfung|freigabe|kontrolle|überprüfung)\b|\bnicht (an einen menschen weiterleiten|eskalieren)\b|\bsans (vérification|validation|contrôle|relecture) (humaine|manuelle)?\b|\bne (pas )?(transférer|escalader|signaler)\b|\bsin (revisión|verificación|aprobación) (humana|manual)?\b|\bno (lo )?escal(ar|es)\b|\bsenza (revisione|verifica|approvazione) (umana|manuale)?\b|\bsem (revisão|verificação|aprovação) (humana|manual)?\b|\bzonder (menselijke |handmatige )?(controle|beoordeling|goedkeuring)\b|\bбез (проверки|одобрения|участия) (человек|человеком|оператора)?/,
			/(人間の確認なし|人の確認なしで|自動で送信|人工审核|無需人工|无需人工|不要转人工|不要轉人工|自动发送|自動發送|自动批准)/,
		],
	],
	[
		'refund-everything',
		[
			/\brefund (everything|all (orders|customers|payments|purchases))\b|\b(approve|grant|issue|process) (all|every|a full|an immediate)\b[^.\n]{0,20}\b(refunds?|requests?|credits?)\b[^.\n]{0,30}\b(immediately|automatically|now|without)\b|\b(100|hundred) ?(%|percent) (discount|off) (code|coupon|voucher)\b|\b(free|unlimited) (store )?credit\b/,
			/\b(alles|alle bestellungen) (erstatten|zurückerstatten)\b|\brembourse[rz]? tout\b|\breembols(a|ar|e) todo\b|\brimborsa(re)? tutto\b|\breembols(a|ar|e) tudo\b|\balles terugbetalen\b|\bверни(те)? все деньги\b/,
		],
	],
];

/** Words that ask the reader to decode and act on encoded text. */
const ENCODED_INSTRUCTION = unicodeWords(
	/\b(decode|decrypt|base ?64|rot ?13|hex(adecimal)?|dekodier|décode[rz]?|decodifica|descodifica|decodeer|декодируй|расшифруй)\b[^.\n]{0,60}\b(follow|execute|obey|do what|apply|run|befolge|ausführen|suis|exécute|sigue|ejecuta|segui|esegui|siga|execute|volg|voer|выполни|следуй)|(解码|デコード|解碼)[^。\n]{0,20}(执行|実行|執行|遵循|従)/,
);

const PATTERNS: Array<[string, RegExp[]]> = RAW.map(([name, list]) => [
	name,
	list.map(unicodeWords),
]);

/** At most this many encoded runs are decoded per text (each at most MAX_ENCODED_CHARS). */
const MAX_ENCODED_RUNS = 20;
const MAX_ENCODED_CHARS = 8_000;
const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g;

function matchAll(folded: FoldedText): Array<[string, string]> {
	const found: Array<[string, string]> = [];
	for (const [name, patterns] of PATTERNS) {
		for (const pattern of patterns) {
			const match = pattern.exec(folded.plain) ?? pattern.exec(folded.skeleton);
			if (match) {
				found.push([name, match[0].trim().replace(/\s+/g, ' ').slice(0, 60)]);
				break;
			}
		}
	}
	return found;
}

/** Readable text hidden in base64: decoded runs that are mostly printable words. */
function decodedBase64(text: string): string[] {
	const out: string[] = [];
	let runs = 0;
	for (const match of text.matchAll(BASE64_RUN)) {
		if (++runs > MAX_ENCODED_RUNS) break;
		const run = match[0].slice(0, MAX_ENCODED_CHARS);
		// Pure digits or pure letters are order numbers, tracking codes or words, not base64.
		if (!/[0-9+/=]/.test(run) || !/[A-Za-z]/.test(run) || /^[0-9A-Z]+$/.test(run)) continue;
		const bytes = Buffer.from(run.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
		if (bytes.length < 8) continue;
		const decoded = bytes.toString('utf8');
		const printable = decoded.match(/[\p{L}\p{N}\p{P}\p{Zs}\n]/gu)?.length ?? 0;
		if (printable / decoded.length < 0.9 || !/\p{L}{2,}[\s,.]+\p{L}{2,}/u.test(decoded)) continue;
		out.push(decoded);
	}
	return out;
}

function rot13(text: string): string {
	return text.replace(/[a-z]/g, (c) =>
		String.fromCharCode(((c.charCodeAt(0) - 97 + 13) % 26) + 97),
	);
}

export function detectPromptInjection(text: string, hiddenText?: string): InjectionReport {
	const signals: string[] = [];
	const evidence: Record<string, string> = {};
	const add = (name: string, words: string) => {
		if (signals.includes(name)) return;
		signals.push(name);
		evidence[name] = words;
	};

	const folded = foldText(text);
	for (const [name, words] of matchAll(folded)) add(name, words);

	if (hiddenText && hiddenText.trim()) {
		add('hidden-html-text', hiddenText.trim().replace(/\s+/g, ' ').slice(0, 60));
		for (const [name, words] of matchAll(foldText(hiddenText))) add(`hidden:${name}`, words);
	}

	// Encoded instructions: decode base64 runs (and rot13 the text) and look again.
	for (const decoded of decodedBase64(visibleText(scanWindow(text).text))) {
		const found = matchAll(foldText(decoded));
		for (const [name, words] of found) add(`base64:${name}`, words);
		if (!found.length) add('base64-text', decoded.replace(/\s+/g, ' ').slice(0, 60));
	}
	if (/[a-z]{4}/.test(folded.plain)) {
		for (const [name, words] of matchAll(foldText(rot13(folded.plain))))
			if (!signals.includes(name)) add(`rot13:${name}`, words);
	}
	const encoded =
		ENCODED_INSTRUCTION.exec(folded.plain) ?? ENCODED_INSTRUCTION.exec(folded.skeleton);
	if (encoded) add('encoded-instructions', encoded[0].slice(0, 60));
	if (/[A-Za-z0-9+/]{200,}={0,2}/.test(folded.plain))
		add('long-encoded-blob', '200+ characters of encoded text');

	// Invisible characters inside words are how instructions are hidden from a reader.
	if (folded.invisibleCount >= 3 && signals.length)
		add('invisible-characters', `${folded.invisibleCount} invisible characters`);
	return { suspected: signals.length > 0, signals, evidence };
}
