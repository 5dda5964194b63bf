/**
 * Anthropic Messages API, on the wire.
 *
 * Shapes follow the `@anthropic-ai/sdk` types (Message, ContentBlock, TextBlock, ToolUseBlock, Usage,
 * StopReason, RefusalStopDetails, RawMessageStreamEvent, ModelInfo, ErrorResponse / ErrorObject)
 * and Anthropic's error documentation (see README.md for the sources).
 */
import { compose, limitText } from './answer';
import {
	breakJson,
	chunks,
	contentText,
	type Ctx,
	estimateTokens,
	formatInstructionsSchema,
	promptTokenText,
	randomId,
	send,
	sendJson,
	startSse,
} from './common';
import type { Fault, LlmRequest, StructuredRequest } from './types';

type Obj = Record<string, any>;

const DEFAULT_ANTHROPIC_MODELS = [
	'claude-sonnet-4-5',
	'claude-haiku-4-5',
	'claude-opus-4-5',
	'claude-sonnet-4-20250514',
	'claude-3-5-haiku-latest',
];

function requestId(): string {
	return `req_011C${randomId(20)}`;
}

function headers(id: string): Record<string, string> {
	return {
		'request-id': id,
		'anthropic-organization-id': '00000000-0000-4000-8000-000000000000',
	};
}

function rateLimitHeaders(remaining: boolean, resetSeconds = 1): Record<string, string> {
	const reset = new Date(Date.now() + resetSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
	return {
		'anthropic-ratelimit-requests-limit': '50',
		'anthropic-ratelimit-requests-remaining': remaining ? '49' : '0',
		'anthropic-ratelimit-requests-reset': reset,
		'anthropic-ratelimit-input-tokens-limit': '40000',
		'anthropic-ratelimit-input-tokens-remaining': remaining ? '39000' : '0',
		'anthropic-ratelimit-input-tokens-reset': reset,
		'anthropic-ratelimit-output-tokens-limit': '8000',
		'anthropic-ratelimit-output-tokens-remaining': remaining ? '8000' : '0',
		'anthropic-ratelimit-output-tokens-reset': reset,
		'anthropic-ratelimit-tokens-limit': '48000',
		'anthropic-ratelimit-tokens-remaining': remaining ? '47000' : '0',
		'anthropic-ratelimit-tokens-reset': reset,
	};
}

const ERROR_TYPES: Record<number, [string, string]> = {
	400: ['invalid_request_error', 'There was an issue with the format or content of your request.'],
	401: ['authentication_error', 'invalid x-api-key'],
	402: ['billing_error', 'Your credit balance is too low to access the Anthropic API.'],
	403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
	404: ['not_found_error', 'Not found'],
	413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
	429: ['rate_limit_error', ''],
	500: ['api_error', 'Internal server error'],
	504: ['timeout_error', 'Request timed out'],
	529: ['overloaded_error', 'Overloaded'],
};

function sendError(
	ctx: Ctx,
	status: number,
	type: string,
	message: string,
	extra: Record<string, string> = {},
): void {
	const id = requestId();
	sendJson(
		ctx,
		status,
		{ ...headers(id), ...extra },
		{ type: 'error', error: { type, message }, request_id: id },
	);
}

export async function handleAnthropic(ctx: Ctx): Promise<void> {
	const { req, url } = ctx;
	const path = url.pathname.replace(/^\/anthropic/, '').replace(/\/+$/, '');
	const method = req.method ?? 'GET';

	// The SDK (1.x) sends the API key as `Authorization: Bearer`; curl, n8n's credential and older
	// SDKs send `x-api-key`. Both are accepted.
	const bearer = String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
	const key = req.headers['x-api-key'] || bearer;
	if (!key) return sendError(ctx, 401, 'authentication_error', 'x-api-key header is required');
	if (key !== ctx.options.apiKeys.anthropic) {
		return sendError(ctx, 401, 'authentication_error', 'invalid x-api-key');
	}
	const version = req.headers['anthropic-version'];
	if (!version) {
		return sendError(ctx, 400, 'invalid_request_error', 'anthropic-version: header is required');
	}
	if (typeof version !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(version)) {
		return sendError(
			ctx,
			400,
			'invalid_request_error',
			`anthropic-version: invalid version string: '${String(version)}'`,
		);
	}

	if (method === 'POST' && path === '/v1/messages') return messages(ctx);
	if (method === 'POST' && path === '/v1/messages/count_tokens') return countTokens(ctx);
	if (method === 'GET' && path === '/v1/models') return listModels(ctx);
	const one = /^\/v1\/models\/(.+)$/.exec(path);
	if (method === 'GET' && one) return getModel(ctx, decodeURIComponent(one[1]));
	return sendError(ctx, 404, 'not_found_error', 'Not Found');
}

// ---------------------------------------------------------------- models

function modelInfo(id: string): Obj {
	const display = id
		.replace(/^claude-/, 'Claude ')
		.replace(/-(\d{8})$/, '')
		.replace(/-latest$/, '')
		.replace(/-/g, ' ')
		.replace(/\b([a-z])/g, (c) => c.toUpperCase());
	return {
		type: 'model',
		id,
		display_name: display,
		created_at: '2025-09-29T00:00:00Z',
		capabilities: null,
		deprecated_at: null,
		lifecycle: 'active',
		line: /haiku/.test(id)
			? 'haiku'
			: /opus/.test(id)
				? 'opus'
				: /sonnet/.test(id)
					? 'sonnet'
					: null,
		max_input_tokens: 200000,
		max_tokens: 64000,
		retires_at: null,
	};
}

function knownModels(ctx: Ctx): string[] {
	return ctx.options.models.anthropic ?? DEFAULT_ANTHROPIC_MODELS;
}

function listModels(ctx: Ctx): void {
	const data = knownModels(ctx).map(modelInfo);
	sendJson(ctx, 200, headers(requestId()), {
		data,
		has_more: false,
		first_id: data[0]?.id ?? null,
		last_id: data[data.length - 1]?.id ?? null,
	});
}

function getModel(ctx: Ctx, id: string): void {
	const restricted = ctx.options.models.anthropic;
	if (restricted && !restricted.includes(id)) {
		return sendError(ctx, 404, 'not_found_error', `model: ${id}`);
	}
	sendJson(ctx, 200, headers(requestId()), modelInfo(id));
}

// ---------------------------------------------------------------- request checks

function parse(ctx: Ctx, needsMaxTokens: boolean): LlmRequest | undefined {
	const b = ctx.record.body as Obj;
	if (!b || typeof b !== 'object' || Array.isArray(b)) {
		sendError(
			ctx,
			400,
			'invalid_request_error',
			'There was an error parsing the body of your request: it is not valid JSON.',
		);
		return undefined;
	}
	if (typeof b.model !== 'string' || !b.model) {
		sendError(ctx, 400, 'invalid_request_error', 'model: Field required');
		return undefined;
	}
	if (needsMaxTokens && typeof b.max_tokens !== 'number') {
		sendError(ctx, 400, 'invalid_request_error', 'max_tokens: Field required');
		return undefined;
	}
	if (!Array.isArray(b.messages)) {
		sendError(ctx, 400, 'invalid_request_error', 'messages: Field required');
		return undefined;
	}
	if (b.messages.length === 0) {
		sendError(ctx, 400, 'invalid_request_error', 'messages: at least one message is required');
		return undefined;
	}
	const bad = (b.messages as Obj[]).findIndex((m) => m?.role !== 'user' && m?.role !== 'assistant');
	if (bad !== -1) {
		sendError(
			ctx,
			400,
			'invalid_request_error',
			`messages.${bad}.role: Input should be 'user' or 'assistant'`,
		);
		return undefined;
	}
	const restricted = ctx.options.models.anthropic;
	if (restricted && !restricted.includes(b.model)) {
		sendError(ctx, 404, 'not_found_error', `model: ${b.model}`);
		return undefined;
	}

	const tools = (Array.isArray(b.tools) ? b.tools : [])
		.filter(
			(t: Obj) => t && typeof t.name === 'string' && (t.type === undefined || t.type === 'custom'),
		)
		.map((t: Obj) => ({
			name: t.name as string,
			description: t.description,
			schema: t.input_schema,
		}));
	const missingSchema = tools.findIndex((t: Obj) => !t.schema || typeof t.schema !== 'object');
	if (missingSchema !== -1) {
		sendError(
			ctx,
			400,
			'invalid_request_error',
			`tools.${missingSchema}.custom.input_schema: Field required`,
		);
		return undefined;
	}

	const tc = b.tool_choice;
	let toolChoice: string | undefined;
	if (tc && typeof tc === 'object') {
		if (tc.type === 'tool') toolChoice = tc.name;
		else if (tc.type === 'any' || tc.type === 'auto' || tc.type === 'none') toolChoice = tc.type;
	}
	if (tc && !tools.length && toolChoice !== 'none') {
		sendError(
			ctx,
			400,
			'invalid_request_error',
			'tool_choice may only be specified while providing tools.',
		);
		return undefined;
	}
	if (tc?.type === 'tool' && !tools.some((t: Obj) => t.name === toolChoice)) {
		sendError(
			ctx,
			400,
			'invalid_request_error',
			`Tool '${toolChoice}' not found in provided tools`,
		);
		return undefined;
	}

	const system = Array.isArray(b.system)
		? contentText(b.system)
		: typeof b.system === 'string'
			? b.system
			: '';
	const messages = (b.messages as Obj[]).map((m) => ({
		role: m.role,
		content: contentText(m.content),
	}));
	const userText = messages
		.filter((m) => m.role === 'user')
		.map((m) => m.content)
		.join('\n');

	const format = b.output_config?.format;
	let structured: StructuredRequest | undefined;
	if (tools.length && toolChoice !== 'none' && toolChoice !== undefined && toolChoice !== 'auto') {
		const tool = (
			toolChoice === 'any' ? tools[0] : tools.find((t: Obj) => t.name === toolChoice)
		) as Obj;
		structured = { kind: 'tool', name: tool.name, schema: tool.schema };
	} else if (format && typeof format === 'object' && format.type === 'json_schema') {
		structured = { kind: 'json_schema', schema: format.schema ?? {} };
	} else if (tools.length && toolChoice !== 'none') {
		structured = { kind: 'tool', name: tools[0].name, schema: tools[0].schema };
	} else {
		const schema = formatInstructionsSchema(`${system}\n${userText}`);
		if (schema) structured = { kind: 'format_instructions', schema };
	}

	return {
		provider: 'anthropic',
		model: b.model,
		system,
		messages,
		userText,
		tools,
		toolChoice,
		responseFormat: format,
		structured,
		maxTokens: b.max_tokens,
		temperature: b.temperature,
		stream: b.stream === true,
		body: b,
		headers: ctx.req.headers,
	};
}

function countTokens(ctx: Ctx): void {
	const request = parse(ctx, false);
	if (!request) return;
	sendJson(ctx, 200, headers(requestId()), {
		input_tokens: estimateTokens(promptTokenText(request)),
	});
}

// ---------------------------------------------------------------- messages

function faultError(ctx: Ctx, fault: Fault): void {
	const status = fault.status as number;
	const [type, standard] =
		ERROR_TYPES[status] ?? (status >= 500 ? ERROR_TYPES[500] : ERROR_TYPES[400]);
	const extra: Record<string, string> = {};
	let retryAfter = fault.retryAfter;
	if (status === 429 && retryAfter === undefined) retryAfter = 1;
	if (retryAfter !== undefined && retryAfter !== null) extra['retry-after'] = String(retryAfter);
	if (fault.retryAfterMs !== undefined) extra['retry-after-ms'] = String(fault.retryAfterMs);
	if (status === 429) Object.assign(extra, rateLimitHeaders(false, Number(retryAfter ?? 1) || 1));
	const message =
		fault.message ??
		(status === 429
			? 'This request would exceed the rate limit for your organization (00000000-0000-4000-8000-000000000000) of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.'
			: standard);
	sendError(ctx, status, type, message, extra);
}

interface Built {
	content: Obj[];
	stopReason: string;
	stopDetails: Obj | null;
	outputText: string;
}

async function messages(ctx: Ctx): Promise<void> {
	const request = parse(ctx, true);
	if (!request) return;

	const fault = ctx.takeFault('anthropic');
	if (fault) ctx.record.fault = fault;
	const delay = ctx.latencyMs() + (fault?.delayMs ?? 0);
	if (delay > 0 && !(await ctx.wait(delay))) return;
	if (fault?.dropConnection) {
		ctx.req.socket.destroy();
		return;
	}
	if (fault?.status) return faultError(ctx, fault);

	const { reply, breakBody } = await compose(request, fault, ctx.respond);
	const limit = request.maxTokens;
	const built: Built = { content: [], stopReason: 'end_turn', stopDetails: null, outputText: '' };
	const textBlock = (text: string) => ({ type: 'text', text, citations: null });

	if (reply.kind === 'text' || reply.kind === 'refusal') {
		const limited = limitText(reply.text, limit);
		built.content.push(textBlock(limited.text));
		built.outputText = limited.text;
		if (limited.truncated) built.stopReason = 'max_tokens';
	} else if (reply.kind === 'refusal_stop') {
		built.stopReason = 'refusal';
		built.stopDetails = { type: 'refusal', category: null, explanation: null };
	} else if (reply.input === undefined || typeof reply.input !== 'object' || reply.input === null) {
		// Not a JSON object: the model wrote it out as text instead of calling the tool.
		const limited = limitText(reply.args, limit);
		built.content.push(textBlock(limited.text));
		built.outputText = limited.text;
		if (limited.truncated) built.stopReason = 'max_tokens';
	} else {
		const args = JSON.stringify(reply.input);
		const over = limitText(args, limit).truncated;
		built.content.push({
			type: 'tool_use',
			id: `toolu_01${randomId(22)}`,
			name: reply.name,
			input: over ? {} : reply.input,
			caller: { type: 'direct' },
		});
		built.outputText = reply.name + args;
		built.stopReason = over ? 'max_tokens' : 'tool_use';
	}

	const usage = {
		input_tokens: estimateTokens(promptTokenText(request)),
		output_tokens:
			built.stopReason === 'max_tokens' && limit ? limit : estimateTokens(built.outputText),
		cache_creation_input_tokens: 0,
		cache_read_input_tokens: 0,
		cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
		server_tool_use: null,
		service_tier: 'standard',
		inference_geo: null,
		output_tokens_details: null,
		speed: null,
	};
	const message: Obj = {
		id: `msg_01${randomId(22)}`,
		type: 'message',
		role: 'assistant',
		model: request.model,
		content: built.content,
		stop_reason: built.stopReason,
		stop_sequence: null,
		stop_details: built.stopDetails,
		container: null,
		diagnostics: null,
		usage,
	};
	const h = { ...headers(requestId()), ...rateLimitHeaders(true) };

	if (request.stream) return stream(ctx, message, h, breakBody);
	const text = JSON.stringify(message);
	send(ctx, 200, { 'content-type': 'application/json', ...h }, breakBody ? breakJson(text) : text);
}

function stream(ctx: Ctx, message: Obj, h: Record<string, string>, breakBody: boolean): void {
	if (!startSse(ctx, h)) return;
	const { res } = ctx;
	const event = (name: string, data: Obj | string) => {
		if (res.destroyed) return;
		res.write(
			`event: ${name}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`,
		);
	};
	const start = {
		...message,
		content: [],
		stop_reason: null,
		stop_sequence: null,
		stop_details: null,
		usage: { ...message.usage, output_tokens: 1 },
	};
	if (breakBody) {
		event('message_start', breakJson(JSON.stringify({ type: 'message_start', message: start })));
		res.end();
		return;
	}
	event('message_start', { type: 'message_start', message: start });
	(message.content as Obj[]).forEach((block, index) => {
		if (block.type === 'text') {
			event('content_block_start', {
				type: 'content_block_start',
				index,
				content_block: { type: 'text', text: '', citations: null },
			});
			if (index === 0) event('ping', { type: 'ping' });
			for (const piece of chunks(block.text)) {
				event('content_block_delta', {
					type: 'content_block_delta',
					index,
					delta: { type: 'text_delta', text: piece },
				});
			}
		} else {
			event('content_block_start', {
				type: 'content_block_start',
				index,
				content_block: { ...block, input: {} },
			});
			if (index === 0) event('ping', { type: 'ping' });
			for (const piece of chunks(JSON.stringify(block.input))) {
				event('content_block_delta', {
					type: 'content_block_delta',
					index,
					delta: { type: 'input_json_delta', partial_json: piece },
				});
			}
		}
		event('content_block_stop', { type: 'content_block_stop', index });
	});
	event('message_delta', {
		type: 'message_delta',
		delta: {
			stop_reason: message.stop_reason,
			stop_sequence: null,
			stop_details: message.stop_details,
			container: null,
		},
		usage: {
			input_tokens: message.usage.input_tokens,
			output_tokens: message.usage.output_tokens,
			cache_creation_input_tokens: 0,
			cache_read_input_tokens: 0,
			output_tokens_details: null,
			server_tool_use: null,
		},
	});
	event('message_stop', { type: 'message_stop' });
	res.end();
}
