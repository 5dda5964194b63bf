import { ConfigError, loadConfig } from '../../../status-relay/server/config';

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
});
