import { startLlmServer } from '../servers/llm';
import type { LlmServer } from '../servers/llm';
import { sharedN8n } from '../harness/shared';

describe('AI credentials: the "Test" button in real n8n', () => {
	const n8n = sharedN8n();
	let llm: LlmServer;
	beforeAll(async () => (llm = await startLlmServer()));
	afterAll(async () => await llm.close());

	const cases = () => [
		{
			type: 'supportEmailOpenAiApi',
			good: { apiKey: llm.apiKeys.openai, url: llm.openaiBaseUrl, organizationId: '' },
			wrongKey: { apiKey: 'sk-wrong', url: llm.openaiBaseUrl, organizationId: '' },
			wrongUrl: {
				apiKey: llm.apiKeys.openai,
				url: `${llm.baseUrl}/nothing-here`,
				organizationId: '',
			},
			keyMessage: /API key is wrong or revoked/,
			urlMessage: /Nothing answers at this Base URL/,
		},
		{
			type: 'supportEmailAnthropicApi',
			good: { apiKey: llm.apiKeys.anthropic, url: llm.anthropicBaseUrl },
			wrongKey: { apiKey: 'sk-ant-wrong', url: llm.anthropicBaseUrl },
			wrongUrl: { apiKey: llm.apiKeys.anthropic, url: `${llm.baseUrl}/nothing-here` },
			keyMessage: /API key is wrong or revoked/,
			urlMessage: /Nothing answers at this Base URL/,
		},
		{
			type: 'supportEmailAzureOpenAiApi',
			good: { endpoint: llm.azureEndpoint, apiKey: llm.apiKeys.azure, apiVersion: '2024-10-21' },
			wrongKey: { endpoint: llm.azureEndpoint, apiKey: 'wrong', apiVersion: '2024-10-21' },
			wrongUrl: {
				endpoint: `${llm.baseUrl}/nothing-here`,
				apiKey: llm.apiKeys.azure,
				apiVersion: '2024-10-21',
			},
			keyMessage: /API key is wrong: copy KEY 1 or KEY 2/,
			urlMessage: /Nothing answers at this endpoint/,
		},
		{
			type: 'supportEmailLocalModelApi',
			good: { url: llm.openaiBaseUrl, apiKey: llm.apiKeys.openai, structuredMode: 'jsonSchema' },
			wrongKey: { url: llm.openaiBaseUrl, apiKey: 'sk-wrong', structuredMode: 'jsonSchema' },
			wrongUrl: {
				url: `${llm.baseUrl}/nothing-here`,
				apiKey: llm.apiKeys.openai,
				structuredMode: 'jsonSchema',
			},
			keyMessage: /wants an API key/,
			urlMessage: /Nothing answers at this Base URL/,
		},
	];

	it.each([0, 1, 2, 3])(
		'credential %#: OK with the right key, a clear message for a wrong key or URL',
		async (index) => {
			const c = cases()[index];
			expect(await n8n.testCredential(c.type, c.good)).toMatchObject({ status: 'OK' });
			// n8n 1.x does not apply a credential test's rules to error responses: it shows its own message
			// for a 401 / 404. n8n 2.x shows ours.
			if (n8n.major < 2) {
				c.keyMessage = /Authorization failed - please check your credentials/;
				c.urlMessage = /could not be found/;
			}
			expect(await n8n.testCredential(c.type, c.wrongKey)).toMatchObject({
				status: 'Error',
				message: expect.stringMatching(c.keyMessage),
			});
			expect(await n8n.testCredential(c.type, c.wrongUrl)).toMatchObject({
				status: 'Error',
				message: expect.stringMatching(c.urlMessage),
			});
		},
	);
});
