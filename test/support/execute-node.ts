/**
 * Runs one node's `execute()` in process against an execute context built from n8n-workflow's own
 * parts, so a unit test sees what the canvas would:
 * - parameters: the node's saved values with its description's defaults filled in by n8n-workflow's
 *   `Workflow` (which calls `NodeHelpers.getNodeParameters`, as n8n does when it loads a workflow);
 *   expressions (`={{ $json.text }}`) are resolved per item by n8n-workflow's expression engine;
 * - `getNode()` gives a copy (as n8n does), Continue on Fail follows the node's `onError` setting;
 * - anything the helper does not implement throws, naming the method, instead of returning
 *   `undefined` as an auto-mock would.
 *
 * This is the fast layer under test/n8n (which runs the same nodes inside real n8n).
 */
import { setGlobalState } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	IExecuteData,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeType,
	INodeTypes,
	IRunExecutionData,
	IVersionedNodeType,
	NodeParameterValueType,
} from 'n8n-workflow';
import { NodeHelpers, NodeOperationError, Workflow, createRunExecutionData } from 'n8n-workflow';

export const PACKAGE_PREFIX = 'n8n-nodes-support-email';

export interface ExecuteNodeOptions {
	/** The node's saved parameters (what the workflow JSON holds); defaults are added as n8n does. */
	parameters?: Record<string, unknown>;
	/** Input items (main input 0). */
	items?: INodeExecutionData[];
	/** Default: the description's `defaultVersion`, else its highest version. */
	typeVersion?: number;
	/** "On Error: Continue (regular output)", n8n's Continue on Fail. */
	continueOnFail?: boolean;
	/** What `getInputConnectionData(type, index)` gives per connection type (e.g. `ai_languageModel`). */
	inputConnectionData?: Record<string, unknown>;
	/** Credentials by type name; a type not listed throws as n8n does for a node without it. */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** Workflow timezone (n8n's `getTimezone()`); default UTC. */
	timezone?: string;
	/**
	 * Extra or replaced context members (e.g. `helpers.httpRequest`, `putExecutionToWait`, or n8n 1.x's
	 * `setSignatureValidationRequired` to run as in n8n 1.x).
	 */
	context?: Partial<Record<keyof IExecuteFunctions | 'setSignatureValidationRequired', unknown>>;
}

export interface ExecuteNodeResult {
	outputs: INodeExecutionData[][];
	/** The node as n8n holds it: saved parameters plus the description's defaults. */
	node: INode;
	/** Calls made to context members that record instead of act (setMetadata, putExecutionToWait). */
	calls: Array<{ method: string; args: unknown[] }>;
	/** The node's stack entry: what n8n passes on as the node's output when it ends a wait itself. */
	executeData: IExecuteData;
}

/**
 * Members read as `undefined` rather than throwing: looked for by Jest and Promise resolution, and
 * members n8n 1.x had that n8n 2.x removed, which nodes feature-detect (the context is n8n 2.x's).
 */
const NOT_CONTEXT_MEMBERS = new Set([
	'then',
	'toJSON',
	'asymmetricMatch',
	'$$typeof',
	'constructor',
	'setSignatureValidationRequired',
]);

function nodeTypesFor(type: string, nodeType: INodeType): INodeTypes {
	const known = (name: string) => {
		if (name !== type) throw new Error(`executeNode knows only ${type}, not ${name}`);
		return nodeType;
	};
	return {
		getByName: (name: string) => known(name) as INodeType | IVersionedNodeType,
		getByNameAndVersion: (name: string) => known(name),
		getKnownTypes: () => ({}),
	};
}

function defaultVersion(nodeType: INodeType): number {
	const { version, defaultVersion: preferred } = nodeType.description;
	if (preferred !== undefined) return preferred;
	return Array.isArray(version) ? Math.max(...version) : version;
}

/** A node type as n8n loads it: one class, or a VersionedNodeType holding one class per version. */
export type AnyNodeType = INodeType | IVersionedNodeType;

/** The class that runs `typeVersion` (default: the node's default version) and that version. */
function resolveVersion(
	nodeType: AnyNodeType,
	typeVersion?: number,
): { nodeType: INodeType; typeVersion: number } {
	if ('nodeVersions' in nodeType) {
		const latest = Math.max(...Object.keys(nodeType.nodeVersions).map(Number));
		const chosen = typeVersion ?? nodeType.description.defaultVersion ?? latest;
		return { nodeType: nodeType.getNodeType(chosen), typeVersion: chosen };
	}
	return { nodeType, typeVersion: typeVersion ?? defaultVersion(nodeType) };
}

/** Reads `a.b.c` from the parameters as n8n's `getNodeParameter` does (lodash `get`). */
function readPath(parameters: unknown, path: string): unknown {
	let value = parameters;
	for (const key of path.split('.')) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

export async function executeNode(
	anyNodeType: AnyNodeType,
	options: ExecuteNodeOptions = {},
): Promise<ExecuteNodeResult> {
	const { nodeType, typeVersion } = resolveVersion(anyNodeType, options.typeVersion);
	const description = nodeType.description;
	const type = `${PACKAGE_PREFIX}.${description.name}`;
	const items: INodeExecutionData[] = options.items ?? [{ json: {} }];
	const timezone = options.timezone ?? 'UTC';
	setGlobalState({ defaultTimezone: timezone });
	const saved: INode = {
		id: 'node-under-test',
		name: description.defaults.name ?? description.displayName,
		type,
		typeVersion,
		position: [0, 0],
		parameters: structuredClone(options.parameters ?? {}) as INode['parameters'],
		...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
	};
	const workflow = new Workflow({
		id: 'workflow-under-test',
		name: 'executeNode',
		nodes: [saved],
		connections: {},
		active: false,
		nodeTypes: nodeTypesFor(type, nodeType),
		settings: { timezone },
	});
	const node = workflow.getNode(saved.name)!;
	const runExecutionData: IRunExecutionData = createRunExecutionData();
	const executeData: IExecuteData = {
		node,
		data: { main: [items] },
		source: { main: [{ previousNode: 'Input' }] },
	};
	const calls: ExecuteNodeResult['calls'] = [];
	const record =
		(method: string, result?: unknown) =>
		async (...args: unknown[]) => {
			calls.push({ method, args });
			return result;
		};
	const resolve = (value: unknown, itemIndex: number) =>
		workflow.expression.getParameterValue(
			value as NodeParameterValueType,
			runExecutionData,
			0,
			itemIndex,
			node.name,
			items,
			'manual',
			{},
			executeData,
		);

	const context: Record<string, unknown> = {
		getInputData: (inputIndex = 0) => (inputIndex === 0 ? items : []),
		getNode: () => structuredClone(node),
		getWorkflow: () => ({ id: workflow.id, name: workflow.name, active: false }),
		getExecutionId: () => 'execution-under-test',
		getMode: () => 'manual',
		getTimezone: () => timezone,
		getExecuteData: () => executeData,
		getWorkflowStaticData: (kind: string) => workflow.getStaticData(kind, node),
		continueOnFail: () =>
			node.continueOnFail === true ||
			node.onError === 'continueRegularOutput' ||
			node.onError === 'continueErrorOutput',
		getNodeParameter: (
			name: string,
			itemIndex: number,
			fallback?: unknown,
			parameterOptions?: { extractValue?: boolean; rawExpressions?: boolean },
		) => {
			let value = readPath(node.parameters, name);
			if (value === undefined) value = fallback;
			if (value === undefined)
				throw new Error(`Could not get parameter "${name}" (not set and no default)`);
			if (parameterOptions?.rawExpressions) return value;
			let resolved: unknown = resolve(value, itemIndex);
			if (
				parameterOptions?.extractValue &&
				resolved &&
				typeof resolved === 'object' &&
				'__rl' in resolved
			)
				resolved = (resolved as unknown as { value: unknown }).value;
			return resolved;
		},
		evaluateExpression: (expression: string, itemIndex: number) => resolve(expression, itemIndex),
		getInputConnectionData: async (connectionType: string) =>
			options.inputConnectionData?.[connectionType],
		getCredentials: async (credentialType: string) => {
			const credentials = options.credentials?.[credentialType];
			if (!credentials)
				throw new NodeOperationError(node, 'Node does not have any credentials set', {
					description: `executeNode was given no "${credentialType}" credentials`,
				});
			return credentials;
		},
		getSignedResumeUrl: (parameters: Record<string, string> = {}) =>
			`http://127.0.0.1:5678/webhook-waiting/execution-under-test?${new URLSearchParams(parameters).toString()}&signature=test`,
		setMetadata: (metadata: unknown) => calls.push({ method: 'setMetadata', args: [metadata] }),
		putExecutionToWait: record('putExecutionToWait'),
		sendMessageToUI: () => undefined,
		logger: { debug() {}, info() {}, warn() {}, error() {} },
		helpers: {
			returnJsonArray: (data: unknown) =>
				(Array.isArray(data) ? data : [data]).map((json) => ({ json })),
			constructExecutionMetaData: (
				data: INodeExecutionData[],
				{ itemData }: { itemData: { item: number } | Array<{ item: number }> },
			) => data.map((entry) => ({ ...entry, pairedItem: itemData })),
			getBinaryDataBuffer: async (itemIndex: number, property: string) => {
				const binary = items[itemIndex]?.binary?.[property];
				if (!binary) throw new Error(`Item ${itemIndex} has no binary property "${property}"`);
				return Buffer.from(binary.data, 'base64');
			},
			...((options.context?.helpers as object | undefined) ?? {}),
		},
		...Object.fromEntries(
			Object.entries(options.context ?? {}).filter(([key]) => key !== 'helpers'),
		),
	};
	const unimplemented = (target: object, member: string) => () => {
		throw new Error(
			`executeNode's context does not implement ${target === context ? 'this' : 'this.helpers'}.${member}(): pass it in options.context`,
		);
	};
	const strict = <T extends object>(target: T): T =>
		new Proxy(target, {
			get(object, member, receiver) {
				if (typeof member === 'symbol' || member in object || NOT_CONTEXT_MEMBERS.has(member))
					return Reflect.get(object, member, receiver) as unknown;
				return unimplemented(object, member);
			},
		});
	context.helpers = strict(context.helpers as object);

	const outputs = await nodeType.execute!.call(strict(context) as unknown as IExecuteFunctions);
	return { outputs: (outputs ?? []) as INodeExecutionData[][], node, calls, executeData };
}

/**
 * The output names n8n computes for the node (its `outputs` expression evaluated by n8n-workflow, as
 * the editor and the engine do), for the saved parameters with the description's defaults filled in.
 */
export function outputNames(
	anyNodeType: AnyNodeType,
	{
		parameters = {},
		typeVersion: wanted,
	}: { parameters?: Record<string, unknown>; typeVersion?: number } = {},
): string[] {
	const { nodeType, typeVersion } = resolveVersion(anyNodeType, wanted);
	const description = nodeType.description;
	const type = `${PACKAGE_PREFIX}.${description.name}`;
	const workflow = new Workflow({
		nodes: [
			{
				id: 'node-under-test',
				name: description.defaults.name ?? description.displayName,
				type,
				typeVersion,
				position: [0, 0],
				parameters: structuredClone(parameters) as INode['parameters'],
			},
		],
		connections: {},
		active: false,
		nodeTypes: nodeTypesFor(type, nodeType),
	});
	const node = Object.values(workflow.nodes)[0];
	return NodeHelpers.getNodeOutputs(workflow, node, description).map((output) =>
		typeof output === 'string' ? output : (output.displayName ?? output.type),
	);
}

/** The `pairedItem` of every item per output, for one assertion that names each item. */
export function pairing(outputs: INodeExecutionData[][]): unknown[][] {
	return outputs.map((output) => output.map((item) => item.pairedItem));
}

/** Runs `work` and returns what it threw (fails the test when nothing was thrown). */
export async function thrownBy(work: () => Promise<unknown>): Promise<Error> {
	try {
		await work();
	} catch (error) {
		return error as Error;
	}
	throw new Error('expected the node to throw, but it returned');
}
