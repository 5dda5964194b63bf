import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type { CustomTemplate, DraftConfig, DraftInput, Tone } from '../../lib/draft';
import {
	DEFAULT_KNOWLEDGE_FIELD,
	isRetriever,
	retrieveKnowledge,
	TONES,
	draftReply,
	parseKnowledge,
	readPath,
} from '../../lib/draft';
import { readSupport, withSupport } from '../../lib/contract';
import { InputError } from '../../lib/errors';
import { aiProvidersOf, runOverItems } from '../shared/ai-run';

interface Options {
	answerFromKnowledge?: boolean;
	autoAnswerThreshold?: number;
	concurrency?: number;
	instructions?: string;
	maxKnowledgeChars?: number;
	maxInputChars?: number;
	maxOutputTokens?: number;
	maxRetries?: number;
	minClassificationConfidence?: number;
	offlineFallback?: boolean;
	redactPersonalData?: boolean;
	requestsPerMinute?: number;
	reviewThreshold?: number;
	timeoutSeconds?: number;
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const options = this.getNodeParameter('options', 0, {}) as Options;
	const timeoutMs = (options.timeoutSeconds ?? 60) * 1000;

	const providers = await aiProvidersOf(this, timeoutMs, 'Built-In Templates');
	const connectedRetriever = await this.getInputConnectionData(
		NodeConnectionTypes.AiRetriever,
		0,
	).catch(() => undefined);
	const retriever = isRetriever(connectedRetriever) ? connectedRetriever : undefined;

	const replyLanguage = this.getNodeParameter('replyLanguage', 0, 'customer') as string;
	let language = 'customer';
	if (replyLanguage === 'fixed') {
		language = String(this.getNodeParameter('language', 0, ''))
			.trim()
			.toLowerCase();
		if (!/^[a-z]{2}$/.test(language)) {
			throw new NodeOperationError(this.getNode(), `"${language}" is not a language code`, {
				description:
					'Set Language to a two-letter ISO 639-1 code such as en, de, fr or es, or choose "Customer\'s Language".',
			});
		}
	}
	const tone = this.getNodeParameter('tone', 0, 'friendly') as Tone;
	if (!(tone in TONES)) {
		throw new NodeOperationError(this.getNode(), `Unknown tone "${String(tone)}"`, {
			description: `Choose one of: ${Object.keys(TONES).join(', ')}.`,
		});
	}
	const templates = (
		((this.getNodeParameter('templates', 0, {}) as IDataObject).template ?? []) as Array<
			Partial<CustomTemplate>
		>
	)
		.filter((t) => t.category?.trim() && t.text?.trim())
		.map((t) => ({
			category: t.category!.trim(),
			language: t.language?.trim().toLowerCase() || undefined,
			text: t.text!,
		}));

	const config: DraftConfig = {
		providers: providers.list,
		templateFallback: false,
		language,
		tone,
		companyName: this.getNodeParameter('companyName', 0, '') as string,
		agentName: this.getNodeParameter('agentName', 0, '') as string,
		signature: this.getNodeParameter('signature', 0, '') as string,
		policies: String(this.getNodeParameter('policies', 0, '') ?? '')
			.split('\n')
			.map((line) => line.trim())
			.filter(Boolean),
		templates,
		instructions: options.instructions,
		reviewThreshold: options.reviewThreshold ?? 0.7,
		minClassificationConfidence:
			this.getNode().typeVersion < 2 ? (options.minClassificationConfidence ?? 0.7) : undefined,
		maxInputChars: options.maxInputChars ?? 8000,
		maxKnowledgeChars: options.maxKnowledgeChars ?? 12000,
		maxOutputTokens: options.maxOutputTokens ?? 1000,
		redactPersonalData: options.redactPersonalData ?? false,
		resilience: { maxRetries: options.maxRetries ?? 3, timeoutMs },
		answerFromKnowledge: options.answerFromKnowledge ?? true,
		autoAnswerThreshold: options.autoAnswerThreshold,
	};

	const results = await runOverItems(this, options, async (item, itemIndex) => {
		const input = inputOf(this, itemIndex, item);
		// With a retriever connected, an item that brought no knowledge of its own gets the retriever's.
		if (retriever && input.knowledge.length === 0)
			input.knowledge = await retrieveKnowledge(
				retriever,
				`${input.email.subject}\n${input.email.text}`,
				5,
				timeoutMs,
			);
		return await draftReply(input, config);
	});
	return [
		results.map((result) =>
			'errorItem' in result
				? result.errorItem
				: {
						json: withSupport(result.item.json, { draft: result.value }),
						binary: result.item.binary,
						pairedItem: { item: result.itemIndex },
					},
		),
	];
}

function inputOf(
	context: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData,
): DraftInput {
	const { email, classification, answer } = readSupport(item.json, {
		required: ['email', 'classification'],
		optional: ['answer'],
		needs: { email: [], classification: ['category'] },
		hints: {
			classification:
				'The drafter needs the category and language the Support Classifier finds (with "Continue on Fail" on the Classifier, route its error items away from the drafter).',
		},
	});
	const text = (email.text ?? '').trim() || (email.fullText ?? '').trim();
	const subject = email.subject ?? '';
	if (!text && !subject.trim()) {
		throw new InputError(
			'The email has neither text nor subject',
			'There is nothing to reply to: filter empty mail out before this node.',
		);
	}
	const field =
		String(context.getNodeParameter('knowledgeField', itemIndex, DEFAULT_KNOWLEDGE_FIELD)).trim() ||
		DEFAULT_KNOWLEDGE_FIELD;
	const knowledge = parseKnowledge(readPath(item.json, field), field, {
		explicitField: field !== DEFAULT_KNOWLEDGE_FIELD,
	});
	return {
		email: {
			subject,
			text,
			from: email.from,
			messageId: email.messageId,
			language: email.language,
			hiddenText: email.hiddenText,
			autoSubmitted: email.autoSubmitted === true,
		},
		classification: {
			category: classification.category.trim(),
			language: classification.language,
			confidence: classification.confidence,
			unsure: classification.unsure === true,
			entities: classification.entities,
			promptInjection: classification.promptInjection,
		},
		knowledge,
		answer,
	};
}
