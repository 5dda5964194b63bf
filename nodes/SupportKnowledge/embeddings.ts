/**
 * The optional Embeddings input (version 1.1, "Use Embeddings" on): n8n's embeddings sub-nodes
 * (Embeddings OpenAI, Ollama, Azure OpenAI, ...) connect as they do to n8n's vector stores. On
 * updates the documents that have no vectors of the connected model are embedded; on search each
 * email is embedded and the lexical and embeddings rankings are fused (lib/knowledge/hybrid.ts).
 */
import type { IDataObject, IExecuteFunctions, INode } from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type { EmbeddedDocs, Embedder, EmbedOptions } from '../../lib/knowledge';
import {
	documentsToEmbed,
	embedDocuments,
	embedderIdentity,
	isEmbedder,
	loadKnowledgeBase,
} from '../../lib/knowledge';
import type { KnowledgeBase, KnowledgeDoc } from '../../lib/knowledge';
import { errorMessage } from '../../lib/errors';
import { toNodeError } from '../shared/errors';

export interface ConnectedEmbeddings {
	embedder: Embedder;
	model: string;
	options: EmbedOptions;
	/** What to do when the embeddings fail: search / store without them, or fail. */
	onFailure: 'lexical' | 'error';
}

/** The connected embeddings sub-node, or undefined when the node does not use one. */
export async function connectedEmbeddings(
	context: IExecuteFunctions,
	options: IDataObject,
): Promise<ConnectedEmbeddings | undefined> {
	const node = context.getNode();
	if (node.typeVersion < 1.1 || context.getNodeParameter('useEmbeddings', 0, false) !== true)
		return undefined;
	const connected = await context.getInputConnectionData(NodeConnectionTypes.AiEmbedding, 0);
	const embedder = Array.isArray(connected) ? (connected[0] as unknown) : connected;
	if (!isEmbedder(embedder))
		throw new NodeOperationError(
			node,
			'No embeddings sub-node is connected to the Embeddings input',
			{
				description:
					'Connect one of n8n\'s embeddings sub-nodes (for example "Embeddings OpenAI") to the Embeddings input, or turn off Use Embeddings.',
			},
		);
	let nodeName = 'Embeddings';
	try {
		nodeName =
			context.getParentNodes(node.name, {
				connectionType: NodeConnectionTypes.AiEmbedding,
				depth: 1,
			})[0]?.name ?? nodeName;
	} catch {
		// Older n8n: the generic name still says which input failed.
	}
	return {
		embedder,
		model: embedderIdentity(embedder),
		options: {
			nodeName,
			timeoutMs: Math.max(1, Number(options.embeddingsTimeout ?? 60)) * 1000,
		},
		onFailure: options.onEmbeddingsFailure === 'error' ? 'error' : 'lexical',
	};
}

export type PreparedVectors =
	{ embedded: EmbeddedDocs; error?: undefined } | { embedded?: undefined; error: string };

/**
 * Embeds, before the knowledge file is locked, every document of the update (and any document of
 * the knowledge base) that has no vectors of the connected model; `removed` are documents the
 * update deletes (not worth embedding). Throws when embedding fails and On Embeddings Failure is
 * "error"; otherwise returns the failure, and the update goes on without vectors.
 */
export async function prepareVectors(
	node: INode,
	connected: ConnectedEmbeddings | undefined,
	file: string,
	incoming: KnowledgeDoc[],
	removed: (doc: KnowledgeDoc, base: KnowledgeBase) => boolean = () => false,
): Promise<PreparedVectors | undefined> {
	if (!connected) return undefined;
	try {
		const base = await loadKnowledgeBase(file);
		const pending = documentsToEmbed(base, connected.model, incoming).filter(
			(doc) => !removed(doc, base),
		);
		return {
			embedded: await embedDocuments(
				connected.embedder,
				connected.model,
				pending,
				connected.options,
			),
		};
	} catch (error) {
		if (connected.onFailure === 'error') throw toNodeError(node, error, 0);
		return { error: errorMessage(error) };
	}
}

/** What an update's output says about the embeddings. */
export function vectorSummary(
	connected: ConnectedEmbeddings | undefined,
	prepared: PreparedVectors | undefined,
	stored: number,
): IDataObject | undefined {
	if (!connected || !prepared) return undefined;
	if (prepared.error !== undefined)
		return {
			model: connected.model,
			status: 'failed',
			error: prepared.error,
			note: 'stored without embeddings (searched lexically); the next update embeds them',
		};
	return {
		model: connected.model,
		dimensions: prepared.embedded.dimensions || undefined,
		embedded: stored,
		requests: prepared.embedded.calls,
	};
}
