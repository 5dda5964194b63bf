import type { AiProvider, ProviderAnswer, StructuredRequest } from './types';
import { repairMessage } from './types';

/**
 * The part of a LangChain chat model (what n8n's chat-model sub-nodes supply on the `Model` input)
 * that we use. Duck-typed so the package needs no LangChain dependency of its own.
 */
export interface ChatModelLike {
	invoke(messages: Array<[string, string]>, options?: { signal?: AbortSignal }): Promise<unknown>;
	modelName?: string;
	model?: string;
	_llmType?: () => string;
}

export function isChatModelLike(value: unknown): value is ChatModelLike {
	return !!value && typeof (value as ChatModelLike).invoke === 'function';
}

/** A chat model from n8n's Model input: JSON schema in the prompt, then our own validation. */
export function createConnectedModelProvider(model: ChatModelLike): AiProvider {
	const name =
		model.modelName ??
		model.model ??
		(typeof model._llmType === 'function' ? model._llmType() : 'chat model');
	return {
		kind: 'connectedModel',
		model: name,
		label: `Connected model (${name})`,
		breakerKey: `connectedModel|${name}`,
		async call(request: StructuredRequest): Promise<ProviderAnswer> {
			const system =
				`${request.system}\n\nAnswer with one JSON object that matches this JSON schema, and nothing else ` +
				`(no prose, no code fence):\n${JSON.stringify(request.schema)}`;
			const messages: Array<[string, string]> = [
				['system', system],
				['human', request.user],
			];
			const repair = repairMessage(request);
			if (repair) messages.push(['human', repair]);
			const result = (await model.invoke(messages, { signal: request.signal })) as {
				content?: unknown;
				usage_metadata?: { input_tokens?: number; output_tokens?: number };
				response_metadata?: {
					tokenUsage?: { promptTokens?: number; completionTokens?: number };
					model_name?: string;
					model?: string;
				};
			};
			const content = result?.content;
			const text =
				typeof content === 'string'
					? content
					: Array.isArray(content)
						? content
								.map((part) =>
									typeof part === 'string' ? part : ((part as { text?: string }).text ?? ''),
								)
								.join('')
						: String(content ?? '');
			const usage = {
				inputTokens:
					result?.usage_metadata?.input_tokens ??
					result?.response_metadata?.tokenUsage?.promptTokens ??
					0,
				outputTokens:
					result?.usage_metadata?.output_tokens ??
					result?.response_metadata?.tokenUsage?.completionTokens ??
					0,
			};
			return {
				text,
				usage,
				model: result?.response_metadata?.model_name ?? result?.response_metadata?.model ?? name,
			};
		},
	};
}
