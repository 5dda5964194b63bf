/** n8n credentials that point the package's nodes at the LLM stand-in (test/servers/llm). */
import type { N8n } from '../harness/n8n';
import type { LlmServer } from '../servers/llm';

/** A "Local Model" credential on the stand-in's OpenAI-compatible API, answers by JSON schema. */
export async function localModelCredential(
	n8n: N8n,
	llm: LlmServer,
): Promise<{ id: string; name: string }> {
	return await n8n.createCredential('supportEmailLocalModelApi', {
		url: llm.openaiBaseUrl,
		apiKey: llm.apiKeys.openai,
		structuredMode: 'jsonSchema',
	});
}
