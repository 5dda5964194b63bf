/**
 * What the local model server answers in the benchmark. Every kind of request gets a valid answer
 * that its client's parser accepts:
 *
 * - our Support Classifier: `response_format: json_schema` (strict). The server's own instance of the
 *   schema, with the email's real Bitext category and a confidence of 0.9 (above the 0.7 threshold).
 * - n8n's Text Classifier: LangChain format instructions for an object of booleans, one per category
 *   (plus `fallback`). Exactly one is true: the email's real category, so that every item is routed.
 *   (The server's default makes a boolean true only when the text names the property, which would
 *   leave most items on no output, and the node drops those.)
 * - n8n's Sentiment Analysis and Information Extractor: the server's default instance of the schema
 *   in the format instructions (it already fits their zod schemas).
 *
 * The email is found by its sender's address, which is unique per email and is part of both nodes'
 * input (ours puts `From:` in its prompt; the n8n nodes' text expressions include it too).
 */
import { formatInstructionsSchema } from '../../test/servers/llm/common';
import { generateInstance } from '../../test/servers/llm';
import type { JsonSchema, LlmRequest, Responder } from '../../test/servers/llm';
import type { BenchEmail } from './emails';

export type RequestKind =
	'supportClassifier' | 'textClassifier' | 'sentimentAnalysis' | 'informationExtractor' | 'other';

export const OUR_SCHEMA_NAME = 'support_email_classification';

type Obj = Record<string, any>;

/** Which node sent a request, from the structured output it asks for. */
export function kindOfSchema(schemaName: string | undefined, schema: unknown): RequestKind {
	if (schemaName === OUR_SCHEMA_NAME) return 'supportClassifier';
	const properties = (schema as Obj | undefined)?.properties as Obj | undefined;
	if (!properties) return 'other';
	const values = Object.values(properties) as Obj[];
	if (values.length && values.every((p) => p?.type === 'boolean')) return 'textClassifier';
	if ('sentiment' in properties && 'strength' in properties) return 'sentimentAnalysis';
	if (schemaName === undefined) return 'informationExtractor';
	return 'other';
}

/** The same, from a raw chat-completions body (used by the usage proxy, which sees only the wire). */
export function kindOfBody(body: Obj | undefined): RequestKind {
	if (!body || !Array.isArray(body.messages)) return 'other';
	const format = body.response_format;
	if (format?.type === 'json_schema')
		return kindOfSchema(format.json_schema?.name, format.json_schema?.schema);
	const text = (body.messages as Obj[])
		.map((m) => (typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? '')))
		.join('\n');
	const schema = formatInstructionsSchema(text);
	return schema ? kindOfSchema(undefined, schema) : 'other';
}

export interface BenchResponder {
	responder: Responder;
	/** Requests seen per kind since the last reset. */
	kinds: Record<RequestKind, number>;
	/** Requests whose email could not be identified (answered with the server's default). */
	unidentified: number;
	reset(): void;
}

const ADDRESS = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;

export function createBenchResponder(emails: readonly BenchEmail[]): BenchResponder {
	const byAddress = new Map(emails.map((e) => [e.from.address, e]));
	const state: BenchResponder = {
		kinds: emptyKinds(),
		unidentified: 0,
		reset() {
			state.kinds = emptyKinds();
			state.unidentified = 0;
		},
		responder: (request: LlmRequest) => {
			const structured = request.structured;
			const kind = structured
				? kindOfSchema(
						structured.kind === 'json_schema' ? structured.name : undefined,
						structured.schema,
					)
				: 'other';
			state.kinds[kind]++;
			if (kind !== 'supportClassifier' && kind !== 'textClassifier') return undefined;
			const email = findEmail(request.userText, byAddress);
			if (!email) {
				state.unidentified++;
				return undefined;
			}
			const schema = structured!.schema as JsonSchema;
			if (kind === 'supportClassifier') {
				const value = generateInstance(schema, { text: request.userText }) as Obj;
				const allowed = (schema as Obj).properties?.category?.enum as string[] | undefined;
				if (allowed?.includes(email.category)) value.category = email.category;
				value.confidence = 0.9;
				return { json: value };
			}
			const properties = Object.keys(((schema as Obj).properties ?? {}) as Obj);
			const value: Record<string, boolean> = {};
			for (const name of properties) value[name] = false;
			if (email.category in value) value[email.category] = true;
			else if ('fallback' in value) value.fallback = true;
			return { json: value };
		},
	};
	return state;
}

function findEmail(text: string, byAddress: Map<string, BenchEmail>): BenchEmail | undefined {
	for (const match of text.matchAll(ADDRESS)) {
		const found = byAddress.get(match[0].toLowerCase());
		if (found) return found;
	}
	return undefined;
}

function emptyKinds(): Record<RequestKind, number> {
	return {
		supportClassifier: 0,
		textClassifier: 0,
		sentimentAnalysis: 0,
		informationExtractor: 0,
		other: 0,
	};
}
