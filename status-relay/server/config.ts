/**
 * The relay's configuration: read once at start-up from the environment, validated as a whole, and
 * reported with every problem at once.
 */
import { readFileSync } from 'node:fs';

export interface TokenScope {
	/** Workflow ids this token may see; '*' for all. */
	workflows: Set<string> | '*';
	/** May execute / pause / resume / cancel. */
	control: boolean;
	name: string;
}

export interface RelayConfig {
	host: string;
	port: number;
	ingestSecret: string;
	tokens: Map<string, TokenScope>;
	retentionEvents: number;
	retentionExecutions: number;
	heartbeatMs: number;
	clientBufferBytes: number;
	maxPayloadBytes: number;
	ingestMaxBytes: number;
	/** Bytes the in-memory store may hold for resuming (besides the event count). */
	retentionBytes: number;
	/** Bytes the live execution snapshots may hold (besides the execution count). */
	stateMaxBytes: number;
	/** Longest free-text string in an event (error messages, names); longer ones are cut. */
	eventStringMax: number;
	/** Largest event accepted (JSON bytes, after cutting strings). */
	eventMaxBytes: number;
	/** /ingest bodies read at once (before their signature can be checked); more get 503. */
	ingestConcurrency: number;
	/** A request (headers and body) must arrive within this time. */
	requestTimeoutMs: number;
	/** How long pause / resume wait for n8n's intake to actually stop / start. */
	intakeConfirmMs: number;
	shutdownTimeoutMs: number;
	logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
	n8n?: { url: string; apiKey: string };
	redisUrl?: string;
	/** Relays with the same stream name share events. */
	redisStream: string;
	redisDedupeSeconds: number;
}

export class ConfigError extends Error {
	constructor(readonly problems: string[]) {
		super(`invalid status relay configuration:\n  - ${problems.join('\n  - ')}`);
		this.name = 'ConfigError';
	}
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Record<string, string | undefined> = process.env): RelayConfig {
	const problems: string[] = [];
	const int = (name: string, fallback: number, min: number, max: number): number => {
		const raw = env[name];
		if (raw === undefined || raw === '') return fallback;
		const value = Number(raw);
		if (!Number.isInteger(value) || value < min || value > max) {
			problems.push(`${name}="${raw}" must be a whole number from ${min} to ${max}`);
			return fallback;
		}
		return value;
	};

	const ingestSecret = env.RELAY_INGEST_SECRET ?? '';
	if (ingestSecret.length < 16) {
		problems.push(
			'RELAY_INGEST_SECRET must be set to a shared secret of at least 16 characters (the same value as SUPPORT_RELAY_SECRET in n8n)',
		);
	}

	const tokens = parseTokens(env, problems);

	const logLevel = (env.RELAY_LOG_LEVEL ?? 'info') as RelayConfig['logLevel'];
	if (!LOG_LEVELS.includes(logLevel)) {
		problems.push(`RELAY_LOG_LEVEL="${logLevel}" must be one of ${LOG_LEVELS.join(', ')}`);
	}

	let n8n: RelayConfig['n8n'];
	if (env.RELAY_N8N_URL || env.RELAY_N8N_API_KEY) {
		if (!env.RELAY_N8N_URL || !env.RELAY_N8N_API_KEY) {
			problems.push('RELAY_N8N_URL and RELAY_N8N_API_KEY must be set together');
		} else if (!isHttpUrl(env.RELAY_N8N_URL)) {
			problems.push(`RELAY_N8N_URL="${redactUrl(env.RELAY_N8N_URL)}" is not an http(s) URL`);
		} else if (hasCredentials(env.RELAY_N8N_URL)) {
			problems.push(
				`RELAY_N8N_URL="${redactUrl(env.RELAY_N8N_URL)}" must not hold a user name or password: the API key goes in RELAY_N8N_API_KEY`,
			);
		} else {
			n8n = { url: env.RELAY_N8N_URL.replace(/\/+$/, ''), apiKey: env.RELAY_N8N_API_KEY };
		}
	}

	const redisUrl = env.RELAY_REDIS_URL || undefined;
	if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
		problems.push(`RELAY_REDIS_URL="${redactUrl(redisUrl)}" must start with redis:// or rediss://`);
	}

	const config: RelayConfig = {
		host: env.RELAY_HOST || '0.0.0.0',
		port: int('RELAY_PORT', 8080, 0, 65535),
		ingestSecret,
		tokens,
		retentionEvents: int('RELAY_RETENTION_EVENTS', 100_000, 10, 10_000_000),
		retentionExecutions: int('RELAY_RETENTION_EXECUTIONS', 2_000, 1, 1_000_000),
		heartbeatMs: int('RELAY_HEARTBEAT_MS', 15_000, 50, 600_000),
		clientBufferBytes: int('RELAY_CLIENT_BUFFER_BYTES', 1_048_576, 1024, 1_073_741_824),
		maxPayloadBytes: int('RELAY_WS_MAX_PAYLOAD_BYTES', 4096, 128, 1_048_576),
		ingestMaxBytes: int('RELAY_INGEST_MAX_BYTES', 5_242_880, 1024, 104_857_600),
		retentionBytes: int('RELAY_RETENTION_BYTES', 134_217_728, 65_536, 68_719_476_736),
		stateMaxBytes: int('RELAY_STATE_MAX_BYTES', 33_554_432, 65_536, 17_179_869_184),
		eventStringMax: int('RELAY_EVENT_STRING_MAX', 4096, 64, 1_048_576),
		eventMaxBytes: 0,
		ingestConcurrency: int('RELAY_INGEST_CONCURRENCY', 4, 1, 1000),
		requestTimeoutMs: int('RELAY_REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000),
		intakeConfirmMs: int('RELAY_INTAKE_CONFIRM_MS', 20_000, 0, 600_000),
		shutdownTimeoutMs: int('RELAY_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
		logLevel,
		...(n8n ? { n8n } : {}),
		...(redisUrl ? { redisUrl } : {}),
		redisStream: env.RELAY_REDIS_STREAM || 'n8n-support-relay',
		redisDedupeSeconds: int('RELAY_REDIS_DEDUPE_SECONDS', 3600, 10, 30 * 24 * 3600),
	};
	if (!/^[A-Za-z0-9._-]{1,64}$/.test(config.redisStream)) {
		problems.push(
			`RELAY_REDIS_STREAM="${config.redisStream}" must be 1-64 letters, digits, dots, dashes or underscores`,
		);
	}
	// By default an event may be as large as a batch, up to 256 KiB.
	config.eventMaxBytes = int(
		'RELAY_EVENT_MAX_BYTES',
		Math.min(262_144, config.ingestMaxBytes),
		1024,
		104_857_600,
	);
	if (config.eventMaxBytes > config.ingestMaxBytes) {
		problems.push(
			`RELAY_EVENT_MAX_BYTES (${config.eventMaxBytes}) must not be larger than RELAY_INGEST_MAX_BYTES (${config.ingestMaxBytes})`,
		);
	}
	if (problems.length) throw new ConfigError(problems);
	return config;
}

/** A URL as it may be shown in an error or a log: any user name and password replaced by `***`. */
export function redactUrl(value: string): string {
	try {
		const url = new URL(value);
		if (url.username || url.password) {
			url.username = url.username ? '***' : '';
			url.password = url.password ? '***' : '';
		}
		return url.href.length > 300 ? `${url.href.slice(0, 300)}…` : url.href;
	} catch {
		// Not a URL we can parse: hide everything between "//" and "@" all the same.
		const hidden = value.replace(/\/\/.*@/, '//***@');
		return hidden.length > 300 ? `${hidden.slice(0, 300)}…` : hidden;
	}
}

function hasCredentials(value: string): boolean {
	try {
		const url = new URL(value);
		return url.username !== '' || url.password !== '';
	} catch {
		return false;
	}
}

function isHttpUrl(value: string): boolean {
	try {
		const url = new URL(value);
		return url.protocol === 'http:' || url.protocol === 'https:';
	} catch {
		return false;
	}
}

/**
 * RELAY_TOKENS (or the file named by RELAY_TOKENS_FILE) is JSON:
 *   {"<token>": {"workflows": ["<id>", ...] | "*", "control": true, "name": "ops dashboard"}}
 */
function parseTokens(env: Record<string, string | undefined>, problems: string[]) {
	const tokens = new Map<string, TokenScope>();
	let raw = env.RELAY_TOKENS;
	if (env.RELAY_TOKENS_FILE) {
		try {
			raw = readFileSync(env.RELAY_TOKENS_FILE, 'utf8');
		} catch (error) {
			problems.push(`RELAY_TOKENS_FILE: cannot read ${env.RELAY_TOKENS_FILE}: ${String(error)}`);
			return tokens;
		}
	}
	if (!raw) {
		problems.push(
			'RELAY_TOKENS (or RELAY_TOKENS_FILE) must define at least one access token, e.g. {"<token>":{"workflows":["<workflow id>"]}}',
		);
		return tokens;
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(raw);
	} catch {
		problems.push('RELAY_TOKENS is not valid JSON');
		return tokens;
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		problems.push('RELAY_TOKENS must be a JSON object of token -> {workflows, control}');
		return tokens;
	}
	for (const [token, value] of Object.entries(parsed as Record<string, unknown>)) {
		const label = `RELAY_TOKENS["${token.slice(0, 4)}…"]`;
		if (token.length < 16 || !/^[\x21-\x7e]+$/.test(token) || token.includes(',')) {
			problems.push(`${label}: a token must be at least 16 printable characters without commas`);
			continue;
		}
		const scope = value as { workflows?: unknown; control?: unknown; name?: unknown };
		let workflows: TokenScope['workflows'];
		if (scope?.workflows === '*') workflows = '*';
		else if (
			Array.isArray(scope?.workflows) &&
			scope.workflows.length &&
			scope.workflows.every((id) => typeof id === 'string' && id)
		) {
			workflows = new Set(scope.workflows as string[]);
		} else {
			problems.push(`${label}: "workflows" must be "*" or a non-empty list of workflow ids`);
			continue;
		}
		if (scope.control !== undefined && typeof scope.control !== 'boolean') {
			problems.push(`${label}: "control" must be true or false`);
			continue;
		}
		tokens.set(token, {
			workflows,
			control: scope.control === true,
			name: typeof scope.name === 'string' ? scope.name : `token ${tokens.size + 1}`,
		});
	}
	return tokens;
}
