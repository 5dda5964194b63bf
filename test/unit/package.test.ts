import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** What `npm pack` would publish (the build must have run: npm test builds first). */
function packedFiles(): string[] {
	const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
		cwd: ROOT,
		encoding: 'utf8',
	});
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
			/^dist\/(nodes|credentials|lib)\/.+\.(js|json|svg)$/,
			/^dist\/status-relay\/.+\.js$/,
			/^dist\/status-relay\/dashboard\/index\.html$/,
			/^dist\/lib\/.+\/(LICENSE|LICENSE\.txt|SOURCE\.md)$/,
			/^workflows\/[^/]+\.json$/,
		];
		const unexpected = files.filter((file) => !allowed.some((pattern) => pattern.test(file)));
		expect(unexpected).toEqual([]);
		expect(files.filter((f) => /\.ts$|(^|\/)test\/|\.cache|node_modules|\.map$/.test(f))).toEqual(
			[],
		);
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

	it('ships the status relay: its start command and its dashboard page', () => {
		expect(pkg.bin).toEqual({ 'n8n-support-relay': 'dist/status-relay/bin/relay.js' });
		expect(files).toEqual(
			expect.arrayContaining([
				'dist/status-relay/bin/relay.js',
				'dist/status-relay/hook/index.js',
				'dist/status-relay/dashboard/index.html',
				'dist/status-relay/dashboard/dashboard.js',
			]),
		);
	});
});
