#!/usr/bin/env node
// Runs cli.ts without a build step: the repository's TypeScript compiles each .ts file of this
// folder as Node loads it (type-only transpile, no type check).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
	const source = fs.readFileSync(filename, 'utf8');
	const { outputText } = ts.transpileModule(source, {
		fileName: filename,
		compilerOptions: {
			module: ts.ModuleKind.CommonJS,
			target: ts.ScriptTarget.ES2022,
			esModuleInterop: true,
		},
	});
	module._compile(outputText, filename);
};

require(path.join(__dirname, 'cli.ts'))
	.main(process.argv.slice(2))
	.catch((error) => {
		process.stderr.write(`${(error && error.message) || String(error)}\n`);
		process.exit(1);
	});
