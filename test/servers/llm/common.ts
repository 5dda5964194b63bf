import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Fault, LlmAnswer, LlmRequest, Provider, RecordedRequest } from './types';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random [A-Za-z0-9] string, the alphabet of OpenAI's and Anthropic's object ids. */
export function randomId(length: number): string {
	const bytes = randomBytes(length);
	let out = '';
	for (let i = 0; i < length; i++) out += ALNUM[bytes[i] % ALNUM.length];
	return out;
}

export function randomHex(length: number): string {
	return randomBytes(Math.ceil(length / 2))
		.toString('hex')
		.slice(0, length);
}

/** FNV-1a, 32 bit: a stable hash for deterministic choices. */
export function hash32(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193) >>> 0;
	}
	return h >>> 0;
}

/** Deterministic estimate used for every `usage` figure: ceil(characters / 4), at least 1. */
export function estimateTokens(text: string): number {
	return Math.max(1, Math.ceil(text.length / 4));
}

/** Text of an OpenAI or Anthropic message content (string or array of parts). */
export function contentText(content: unknown): string {
	if (typeof content === 'string') return content;
	if (!Array.isArray(content)) return '';
	const parts: string[] = [];
	for (const part of content) {
		if (typeof part === 'string') parts.push(part);
		else if (part && typeof part === 'object') {
			const p = part as Record<string, unknown>;
			if (typeof p.text === 'string') parts.push(p.text);
			else if (p.type === 'tool_result') parts.push(contentText(p.content));
			else if (p.type === 'tool_use' && p.input !== undefined) parts.push(JSON.stringify(p.input));
		}
	}
	return parts.join('\n');
}

/** Everything that counts toward prompt tokens: messages, system, tools and schemas. */
export function promptTokenText(request: LlmRequest): string {
	const pieces = [request.system, ...request.messages.map((m) => m.content)];
	if (request.tools.length) pieces.push(JSON.stringify(request.tools));
	if (request.responseFormat) pieces.push(JSON.stringify(request.responseFormat));
	return pieces.join('\n');
}

const LANGCHAIN_FORMAT =
	/JSON Schema instance your output must adhere to[^`]*```json\s*([\s\S]*?)```/;

/** The schema in LangChain's StructuredOutputParser format instructions, when the prompt has them. */
export function formatInstructionsSchema(text: string): Record<string, unknown> | undefined {
	const match = LANGCHAIN_FORMAT.exec(text);
	if (!match) return undefined;
	try {
		const schema = JSON.parse(match[1].trim());
		return schema && typeof schema === 'object' ? schema : undefined;
	} catch {
		return undefined;
	}
}

export interface Ctx {
	req: IncomingMessage;
	res: ServerResponse;
	record: RecordedRequest;
	url: URL;
	/** Resolves false when the client went away during the wait. */
	wait(ms: number): Promise<boolean>;
	/** Take the next queued fault for the provider, if any. */
	takeFault(provider: Provider): Fault | undefined;
	latencyMs(): number;
	respond(request: LlmRequest): Promise<LlmAnswer>;
	options: {
		apiKeys: Record<Provider, string>;
		azureDeployments: Record<string, string>;
		models: { openai?: string[]; anthropic?: string[] };
		strictSchemaCheck: boolean;
	};
}

/** Writes a complete answer, unless the client already left. */
export function send(
	ctx: Ctx,
	status: number,
	headers: Record<string, string>,
	body: string | Buffer,
): void {
	const { res, record } = ctx;
	if (res.destroyed || res.writableEnded) return;
	const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
	const head = { ...headers, 'content-length': String(payload.length) };
	if (status === 529) res.writeHead(status, 'Overloaded', head);
	else res.writeHead(status, head);
	res.end(payload);
	record.status = status;
	record.answeredAt = now();
}

export function sendJson(
	ctx: Ctx,
	status: number,
	headers: Record<string, string>,
	body: unknown,
): void {
	send(ctx, status, { 'content-type': 'application/json', ...headers }, JSON.stringify(body));
}

/** Starts a `text/event-stream` answer. */
export function startSse(ctx: Ctx, headers: Record<string, string>): boolean {
	const { res, record } = ctx;
	if (res.destroyed || res.writableEnded) return false;
	res.writeHead(200, {
		'content-type': 'text/event-stream; charset=utf-8',
		'cache-control': 'no-cache',
		connection: 'keep-alive',
		...headers,
	});
	record.status = 200;
	record.answeredAt = now();
	return true;
}

export function now(): number {
	return performance.timeOrigin + performance.now();
}

/** Splits text into small pieces for streaming deltas. */
export function chunks(text: string, size = 16): string[] {
	const out: string[] = [];
	for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
	return out.length ? out : [''];
}

/** Cuts JSON text short so that it no longer parses (what a truncated model answer looks like). */
export function breakJson(text: string): string {
	const trimmed = text.trim();
	if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
		const cut = Math.max(1, Math.floor(trimmed.length * 0.6));
		return trimmed.slice(0, cut);
	}
	return `${trimmed},`;
}

/** A short, deterministic plain-text reply. */
export function defaultText(request: LlmRequest): string {
	const words = request.userText.replace(/\s+/g, ' ').trim().split(' ').slice(0, 12).join(' ');
	return words
		? `Thank you for your message ("${words}"). We have looked into it and will follow up shortly.`
		: 'Thank you for your message. We will follow up shortly.';
}

export const DEFAULT_REFUSAL = "I'm sorry, but I can't help with that request.";
