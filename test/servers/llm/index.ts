export { startLlmServer, providerFor } from './server';
export { generateInstance, violateSchema } from './schema-instance';
export { estimateTokens } from './common';
export { sameRealmFetch } from './same-realm-fetch';
export type {
	ChatMessage,
	Fault,
	JsonSchema,
	LlmAnswer,
	LlmRequest,
	LlmServer,
	LlmServerOptions,
	Provider,
	RecordedRequest,
	Responder,
	StructuredRequest,
} from './types';
