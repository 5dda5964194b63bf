import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { readSupport, withSupport } from '../../lib/contract';
import { InputError } from '../../lib/errors';
import { readImapSmtpCredentials } from '../../lib/mail/credentials';
import type { PastReply, SentFolderResult } from '../../lib/mail/past-replies';
import {
	pastReplyDocuments,
	pastRepliesFromFile,
	readSentFolder,
} from '../../lib/mail/past-replies';
import type {
	KnowledgeBase,
	KnowledgeDoc,
	KnowledgeSearchOptions,
	KnowledgeSource,
	SupportAnswer,
	SupportKnowledgeEntry,
} from '../../lib/knowledge';
import {
	applyVectors,
	articleFromFile,
	articleFromInput,
	conversationFromInput,
	demoKnowledgeBase,
	documentsToEmbed,
	embedDocuments,
	embedQueryText,
	hybridSearchForEmail,
	indexFile,
	loadKnowledgeBase,
	searchForEmail,
	semanticSearchForEmail,
	updateKnowledgeBase,
} from '../../lib/knowledge';
import { errorMessage } from '../../lib/errors';
import { readArticleFolder } from '../../lib/knowledge/folder';
import { continueOnFailItem, toNodeError } from '../shared/errors';
import type { ConnectedEmbeddings } from './embeddings';
import { connectedEmbeddings, prepareVectors, vectorSummary } from './embeddings';

type Operation = 'search' | 'upsertArticles' | 'upsertReplies' | 'syncFolder' | 'delete';

const MAX_FILE_BYTES = 2 * 1024 * 1024;

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as Operation;
	const source = this.getNodeParameter('knowledgeBase', 0, 'demo') as 'demo' | 'file';
	if (operation !== 'search' && source === 'demo')
		throw new NodeOperationError(
			this.getNode(),
			'The built-in demo help centre cannot be changed',
			{
				description:
					'Set Knowledge Base to "Your Own (Index File)" to add, sync or delete articles.',
			},
		);
	const options = this.getNodeParameter(
		operation === 'search' ? 'options' : 'writeOptions',
		0,
		{},
	) as IDataObject;
	const file =
		source === 'file'
			? wrap(this, () =>
					indexFile(
						this.getNodeParameter('indexName', 0, 'help-centre') as string,
						options.indexPath as string | undefined,
					),
				)
			: undefined;
	const embeddings = operation === 'delete' ? undefined : await connectedEmbeddings(this, options);
	if (operation === 'search') return [await search(this, file, options, embeddings)];
	if (operation === 'syncFolder') return [await syncFolder(this, file!, options, embeddings)];
	if (operation === 'delete') return [await remove(this, file!)];
	return [await upsert(this, file!, operation, options, embeddings)];
}

function wrap<T>(context: IExecuteFunctions, work: () => T, itemIndex = 0): T {
	try {
		return work();
	} catch (error) {
		throw toNodeError(context.getNode(), error, itemIndex);
	}
}

async function search(
	context: IExecuteFunctions,
	file: string | undefined,
	options: IDataObject,
	embeddings: ConnectedEmbeddings | undefined,
): Promise<INodeExecutionData[]> {
	const items = context.getInputData();
	let base: KnowledgeBase;
	try {
		base = file ? await loadKnowledgeBase(file) : demoKnowledgeBase();
	} catch (error) {
		throw toNodeError(context.getNode(), error, 0);
	}
	// Why the embeddings cannot be used for any item (then: lexical, or an error per item).
	let vectorProblem: Error | undefined;
	if (embeddings) {
		try {
			const problem = await vectorsFor(base, !file, embeddings);
			if (problem)
				vectorProblem = new InputError(
					problem,
					'Or set Options > On Embeddings Failure to search without embeddings meanwhile.',
				);
		} catch (error) {
			vectorProblem = error instanceof Error ? error : new Error(String(error));
		}
	}
	// Version 1.2 on: the semantic check unless switched off (earlier versions: lexical only), and
	// not beside an Embeddings input (also not when it fails and the search falls back to lexical).
	const semanticCheck =
		!embeddings &&
		context.getNode().typeVersion >= 1.2 &&
		(options.semanticCheck as boolean | undefined) !== false;
	const sources: KnowledgeSource[] | undefined =
		options.sources === 'article' || options.sources === 'reply' ? [options.sources] : undefined;
	return await eachItem(
		context,
		items,
		async (item, itemIndex) => {
			const query = String(context.getNodeParameter('options.query', itemIndex, '') ?? '').trim();
			const { email, classification } = readSupport(item.json, {
				required: query ? [] : ['email'],
				optional: query ? ['email', 'classification'] : ['classification'],
				needs: { email: [], classification: [] },
				hints: { email: 'Or set Options > Query to search for a text of your own.' },
			});
			const text = query || (email?.text ?? '').trim() || (email?.fullText ?? '').trim();
			const subject = query ? '' : (email?.subject ?? '');
			if (!text && !subject.trim())
				throw new InputError(
					'There is nothing to search for: the email has neither text nor subject',
					'Filter empty mail out before this node, or set Options > Query.',
				);
			const language = [classification?.language, email?.language].find(
				(l): l is string => typeof l === 'string' && /^[a-z]{2}$/i.test(l),
			);
			const emailQuery = { subject, text, language };
			const searchOptions: KnowledgeSearchOptions = {
				limit: Math.min(20, (options.maxResults as number) ?? 3),
				sources,
				abstainBelow: (options.abstainBelow as number) ?? undefined,
				maxSnippetChars: (options.maxSnippetChars as number) ?? undefined,
			};
			let result: { knowledge: SupportKnowledgeEntry[]; answer: SupportAnswer } | undefined;
			let unused: unknown = vectorProblem;
			if (embeddings && !unused) {
				try {
					const vector = await embedQueryText(
						embeddings.embedder,
						`${subject}\n${text}`.trim(),
						embeddings.options,
					);
					result = hybridSearchForEmail(base, emailQuery, vector, searchOptions);
				} catch (error) {
					unused = error;
				}
			}
			// The error as it is (its hint says what to change), or a lexical search that says why.
			if (embeddings && unused && embeddings.onFailure === 'error') throw unused;
			if (!result) {
				result = semanticCheck
					? await semanticSearchForEmail(base, emailQuery, searchOptions)
					: searchForEmail(base, emailQuery, searchOptions);
				if (unused)
					result.answer.reasons.push(`searched without embeddings: ${errorMessage(unused)}`);
			}
			return {
				json: withSupport(item.json, { knowledge: result.knowledge, answer: result.answer }),
				binary: item.binary,
				pairedItem: { item: itemIndex },
			};
		},
		continueOnFailItem,
	);
}

/**
 * Runs `work` on each input item in turn. An item's error stops the run, or under Continue on
 * Fail becomes that item's result through `failed` (the error as n8n shows it, for that item).
 */
async function eachItem<T>(
	context: IExecuteFunctions,
	items: INodeExecutionData[],
	work: (item: INodeExecutionData, itemIndex: number) => Promise<T>,
	failed: (
		item: INodeExecutionData,
		itemIndex: number,
		nodeError: ReturnType<typeof toNodeError>,
	) => T,
): Promise<T[]> {
	const out: T[] = [];
	for (const [itemIndex, item] of items.entries()) {
		try {
			out.push(await work(item, itemIndex));
		} catch (error) {
			const nodeError = toNodeError(context.getNode(), error, itemIndex);
			if (!context.continueOnFail()) throw nodeError;
			out.push(failed(item, itemIndex, nodeError));
		}
	}
	return out;
}

/**
 * Whether the knowledge base has vectors of the connected model (undefined: yes; else why not).
 * The built-in demo help centre is embedded in memory on first use.
 */
async function vectorsFor(
	base: KnowledgeBase,
	demo: boolean,
	embeddings: ConnectedEmbeddings,
): Promise<string | undefined> {
	if (demo) {
		const pending = documentsToEmbed(base, embeddings.model);
		if (pending.length)
			applyVectors(
				base,
				await embedDocuments(embeddings.embedder, embeddings.model, pending, embeddings.options),
			);
		return undefined;
	}
	if (!base.vectors?.size)
		return 'the knowledge base has no embeddings yet: run Add or Update Articles / Add Past Replies / Sync Folder with the Embeddings input connected';
	if (base.vectors.model !== embeddings.model)
		return `the knowledge base was embedded with ${base.vectors.model}, but the connected embeddings node "${embeddings.options.nodeName}" is ${embeddings.model}: run an update with it connected (every document is embedded again) or connect the model it was built with`;
	return undefined;
}

async function upsert(
	context: IExecuteFunctions,
	file: string,
	operation: 'upsertArticles' | 'upsertReplies',
	options: IDataObject,
	embeddings: ConnectedEmbeddings | undefined,
): Promise<INodeExecutionData[]> {
	const items = context.getInputData();
	if (operation === 'upsertReplies') {
		const replyInput = context.getNodeParameter('replyInput', 0, 'fields') as string;
		if (replyInput === 'mailFiles') return await upsertMailFiles(context, file, embeddings);
		if (replyInput === 'sentFolder') return await upsertSentFolder(context, file, embeddings);
	}
	const docs = await eachItem<{
		itemIndex: number;
		doc?: KnowledgeDoc;
		error?: ReturnType<typeof toNodeError>;
	}>(
		context,
		items,
		async (item, itemIndex) => ({
			itemIndex,
			doc: await documentOf(context, operation, item, itemIndex),
		}),
		(_item, itemIndex, error) => ({ itemIndex, error }),
	);
	const removeMissing = options.removeMissing === true && operation === 'upsertArticles';
	const incoming = docs.flatMap((d) => (d.doc ? [d.doc] : []));
	const keep = new Set(incoming.map((d) => d.key));
	let prepared;
	try {
		prepared = await prepareVectors(
			context.getNode(),
			embeddings,
			file,
			incoming,
			(doc) => removeMissing && doc.source === 'article' && !keep.has(doc.key),
		);
	} catch (error) {
		const nodeError = toNodeError(context.getNode(), error, 0);
		if (!context.continueOnFail()) throw nodeError;
		return items.map((item, itemIndex) =>
			continueOnFailItem(
				item,
				itemIndex,
				docs[itemIndex]?.error ?? toNodeError(context.getNode(), error, itemIndex),
			),
		);
	}
	const statuses = await write(context, file, (base) => {
		const status = new Map<string, string>();
		for (const { doc } of docs) {
			if (!doc) continue;
			const before = base.get(doc.key)?.hash;
			base.upsert([doc]);
			status.set(
				doc.key,
				before === undefined ? 'added' : before === doc.hash ? 'unchanged' : 'updated',
			);
		}
		const removed = removeMissing ? removeArticlesExcept(base, keep) : 0;
		const embedded = prepared?.embedded ? applyVectors(base, prepared.embedded) : 0;
		return {
			result: { status, removed, embedded },
			changed: [...status.values()].some((s) => s !== 'unchanged') || removed > 0 || embedded > 0,
		};
	});
	const vectors = vectorSummary(embeddings, prepared, statuses.embedded);
	return docs.map(({ itemIndex, doc, error }) => {
		if (error) return continueOnFailItem(items[itemIndex], itemIndex, error);
		return {
			json: {
				knowledge: {
					id: doc!.source === 'article' ? doc!.articleId : doc!.key,
					key: doc!.key,
					source: doc!.source,
					language: doc!.language,
					title: doc!.title,
					status: statuses.status.get(doc!.key),
					...(statuses.removed ? { removedOthers: statuses.removed } : {}),
					...(vectors ? { embeddings: vectors } : {}),
					file,
				},
			},
			pairedItem: { item: itemIndex },
		};
	});
}

/** Remove Missing: removes the base's articles whose keys are not in `keep`; how many it removed. */
function removeArticlesExcept(base: KnowledgeBase, keep: Set<string>): number {
	return base.remove(
		base
			.documents()
			.filter((d) => d.source === 'article' && !keep.has(d.key))
			.map((d) => d.key),
	);
}

async function documentOf(
	context: IExecuteFunctions,
	operation: 'upsertArticles' | 'upsertReplies',
	item: INodeExecutionData,
	itemIndex: number,
): Promise<KnowledgeDoc> {
	if (operation === 'upsertReplies') {
		const support = item.json.support as IDataObject | undefined;
		if (
			item.json.customerMessage === undefined &&
			support?.email &&
			(support.sent || support.draft)
		) {
			// A handled support item: the customer's mail and the reply that went out.
			const email = support.email as IDataObject;
			const draft = (support.draft ?? {}) as IDataObject;
			return conversationFromInput({
				id: typeof email.messageId === 'string' ? email.messageId : undefined,
				subject: String(email.subject ?? ''),
				customerMessage: String(email.text ?? ''),
				reply: String(draft.text ?? ''),
				language: typeof draft.language === 'string' ? draft.language : undefined,
			});
		}
		return conversationFromInput(item.json as IDataObject);
	}
	const input = context.getNodeParameter('articleInput', itemIndex, 'fields') as string;
	if (input === 'binary') {
		const { property, binary, buffer } = await binaryFile(
			context,
			item,
			itemIndex,
			'binaryProperty',
			'Set Binary Property to the name the file has on the item (often "data"), or choose Input: Item Fields.',
		);
		if (buffer.length > MAX_FILE_BYTES)
			throw new InputError(
				`${binary.fileName ?? 'The file'} is larger than 2 MB`,
				'Split the article, or leave out embedded images.',
			);
		const name =
			binary.fileName ?? `${property}${binary.fileExtension ? `.${binary.fileExtension}` : '.txt'}`;
		return articleFromFile(name, buffer.toString('utf8'));
	}
	return articleFromInput(item.json as IDataObject);
}

/** The file an item carries in the binary property that `parameter` names (`hint`: when it has none). */
async function binaryFile(
	context: IExecuteFunctions,
	item: INodeExecutionData,
	itemIndex: number,
	parameter: string,
	hint: string,
) {
	const property = context.getNodeParameter(parameter, itemIndex, 'data') as string;
	const binary = item.binary?.[property];
	if (!binary) throw new InputError(`The item has no binary property "${property}"`, hint);
	const buffer = await context.helpers.getBinaryDataBuffer(itemIndex, property);
	return { property, binary, buffer };
}

async function syncFolder(
	context: IExecuteFunctions,
	file: string,
	options: IDataObject,
	embeddings: ConnectedEmbeddings | undefined,
): Promise<INodeExecutionData[]> {
	const folder = String(context.getNodeParameter('folder', 0, '')).trim();
	if (!folder)
		throw new NodeOperationError(context.getNode(), 'No folder given', {
			description: 'Set Folder to the folder with your help-centre articles.',
		});
	let read: Awaited<ReturnType<typeof readArticleFolder>>;
	try {
		read = await readArticleFolder(folder);
	} catch (error) {
		if (error instanceof InputError) throw toNodeError(context.getNode(), error, 0);
		throw new NodeOperationError(
			context.getNode(),
			`Cannot read the folder ${folder}: ${(error as Error).message}`,
			{
				description:
					'Check the path and that n8n may read it (in Docker: mount the folder into the container).',
			},
		);
	}
	const { docs, skipped } = read;
	const keep = new Set(docs.map((d) => d.key));
	let prepared;
	try {
		prepared = await prepareVectors(
			context.getNode(),
			embeddings,
			file,
			docs,
			(doc) => options.removeMissing !== false && doc.source === 'article' && !keep.has(doc.key),
		);
	} catch (error) {
		throw toNodeError(context.getNode(), error, 0);
	}
	const summary = await write(context, file, (base) => {
		const result = base.upsert(docs);
		const removed = options.removeMissing === false ? 0 : removeArticlesExcept(base, keep);
		const embedded = prepared?.embedded ? applyVectors(base, prepared.embedded) : 0;
		return {
			result: { ...result, removed, embedded },
			changed: result.added + result.updated + removed + embedded > 0,
		};
	});
	const { embedded, ...counts } = summary;
	const vectors = vectorSummary(embeddings, prepared, embedded);
	return [
		{
			json: {
				knowledge: {
					folder,
					file,
					files: docs.length + skipped.length,
					...counts,
					skipped,
					...(vectors ? { embeddings: vectors } : {}),
				},
			},
			pairedItem: { item: 0 },
		},
	];
}

async function remove(context: IExecuteFunctions, file: string): Promise<INodeExecutionData[]> {
	const items = context.getInputData();
	const out: INodeExecutionData[] = [];
	for (const [itemIndex] of items.entries()) {
		const ids = String(context.getNodeParameter('ids', itemIndex, ''))
			.split(',')
			.map((id) => id.trim())
			.filter(Boolean);
		const removed = await write(context, file, (base) => {
			const keys = base
				.documents()
				.filter((d) => ids.includes(d.articleId) || ids.includes(d.key))
				.map((d) => d.key);
			const count = base.remove(keys);
			return { result: count, changed: count > 0 };
		});
		out.push({ json: { knowledge: { removed, ids, file } }, pairedItem: { item: itemIndex } });
	}
	return out;
}

/** Past replies from .eml / mbox files on the items: one summary item per file. */
async function upsertMailFiles(
	context: IExecuteFunctions,
	file: string,
	embeddings: ConnectedEmbeddings | undefined,
): Promise<INodeExecutionData[]> {
	return await eachItem(
		context,
		context.getInputData(),
		async (item, itemIndex) => {
			const { binary, buffer } = await binaryFile(
				context,
				item,
				itemIndex,
				'mailBinaryProperty',
				'Set Binary Property to the name the .eml or mbox file has on the item (often "data").',
			);
			const summary = await storeReplies(
				context,
				file,
				await pastRepliesFromFile(buffer),
				embeddings,
			);
			return {
				json: { knowledge: { ...summary, fileName: binary.fileName, file } },
				pairedItem: { item: itemIndex },
			};
		},
		continueOnFailItem,
	);
}

/** Past replies from the support mailbox's Sent folder (read once per run). */
async function upsertSentFolder(
	context: IExecuteFunctions,
	file: string,
	embeddings: ConnectedEmbeddings | undefined,
): Promise<INodeExecutionData[]> {
	const days = context.getNodeParameter('sentDays', 0, 365) as number;
	let result: SentFolderResult;
	try {
		const credentials = readImapSmtpCredentials(
			(await context.getCredentials('supportImapSmtpApi', 0)) as IDataObject,
		);
		result = await readSentFolder(credentials, {
			mailbox: context.getNodeParameter('sentFolder', 0, '') as string,
			limit: context.getNodeParameter('sentLimit', 0, 1000) as number,
			since: days > 0 ? new Date(Date.now() - days * 86_400_000) : undefined,
		});
	} catch (error) {
		throw toNodeError(context.getNode(), error, 0);
	}
	const summary = await storeReplies(context, file, result.replies, embeddings);
	return [
		{ json: { knowledge: { ...summary, mailbox: result.mailbox, file } }, pairedItem: { item: 0 } },
	];
}

async function storeReplies(
	context: IExecuteFunctions,
	file: string,
	replies: PastReply[],
	embeddings: ConnectedEmbeddings | undefined,
) {
	const { docs, skipped } = pastReplyDocuments(replies);
	let prepared;
	try {
		prepared = await prepareVectors(context.getNode(), embeddings, file, docs);
	} catch (error) {
		throw toNodeError(context.getNode(), error, 0);
	}
	const { embedded, ...result } = await write(context, file, (base) => {
		const upserted = base.upsert(docs);
		const stored = prepared?.embedded ? applyVectors(base, prepared.embedded) : 0;
		return {
			result: { ...upserted, embedded: stored },
			changed: upserted.added + upserted.updated + stored > 0,
		};
	});
	const vectors = vectorSummary(embeddings, prepared, embedded);
	return {
		messages: replies.length,
		replies: docs.length,
		...result,
		...(vectors ? { embeddings: vectors } : {}),
		skipped: Object.values(skipped).reduce((a, b) => a + b, 0),
		skippedBecause: skipped,
	};
}

async function write<T>(
	context: IExecuteFunctions,
	file: string,
	change: (base: KnowledgeBase) => { result: T; changed: boolean },
): Promise<T> {
	try {
		return await updateKnowledgeBase(file, change);
	} catch (error) {
		throw toNodeError(context.getNode(), error, 0);
	}
}
