import Anthropic from '@anthropic-ai/sdk';
import type { AiProvider, ProviderAnswer, StructuredRequest } from './types';
import { repairMessage } from './types';

export interface AnthropicOptions {
	model: string;
	apiKey: string;
	baseURL?: string;
	timeoutMs?: number;
}

/** Anthropic Messages API; structured output through a forced tool call whose input is the answer. */
export function createAnthropicProvider(options: AnthropicOptions): AiProvider {
	const client = new Anthropic({
		apiKey: options.apiKey,
		baseURL: options.baseURL || undefined,
		maxRetries: 0,
		timeout: options.timeoutMs,
	});
	return {
		kind: 'anthropic',
		model: options.model,
		label: `Anthropic (${options.model})`,
		breakerKey: `anthropic|${options.baseURL ?? 'https://api.anthropic.com'}|${options.model}`,
		async call(request: StructuredRequest): Promise<ProviderAnswer> {
			const repair = repairMessage(request);
			const message = await client.messages.create(
				{
					model: options.model,
					max_tokens: request.maxOutputTokens,
					system: request.system,
					messages: [
						{ role: 'user', content: repair ? `${request.user}\n\n${repair}` : request.user },
					],
					tools: [
						{
							name: request.schemaName,
							description: 'Record the analysis of the customer email.',
							input_schema: request.schema as Anthropic.Tool.InputSchema,
						},
					],
					tool_choice: { type: 'tool', name: request.schemaName },
				},
				{ signal: request.signal },
			);
			const usage = {
				inputTokens: message.usage.input_tokens,
				outputTokens: message.usage.output_tokens,
			};
			const toolUse = message.content.find((block) => block.type === 'tool_use');
			const text = message.content
				.filter((block): block is Anthropic.TextBlock => block.type === 'text')
				.map((block) => block.text)
				.join('\n');
			if (!toolUse) {
				return {
					text,
					refusal: message.stop_reason === 'refusal' || text ? text || 'refused' : undefined,
					usage,
					model: message.model,
				};
			}
			return {
				text: JSON.stringify(toolUse.input),
				value: toolUse.input,
				usage,
				model: message.model,
			};
		},
	};
}
