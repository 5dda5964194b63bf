import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { AiProvider, ProviderEntry, StructuredMode } from '../../lib/ai';
import {
	OFFLINE_PROVIDER,
	createAnthropicProvider,
	createConnectedModelProvider,
	createOpenAiCompatibleProvider,
	isChatModelLike,
} from '../../lib/ai';

/** The node's subtitle with the ordered list: its entries, in order. */
export const LIST_SUBTITLE =
	'={{ ((($parameter["providers"] || {}).provider) || []).map((p) => p.kind).join(" → ") }}';

export interface NodeProviders {
	/** In order: the connected Model, the AI services and `offline` (the node's built-in answer). */
	list: ProviderEntry[];
	/** The AI services of the list. */
	ai: AiProvider[];
}

type ServiceKind = 'openAi' | 'anthropic' | 'azureOpenAi' | 'localModel';

type ModelField = 'openAiModel' | 'anthropicModel' | 'azureDeployment' | 'localModel';

/** One entry of the ordered Providers list (providerListField); model fields as the multi-select's. */
interface ListEntry extends IDataObject {
	kind?: string;
}

/** The model fields' defaults (as on the canvas), for an entry saved without them. */
const MODEL_DEFAULTS: Record<ModelField, string> = {
	openAiModel: 'gpt-4o-mini',
	anthropicModel: 'claude-haiku-4-5',
	azureDeployment: '',
	localModel: 'llama3.1',
};

const SERVICES: Record<ServiceKind, { credential: string; name: string }> = {
	openAi: { credential: 'supportEmailOpenAiApi', name: 'OpenAI' },
	anthropic: { credential: 'supportEmailAnthropicApi', name: 'Anthropic' },
	azureOpenAi: { credential: 'supportEmailAzureOpenAiApi', name: 'Azure OpenAI' },
	localModel: { credential: 'supportEmailLocalModelApi', name: 'Local Model Server' },
};

/**
 * The provider list chosen on the node, the connected Model first. The versions with the ordered
 * Providers list give it as it stands. The multi-select of the older versions maps onto the same
 * list: the services in the order selected, the built-in answer last when it is selected or the
 * Offline Fallback option is on. An empty list means nothing was chosen (with neither a Model nor a
 * selected provider, Offline Fallback alone never made a list).
 */
export async function buildProviders(
	context: IExecuteFunctions,
	connectedModel: unknown,
	timeoutMs: number,
): Promise<NodeProviders> {
	const setting = context.getNodeParameter('providers', 0, ['offline']) as
		string[] | { provider?: ListEntry[] };
	const ai: AiProvider[] = [];
	const list: ProviderEntry[] = [];
	const model = Array.isArray(connectedModel) ? connectedModel[0] : connectedModel;
	if (isChatModelLike(model)) {
		ai.push(createConnectedModelProvider(model));
		list.push(ai[0]);
	}

	if (!Array.isArray(setting)) {
		for (const entry of setting?.provider ?? []) {
			const kind = entry.kind ?? OFFLINE_PROVIDER;
			if (kind === OFFLINE_PROVIDER) {
				list.push(OFFLINE_PROVIDER);
				continue;
			}
			if (!(kind in SERVICES)) {
				throw new NodeOperationError(context.getNode(), `Unknown provider "${kind}"`, {
					description: `Choose one of: ${Object.values(SERVICES)
						.map((s) => s.name)
						.join(', ')}, or the built-in one.`,
				});
			}
			const service = SERVICES[kind as ServiceKind];
			if (!context.getNode().credentials?.[service.credential]) {
				throw new NodeOperationError(
					context.getNode(),
					`${service.name} is in Providers but has no credential`,
					{
						description: `Select a credential for ${service.name} at the top of the node, or remove ${service.name} from Providers.`,
					},
				);
			}
			if (kind === 'azureOpenAi' && !String(entry.azureDeployment ?? '').trim()) {
				throw new NodeOperationError(context.getNode(), 'Azure OpenAI has no deployment', {
					description:
						'Set Azure Deployment on the Azure OpenAI entry of Providers: the deployment name in Azure OpenAI.',
				});
			}
			const provider = await createProvider(context, kind as ServiceKind, timeoutMs, (name) =>
				String(entry[name] ?? MODEL_DEFAULTS[name]),
			);
			ai.push(provider);
			list.push(provider);
		}
		return { list, ai };
	}

	for (const kind of setting) {
		if (!(kind in SERVICES)) continue;
		const provider = await createProvider(
			context,
			kind as ServiceKind,
			timeoutMs,
			(name) => context.getNodeParameter(name, 0) as string,
		);
		ai.push(provider);
		list.push(provider);
	}
	const offlineListed = setting.includes(OFFLINE_PROVIDER);
	if (!offlineListed && ai.length === 0) return { list: [], ai };
	const options = context.getNodeParameter('options', 0, {}) as { offlineFallback?: boolean };
	if (offlineListed || options.offlineFallback !== false) list.push(OFFLINE_PROVIDER);
	return { list, ai };
}

/** One AI service with its credential; `field` reads the model (or deployment) set for it. */
async function createProvider(
	context: IExecuteFunctions,
	kind: ServiceKind,
	timeoutMs: number,
	field: (name: ModelField) => string,
): Promise<AiProvider> {
	if (kind === 'openAi') {
		const credentials = await context.getCredentials<{
			apiKey: string;
			organizationId?: string;
			url?: string;
		}>('supportEmailOpenAiApi');
		return createOpenAiCompatibleProvider({
			kind: 'openAi',
			model: field('openAiModel'),
			apiKey: credentials.apiKey,
			organization: credentials.organizationId,
			baseURL: credentials.url || undefined,
			timeoutMs,
		});
	}
	if (kind === 'anthropic') {
		const credentials = await context.getCredentials<{ apiKey: string; url?: string }>(
			'supportEmailAnthropicApi',
		);
		return createAnthropicProvider({
			model: field('anthropicModel'),
			apiKey: credentials.apiKey,
			baseURL: credentials.url || undefined,
			timeoutMs,
		});
	}
	if (kind === 'azureOpenAi') {
		const credentials = await context.getCredentials<{
			endpoint: string;
			apiKey: string;
			apiVersion: string;
		}>('supportEmailAzureOpenAiApi');
		const deployment = field('azureDeployment');
		return createOpenAiCompatibleProvider({
			kind: 'azureOpenAi',
			model: deployment,
			apiKey: credentials.apiKey,
			azure: { endpoint: credentials.endpoint, apiVersion: credentials.apiVersion, deployment },
			timeoutMs,
		});
	}
	const credentials = await context.getCredentials<{
		url: string;
		apiKey?: string;
		structuredMode?: StructuredMode;
	}>('supportEmailLocalModelApi');
	return createOpenAiCompatibleProvider({
		kind: 'localModel',
		model: field('localModel'),
		apiKey: credentials.apiKey ?? '',
		baseURL: credentials.url,
		structuredMode: credentials.structuredMode,
		timeoutMs,
	});
}
