/**
 * A new admin, end to end: a fresh `git clone` of this repository at HEAD, the README's clone
 * install command (`npm ci --ignore-scripts`), `npm pack` with no dist/ beforehand (prepack must
 * build), the README's "With npm" install commands verbatim in a clean user folder, then n8n started
 * on that folder: all seven nodes and nine credential types load from the package. The packed package
 * is then required by name from that folder and used as the README's "Use from code" shows.
 * Runs on 2.41.1 (Node 24, the install too) and 1.123.x (Node 20). The npm cache is the machine's,
 * so the clone's install downloads nothing it already has.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { N8n, PACKAGE_NAME, REPO_ROOT, nodeBinary, requestedVersion } from '../harness/n8n';
import {
	cleanEnv,
	npmCache,
	readmeCloneInstallCommand,
	runReadmeInstall,
	tempFolder,
	useLibraryByName,
} from './admin-install';

const execFileAsync = promisify(execFile);
const version = requestedVersion();
/** The Node.js the admin runs n8n with: 24 for n8n 2.x, this machine's 20 for 1.x. */
const nodeBin = join(nodeBinary(version), '..');
const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
	version: string;
	main: string;
	types: string;
	n8n: { nodes: string[]; credentials: string[] };
};

let work: string;
let clone: string;
let tarball: string;
let packedFiles: string[];
let home: string;
let n8n: N8n | undefined;

async function sh(command: string, cwd: string, extraEnv: Record<string, string> = {}) {
	return await execFileAsync('bash', ['-euo', 'pipefail', '-c', command], {
		cwd,
		env: cleanEnv({
			PATH: `${nodeBin}:${process.env.PATH}`,
			npm_config_cache: npmCache(),
			...extraEnv,
		}),
		maxBuffer: 64 * 1024 * 1024,
		timeout: 20 * 60_000,
	});
}

beforeAll(async () => {
	work = await tempFolder('new-admin-');
	clone = join(work, 'clone');
	await execFileAsync('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, clone]);
	expect(existsSync(join(clone, 'dist'))).toBe(false);
	expect(existsSync(join(clone, 'node_modules'))).toBe(false);
	await sh(`${readmeCloneInstallCommand()} --no-audit --no-fund --prefer-offline`, clone);
	// Plain `npm pack`, as a maintainer would run it: prepack builds. The tarball name is the last
	// line of its output (the build's own output comes first).
	const packed = await sh(`npm pack --pack-destination "${work}"`, clone);
	const name = packed.stdout.trim().split('\n').pop()!;
	tarball = join(work, name);
	const listing = await execFileAsync('tar', ['-tzf', tarball], { maxBuffer: 16 * 1024 * 1024 });
	packedFiles = listing.stdout
		.split('\n')
		.filter(Boolean)
		.map((path) => path.replace(/^package\//, ''));
	home = join(work, 'home');
	await execFileAsync('mkdir', ['-p', home]);
}, 30 * 60_000);

afterAll(async () => {
	await n8n?.stop();
	if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe(`a new admin: clean clone → pack → README install → n8n ${version}`, () => {
	it('npm pack on the clean clone built the package first: the tarball holds the code n8n loads', () => {
		expect(tarball).toMatch(new RegExp(`${PACKAGE_NAME}-${manifest.version}\\.tgz$`));
		expect(packedFiles).toEqual(
			expect.arrayContaining([
				'package.json',
				'README.md',
				manifest.main,
				manifest.types,
				...manifest.n8n.nodes,
				...manifest.n8n.credentials,
				'dist/lib/offline-model/model/default-model.json',
				'dist/status-relay/hook/index.js',
				'workflows/support-email-automation.json',
			]),
		);
		// Built code only: no TypeScript sources (declarations aside), tests or caches.
		expect(
			packedFiles.filter((f) => /(?<!\.d)\.ts$|(^|\/)test\/|node_modules|\.cache/.test(f)),
		).toEqual([]);
	});

	it("the README's install commands, verbatim, install it into a clean user folder", async () => {
		const { script } = await runReadmeInstall(home, tarball, nodeBin);
		expect(script).toContain('cd ~/.n8n/nodes');
		const installed = join(home, '.n8n', 'nodes', 'node_modules');
		expect(existsSync(join(installed, PACKAGE_NAME, manifest.main))).toBe(true);
		// The optional peer is left to n8n: no n8n-workflow, so no isolated-vm build.
		expect(readdirSync(installed)).not.toContain('n8n-workflow');
		expect(readdirSync(installed)).not.toContain('isolated-vm');
	});

	it('n8n started on that user folder loads all seven nodes and nine credential types', async () => {
		n8n = await N8n.start({ version, userFolder: home, installPackage: false });
		const nodeTypes = (await n8n.nodeTypes()).filter((type) => type.startsWith(`${PACKAGE_NAME}.`));
		const expectedNodes = manifest.n8n.nodes.map(
			(file) =>
				`${PACKAGE_NAME}.${typeName(
					file
						.split('/')
						.pop()!
						.replace(/\.node\.js$/, ''),
				)}`,
		);
		// n8n adds derived types of its own (a `…Tool` for usableAsTool nodes, a `…HitlTool` for a
		// node with a send-and-wait operation): ours are the seven, every other one derives from them.
		expect(expectedNodes).toHaveLength(7);
		expect(expectedNodes.filter((type) => !nodeTypes.includes(type))).toEqual([]);
		expect(
			nodeTypes.filter(
				(type) =>
					!expectedNodes.some(
						(ours) => type === ours || type === `${ours}Tool` || type === `${ours}HitlTool`,
					),
			),
		).toEqual([]);

		const credentialTypes = await n8n.credentialTypes();
		const expectedCredentials = manifest.n8n.credentials.map((file) =>
			typeName(
				file
					.split('/')
					.pop()!
					.replace(/\.credentials\.js$/, ''),
			),
		);
		expect(expectedCredentials).toHaveLength(9);
		expect(expectedCredentials.filter((name) => !credentialTypes.includes(name))).toEqual([]);
		// n8n logged no failure to load our package.
		expect(
			n8n.logs.filter((line) => /support-email/i.test(line) && /error|fail/i.test(line)),
		).toEqual([]);
	});

	it('the packed package, required by name from that folder, works as "Use from code" shows', async () => {
		const nodesDir = join(home, '.n8n', 'nodes');
		const used = await useLibraryByName(nodesDir, nodeBin);
		expect(used.resolved).toBe(join(nodesDir, 'node_modules', PACKAGE_NAME, manifest.main));
		expect(used.exports).toEqual(
			expect.arrayContaining([
				'normalizeEmail',
				'classifyOffline',
				'prioritizeEmail',
				'draftEmailReply',
				'decideEscalation',
			]),
		);
		// The relay's client lives in the relay's own package (status-relay/), with its `ws`.
		expect(used.exports).not.toContain('RelayStream');
		// The Gmail reply fixture: the customer's new text only, the quoted history gone.
		expect(used.email.messageId).toBe(
			'<CAF3kPq+5tVh3m2xQe0Zr7yJc9wN1dK8uH4sLbA6gT2vF1w@mail.gmail.com>',
		);
		expect(used.email.from.address).toBe('tom@becker-design.example');
		expect(used.email.subject).toBe(
			'Re: [Case #48102] Scanner not connecting after firmware update',
		);
		expect(used.email.text).not.toMatch(/wrote:/);
		const model = JSON.parse(
			readFileSync(
				join(
					nodesDir,
					'node_modules',
					PACKAGE_NAME,
					'dist/lib/offline-model/model/default-model.json',
				),
				'utf8',
			),
		) as { intentToLabel: Record<string, string> };
		expect(Object.values(model.intentToLabel)).toContain(used.classification.category);
		expect(used.classification.confidence).toBeGreaterThan(0);
		expect(used.classification.confidence).toBeLessThanOrEqual(1);
		expect(used.classification.language).toBe('en');
		expect(['urgent', 'high', 'normal', 'low']).toContain(used.priority.level);
		// No AI provider: a template reply, which always goes to a person.
		expect(used.draft.provider).toBe('template');
		expect(used.draft.needsReview).toBe(true);
		expect(['human_review', 'escalate']).toContain(used.decision.action);
		expect(used.decision.reasons.length).toBeGreaterThan(0);
	});
});

/** `SupportEmailOpenAiApi` → `supportEmailOpenAiApi` (n8n's type names start lower case). */
function typeName(className: string): string {
	return className[0].toLowerCase() + className.slice(1);
}
