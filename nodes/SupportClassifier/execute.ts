import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError, jsonParse } from 'n8n-workflow';
import { OFFLINE_PROVIDER } from '../../lib/ai';
import type { Classification, ClassifyConfig, ExtractableField } from '../../lib/classify';
import { ALL_FIELDS, classifyEmail, effectiveCategories } from '../../lib/classify';
import { readSupport, withSupport } from '../../lib/contract';
import { InputError } from '../../lib/errors';
import { aiProvidersOf, runOverItems } from '../shared/ai-run';
import { toNodeError } from '../shared/errors';
import { offlineModelForExecution } from './offline-model';
import { defaultRouting } from './outputs';

interface Options {
	concurrency?: number;
	threshold?: number;
	fields?: ExtractableField[];
	languages?: string[];
	maxInputChars?: number;
	maxRetries?: number;
	multiLabel?: boolean;
	offlineFallback?: boolean;
	redactPersonalData?: boolean;
	requestsPerMinute?: number;
	unsureOutput?: boolean;
	systemPrompt?: string;
	timeoutSeconds?: number;
	trainingExamples?: string | unknown[];
	sentenceEncoder?: boolean;
}

interface CategoryParameter {
	name?: string;
	description?: string;
	examples?: string;
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const options = this.getNodeParameter('options', 0, {}) as Options;
	const routing = this.getNodeParameter(
		'routing',
		0,
		defaultRouting(this.getNode().typeVersion),
	) as string;
	const categoryParameters = ((this.getNodeParameter('categories', 0, {}) as IDataObject)
		.category ?? []) as CategoryParameter[];
	const categories = categoryParameters
		.filter((c) => c.name?.trim())
		.map((c) => ({
			name: c.name!.trim(),
			description: c.description?.trim() || undefined,
			examples: (c.examples ?? '')
				.split('\n')
				.map((line) => line.trim())
				.filter(Boolean),
		}));
	const names = effectiveCategories({ categories }).map((c) => c.name);
	const unsureOutput = options.unsureOutput !== false;
	const outputCount = (routing === 'single' ? 1 : names.length) + (unsureOutput ? 1 : 0);
	const outputs: INodeExecutionData[][] = Array.from({ length: outputCount }, () => []);

	const timeoutMs = (options.timeoutSeconds ?? 60) * 1000;
	const providers = await aiProvidersOf(this, timeoutMs, 'Built-In Offline Model');
	const config: ClassifyConfig = {
		categories,
		providers: providers.list,
		offlineFallback: false,
		// Unset: the default of the kind of model that answers (see the option's description).
		threshold: typeof options.threshold === 'number' ? options.threshold : undefined,
		languages: options.languages?.length ? options.languages : undefined,
		multiLabel: options.multiLabel ?? false,
		fields: options.fields?.length ? options.fields : ALL_FIELDS,
		systemPrompt: options.systemPrompt,
		maxInputChars: options.maxInputChars ?? 8000,
		redactPersonalData: options.redactPersonalData ?? false,
		// Version 1 nodes keep the word model alone (the option is version 2's).
		sentenceEncoder: options.sentenceEncoder ?? this.getNode().typeVersion >= 2,
		resilience: { maxRetries: options.maxRetries ?? 3, timeoutMs },
	};
	if (providers.list.includes(OFFLINE_PROVIDER)) {
		// Found (or learned) once per execution, not once per email: with 10,000 Training Examples,
		// hashing them to find the cached model costs more than classifying an email.
		try {
			config.offlineModel = await offlineModelForExecution(config, options.trainingExamples, () =>
				trainingExamples(this, options.trainingExamples),
			);
		} catch (error) {
			// With an AI provider first, the offline model answers only what falls through to it: its
			// configuration problem surfaces on those items.
			if (providers.list[0] === OFFLINE_PROVIDER) throw toNodeError(this.getNode(), error, 0);
		}
	}

	const results = await runOverItems(this, options, async (item, itemIndex) =>
		classifyEmail(emailOf(this, itemIndex, item), config),
	);
	for (const result of results) {
		if ('errorItem' in result) {
			// A human should look at an item the classifier could not read: the Unsure output when there is one.
			outputs[unsureOutput ? outputCount - 1 : 0].push(result.errorItem);
			continue;
		}
		const { item, itemIndex, value: classification } = result;
		const routedTo = targets(classification, names, routing, unsureOutput);
		const out: INodeExecutionData = {
			json: withSupport(item.json, {
				classification: {
					...classification,
					// The threshold behind `unsure`: the one confidence verdict the other nodes read.
					unsureBelow: config.threshold,
					routedTo: routedTo.map((i) => outputName(i, names, routing)),
				},
			}),
			binary: item.binary,
			pairedItem: { item: itemIndex },
		};
		for (const index of routedTo) outputs[index].push(out);
	}
	return outputs;
}

function targets(
	classification: Classification,
	names: string[],
	routing: string,
	unsureOutput: boolean,
): number[] {
	const unsureIndex = routing === 'single' ? 1 : names.length;
	if (classification.unsure && unsureOutput) return [unsureIndex];
	if (routing === 'single') return [0];
	const labels = classification.categories?.length
		? classification.categories
		: [classification.category];
	const indexes = labels.map((label) => names.indexOf(label)).filter((index) => index >= 0);
	return indexes.length ? [...new Set(indexes)] : unsureOutput ? [unsureIndex] : [0];
}

function outputName(index: number, names: string[], routing: string): string {
	if (routing === 'single') return index === 0 ? 'Classified' : 'Unsure';
	return names[index] ?? 'Unsure';
}

function emailOf(context: IExecuteFunctions, itemIndex: number, item: INodeExecutionData) {
	const source = context.getNodeParameter('textSource', itemIndex, 'supportEmail') as string;
	if (source === 'custom') {
		const text = context.getNodeParameter('text', itemIndex, '') as unknown;
		if (typeof text !== 'string' || !text.trim()) {
			throw new InputError(
				'The text to classify is empty',
				'Check the "Text" expression: it must give the message text for this item.',
			);
		}
		return { text };
	}
	const { email } = readSupport(item.json, {
		required: ['email'],
		needs: { email: [] },
		hints: { email: 'Or set "Text to Classify" to Custom.' },
	});
	const text = (email.text ?? '').trim() || (email.fullText ?? '').trim();
	const subject = email.subject ?? '';
	if (!text && !subject.trim()) {
		throw new InputError(
			'The email has neither text nor subject',
			'Empty mail cannot be classified: filter it out before this node, or route errors with On Error → Continue.',
		);
	}
	const from = email.from;
	return {
		text,
		subject,
		from: from ? `${from.name ?? ''} <${from.address ?? ''}>`.trim() : undefined,
		hiddenText: email.hiddenText,
	};
}

function trainingExamples(
	context: IExecuteFunctions,
	value: Options['trainingExamples'],
): Array<{ text: string; label: string }> {
	if (value === undefined || value === '' || value === '[]') return [];
	let parsed: unknown = value;
	if (typeof value === 'string') {
		try {
			parsed = jsonParse(value);
		} catch {
			throw new NodeOperationError(context.getNode(), 'Training Examples is not valid JSON', {
				description: 'Give a list like [{"text": "Where is my parcel?", "label": "delivery"}].',
			});
		}
	}
	if (
		!Array.isArray(parsed) ||
		parsed.some(
			(e) =>
				typeof (e as IDataObject)?.text !== 'string' ||
				typeof (e as IDataObject)?.label !== 'string',
		)
	) {
		throw new NodeOperationError(
			context.getNode(),
			'Training Examples must be a list of {text, label} objects',
			{
				description:
					'Each entry needs a "text" and a "label" string; the label is a category name.',
			},
		);
	}
	return parsed as Array<{ text: string; label: string }>;
}
