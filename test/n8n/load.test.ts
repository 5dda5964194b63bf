import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, readJson } from '../harness/n8n';
import { NODE_PREFIX, sharedN8n } from '../harness/shared';

interface PackageJson {
	n8n: { nodes: string[]; credentials: string[] };
}

/**
 * The `name` of every node / credential class the built files of the package's `n8n` section export,
 * read in a plain Node process, as n8n itself requires them.
 */
function declaredNames(files: string[], n8nVersion = '0'): string[] {
	const hitl = Number(n8nVersion.split('.')[0]) >= 2;
	const script = `
		const out = [];
		for (const file of ${JSON.stringify(files)}) {
			const module = require(require('path').join(${JSON.stringify(REPO_ROOT)}, file));
			const Exported = Object.values(module)[0];
			const instance = new Exported();
			if (!instance.description) { out.push(instance.name); continue; }
			out.push(instance.description.name);
			// A VersionedNodeType: what n8n registers follows its default version's description.
			const versions = instance.nodeVersions;
			const description = versions
				? versions[instance.description.defaultVersion ?? Math.max(...Object.keys(versions).map(Number))].description
				: instance.description;
			// n8n registers a "<name>Tool" variant of every node that is usable as an AI agent tool.
			if (description.usableAsTool) out.push(instance.description.name + 'Tool');
			// n8n 2.x also registers a "<name>HitlTool" (human-in-the-loop tool for AI agents) for every
			// node with webhooks and a "sendAndWait" operation (n8n/dist/tool-generation/hitl-tools.js).
			const sendAndWait = (description.properties || []).some(
				(p) => p.name === 'operation' && (p.options || []).some((o) => o.value === 'sendAndWait'),
			);
			if (${hitl} && sendAndWait && (description.webhooks || []).length > 0)
				out.push(instance.description.name + 'HitlTool');
		}
		process.stdout.write(JSON.stringify(out));`;
	return JSON.parse(
		execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }),
	) as string[];
}

describe('the package in real n8n', () => {
	const n8n = sharedN8n();
	const pkg = readJson<PackageJson>(join(REPO_ROOT, 'package.json'));

	it('n8n lists every node of the package.json n8n section under n8n-nodes-support-email.*', async () => {
		const expected = declaredNames(pkg.n8n.nodes, n8n.version).map(
			(name) => `${NODE_PREFIX}.${name}`,
		);
		expect(expected).toEqual(
			expect.arrayContaining([`${NODE_PREFIX}.supportEmail`, `${NODE_PREFIX}.supportEmailTool`]),
		);
		const loaded = (await n8n.nodeTypes()).filter((name) => name.startsWith(`${NODE_PREFIX}.`));
		expect(loaded.sort()).toEqual(expected.sort());
	});

	it('n8n lists every credential type of the package.json n8n section', async () => {
		const expected = declaredNames(pkg.n8n.credentials);
		const loaded = await n8n.credentialTypes();
		for (const name of expected) expect(loaded).toContain(name);
	});

	it('runs Support Email in a webhook-started workflow', async () => {
		const run = await n8n.execute(
			{
				nodes: [
					{
						name: 'Support Email',
						type: `${NODE_PREFIX}.supportEmail`,
						typeVersion: 1,
						parameters: { operation: 'normalize', source: 'field', rawField: 'raw' },
					},
				],
				connections: {},
			},
			[
				{
					raw: 'From: a@customer.test\r\nTo: support@acme.test\r\nSubject: Hello\r\nMessage-ID: <m1@customer.test>\r\n\r\nHi there',
				},
			],
		);
		expect(run.status).toBe('success');
		const [item] = run.output('Support Email');
		expect(item.json.support.email).toMatchObject({
			messageId: '<m1@customer.test>',
			subject: 'Hello',
			text: 'Hi there',
		});
		expect(item.pairedItem).toEqual({ item: 0 });
	});
});
