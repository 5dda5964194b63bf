import type { IncomingHttpHeaders } from 'node:http';

/** The three wire formats the server speaks. */
export type Provider = 'openai' | 'azure' | 'anthropic';

export type JsonSchema = object | boolean;

/**
 * One scripted fault, taken from the provider's FIFO queue by the next generation request
 * (chat completions / messages; listing models never consumes a fault).
 */
export interface Fault {
	/**
	 * Answer with this HTTP status and the provider's error body for it
	 * (429, 500, 503, 529 (Anthropic's overloaded), 400, 401, 403, 404, 408, 409, 504 ...).
	 */
	status?: number;
	/**
	 * Seconds for the `retry-after` header. Defaults to 1 for a 429; other statuses send it only
	 * when given. `null` leaves the header off a 429.
	 */
	retryAfter?: number | string | null;
	/** Milliseconds for a `retry-after-ms` header (read by both SDKs before `retry-after`). */
	retryAfterMs?: number;
	/** Replace the provider's standard error message. */
	message?: string;
	/** Wait this long before answering (on top of the server's latency); with `status`, before the error. */
	delayMs?: number;
	/**
	 * 200 with broken JSON. `true`: the message content (JSON mode / tool arguments) is cut short when
	 * the request asked for structured output, otherwise the HTTP body itself is cut short.
	 * `'body'` / `'content'` force one of the two.
	 */
	malformedJson?: boolean | 'body' | 'content';
	/** 200 with well-formed JSON content that breaks the requested schema. */
	schemaViolation?: boolean;
	/**
	 * A refusal. OpenAI / Azure: `message.refusal` set, `content` null, no tool call.
	 * Anthropic: `true` / `'text'`: a text block that declines instead of the tool call (`end_turn`);
	 * `'stop_reason'`: `stop_reason: 'refusal'` with `stop_details` and no content.
	 */
	refusal?: boolean | 'text' | 'stop_reason';
	/** Destroy the socket without answering (the SDK reports a connection error). */
	dropConnection?: boolean;
	/** How many consecutive requests this fault applies to (default 1; `Infinity` for an outage). */
	times?: number;
}

/** A request as the server received it. */
export interface RecordedRequest {
	/** Which wire format the path belongs to; `undefined` for paths no provider serves. */
	provider: Provider | undefined;
	method: string;
	/** Path without the query string. */
	path: string;
	query: Record<string, string>;
	headers: IncomingHttpHeaders;
	/** Parsed JSON body (undefined when there was none or it was not JSON). */
	body: any;
	rawBody: string;
	/** Arrival time, epoch milliseconds with sub-millisecond resolution. */
	time: number;
	/** Status the server answered with (undefined while pending or when the socket was dropped). */
	status?: number;
	/** Time the answer was written. */
	answeredAt?: number;
	/** The fault that was applied, if any. */
	fault?: Fault;
}

/** Structured output the client asked for. */
export interface StructuredRequest {
	/**
	 * `json_schema`: OpenAI `response_format` json_schema / Anthropic `output_config.format`;
	 * `tool`: a function / tool call; `json_object`: OpenAI JSON mode (no schema);
	 * `format_instructions`: a plain-text request carrying LangChain's "JSON Schema instance your
	 * output must adhere to" block (n8n's Text Classifier, Information Extractor ...).
	 */
	kind: 'json_schema' | 'tool' | 'json_object' | 'format_instructions';
	/** Schema name / tool name. */
	name?: string;
	schema?: JsonSchema;
	strict?: boolean;
}

export interface ChatMessage {
	role: string;
	/** Text of the message, content parts joined with newlines (images etc. left out). */
	content: string;
}

/** What a responder sees: the request in one shape for every provider. */
export interface LlmRequest {
	provider: Provider;
	/** Model from the body; for Azure deployment paths, the deployment name. */
	model: string;
	deployment?: string;
	/** OpenAI system/developer messages, or Anthropic's `system`, joined. */
	system: string;
	/** Conversation in order (OpenAI system/developer messages included). */
	messages: ChatMessage[];
	/** Text of the user messages only, joined: the prompt's data, used to choose values. */
	userText: string;
	tools: { name: string; description?: string; schema: JsonSchema }[];
	/** `auto`, `none`, `required` (OpenAI) / `any` (Anthropic), or the name of a forced tool. */
	toolChoice?: string;
	/** OpenAI `response_format` / Anthropic `output_config.format`, as sent. */
	responseFormat?: any;
	structured?: StructuredRequest;
	maxTokens?: number;
	temperature?: number;
	stream: boolean;
	body: any;
	headers: IncomingHttpHeaders;
}

/**
 * A responder's answer. For a structured request: `{ json }` is the value (tool input / JSON content);
 * a string is used verbatim as the JSON text (so it may be broken on purpose). `{ text }` answers
 * in plain text even when structured output was asked for; `{ refusal }` refuses. `undefined`
 * falls back to the default responder.
 */
export type LlmAnswer =
	string | { json: unknown } | { text: string } | { refusal: string } | undefined | null;

export type Responder = (request: LlmRequest) => LlmAnswer | Promise<LlmAnswer>;

export interface LlmServerOptions {
	/** Port to listen on; 0 (default) picks a free one. */
	port?: number;
	/** Defaults to 127.0.0.1. */
	host?: string;
	/** Added before every generation answer (not before models listings or auth errors). */
	latencyMs?: number;
	/** Accepted keys; defaults `sk-test`, `sk-ant-test`, `azure-test-key`. */
	apiKeys?: Partial<Record<Provider, string>>;
	/**
	 * Known Azure deployments, name -> model. Default: gpt-4o-mini, gpt-4o, gpt-4.1-mini, gpt-4.1-nano,
	 * each deployed under its model's name. Other names answer 404 DeploymentNotFound.
	 */
	azureDeployments?: Record<string, string>;
	/**
	 * Models the OpenAI / Anthropic endpoints know. When given, other models answer 404 as the real
	 * APIs do; when not, any model is accepted and a default list is served by `GET /v1/models`.
	 */
	models?: { openai?: string[]; anthropic?: string[] };
	responder?: Responder;
	/**
	 * Reject `strict: true` OpenAI/Azure schemas that break OpenAI's strict-mode rules (every object
	 * `additionalProperties: false`, every property required, root an object), with OpenAI's 400.
	 * Default true.
	 */
	strictSchemaCheck?: boolean;
}

export interface LlmServer {
	/** http://127.0.0.1:port */
	baseUrl: string;
	port: number;
	/** `baseURL` for `new OpenAI(...)`: `${baseUrl}/v1`. */
	openaiBaseUrl: string;
	/** `endpoint` for `new AzureOpenAI(...)`: `${baseUrl}` (the SDK appends `/openai`). */
	azureEndpoint: string;
	/** `baseURL` for `new Anthropic(...)`: `${baseUrl}/anthropic` (the SDK appends `/v1/messages`). */
	anthropicBaseUrl: string;
	/** Accepted keys, per provider. */
	apiKeys: Record<Provider, string>;
	/** Every request received, in arrival order. */
	requests: RecordedRequest[];
	/** Queues a fault for the provider's next generation request(s). Chainable. */
	fail(provider: Provider, fault: Fault): LlmServer;
	/** Faults (counting `times`) still queued for a provider. */
	pendingFaults(provider: Provider): number;
	clearFaults(provider?: Provider): void;
	setLatency(ms: number): void;
	setResponder(responder: Responder | undefined): void;
	/** Forget recorded requests and queued faults. */
	reset(): void;
	close(): Promise<void>;
}
