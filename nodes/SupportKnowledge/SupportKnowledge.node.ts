import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { mailCredentialTests } from '../shared/mail-credential-tests';
import { properties } from './description';
import { execute } from './execute';

/**
 * Items in; from version 1.1 also an Embeddings input (n8n's embeddings sub-nodes), shown only
 * when "Use Embeddings" is on, as n8n's AI Agent shows its Fallback Model input. Version 1
 * workflows keep their single input. Version 1.2 turns the Semantic Check (English) on by default;
 * earlier versions keep the lexical confidence.
 */
const INPUTS =
	`={{ $parameter.useEmbeddings === true ? [{ "type": "${NodeConnectionTypes.Main}" }, { "type": "${NodeConnectionTypes.AiEmbedding}", "displayName": "Embeddings", "required": true, "maxConnections": 1 }] : ["${NodeConnectionTypes.Main}"] }}` as const;

export class SupportKnowledge implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Support Knowledge',
		name: 'supportKnowledge',
		icon: { light: 'file:supportKnowledge.svg', dark: 'file:supportKnowledge.dark.svg' },
		group: ['transform'],
		version: [1, 1.1, 1.2],
		subtitle:
			'={{ $parameter["operation"] + ": " + ($parameter["knowledgeBase"] === "demo" ? "demo help centre" : $parameter["indexName"]) }}',
		usableAsTool: true,
		description:
			'A knowledge base from your help centre and past replies: finds what answers each email (support.knowledge, support.answer), offline',
		defaults: { name: 'Support Knowledge' },
		inputs: INPUTS,
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'supportImapSmtpApi',
				required: true,
				testedBy: 'supportImapSmtpConnectionTest',
				displayOptions: { show: { operation: ['upsertReplies'], replyInput: ['sentFolder'] } },
			},
		],
		properties,
	};

	methods = {
		credentialTest: mailCredentialTests,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await execute.call(this);
	}
}
