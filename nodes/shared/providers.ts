import type { IExecuteFunctions } from 'n8n-workflow';
import type { AiProvider, ProviderEntry, StructuredMode } from '../../lib/ai';
import {
	OFFLINE_PROVIDER,
	createAnthropicProvider,
	createConnectedModelProvider,
	createOpenAiCompatibleProvider,
	isChatModelLike,
} from '../../lib/ai';

export interface NodeProviders {
	/** In order: the connected Model, the AI services, `offline` (the node's built-in answer). */
	list: ProviderEntry[];
	/** The AI services of the list. */
	ai: AiProvider[];
}

/**
 * The provider list chosen on the node: the connected Model first, then Providers in order; the
 * built-in answer last (listed, or with the Offline Fallback option on). An empty list means
 * nothing was chosen: with no Model and no provider selected, Offline Fallback alone never
 * made a list.
 */
export async function buildProviders(
	context: IExecuteFunctions,
	connectedModel: unknown,
	timeoutMs: number,
): Promise<NodeProviders> {
	const selected = context.getNodeParameter('providers', 0, ['offline']) as string[];
	const ai: AiProvider[] = [];
	const model = Array.isArray(connectedModel) ? connectedModel[0] : connectedModel;
	if (isChatModelLike(model)) ai.push(createConnectedModelProvider(model));

	for (const kind of selected) {
		if (kind === 'openAi') {
			const credentials = await context.getCredentials<{
				apiKey: string;
				organizationId?: string;
				url?: string;
			}>('supportEmailOpenAiApi');
			ai.push(
				createOpenAiCompatibleProvider({
					kind: 'openAi',
					model: context.getNodeParameter('openAiModel', 0) as string,
					apiKey: credentials.apiKey,
					organization: credentials.organizationId,
					baseURL: credentials.url || undefined,
					timeoutMs,
				}),
			);
		} else if (kind === 'anthropic') {
			const credentials = await context.getCredentials<{ apiKey: string; url?: string }>(
				'supportEmailAnthropicApi',
			);
			ai.push(
				createAnthropicProvider({
					model: context.getNodeParameter('anthropicModel', 0) as string,
					apiKey: credentials.apiKey,
					baseURL: credentials.url || undefined,
					timeoutMs,
				}),
			);
		} else if (kind === 'azureOpenAi') {
			const credentials = await context.getCredentials<{
				endpoint: string;
				apiKey: string;
				apiVersion: string;
			}>('supportEmailAzureOpenAiApi');
			const deployment = context.getNodeParameter('azureDeployment', 0) as string;
			ai.push(
				createOpenAiCompatibleProvider({
					kind: 'azureOpenAi',
					model: deployment,
					apiKey: credentials.apiKey,
					azure: { endpoint: credentials.endpoint, apiVersion: credentials.apiVersion, deployment },
					timeoutMs,
				}),
			);
		} else if (kind === 'localModel') {
			const credentials = await context.getCredentials<{
				url: string;
				apiKey?: string;
				structuredMode?: StructuredMode;
			}>('supportEmailLocalModelApi');
			ai.push(
				createOpenAiCompatibleProvider({
					kind: 'localModel',
					model: context.getNodeParameter('localModel', 0) as string,
					apiKey: credentials.apiKey ?? '',
					baseURL: credentials.url,
					structuredMode: credentials.structuredMode,
					timeoutMs,
				}),
			);
		}
	}
	const offlineListed = selected.includes(OFFLINE_PROVIDER);
	if (!offlineListed && ai.length === 0) return { list: [], ai };
	const options = context.getNodeParameter('options', 0, {}) as { offlineFallback?: boolean };
	const offlineLast = offlineListed || options.offlineFallback !== false;
	return { list: offlineLast ? [...ai, OFFLINE_PROVIDER] : ai, ai };
}
