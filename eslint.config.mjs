// n8n's community-node rules (both the current @n8n plugin and eslint-plugin-n8n-nodes-base's
// community / nodes / credentials sets) on top of typescript-eslint.
import tseslint from 'typescript-eslint';
import n8nCommunity from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import * as jsoncParser from 'jsonc-eslint-parser';

const n8nBase = () => ({ 'n8n-nodes-base': n8nNodesBase });

export default tseslint.config(
	{
		ignores: [
			'dist/**',
			'status-relay/dist/**',
			'build-scripts/**',
			'.cache/**',
			'node_modules/**',
			'coverage/**',
			'test/fixtures/**',
			'data/**',
			'**/*.js',
			'**/*.mjs',
		],
	},
	{
		files: ['**/*.ts'],
		extends: [tseslint.configs.recommended],
		rules: {
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
			],
		},
	},
	{
		// Tests read n8n's loosely typed execution data.
		files: ['test/**/*.ts', 'bench/**/*.ts'],
		rules: { '@typescript-eslint/no-explicit-any': 'off' },
	},
	{
		files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'lib/**/*.ts'],
		...n8nCommunity.configs.recommendedWithoutN8nCloudSupport,
		rules: {
			...n8nCommunity.configs.recommendedWithoutN8nCloudSupport.rules,
			// This package talks IMAP, SMTP and the providers' SDKs (DESIGN.md sections 3 and 4): it needs
			// runtime dependencies (mailparser, html-to-text, ...) and so cannot be an n8n Cloud verified node.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		// lib/ knows nothing of n8n (it is unit-tested without it); the nodes turn its errors into
		// NodeOperationError / NodeApiError with the item index.
		files: ['lib/**/*.ts'],
		rules: { '@n8n/community-nodes/require-node-api-error': 'off' },
	},
	{
		files: ['nodes/**/*.ts'],
		plugins: n8nBase(),
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// These two older rules want the string 'main'; the current @n8n rule
			// node-connection-type-literal wants NodeConnectionTypes.Main. We follow the current one.
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
	{
		files: ['credentials/**/*.ts'],
		plugins: n8nBase(),
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// The older rule wants a camelCase slug of n8n's own docs site; the current @n8n rule
			// credential-documentation-url wants a real URL, which is what a community package has.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['package.json'],
		languageOptions: { parser: jsoncParser },
		plugins: n8nBase(),
		rules: n8nNodesBase.configs.community.rules,
	},
);
