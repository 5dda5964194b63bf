/** Signs that an email tries to steer the AI that reads it. The Escalation node acts on them. */
export interface InjectionReport {
	suspected: boolean;
	signals: string[];
}

const PATTERNS: Array<[string, RegExp]> = [
	[
		'ignore-instructions',
		/\b(ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}\b(previous|prior|above|earlier|all|your|the|system)\b[^.\n]{0,30}\b(instructions?|prompts?|rules?|directives?|guidelines?)/i,
	],
	['new-instructions', /\b(new|updated|real|actual)\s+(instructions?|system prompt|rules)\s*:/i],
	[
		'role-change',
		/\byou are (now|no longer)\b|\bact as (an? )?(admin|administrator|developer|system|different)|\bpretend (to be|you are)\b|\bdeveloper mode\b|\bjailbreak\b|\bDAN\b/i,
	],
	[
		'prompt-exfiltration',
		/\b(reveal|print|show|repeat|output)\b[^.\n]{0,30}\b(system prompt|your (instructions|prompt|rules))/i,
	],
	[
		'chat-markup',
		/<\|?(im_start|im_end|system|endoftext)\|?>|^\s*#{2,}\s*(system|assistant|instruction)s?\b|\[\/?INST\]|<\/?(system|assistant)>/im,
	],
	[
		'output-steering',
		/\b(respond|reply|answer|classify|categor[iy]ze|mark|set)\b[^.\n]{0,30}\b(only|exactly|always)\b[^.\n]{0,30}\b(with|as)\b|\bauto[_ -]?send\b|\bconfidence\s*[:=]\s*(1(\.0+)?|100)/i,
	],
	[
		'refund-everything',
		/\brefund (everything|all (orders|customers|payments))\b|\b(approve|grant) (all|every)\b[^.\n]{0,20}\b(refunds?|requests?)\b/i,
	],
	[
		'de-ignore',
		/\bignoriere?\b[^.\n]{0,40}\b(anweisungen|regeln)\b|\bignore[rz]?\b[^.\n]{0,40}\b(instructions|consignes|règles)\b|\bignora\b[^.\n]{0,40}\b(instrucciones|reglas|istruzioni)\b/i,
	],
];

export function detectPromptInjection(text: string, hiddenText?: string): InjectionReport {
	const signals: string[] = [];
	for (const [name, pattern] of PATTERNS) if (pattern.test(text)) signals.push(name);
	if (hiddenText && hiddenText.trim()) {
		signals.push('hidden-html-text');
		for (const [name, pattern] of PATTERNS) {
			if (pattern.test(hiddenText) && !signals.includes(`hidden:${name}`))
				signals.push(`hidden:${name}`);
		}
	}
	if (/[A-Za-z0-9+/]{200,}={0,2}/.test(text)) signals.push('long-encoded-blob');
	return { suspected: signals.length > 0, signals };
}
