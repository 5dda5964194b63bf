const esmOnly = ['email-reply-parser', 'eld'];

const shared = {
	testEnvironment: 'node',
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
		'^.+\\.m?js$': 'babel-jest',
	},
	transformIgnorePatterns: [`node_modules/(?!(${esmOnly.join('|')})/)`],
	moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
	// Splits the n8n tests into shards of about equal length for `jest --shard` (scripts/test.sh).
	testSequencer: '<rootDir>/test/harness/sequencer.js',
	projects: [
		// Pure and in-process: no server, no child process.
		{
			...shared,
			displayName: 'unit',
			setupFilesAfterEnv: ['<rootDir>/test/support/setup-timeout.ts'],
			testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
		},
		// Real Dovecot, Redis, SMTP and the LLM wire-format stand-ins (no n8n).
		{
			...shared,
			displayName: 'integration',
			setupFilesAfterEnv: ['<rootDir>/test/support/setup-timeout.ts'],
			testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
		},
		{
			...shared,
			displayName: 'n8n',
			setupFilesAfterEnv: ['<rootDir>/test/harness/setup-timeout.ts'],
			testMatch: ['<rootDir>/test/n8n/**/*.test.ts'],
			globalSetup: '<rootDir>/test/harness/global-setup.ts',
			globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
		},
	],
};
