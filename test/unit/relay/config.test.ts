import { ConfigError, loadConfig, redactUrl } from '../../../status-relay/server/config';
import { createLogger } from '../../../status-relay/server/logger';

const TOKENS = JSON.stringify({ 'token-0123456789abcdef': { workflows: ['w1'], control: true } });

describe('relay configuration', () => {
	it('reads a valid environment', () => {
		const config = loadConfig({
			RELAY_INGEST_SECRET: 'sixteen-chars-or-more',
			RELAY_TOKENS: TOKENS,
			RELAY_PORT: '9090',
		});
		expect(config.port).toBe(9090);
		expect(config.tokens.get('token-0123456789abcdef')).toMatchObject({ control: true });
	});

	it('lists every problem at once, in words that say what to set', () => {
		let caught: unknown;
		try {
			loadConfig({
				RELAY_INGEST_SECRET: 'short',
				RELAY_TOKENS: JSON.stringify({ tiny: { workflows: [] } }),
				RELAY_PORT: 'eighty',
				RELAY_REDIS_URL: 'http://nope',
				RELAY_N8N_URL: 'http://n8n:5678',
			});
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(ConfigError);
		const problems = (caught as ConfigError).problems.join('\n');
		expect(problems).toMatch(/RELAY_INGEST_SECRET/);
		expect(problems).toMatch(/at least 16 printable/);
		expect(problems).toMatch(/RELAY_PORT="eighty"/);
		expect(problems).toMatch(/RELAY_REDIS_URL/);
		expect(problems).toMatch(/RELAY_N8N_URL and RELAY_N8N_API_KEY must be set together/);
	});

	it('requires at least one token', () => {
		expect(() => loadConfig({ RELAY_INGEST_SECRET: 'sixteen-chars-or-more' })).toThrow(
			/RELAY_TOKENS/,
		);
	});

	it('reads the byte budgets and size limits, and checks them', () => {
		const config = loadConfig({
			RELAY_INGEST_SECRET: 'sixteen-chars-or-more',
			RELAY_TOKENS: TOKENS,
			RELAY_RETENTION_BYTES: '1048576',
			RELAY_STATE_MAX_BYTES: '2097152',
			RELAY_EVENT_STRING_MAX: '1000',
			RELAY_EVENT_MAX_BYTES: '65536',
			RELAY_INGEST_CONCURRENCY: '2',
		});
		expect(config).toMatchObject({
			retentionBytes: 1_048_576,
			stateMaxBytes: 2_097_152,
			eventStringMax: 1000,
			eventMaxBytes: 65_536,
			ingestConcurrency: 2,
		});
		expect(() =>
			loadConfig({
				RELAY_INGEST_SECRET: 'sixteen-chars-or-more',
				RELAY_TOKENS: TOKENS,
				RELAY_RETENTION_BYTES: 'lots',
				RELAY_EVENT_STRING_MAX: '10',
				RELAY_INGEST_MAX_BYTES: '2048',
				RELAY_EVENT_MAX_BYTES: '4096',
			}),
		).toThrow(
			/RELAY_RETENTION_BYTES="lots"[\s\S]*RELAY_EVENT_STRING_MAX="10"[\s\S]*RELAY_EVENT_MAX_BYTES \(4096\) must not be larger than RELAY_INGEST_MAX_BYTES/,
		);
	});

	it('never echoes credentials from URLs in its errors', () => {
		let caught: unknown;
		try {
			loadConfig({
				RELAY_INGEST_SECRET: 'sixteen-chars-or-more',
				RELAY_TOKENS: TOKENS,
				RELAY_REDIS_URL: 'http://admin:hunter2-redis@redis.internal:6379',
				RELAY_N8N_URL: 'https://ops:hunter2-n8n@n8n.internal',
				RELAY_N8N_API_KEY: 'key',
			});
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(ConfigError);
		const message = (caught as ConfigError).message;
		expect(message).toMatch(/RELAY_REDIS_URL="http:\/\/\*\*\*:\*\*\*@redis.internal:6379\/?"/);
		expect(message).toMatch(/RELAY_N8N_URL=.*must not hold a user name or password/);
		expect(message).not.toMatch(/hunter2|admin|ops:/);
		expect(redactUrl('redis://:s3cret@host:6379/0')).toBe('redis://:***@host:6379/0');
		expect(redactUrl('not a url //user:pw@host')).not.toContain('pw');
	});

	it('logs never carry a secret field, even if a log call passed one', () => {
		const lines: string[] = [];
		const logger = createLogger('info', { write: (line: string) => lines.push(line) });
		logger.info(
			{
				apiKey: 'n8n-api-key-value',
				headers: { authorization: 'Bearer tok-123', 'x-relay-token': 'tok-456' },
				n8n: { token: 'tok-789', secret: 'shh' },
			},
			'something happened',
		);
		expect(lines.join('')).not.toMatch(/n8n-api-key-value|tok-123|tok-456|tok-789|shh/);
		expect(lines.join('')).toContain('[Redacted]');
	});
});
