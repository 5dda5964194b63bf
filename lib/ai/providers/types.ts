import type { JsonSchema } from '../structured';

export type ProviderKind = 'openAi' | 'azureOpenAi' | 'anthropic' | 'localModel' | 'connectedModel';

export interface StructuredRequest {
	system: string;
	user: string;
	schema: JsonSchema;
	/** Name of the schema / tool (letters, digits, underscores). */
	schemaName: string;
	maxOutputTokens: number;
	/** For the one repair try: the previous answer and what was wrong with it. */
	repair?: { previousAnswer: string; problem: string };
	signal?: AbortSignal;
}

export interface Usage {
	inputTokens: number;
	outputTokens: number;
}

export interface ProviderAnswer {
	/** The answer text (JSON expected), or the tool input serialised. */
	text: string;
	/** Set when the provider gave structured data directly (tool use, parsed output). */
	value?: unknown;
	/** Set when the model declined to answer. */
	refusal?: string;
	usage: Usage;
	model: string;
}

/** One AI service the chain can call. */
export interface AiProvider {
	kind: ProviderKind;
	/** Shown on items and in errors, e.g. "OpenAI (gpt-4o-mini)". */
	label: string;
	model: string;
	/** Identity of the endpoint for the circuit breaker (shared across executions). */
	breakerKey: string;
	call(request: StructuredRequest): Promise<ProviderAnswer>;
}

export function repairMessage(request: StructuredRequest): string | undefined {
	if (!request.repair) return undefined;
	return (
		`Your previous answer could not be used: ${request.repair.problem}.\n` +
		`Previous answer: ${request.repair.previousAnswer.slice(0, 2000)}\n` +
		'Answer again with only the JSON object, matching the schema exactly.'
	);
}
