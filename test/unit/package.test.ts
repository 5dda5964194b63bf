import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

const ROOT = join(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** What `npm pack` would publish (the build must have run: npm test builds first). */
function packedFiles(...workspace: string[]): string[] {
	const out = execFileSync(
		'npm',
		['pack', '--dry-run', '--json', '--ignore-scripts', ...workspace],
		{
			cwd: ROOT,
			encoding: 'utf8',
		},
	);
	const [info] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
	return info.files.map((f) => f.path);
}

describe('the published package', () => {
	const files = existsSync(join(ROOT, 'dist')) ? packedFiles() : [];

	it('is built (run `npm run build` first)', () => {
		expect(files.length).toBeGreaterThan(0);
	});

	it('contains only built code, icons, codex files, the model and its licences, and workflows', () => {
		const allowed = [
			/^package\.json$/,
			/^README\.md$/,
			/^LICENSE(\.md)?$/,
			/^dist\/index\.(js|d\.ts)$/,
			/^dist\/(nodes|credentials|lib)\/.+\.(js|json|svg)$/,
			/^dist\/lib\/.+\.d\.ts$/,
			// The status relay hook and the protocol modules it loads; the relay server is its own package.
			/^dist\/status-relay\/(hook|protocol)\/[^/]+\.js$/,
			/^dist\/lib\/.+\/(LICENSE|LICENSE\.txt|SOURCE\.md)$/,
			/^workflows\/[^/]+\.json$/,
		];
		const unexpected = files.filter((file) => !allowed.some((pattern) => pattern.test(file)));
		expect(unexpected).toEqual([]);
		expect(
			files.filter((f) => /(?<!\.d)\.ts$|(^|\/)test\/|\.cache|node_modules|\.map$/.test(f)),
		).toEqual([]);
	});

	it('ships every file the n8n section names, with the icons and codex file of each node', () => {
		expect(pkg.keywords).toContain('n8n-community-node-package');
		expect(pkg.n8n.n8nNodesApiVersion).toBe(1);
		expect(pkg.peerDependencies).toHaveProperty('n8n-workflow');
		expect(pkg.dependencies ?? {}).not.toHaveProperty('n8n-workflow');
		for (const entry of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) expect(files).toContain(entry);
		for (const node of pkg.n8n.nodes as string[]) {
			const dir = node.slice(0, node.lastIndexOf('/'));
			expect(files).toContain(node.replace(/\.js$/, '.json'));
			const icons = files.filter((f) => f.startsWith(`${dir}/`) && f.endsWith('.svg'));
			expect(icons.some((f) => f.endsWith('.dark.svg'))).toBe(true);
			expect(icons.some((f) => !f.endsWith('.dark.svg'))).toBe(true);
		}
	});

	it('ships the status relay hook, and none of the relay server, its dashboard or its client', () => {
		expect(pkg.bin).toBeUndefined();
		expect(files).toEqual(
			expect.arrayContaining([
				'dist/status-relay/hook/index.js',
				'dist/status-relay/protocol/signing.js',
			]),
		);
		const relayParts = files.filter((f) =>
			/^dist\/status-relay\/(server|bin|client|dashboard)\//.test(f),
		);
		expect(relayParts).toEqual([]);
		// The protocol modules the hook does not load (the server's schema check needs ajv) stay out.
		expect(files).not.toContain('dist/status-relay/protocol/schema.js');
	});
});

describe('the status relay package (status-relay/, an npm workspace)', () => {
	const relayPkg = JSON.parse(readFileSync(join(ROOT, 'status-relay/package.json'), 'utf8'));
	const files = existsSync(join(ROOT, 'status-relay/dist'))
		? packedFiles('--workspace', 'status-relay')
		: [];

	it('is a workspace of the root package, built by the root build', () => {
		expect(pkg.workspaces).toEqual(['status-relay']);
		expect(pkg.scripts.build).toMatch(/build:relay/);
		expect(pkg.scripts['build:relay']).toBe('npm run build --workspace status-relay');
		expect(relayPkg.scripts.prepack).toBe('npm run build');
		expect(relayPkg.version).toBe(pkg.version);
		expect(relayPkg.engines).toEqual(pkg.engines);
	});

	it('ships its start command, server, dashboard page, client and protocol', () => {
		expect(relayPkg.bin).toEqual({ 'n8n-support-relay': 'dist/bin/relay.js' });
		expect(files).toEqual(
			expect.arrayContaining([
				'package.json',
				'PROTOCOL.md',
				'dist/bin/relay.js',
				'dist/server/app.js',
				'dist/dashboard/index.html',
				'dist/dashboard/dashboard.js',
				'dist/dashboard/fold.js',
				relayPkg.main,
				relayPkg.types,
				'dist/protocol/schema.js',
			]),
		);
		expect(files.filter((f) => /(?<!\.d)\.ts$|(^|\/)hook\/|node_modules|\.map$/.test(f))).toEqual(
			[],
		);
	});

	it("holds the server's runtime dependencies, which the node package no longer installs", () => {
		const serverOnly = ['ioredis', 'pino', 'prom-client', 'ws'];
		expect(Object.keys(relayPkg.dependencies)).toEqual(expect.arrayContaining(serverOnly));
		for (const name of serverOnly) expect(pkg.dependencies).not.toHaveProperty(name);
		// Same versions on both sides where both use a package (one copy in the workspace install).
		for (const [name, version] of Object.entries(relayPkg.dependencies as Record<string, string>)) {
			const root = pkg.dependencies[name] ?? pkg.devDependencies[name];
			if (root) expect(`${name}@${root}`).toBe(`${name}@${version}`);
		}
	});
});

describe('package.json for installing and publishing', () => {
	it('points main and types at the built entry point, and ships both', () => {
		expect(pkg.main).toBe('dist/index.js');
		expect(pkg.types).toBe('dist/index.d.ts');
		expect(pkg.files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts']));
	});

	it('asks for the Node.js that can require() the ES module email-reply-parser (20.19)', () => {
		expect(pkg.engines).toEqual({ node: '>=20.19' });
		const esm = JSON.parse(
			readFileSync(join(ROOT, 'node_modules/email-reply-parser/package.json'), 'utf8'),
		);
		// If it ever ships CommonJS again, the engines floor could go down.
		expect(esm.type).toBe('module');
	});

	it('leaves n8n-workflow to n8n: a peer, optional, so a plain npm install does not pull it', () => {
		expect(pkg.peerDependencies).toEqual({ 'n8n-workflow': '*' });
		expect(pkg.peerDependenciesMeta).toEqual({ 'n8n-workflow': { optional: true } });
		expect(pkg.dependencies).not.toHaveProperty('n8n-workflow');
	});

	it('names its repository, home page and issue tracker consistently', () => {
		const repo = repositoryUrl();
		expect(repo).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
		expect(pkg.repository).toEqual({ type: 'git', url: `git+${repo}.git` });
		expect(pkg.homepage).toBe(`${repo}#readme`);
		expect(pkg.bugs).toEqual({ url: `${repo}/issues` });
	});

	it('builds before packing, and no npm setting in the repository switches that off', () => {
		expect(pkg.scripts.prepack).toBe('npm run build');
		// ignore-scripts (e.g. in .npmrc) also skips prepack: `npm pack` on a clean clone would pack
		// no code. Ask npm itself, as it would resolve the setting for `npm pack` here.
		const env = { ...process.env };
		for (const key of Object.keys(env)) if (/^npm_config_/i.test(key)) delete env[key];
		const effective = execFileSync('npm', ['config', 'get', 'ignore-scripts'], {
			cwd: ROOT,
			env,
			encoding: 'utf8',
		}).trim();
		expect(effective).toBe('false');
	});

	it('has a publish workflow that publishes with provenance from the tagged version', () => {
		const workflow = YAML.parse(
			readFileSync(join(ROOT, '.github/workflows/publish.yml'), 'utf8'),
		) as {
			on: Record<string, unknown>;
			jobs: Record<
				string,
				{ permissions: Record<string, string>; steps: Array<{ run?: string; uses?: string }> }
			>;
		};
		const [job] = Object.values(workflow.jobs);
		expect(job.permissions['id-token']).toBe('write');
		const runs = job.steps.map((step) => step.run ?? '').join('\n');
		expect(runs).toMatch(/npm ci --ignore-scripts/);
		expect(runs).toMatch(/npm publish --provenance/);
		expect(runs).toMatch(/"v\$\{version\}"/);
		expect(job.steps.some((step) => /^actions\/setup-node@/.test(step.uses ?? ''))).toBe(true);
	});
});

/** The repository URL (https, no .git), from package.json's homepage. */
function repositoryUrl(): string {
	return String(pkg.homepage ?? '').replace(/#readme$/, '');
}

/**
 * GitHub's heading anchors (github-slugger): lower case, every character that is not a letter,
 * mark, number, connector, space or hyphen dropped, spaces to hyphens; repeats get -1, -2, ...
 * Headings inside fenced code blocks are not headings.
 */
function readmeAnchors(markdown: string): Set<string> {
	const anchors = new Set<string>();
	const seen = new Map<string, number>();
	let fence: string | undefined;
	for (const line of markdown.split('\n')) {
		const opener = /^\s*(```|~~~)/.exec(line);
		if (opener) {
			if (!fence) fence = opener[1];
			else if (line.trim().startsWith(fence)) fence = undefined;
			continue;
		}
		if (fence) continue;
		const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
		if (!heading) continue;
		// The heading's text as GitHub renders it: link text kept, code and emphasis marks dropped.
		const text = heading[1].replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
		const base = text
			.toLowerCase()
			.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
			.replace(/ /g, '-');
		const count = seen.get(base) ?? 0;
		seen.set(base, count + 1);
		anchors.add(count === 0 ? base : `${base}-${count}`);
	}
	return anchors;
}

describe('documentation links', () => {
	const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
	const anchors = readmeAnchors(readme);
	const repo = repositoryUrl();

	/** Where a link into our README points: the anchor, or a reason it points elsewhere. */
	function anchorOf(url: string): string {
		if (!url.startsWith(`${repo}#`)) return `not this repository's README: ${url}`;
		return url.slice(repo.length + 1);
	}

	it('knows GitHub anchors (sanity check of the slug rules on headings of this README)', () => {
		expect(anchors).toContain('install-into-your-n8n');
		expect(anchors).toContain('support-email--normalize');
		expect(anchors).toContain('the-demo-npm-start');
		expect(anchors).toContain('status-relay-relay-api');
		expect(anchors).toContain('3-the-dashboard-httprelay');
		expect(anchors).toContain('use-from-code');
		// `# then restart n8n` inside a bash block is a comment, not a heading.
		expect(anchors).not.toContain('then-restart-n8n');
	});

	it("every credential's documentationUrl opens a README heading", () => {
		const dir = join(ROOT, 'credentials');
		const files = readdirSync(dir).filter((f) => f.endsWith('.credentials.ts'));
		expect(files.length).toBe(pkg.n8n.credentials.length);
		const links = files.map((file) => {
			const match = /documentationUrl\s*=\s*'([^']+)'/.exec(readFileSync(join(dir, file), 'utf8'));
			return { file, anchor: match ? anchorOf(match[1]) : 'no documentationUrl' };
		});
		expect(links.filter(({ anchor }) => !anchors.has(anchor))).toEqual([]);
	});

	it("every node's codex documentation link opens a README heading", () => {
		const codexFiles = (pkg.n8n.nodes as string[]).map((node) =>
			join(ROOT, node.replace(/^dist\//, '').replace(/\.js$/, '.json')),
		);
		const links = codexFiles.flatMap((file) => {
			const codex = JSON.parse(readFileSync(file, 'utf8'));
			const urls = Object.values(codex.resources ?? {}).flatMap((entries) =>
				(entries as Array<{ url: string }>).map((entry) => entry.url),
			);
			expect(urls.length).toBeGreaterThan(0);
			return urls.map((url) => ({ file, anchor: anchorOf(url) }));
		});
		expect(links.filter(({ anchor }) => !anchors.has(anchor))).toEqual([]);
	});

	it('every link inside the README opens a heading or a file that exists', () => {
		const broken: string[] = [];
		let fence = false;
		for (const line of readme.split('\n')) {
			if (/^\s*(```|~~~)/.test(line)) fence = !fence;
			if (fence) continue;
			for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
				if (/^https?:\/\//.test(target) && !target.startsWith(`${repo}#`)) continue;
				if (target.startsWith('#') || target.startsWith(`${repo}#`)) {
					const anchor = target.slice(target.indexOf('#') + 1);
					if (!anchors.has(anchor)) broken.push(target);
				} else if (!existsSync(join(ROOT, target.split('#')[0]))) {
					broken.push(target);
				}
			}
		}
		expect(broken).toEqual([]);
	});

	it('the codex puts the AI root nodes where n8n puts its own (AI → Chains and Root Nodes)', () => {
		for (const name of ['SupportClassifier', 'SupportReplyDrafter']) {
			const codex = JSON.parse(readFileSync(join(ROOT, `nodes/${name}/${name}.node.json`), 'utf8'));
			expect({ name, ai: codex.subcategories.AI }).toEqual({ name, ai: ['Chains', 'Root Nodes'] });
		}
	});
});
