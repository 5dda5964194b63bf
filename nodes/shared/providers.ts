import type { IExecuteFunctions } from 'n8n-workflow';
import type { AiProvider, StructuredMode } from '../../lib/ai';
import {
	createAnthropicProvider,
	createConnectedModelProvider,
	createOpenAiCompatibleProvider,
	isChatModelLike,
} from '../../lib/ai';

export interface NodeProviders {
	ai: AiProvider[];
	/** The offline model is one of the selected providers (not only the fallback). */
	offlineListed: boolean;
}

/** The provider chain chosen on the node: the connected Model first, then Providers in order. */
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
	return { ai, offlineListed: selected.includes('offline') };
}
