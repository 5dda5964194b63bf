/**
 * Turns a request (and the fault it drew) into a provider-neutral reply; openai.ts and anthropic.ts
 * put that reply on the wire in their own format.
 */
import { breakJson, DEFAULT_REFUSAL, defaultText, estimateTokens } from './common';
import { generateInstance, violateSchema } from './schema-instance';
import type { Fault, LlmAnswer, LlmRequest } from './types';

export type Reply =
	/** Plain text (also JSON text for a `json_schema` / `json_object` request). */
	| { kind: 'text'; text: string }
	/** A tool / function call. `input` is undefined when `args` is not valid JSON. */
	| { kind: 'tool'; name: string; args: string; input: unknown }
	/** A refusal in words (OpenAI `message.refusal`; Anthropic a declining text block). */
	| { kind: 'refusal'; text: string }
	/** Anthropic `stop_reason: 'refusal'` with no content. */
	| { kind: 'refusal_stop' };

export interface Composed {
	reply: Reply;
	/** The HTTP body itself is to be cut short. */
	breakBody: boolean;
}

export function defaultAnswer(request: LlmRequest): LlmAnswer {
	const s = request.structured;
	if (s?.schema !== undefined) {
		return { json: generateInstance(s.schema, { text: request.userText }) };
	}
	if (s?.kind === 'json_object') return { json: { reply: defaultText(request) } };
	return defaultText(request);
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
	try {
		return { ok: true, value: JSON.parse(text) };
	} catch {
		return { ok: false };
	}
}

export async function compose(
	request: LlmRequest,
	fault: Fault | undefined,
	respond: (r: LlmRequest) => Promise<LlmAnswer>,
): Promise<Composed> {
	const structured = request.structured;
	const malformed = fault?.malformedJson;
	const breakBody = malformed === 'body' || (malformed === true && !structured);
	const breakContent = malformed === 'content' || (malformed === true && !!structured);

	if (fault?.refusal) {
		return {
			reply:
				fault.refusal === 'stop_reason'
					? { kind: 'refusal_stop' }
					: { kind: 'refusal', text: DEFAULT_REFUSAL },
			breakBody,
		};
	}

	const given = await respond(request);
	const answer = (given ?? defaultAnswer(request)) as Exclude<LlmAnswer, null | undefined>;

	if (typeof answer === 'object' && answer && 'refusal' in answer) {
		return { reply: { kind: 'refusal', text: answer.refusal }, breakBody };
	}
	if (typeof answer === 'object' && answer && 'text' in answer) {
		const text = breakContent ? breakJson(JSON.stringify({ reply: answer.text })) : answer.text;
		return { reply: { kind: 'text', text }, breakBody };
	}

	if (!structured) {
		let text = typeof answer === 'string' ? answer : JSON.stringify(answer.json);
		if (breakContent) text = breakJson(JSON.stringify({ reply: text }));
		return { reply: { kind: 'text', text }, breakBody };
	}

	let jsonText: string;
	let value: { ok: true; value: unknown } | { ok: false };
	if (typeof answer === 'string') {
		jsonText = answer;
		value = tryParse(answer);
	} else {
		jsonText = JSON.stringify(answer.json);
		value = { ok: true, value: answer.json };
	}
	if (fault?.schemaViolation) {
		const schema = structured.schema ?? { type: 'object', required: ['reply'] };
		const base = value.ok ? value.value : generateInstance(schema, { text: request.userText });
		const broken = violateSchema(schema, base);
		jsonText = JSON.stringify(broken);
		value = { ok: true, value: broken };
	}
	if (breakContent) {
		jsonText = breakJson(jsonText);
		value = { ok: false };
	}

	if (structured.kind === 'tool') {
		return {
			reply: {
				kind: 'tool',
				name: structured.name ?? 'tool',
				args: jsonText,
				input: value.ok ? value.value : undefined,
			},
			breakBody,
		};
	}
	if (structured.kind === 'format_instructions') {
		return { reply: { kind: 'text', text: `\`\`\`json\n${jsonText}\n\`\`\`` }, breakBody };
	}
	return { reply: { kind: 'text', text: jsonText }, breakBody };
}

/** Applies a `max_tokens`-style limit: the text is cut to the limit and `truncated` is set. */
export function limitText(
	text: string,
	limit: number | undefined,
): { text: string; truncated: boolean } {
	if (!limit || limit <= 0 || estimateTokens(text) <= limit) return { text, truncated: false };
	return { text: text.slice(0, limit * 4), truncated: true };
}
