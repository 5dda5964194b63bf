/**
 * OpenAI chat completions and Azure OpenAI, on the wire.
 *
 * Shapes follow the `openai` SDK's types (ChatCompletion, ChatCompletionChunk, ChatCompletionMessage,
 * CompletionUsage, Model, ResponseFormatJSONSchema, ChatCompletionToolChoiceOption) and the error
 * bodies the APIs return (see README.md for the sources).
 */
import { compose, limitText } from './answer';
import { checkEmbeddingsRequest, embeddingsResponse } from './embeddings';
import {
	breakJson,
	chunks,
	contentText,
	type Ctx,
	estimateTokens,
	formatInstructionsSchema,
	promptTokenText,
	randomHex,
	randomId,
	send,
	sendJson,
	startSse,
} from './common';
import type { Fault, LlmRequest, Provider, StructuredRequest } from './types';

type Obj = Record<string, any>;

const DEFAULT_OPENAI_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4.1'];

/** An OpenAI-style error object: {"error": {message, type, param, code}}. */
function openAiError(
	message: string,
	type: string | null,
	param: string | null = null,
	code: string | null = null,
): Obj {
	return { error: { message, type, param, code } };
}

/** Azure's own (gateway) error object: {"error": {code, message}}. */
function azureError(code: string, message: string): Obj {
	return { error: { code, message } };
}

function uuid(): string {
	const h = randomHex(32);
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function maskKey(key: string): string {
	if (key.length <= 8) return key;
	return `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}

function baseHeaders(provider: Provider): Record<string, string> {
	if (provider === 'azure') {
		const id = uuid();
		return {
			'apim-request-id': id,
			'x-request-id': id,
			'x-ms-region': 'East US',
			'x-content-type-options': 'nosniff',
		};
	}
	return {
		'x-request-id': `req_${randomHex(32)}`,
		'openai-version': '2020-10-01',
		'openai-organization': 'org-llm-test-server',
		'openai-processing-ms': '1',
	};
}

function rateLimitHeaders(provider: Provider, remaining: boolean): Record<string, string> {
	if (provider === 'azure') {
		return {
			'x-ratelimit-remaining-requests': remaining ? '999' : '0',
			'x-ratelimit-remaining-tokens': remaining ? '149000' : '0',
		};
	}
	return {
		'x-ratelimit-limit-requests': '10000',
		'x-ratelimit-limit-tokens': '10000000',
		'x-ratelimit-remaining-requests': remaining ? '9999' : '0',
		'x-ratelimit-remaining-tokens': remaining ? '9999000' : '0',
		'x-ratelimit-reset-requests': '6ms',
		'x-ratelimit-reset-tokens': '0s',
	};
}

// ---------------------------------------------------------------- routing

export async function handleOpenAi(ctx: Ctx): Promise<void> {
	const { req, url } = ctx;
	const path = url.pathname.replace(/\/+$/, '');
	const method = req.method ?? 'GET';
	if (!authorizeOpenAi(ctx)) return;
	if (method === 'POST' && path === '/v1/chat/completions') return chat(ctx, 'openai', undefined);
	if (method === 'GET' && path === '/v1/models') return listOpenAiModels(ctx, 'openai');
	if (method === 'POST' && path === '/v1/embeddings') return embeddings(ctx);
	const model = /^\/v1\/models\/(.+)$/.exec(path);
	if (method === 'GET' && model) return getOpenAiModel(ctx, decodeURIComponent(model[1]));
	sendJson(
		ctx,
		404,
		baseHeaders('openai'),
		openAiError(`Invalid URL (${method} ${path})`, 'invalid_request_error'),
	);
}

export async function handleAzure(ctx: Ctx): Promise<void> {
	const { req, url } = ctx;
	const path = url.pathname.replace(/\/+$/, '');
	const method = req.method ?? 'GET';
	const notFound = () =>
		sendJson(ctx, 404, baseHeaders('azure'), azureError('404', 'Resource not found'));

	if (!authorizeAzure(ctx)) return;

	// The v1 API (/openai/v1/...): no api-version, the deployment is the body's `model`.
	if (path.startsWith('/openai/v1/')) {
		if (method === 'POST' && path === '/openai/v1/chat/completions') {
			return chat(ctx, 'azure', undefined);
		}
		if (method === 'GET' && path === '/openai/v1/models') return listOpenAiModels(ctx, 'azure');
		return notFound();
	}

	// Every other data-plane route needs ?api-version=; Azure answers 404 without it.
	const apiVersion = url.searchParams.get('api-version');
	if (!apiVersion) return notFound();

	const deploymentChat = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(path);
	if (method === 'POST' && deploymentChat) {
		return chat(ctx, 'azure', decodeURIComponent(deploymentChat[1]));
	}
	if (method === 'GET' && path === '/openai/models') return listAzureModels(ctx);
	// Listing deployments through the data plane exists only up to api-version 2022-12-01.
	const legacy = apiVersion <= '2022-12-01';
	if (method === 'GET' && path === '/openai/deployments' && legacy) {
		return listAzureDeployments(ctx);
	}
	const oneDeployment = /^\/openai\/deployments\/([^/]+)$/.exec(path);
	if (method === 'GET' && oneDeployment && legacy) {
		return getAzureDeployment(ctx, decodeURIComponent(oneDeployment[1]));
	}
	return notFound();
}

function authorizeOpenAi(ctx: Ctx): boolean {
	const header = ctx.req.headers.authorization;
	const key = typeof header === 'string' ? header.replace(/^Bearer\s+/i, '').trim() : '';
	if (!key) {
		sendJson(
			ctx,
			401,
			baseHeaders('openai'),
			openAiError(
				"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
				'invalid_request_error',
			),
		);
		return false;
	}
	if (key !== ctx.options.apiKeys.openai) {
		sendJson(
			ctx,
			401,
			baseHeaders('openai'),
			openAiError(
				`Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
				'invalid_request_error',
				null,
				'invalid_api_key',
			),
		);
		return false;
	}
	return true;
}

function authorizeAzure(ctx: Ctx): boolean {
	const key = ctx.req.headers['api-key'];
	if (key === ctx.options.apiKeys.azure) return true;
	// The v1 API also takes the key as a bearer token (the plain OpenAI client's way).
	const bearer = String(ctx.req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
	if (ctx.url.pathname.startsWith('/openai/v1/') && bearer === ctx.options.apiKeys.azure) {
		return true;
	}
	sendJson(
		ctx,
		401,
		baseHeaders('azure'),
		azureError(
			'401',
			'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
		),
	);
	return false;
}

// ---------------------------------------------------------------- models

function openAiModelList(ctx: Ctx, provider: Provider): string[] {
	if (provider === 'azure') return Object.keys(ctx.options.azureDeployments);
	return ctx.options.models.openai ?? DEFAULT_OPENAI_MODELS;
}

function listOpenAiModels(ctx: Ctx, provider: Provider): void {
	const data = openAiModelList(ctx, provider).map((id) => ({
		id,
		object: 'model',
		created: 1715367049,
		owned_by: provider === 'azure' ? 'organization-owner' : 'system',
	}));
	sendJson(ctx, 200, baseHeaders(provider), { object: 'list', data });
}

function getOpenAiModel(ctx: Ctx, id: string): void {
	const known = ctx.options.models.openai;
	if (known && !known.includes(id)) {
		sendJson(
			ctx,
			404,
			baseHeaders('openai'),
			openAiError(
				`The model '${id}' does not exist`,
				'invalid_request_error',
				'model',
				'model_not_found',
			),
		);
		return;
	}
	sendJson(ctx, 200, baseHeaders('openai'), {
		id,
		object: 'model',
		created: 1715367049,
		owned_by: 'system',
	});
}

function listAzureModels(ctx: Ctx): void {
	const models = [...new Set(Object.values(ctx.options.azureDeployments))];
	const data = models.map((id) => ({
		id,
		status: 'succeeded',
		created_at: 1715367049,
		updated_at: 1715367049,
		object: 'model',
		capabilities: {
			fine_tune: false,
			inference: true,
			completion: false,
			chat_completion: true,
			embeddings: false,
		},
		lifecycle_status: 'generally-available',
		deprecation: { inference: 1767225600 },
	}));
	sendJson(ctx, 200, baseHeaders('azure'), { data, object: 'list' });
}

function azureDeployment(id: string, model: string): Obj {
	return {
		scale_settings: { scale_type: 'standard' },
		model,
		owner: 'organization-owner',
		id,
		status: 'succeeded',
		created_at: 1715367049,
		updated_at: 1715367049,
		object: 'deployment',
	};
}

function listAzureDeployments(ctx: Ctx): void {
	const data = Object.entries(ctx.options.azureDeployments).map(([id, model]) =>
		azureDeployment(id, model),
	);
	sendJson(ctx, 200, baseHeaders('azure'), { data, object: 'list' });
}

function getAzureDeployment(ctx: Ctx, id: string): void {
	const model = ctx.options.azureDeployments[id];
	if (!model) return deploymentNotFound(ctx);
	sendJson(ctx, 200, baseHeaders('azure'), azureDeployment(id, model));
}

function deploymentNotFound(ctx: Ctx): void {
	sendJson(
		ctx,
		404,
		baseHeaders('azure'),
		azureError(
			'DeploymentNotFound',
			'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
		),
	);
}

// ---------------------------------------------------------------- request checks

function badRequest(ctx: Ctx, provider: Provider, error: Obj): void {
	sendJson(ctx, 400, baseHeaders(provider), error);
}

/** OpenAI's strict structured-output rules; returns the "In context=..." complaint, if any. */
export function strictSchemaProblem(
	schema: unknown,
	context: (string | number)[] = [],
): string | undefined {
	if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
	const s = schema as Obj;
	const ctxText = `In context=(${context.map((c) => (typeof c === 'number' ? String(c) : `'${c}'`)).join(', ')}${context.length === 1 ? ',' : ''})`;
	const isObject = s.type === 'object' || (Array.isArray(s.type) && s.type.includes('object'));
	if (isObject || s.properties) {
		if (s.additionalProperties !== false) {
			return `${ctxText}, 'additionalProperties' is required to be supplied and to be false.`;
		}
		const props = s.properties && typeof s.properties === 'object' ? Object.keys(s.properties) : [];
		const required: unknown[] = Array.isArray(s.required) ? s.required : [];
		const missing = props.filter((p) => !required.includes(p));
		if (missing.length) {
			return `${ctxText}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`;
		}
		for (const p of props) {
			const problem = strictSchemaProblem(s.properties[p], [...context, 'properties', p]);
			if (problem) return problem;
		}
	}
	if (s.items) {
		const problem = strictSchemaProblem(s.items, [...context, 'items']);
		if (problem) return problem;
	}
	for (const key of ['anyOf', 'allOf', 'oneOf']) {
		if (Array.isArray(s[key])) {
			for (let i = 0; i < s[key].length; i++) {
				const problem = strictSchemaProblem(s[key][i], [...context, key, i]);
				if (problem) return problem;
			}
		}
	}
	for (const key of ['$defs', 'definitions']) {
		if (s[key] && typeof s[key] === 'object') {
			for (const [name, def] of Object.entries(s[key])) {
				const problem = strictSchemaProblem(def, [...context, key, name]);
				if (problem) return problem;
			}
		}
	}
	return undefined;
}

function rootTypeProblem(schema: unknown): string | undefined {
	const s = (schema ?? {}) as Obj;
	if (s.type === 'object') return undefined;
	const got = typeof s.type === 'string' ? s.type : 'None';
	return `schema must be a JSON Schema of 'type: "object"', got 'type: "${got}"'.`;
}

interface Parsed {
	request: LlmRequest;
	/** Model named in the answer: the requested one, or for Azure the deployment's model. */
	responseModel: string;
}

function parseChatRequest(
	ctx: Ctx,
	provider: Provider,
	deployment: string | undefined,
): Parsed | undefined {
	const { record } = ctx;
	const body = record.body;
	// Azure resolves the deployment before it looks at the body.
	if (provider === 'azure' && deployment && !ctx.options.azureDeployments[deployment]) {
		deploymentNotFound(ctx);
		return undefined;
	}
	if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
		badRequest(
			ctx,
			provider,
			openAiError(
				"We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
				'invalid_request_error',
			),
		);
		return undefined;
	}
	const b = body as Obj;
	if (!deployment && (typeof b.model !== 'string' || !b.model)) {
		badRequest(
			ctx,
			provider,
			openAiError('you must provide a model parameter', 'invalid_request_error'),
		);
		return undefined;
	}
	if (!Array.isArray(b.messages)) {
		badRequest(
			ctx,
			provider,
			openAiError(
				"Missing required parameter: 'messages'.",
				'invalid_request_error',
				'messages',
				'missing_required_parameter',
			),
		);
		return undefined;
	}
	if (b.messages.length === 0) {
		badRequest(
			ctx,
			provider,
			openAiError(
				"Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
				'invalid_request_error',
				'messages',
				'empty_array',
			),
		);
		return undefined;
	}

	// Which model / deployment answers.
	let model: string = deployment ?? b.model;
	if (provider === 'azure') {
		const name = deployment ?? b.model;
		const deployed = ctx.options.azureDeployments[name];
		if (!deployed) {
			deploymentNotFound(ctx);
			return undefined;
		}
		model = deployed;
	} else {
		const known = ctx.options.models.openai;
		if (known && !known.includes(b.model)) {
			sendJson(
				ctx,
				404,
				baseHeaders(provider),
				openAiError(
					`The model \`${b.model}\` does not exist or you do not have access to it.`,
					'invalid_request_error',
					null,
					'model_not_found',
				),
			);
			return undefined;
		}
	}

	const messages = (b.messages as Obj[]).map((m) => ({
		role: String(m?.role ?? ''),
		content:
			contentText(m?.content) ||
			(Array.isArray(m?.tool_calls)
				? m.tool_calls.map((c: Obj) => c?.function?.arguments ?? '').join('\n')
				: ''),
	}));
	const system = messages
		.filter((m) => m.role === 'system' || m.role === 'developer')
		.map((m) => m.content)
		.join('\n');
	const userText = messages
		.filter((m) => m.role === 'user')
		.map((m) => m.content)
		.join('\n');

	const tools = (Array.isArray(b.tools) ? b.tools : [])
		.filter((t: Obj) => t?.type === 'function' && t.function?.name)
		.map((t: Obj) => ({
			name: String(t.function.name),
			description: t.function.description,
			schema: t.function.parameters ?? { type: 'object', properties: {} },
			strict: t.function.strict === true,
		}));

	let toolChoice: string | undefined;
	const tc = b.tool_choice;
	if (typeof tc === 'string') toolChoice = tc;
	else if (tc && typeof tc === 'object' && tc.type === 'function') toolChoice = tc.function?.name;
	else if (tc && typeof tc === 'object' && tc.type === 'allowed_tools') {
		toolChoice = tc.allowed_tools?.mode === 'required' ? 'required' : 'auto';
	}

	if (tc !== undefined && tc !== 'none' && tools.length === 0) {
		badRequest(
			ctx,
			provider,
			openAiError(
				"Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
				'invalid_request_error',
				'tool_choice',
			),
		);
		return undefined;
	}
	if (
		toolChoice &&
		!['auto', 'none', 'required'].includes(toolChoice) &&
		!tools.some((t: Obj) => t.name === toolChoice)
	) {
		badRequest(
			ctx,
			provider,
			openAiError(
				`Invalid value for 'tool_choice': function '${toolChoice}' not found in 'tools'.`,
				'invalid_request_error',
				'tool_choice',
			),
		);
		return undefined;
	}

	const rf = b.response_format;
	if (rf && typeof rf === 'object' && rf.type === 'json_schema') {
		const js = rf.json_schema;
		if (!js || typeof js !== 'object' || typeof js.name !== 'string' || !js.name) {
			badRequest(
				ctx,
				provider,
				openAiError(
					"Missing required parameter: 'response_format.json_schema.name'.",
					'invalid_request_error',
					'response_format.json_schema.name',
					'missing_required_parameter',
				),
			);
			return undefined;
		}
		if (js.strict === true && ctx.options.strictSchemaCheck) {
			const problem = rootTypeProblem(js.schema) ?? strictSchemaProblem(js.schema);
			if (problem) {
				badRequest(
					ctx,
					provider,
					openAiError(
						`Invalid schema for response_format '${js.name}': ${problem}`,
						'invalid_request_error',
						'response_format',
					),
				);
				return undefined;
			}
		}
	}
	if (rf && typeof rf === 'object' && rf.type === 'json_object') {
		const all = messages.map((m) => m.content).join('\n');
		if (!/json/i.test(all)) {
			badRequest(
				ctx,
				provider,
				openAiError(
					"'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
					'invalid_request_error',
					'messages',
				),
			);
			return undefined;
		}
	}
	if (ctx.options.strictSchemaCheck) {
		for (let i = 0; i < tools.length; i++) {
			if (!tools[i].strict) continue;
			const problem = strictSchemaProblem(tools[i].schema);
			if (problem) {
				badRequest(
					ctx,
					provider,
					openAiError(
						`Invalid schema for function '${tools[i].name}': ${problem}`,
						'invalid_request_error',
						`tools[${i}].function.parameters`,
						'invalid_function_parameters',
					),
				);
				return undefined;
			}
		}
	}

	// What kind of output is expected.
	let structured: StructuredRequest | undefined;
	const forcedTool =
		toolChoice && !['auto', 'none', 'required'].includes(toolChoice)
			? tools.find((t: Obj) => t.name === toolChoice)
			: undefined;
	if (forcedTool) {
		structured = {
			kind: 'tool',
			name: forcedTool.name,
			schema: forcedTool.schema,
			strict: forcedTool.strict,
		};
	} else if (tools.length && toolChoice === 'required') {
		structured = {
			kind: 'tool',
			name: tools[0].name,
			schema: tools[0].schema,
			strict: tools[0].strict,
		};
	} else if (rf?.type === 'json_schema') {
		structured = {
			kind: 'json_schema',
			name: rf.json_schema.name,
			schema: rf.json_schema.schema ?? {},
			strict: rf.json_schema.strict === true,
		};
	} else if (tools.length && toolChoice !== 'none') {
		structured = {
			kind: 'tool',
			name: tools[0].name,
			schema: tools[0].schema,
			strict: tools[0].strict,
		};
	} else if (rf?.type === 'json_object') {
		structured = { kind: 'json_object' };
	} else {
		const schema = formatInstructionsSchema(`${system}\n${userText}`);
		if (schema) structured = { kind: 'format_instructions', schema };
	}

	const request: LlmRequest = {
		provider,
		model: deployment ?? b.model,
		deployment: provider === 'azure' ? (deployment ?? b.model) : undefined,
		system,
		messages,
		userText,
		tools: tools.map(({ name, description, schema }: Obj) => ({ name, description, schema })),
		toolChoice,
		responseFormat: rf,
		structured,
		maxTokens: b.max_completion_tokens ?? b.max_tokens ?? undefined,
		temperature: b.temperature ?? undefined,
		stream: b.stream === true,
		body: b,
		headers: ctx.req.headers,
	};
	return { request, responseModel: model };
}

// ---------------------------------------------------------------- errors

function faultError(ctx: Ctx, provider: Provider, fault: Fault, request: LlmRequest): void {
	const status = fault.status as number;
	const headers: Record<string, string> = { ...baseHeaders(provider) };
	let retryAfter = fault.retryAfter;
	if (status === 429 && retryAfter === undefined) retryAfter = 1;
	if (retryAfter !== undefined && retryAfter !== null) headers['retry-after'] = String(retryAfter);
	if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
	const seconds = Number(retryAfter ?? 1) || 1;

	let body: Obj;
	if (provider === 'azure') {
		const version = ctx.url.searchParams.get('api-version') ?? 'v1';
		if (status === 429) {
			Object.assign(headers, rateLimitHeaders('azure', false));
			body = azureError(
				'429',
				fault.message ??
					`Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${version} have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after ${seconds} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
			);
		} else if (status === 401) {
			body = azureError(
				'401',
				fault.message ??
					'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
			);
		} else if (status === 404) {
			body = azureError(
				'DeploymentNotFound',
				fault.message ??
					'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
			);
		} else if (status >= 500) {
			body = openAiError(
				fault.message ??
					`The server had an error processing your request. Sorry about that! You can retry your request, or contact us through an Azure support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if you keep seeing this error. (Please include the request ID ${headers['apim-request-id']} in your email.)`,
				'server_error',
			);
		} else {
			body = openAiError(fault.message ?? 'Bad request.', 'invalid_request_error');
		}
	} else if (status === 429) {
		Object.assign(headers, rateLimitHeaders('openai', false), {
			'x-ratelimit-reset-requests': `${seconds}s`,
		});
		body = openAiError(
			fault.message ??
				`Rate limit reached for ${request.model} in organization org-llm-test-server on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${seconds}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
			'requests',
			null,
			'rate_limit_exceeded',
		);
	} else if (status === 401) {
		body = openAiError(
			fault.message ??
				'Incorrect API key provided: sk-***. You can find your API key at https://platform.openai.com/account/api-keys.',
			'invalid_request_error',
			null,
			'invalid_api_key',
		);
	} else if (status === 503) {
		body = openAiError(
			fault.message ?? 'The server is overloaded or not ready yet.',
			'server_error',
		);
	} else if (status >= 500) {
		body = openAiError(
			fault.message ?? 'The server had an error while processing your request. Sorry about that!',
			'server_error',
		);
	} else if (status === 404) {
		body = openAiError(
			fault.message ??
				`The model \`${request.model}\` does not exist or you do not have access to it.`,
			'invalid_request_error',
			null,
			'model_not_found',
		);
	} else {
		body = openAiError(fault.message ?? 'Bad request.', 'invalid_request_error');
	}
	sendJson(ctx, status, headers, body);
}

// ---------------------------------------------------------------- embeddings

/** `POST /v1/embeddings` (see embeddings.ts); takes queued faults like a generation request. */
async function embeddings(ctx: Ctx): Promise<void> {
	const check = checkEmbeddingsRequest(ctx.record.body);
	if (!check.ok) {
		sendJson(
			ctx,
			check.status,
			baseHeaders('openai'),
			openAiError(check.message, 'invalid_request_error', check.param, check.code),
		);
		return;
	}
	const fault = ctx.takeFault('openai');
	if (fault) ctx.record.fault = fault;
	const delay = ctx.latencyMs() + (fault?.delayMs ?? 0);
	if (delay > 0 && !(await ctx.wait(delay))) return;
	if (fault?.dropConnection) {
		ctx.req.socket.destroy();
		return;
	}
	if (fault?.status) return faultError(ctx, 'openai', fault, { model: check.model } as LlmRequest);
	sendJson(
		ctx,
		200,
		{ ...baseHeaders('openai'), ...rateLimitHeaders('openai', true) },
		embeddingsResponse(check, estimateTokens),
	);
}

// ---------------------------------------------------------------- chat completions

const FILTER_OK = {
	hate: { filtered: false, severity: 'safe' },
	self_harm: { filtered: false, severity: 'safe' },
	sexual: { filtered: false, severity: 'safe' },
	violence: { filtered: false, severity: 'safe' },
};

async function chat(ctx: Ctx, provider: Provider, deployment: string | undefined): Promise<void> {
	const parsed = parseChatRequest(ctx, provider, deployment);
	if (!parsed) return;
	const { request, responseModel } = parsed;

	const fault = ctx.takeFault(provider);
	if (fault) ctx.record.fault = fault;
	const delay = ctx.latencyMs() + (fault?.delayMs ?? 0);
	if (delay > 0 && !(await ctx.wait(delay))) return;
	if (fault?.dropConnection) {
		ctx.req.socket.destroy();
		return;
	}
	if (fault?.status) return faultError(ctx, provider, fault, request);

	const { reply, breakBody } = await compose(request, fault, ctx.respond);
	const id = `chatcmpl-${randomId(29)}`;
	const created = Math.floor(Date.now() / 1000);
	const fingerprint = `fp_${randomHex(10)}`;
	const limit = request.maxTokens;

	let content: string | null = null;
	let refusal: string | null = null;
	let toolCalls: Obj[] | undefined;
	let finish: string = 'stop';
	let completionText = '';

	if (reply.kind === 'text') {
		const limited = limitText(reply.text, limit);
		content = limited.text;
		completionText = content;
		if (limited.truncated) finish = 'length';
	} else if (reply.kind === 'tool') {
		const limited = limitText(reply.args, limit);
		toolCalls = [
			{
				id: `call_${randomId(24)}`,
				type: 'function',
				function: { name: reply.name, arguments: limited.text },
			},
		];
		completionText = reply.name + limited.text;
		// A tool forced by name ends with 'stop'; auto / required end with 'tool_calls'.
		const forced = request.toolChoice && !['auto', 'required', 'none'].includes(request.toolChoice);
		finish = limited.truncated ? 'length' : forced ? 'stop' : 'tool_calls';
	} else {
		refusal = reply.kind === 'refusal' ? reply.text : "I'm sorry, I can't assist with that.";
		completionText = refusal;
	}

	const promptTokens = estimateTokens(promptTokenText(request));
	const completionTokens = finish === 'length' && limit ? limit : estimateTokens(completionText);
	const usage = {
		prompt_tokens: promptTokens,
		completion_tokens: completionTokens,
		total_tokens: promptTokens + completionTokens,
		prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
		completion_tokens_details: {
			reasoning_tokens: 0,
			audio_tokens: 0,
			accepted_prediction_tokens: 0,
			rejected_prediction_tokens: 0,
		},
	};
	const headers = { ...baseHeaders(provider), ...rateLimitHeaders(provider, true) };

	if (request.stream) {
		return streamChat(ctx, provider, {
			id,
			created,
			model: responseModel,
			fingerprint,
			content,
			refusal,
			toolCalls,
			finish,
			usage: request.body.stream_options?.include_usage ? usage : undefined,
			headers,
			breakBody,
		});
	}

	const message: Obj = { role: 'assistant', content, refusal, annotations: [] };
	if (toolCalls) message.tool_calls = toolCalls;
	const choice: Obj = { index: 0, message, logprobs: null, finish_reason: finish };
	const completion: Obj = {
		id,
		object: 'chat.completion',
		created,
		model: responseModel,
		choices: [choice],
		usage,
		system_fingerprint: fingerprint,
	};
	if (provider === 'openai') completion.service_tier = 'default';
	if (provider === 'azure') {
		choice.content_filter_results = FILTER_OK;
		completion.prompt_filter_results = [{ prompt_index: 0, content_filter_results: FILTER_OK }];
	}

	const text = JSON.stringify(completion);
	send(
		ctx,
		200,
		{ 'content-type': 'application/json', ...headers },
		breakBody ? breakJson(text) : text,
	);
}

interface StreamParts {
	id: string;
	created: number;
	model: string;
	fingerprint: string;
	content: string | null;
	refusal: string | null;
	toolCalls: Obj[] | undefined;
	finish: string;
	usage: Obj | undefined;
	headers: Record<string, string>;
	breakBody: boolean;
}

function streamChat(ctx: Ctx, provider: Provider, p: StreamParts): void {
	if (!startSse(ctx, p.headers)) return;
	const { res } = ctx;
	const chunk = (choices: Obj[], extra: Obj = {}) => {
		const c: Obj = {
			id: p.id,
			object: 'chat.completion.chunk',
			created: p.created,
			model: p.model,
			system_fingerprint: p.fingerprint,
			choices,
			...extra,
		};
		if (provider === 'openai') c.service_tier = 'default';
		if (p.usage) c.usage = null;
		return c;
	};
	const write = (data: Obj | string) => {
		if (res.destroyed) return;
		res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
	};
	const choice = (delta: Obj, finish: string | null = null) => ({
		index: 0,
		delta,
		logprobs: null,
		finish_reason: finish,
	});

	if (p.breakBody) {
		write(breakJson(JSON.stringify(chunk([choice({ role: 'assistant', content: '' })]))));
		res.end();
		return;
	}
	write(chunk([choice({ role: 'assistant', content: p.toolCalls ? null : '', refusal: null })]));
	if (p.content !== null)
		for (const piece of chunks(p.content)) write(chunk([choice({ content: piece })]));
	if (p.refusal !== null)
		for (const piece of chunks(p.refusal)) write(chunk([choice({ refusal: piece })]));
	if (p.toolCalls) {
		const call = p.toolCalls[0];
		write(
			chunk([
				choice({
					tool_calls: [
						{
							index: 0,
							id: call.id,
							type: 'function',
							function: { name: call.function.name, arguments: '' },
						},
					],
				}),
			]),
		);
		for (const piece of chunks(call.function.arguments)) {
			write(chunk([choice({ tool_calls: [{ index: 0, function: { arguments: piece } }] })]));
		}
	}
	write(chunk([choice({}, p.finish)]));
	if (p.usage) {
		const last = chunk([]);
		last.usage = p.usage;
		write(last);
	}
	write('[DONE]');
	res.end();
}
