/**
 * The relay's parts stay apart: the server never imports the hook (the hook ships inside n8n, the
 * server in its own package), and what both need lives in status-relay/protocol. The hook, loaded
 * into every n8n process, needs no package beside Node's own modules.
 */
import { builtinModules } from 'node:module';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const RELAY = join(__dirname, '../../../status-relay');

/** Every module a TypeScript file imports or requires, type-only imports included (TypeScript's own scan). */
function importsOf(file: string): string[] {
	return ts
		.preProcessFile(readFileSync(file, 'utf8'), true, true)
		.importedFiles.map((f) => f.fileName);
}

function tsFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const full = join(dir, name);
		if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : tsFiles(full);
		return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
	});
}

function resolveLocal(from: string, specifier: string): string {
	const base = resolve(dirname(from), specifier);
	for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
		if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
	}
	throw new Error(`${relative(RELAY, from)} imports ${specifier}, which does not exist`);
}

describe('status relay module boundaries', () => {
	it('no server module (nor the relay bin or client) imports from the hook', () => {
		const server = ['server', 'bin', 'client'].flatMap((dir) => tsFiles(join(RELAY, dir)));
		expect(server.length).toBeGreaterThan(5);
		const crossing = server.flatMap((file) =>
			importsOf(file)
				.filter((specifier) => specifier.startsWith('.'))
				.map((specifier) => relative(RELAY, resolveLocal(file, specifier)))
				.filter((target) => target.startsWith('hook/'))
				.map((target) => `${relative(RELAY, file)} -> ${target}`),
		);
		expect(crossing).toEqual([]);
	});

	it('the hook and everything it loads use only Node built-ins, the hook and the protocol', () => {
		const seen = new Set<string>();
		const problems: string[] = [];
		const visit = (file: string) => {
			if (seen.has(file)) return;
			seen.add(file);
			for (const specifier of importsOf(file)) {
				if (specifier.startsWith('.')) {
					const target = resolveLocal(file, specifier);
					const area = relative(RELAY, target).split('/')[0];
					if (area !== 'hook' && area !== 'protocol') {
						problems.push(`${relative(RELAY, file)} -> ${relative(RELAY, target)}`);
					} else visit(target);
					continue;
				}
				const name = specifier.replace(/^node:/, '').split('/')[0];
				if (!builtinModules.includes(name)) {
					problems.push(`${relative(RELAY, file)} -> package ${specifier}`);
				}
			}
		};
		visit(join(RELAY, 'hook/index.ts'));
		// The walk reaches the hook's parts and the shared protocol modules it loads.
		expect([...seen].map((file) => relative(RELAY, file))).toEqual(
			expect.arrayContaining(['hook/mapper.ts', 'hook/sender.ts', 'protocol/signing.ts']),
		);
		expect(problems).toEqual([]);
	});
});
