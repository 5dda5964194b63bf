import OpenAI, { AzureOpenAI } from 'openai';
import type { AiProvider, ProviderAnswer, StructuredRequest } from './types';
import { repairMessage } from './types';

export type StructuredMode = 'jsonSchema' | 'jsonObject' | 'prompt';

export interface OpenAiCompatibleOptions {
	kind: 'openAi' | 'azureOpenAi' | 'localModel';
	model: string;
	apiKey: string;
	baseURL?: string;
	organization?: string;
	/** Azure: resource endpoint, API version and deployment (the model name is the deployment). */
	azure?: { endpoint: string; apiVersion: string; deployment: string };
	/** Local servers differ in what they support; OpenAI and Azure use JSON schema. */
	structuredMode?: StructuredMode;
	timeoutMs?: number;
}

const LABELS = { openAi: 'OpenAI', azureOpenAi: 'Azure OpenAI', localModel: 'Local model server' };

/** OpenAI, Azure OpenAI and OpenAI-compatible local servers (Ollama, vLLM, LM Studio), via the openai SDK. */
export function createOpenAiCompatibleProvider(options: OpenAiCompatibleOptions): AiProvider {
	// Retries, timeouts and breakers are ours (one policy for every provider): the SDK must not retry too.
	const client = options.azure
		? new AzureOpenAI({
				endpoint: options.azure.endpoint,
				apiKey: options.apiKey,
				apiVersion: options.azure.apiVersion,
				deployment: options.azure.deployment,
				maxRetries: 0,
				timeout: options.timeoutMs,
			})
		: new OpenAI({
				apiKey: options.apiKey || 'not-needed',
				baseURL: options.baseURL,
				organization: options.organization || undefined,
				maxRetries: 0,
				timeout: options.timeoutMs,
			});
	const mode = options.structuredMode ?? 'jsonSchema';
	const endpoint = options.azure?.endpoint ?? options.baseURL ?? 'https://api.openai.com/v1';

	return {
		kind: options.kind,
		model: options.model,
		label: `${LABELS[options.kind]} (${options.model})`,
		breakerKey: `${options.kind}|${endpoint}|${options.model}`,
		async call(request: StructuredRequest): Promise<ProviderAnswer> {
			const system =
				mode === 'jsonSchema'
					? request.system
					: `${request.system}\n\nAnswer with one JSON object that matches this JSON schema, and nothing else:\n${JSON.stringify(request.schema)}`;
			const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
				{ role: 'system', content: system },
				{ role: 'user', content: request.user },
			];
			const repair = repairMessage(request);
			if (repair) messages.push({ role: 'user', content: repair });
			const responseFormat =
				mode === 'jsonSchema'
					? {
							type: 'json_schema' as const,
							json_schema: { name: request.schemaName, schema: request.schema, strict: true },
						}
					: mode === 'jsonObject'
						? { type: 'json_object' as const }
						: undefined;
			const completion = await client.chat.completions.create(
				{
					model: options.model,
					messages,
					...(responseFormat ? { response_format: responseFormat } : {}),
					...(options.kind === 'localModel'
						? { max_tokens: request.maxOutputTokens, temperature: 0 }
						: {}),
				},
				{ signal: request.signal },
			);
			const message = completion.choices[0]?.message;
			return {
				text: message?.content ?? '',
				refusal: message?.refusal ?? undefined,
				usage: {
					inputTokens: completion.usage?.prompt_tokens ?? 0,
					outputTokens: completion.usage?.completion_tokens ?? 0,
				},
				model: completion.model || options.model,
			};
		},
	};
}
