/** lib/ai providers whose real SDKs talk to the LLM stand-in (test/servers/llm). */
import { createAnthropicProvider, createOpenAiCompatibleProvider } from '../../lib/ai';
import type { AiProvider } from '../../lib/ai';
import type { LlmServer } from '../servers/llm';

/** OpenAI, gpt-4o-mini, at the stand-in. */
export function openAiProvider(server: LlmServer): AiProvider {
	return createOpenAiCompatibleProvider({
		kind: 'openAi',
		model: 'gpt-4o-mini',
		apiKey: server.apiKeys.openai,
		baseURL: server.openaiBaseUrl,
	});
}

/** Anthropic, claude-haiku-4-5, at the stand-in. */
export function anthropicProvider(server: LlmServer): AiProvider {
	return createAnthropicProvider({
		model: 'claude-haiku-4-5',
		apiKey: server.apiKeys.anthropic,
		baseURL: server.anthropicBaseUrl,
	});
}
