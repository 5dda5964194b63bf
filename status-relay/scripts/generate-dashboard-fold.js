#!/usr/bin/env node
/*
 * Writes status-relay/dashboard/fold.js: protocol/fold.ts (the relay's one way of folding events into
 * an execution snapshot) as a browser ES module, types stripped by TypeScript's own transpiler.
 * The relay build runs it; test/unit/relay/dashboard.test.ts fails when the file in git is stale.
 */
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const ts = require('typescript');

const SOURCE = join(__dirname, '../protocol/fold.ts');
const TARGET = join(__dirname, '../dashboard/fold.js');

function generate() {
	const { outputText } = ts.transpileModule(readFileSync(SOURCE, 'utf8'), {
		fileName: 'fold.ts',
		compilerOptions: {
			module: ts.ModuleKind.ES2022,
			target: ts.ScriptTarget.ES2022,
			removeComments: false,
		},
	});
	return (
		'// Generated from status-relay/protocol/fold.ts by status-relay/scripts/generate-dashboard-fold.js:\n' +
		'// do not edit; change fold.ts and run `npm run build:relay`.\n' +
		outputText
	);
}

module.exports = { generate, TARGET };

if (require.main === module) writeFileSync(TARGET, generate());
