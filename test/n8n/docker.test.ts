/**
 * docker/: the Compose setup checked against the package, the relay and hook code, and the n8n our
 * integration tests run. Docker itself is not available here, so this is what we can run: every
 * image pinned, n8n's image = the harness's n8n, every variable defined and explained, the hook
 * path inside the packed package, the relay and hook settings the code actually reads, n8n
 * settings n8n 2.41 knows, ports and host names consistent between services, health checks,
 * Prometheus and Grafana, and a dashboard that only asks for metrics that exist.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../status-relay/server/config';
import { Relay } from '../../status-relay/server/app';
import { createLogger } from '../../status-relay/server/logger';
import { readHookConfig } from '../../status-relay/hook/install';
import { DEFAULT_N8N_VERSION, ensureN8nInstalled } from '../harness/n8n';

const ROOT = join(__dirname, '../..');
/** Where the checked files live; DOCKER_TEST_DIR points the test at a modified copy. */
const DOCKER = process.env.DOCKER_TEST_DIR ?? join(ROOT, 'docker');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
	name: string;
	version: string;
	engines: { node: string };
};
/** The status relay server: its own npm workspace package, installed alone in the relay image. */
const relayPkg = JSON.parse(readFileSync(join(ROOT, 'status-relay/package.json'), 'utf8')) as {
	name: string;
	engines: { node: string };
	bin: Record<string, string>;
};
/** The file name `npm pack` gives a package, without version (`@scope/name` → `scope-name`). */
const tarballName = (name: string) => name.replace(/^@/, '').replace('/', '-');

type Env = Record<string, string>;
interface Service {
	image?: string;
	build?: { context: string; dockerfile: string; args?: Env };
	command?: string[] | string;
	environment?: Env;
	ports?: string[];
	healthcheck?: { test: string[] | string };
	depends_on?: Record<string, { condition: string }>;
	networks?: Record<string, { aliases?: string[] } | null>;
	volumes?: string[];
	profiles?: string[];
	deploy?: { replicas?: string | number };
	container_name?: string;
}
interface Compose {
	services: Record<string, Service>;
	volumes?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Compose interpolation (https://docs.docker.com/reference/compose-file/interpolation/)
// ---------------------------------------------------------------------------------------------

const INTERPOLATION =
	/\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^}\\]|\\.)*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

class MissingVariable extends Error {}

function interpolate(value: string, env: Env): string {
	return value.replace(
		INTERPOLATION,
		(_all, dollar: string, name: string, op: string, arg: string, bare: string) => {
			if (dollar) return '$';
			const key = name ?? bare;
			const set = Object.prototype.hasOwnProperty.call(env, key);
			const val = set ? env[key] : undefined;
			const empty = val === undefined || val === '';
			switch (op) {
				case ':-':
					return empty ? interpolate(arg, env) : val!;
				case '-':
					return set ? val! : interpolate(arg, env);
				case ':?':
					if (empty) throw new MissingVariable(`${key}: ${arg}`);
					return val!;
				case '?':
					if (!set) throw new MissingVariable(`${key}: ${arg}`);
					return val!;
				case ':+':
					return empty ? '' : interpolate(arg, env);
				case '+':
					return set ? interpolate(arg, env) : '';
				default:
					return val ?? '';
			}
		},
	);
}

/** Every `${VAR...}` use in the parsed document's strings, with its default when it has one. */
function variableUses(node: unknown, uses: Array<{ name: string; op?: string; arg?: string }>) {
	if (typeof node === 'string') {
		for (const m of node.matchAll(INTERPOLATION)) {
			if (m[1]) continue;
			uses.push({ name: m[2] ?? m[5], op: m[3], arg: m[4] });
			if (m[4]) variableUses(m[4], uses);
		}
	} else if (Array.isArray(node)) node.forEach((n) => variableUses(n, uses));
	else if (node && typeof node === 'object')
		for (const [k, v] of Object.entries(node)) {
			variableUses(k, uses);
			variableUses(v, uses);
		}
	return uses;
}

function mapStrings(node: unknown, fn: (s: string) => string): unknown {
	if (typeof node === 'string') return fn(node);
	if (typeof node === 'number' || typeof node === 'boolean') return fn(String(node));
	if (Array.isArray(node)) return node.map((n) => mapStrings(n, fn));
	if (node && typeof node === 'object')
		return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, mapStrings(v, fn)]));
	return node;
}

function rawCompose(): unknown {
	// Compose resolves YAML merge keys (<<) like the `yaml` package's merge option.
	return parseYaml(readFileSync(join(DOCKER, 'compose.yaml'), 'utf8'), { merge: true });
}

function resolveCompose(env: Env): Compose {
	return mapStrings(rawCompose(), (s) => interpolate(s, env)) as Compose;
}

// ---------------------------------------------------------------------------------------------
// .env.example
// ---------------------------------------------------------------------------------------------

interface EnvEntry {
	value: string;
	line: number;
}

function readEnvExample(): { entries: Map<string, EnvEntry>; lines: string[] } {
	const lines = readFileSync(join(DOCKER, '.env.example'), 'utf8').split('\n');
	const entries = new Map<string, EnvEntry>();
	lines.forEach((line, index) => {
		const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
		if (!m) return;
		if (entries.has(m[1])) throw new Error(`.env.example defines ${m[1]} twice`);
		let value = m[2];
		if (/^'.*'$/.test(value)) value = value.slice(1, -1);
		else if (/^".*"$/.test(value)) value = value.slice(1, -1);
		entries.set(m[1], { value, line: index });
	});
	return { entries, lines };
}

/** A valid value for each secret the example leaves empty (they must be filled in by the admin). */
function fillSecrets(example: Env): Env {
	const env = { ...example };
	for (const [key, value] of Object.entries(env)) {
		if (value !== '') continue;
		if (key === 'RELAY_TOKENS')
			env[key] = JSON.stringify({
				'docker-test-token-0123456789': { workflows: '*', control: true, name: 'test' },
			});
		else if (!/^RELAY_N8N_(URL|API_KEY)$/.test(key))
			env[key] = `test-${key.toLowerCase()}-0123456789`;
	}
	return env;
}

function exampleEnv(): Env {
	return Object.fromEntries([...readEnvExample().entries].map(([k, v]) => [k, v.value]));
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles
// ---------------------------------------------------------------------------------------------

interface Dockerfile {
	from: string[];
	env: Env;
	text: string;
	copies: string[];
}

function readDockerfile(file: string, buildArgs: Env = {}): Dockerfile {
	const text = readFileSync(join(DOCKER, file), 'utf8');
	const logical = text.replace(/\\\n/g, ' ').split('\n');
	const args: Env = {};
	const env: Env = {};
	const from: string[] = [];
	const copies: string[] = [];
	const sub = (s: string) =>
		s.replace(
			/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
			(_a, n: string) => buildArgs[n] ?? args[n] ?? '',
		);
	for (const raw of logical) {
		const line = raw.trim();
		let m: RegExpExecArray | null;
		if ((m = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?/.exec(line))) args[m[1]] = m[2] ?? '';
		else if ((m = /^FROM\s+(\S+)/.exec(line))) from.push(sub(m[1]));
		else if ((m = /^ENV\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)/.exec(line))) env[m[1]] = sub(m[2]);
		else if ((m = /^COPY\s+(?:--\S+\s+)*(\S+)\s+\S+/.exec(line))) copies.push(m[1]);
	}
	return { from, env, text, copies };
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function imageTag(image: string): { repo: string; tag?: string; digest?: string } {
	const [nameTag, digest] = image.split('@');
	const slash = nameTag.lastIndexOf('/');
	const colon = nameTag.lastIndexOf(':');
	if (colon > slash)
		return { repo: nameTag.slice(0, colon), tag: nameTag.slice(colon + 1), digest };
	return { repo: nameTag, digest };
}

function healthUrl(service: Service): URL {
	const test = service.healthcheck?.test;
	const text = Array.isArray(test) ? test.join(' ') : (test ?? '');
	const m = /https?:\/\/[^\s'"]+/.exec(text);
	if (!m) throw new Error(`no URL in healthcheck ${text}`);
	return new URL(m[0]);
}

function containerPorts(service: Service): number[] {
	return (service.ports ?? []).map((p) => Number(String(p).split(':').pop()!.split('/')[0]));
}

function hostPorts(service: Service): number[] {
	return (service.ports ?? [])
		.map((p) => String(p).split(':'))
		.filter((parts) => parts.length >= 2)
		.map((parts) => Number(parts[parts.length - 2]));
}

function urlPort(url: URL): number {
	return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

/** The names a function reads from an environment object. */
function namesRead(run: (env: Env) => void, env: Env): Set<string> {
	const seen = new Set<string>();
	const proxy = new Proxy(env, {
		get(target, key) {
			if (typeof key === 'string') seen.add(key);
			return target[key as string];
		},
		has(target, key) {
			if (typeof key === 'string') seen.add(key);
			return key in target;
		},
	});
	run(proxy);
	return seen;
}

function jsFiles(dir: string, out: string[] = []): string[] {
	if (!existsSync(dir)) return out;
	for (const entry of readdirSync(dir)) {
		const path = join(dir, entry);
		if (statSync(path).isDirectory()) {
			if (entry !== 'node_modules') jsFiles(path, out);
		} else if (entry.endsWith('.js')) out.push(path);
	}
	return out;
}

const OS_VARIABLES = new Set(['TZ']);
const RELAY_SERVICES = ['relay-1', 'relay-2'];
const N8N_SERVICES = ['n8n', 'n8n-worker'];

// ---------------------------------------------------------------------------------------------

describe('docker/', () => {
	const example = exampleEnv();
	const env = fillSecrets(example);
	const compose = resolveCompose(env);
	const services = compose.services;
	const n8nFile = readDockerfile('n8n.Dockerfile', services.n8n?.build?.args);
	const relayFile = readDockerfile('relay.Dockerfile', services['relay-1']?.build?.args);

	it('has every piece: compose, Dockerfiles, .env.example, pack script, Prometheus, Grafana, README', () => {
		for (const file of [
			'compose.yaml',
			'n8n.Dockerfile',
			'relay.Dockerfile',
			'.env.example',
			'.dockerignore',
			'pack.sh',
			'README.md',
			'prometheus/prometheus.yml',
			'grafana/provisioning/datasources/prometheus.yaml',
			'grafana/provisioning/dashboards/dashboards.yaml',
			'grafana/dashboards/support-email.json',
		])
			expect(existsSync(join(DOCKER, file)) ? file : `missing ${file}`).toBe(file);
		expect(Object.keys(services).sort()).toEqual(
			[
				'grafana',
				'n8n',
				'n8n-worker',
				'postgres',
				'prometheus',
				'redis',
				'relay-1',
				'relay-2',
			].sort(),
		);
	});

	describe('images', () => {
		it('pins every image to a version (no latest, no missing tag)', () => {
			const problems: string[] = [];
			const pinned = (where: string, image: string) => {
				const { tag, digest } = imageTag(image);
				if (digest) return;
				if (!tag) problems.push(`${where}: ${image} has no tag`);
				else if (tag === 'latest' || !/\d+\.\d+/.test(tag))
					problems.push(`${where}: ${image} is not pinned to a version`);
			};
			for (const [name, service] of Object.entries(services)) {
				if (!service.image) problems.push(`${name}: no image`);
				else pinned(name, service.image);
			}
			for (const [file, parsed] of [
				['n8n.Dockerfile', n8nFile],
				['relay.Dockerfile', relayFile],
			] as const) {
				expect(parsed.from.length).toBeGreaterThan(0);
				for (const from of parsed.from) pinned(file, from);
			}
			expect(problems).toEqual([]);
		});

		it('builds n8n FROM the official image at the n8n version the integration tests run', () => {
			expect(n8nFile.from).toEqual([`docker.n8n.io/n8nio/n8n:${DEFAULT_N8N_VERSION}`]);
			expect(DEFAULT_N8N_VERSION).toMatch(/^2\.\d+\.\d+$/);
		});

		it('runs the relay on a Node the relay package supports, and tags our images with the package version', () => {
			const [from] = relayFile.from;
			const m = /^node:(\d+)\.(\d+)\.(\d+)-(alpine|slim)/.exec(from);
			expect(m).not.toBeNull();
			const [minMajor, minMinor] = /(\d+)\.(\d+)/.exec(relayPkg.engines.node)!.slice(1).map(Number);
			const [major, minor] = [Number(m![1]), Number(m![2])];
			expect(major > minMajor || (major === minMajor && minor >= minMinor)).toBe(true);
			for (const [name, service] of Object.entries(services)) {
				if (!service.build) continue;
				const dockerfile = service.build.dockerfile;
				const expected = dockerfile === 'n8n.Dockerfile' ? 'n8n' : 'relay';
				expect(`${name}: ${service.image}`).toBe(`${name}: ${pkg.name}/${expected}:${pkg.version}`);
				expect(existsSync(join(DOCKER, service.build.context, dockerfile))).toBe(true);
			}
			// Services sharing an image share its build (compose would otherwise try to pull it).
			for (const name of [...N8N_SERVICES, ...RELAY_SERVICES])
				expect(services[name].build).toBeDefined();
		});
	});

	describe('variables', () => {
		const { entries, lines } = readEnvExample();
		const uses = variableUses(rawCompose(), []);

		it('every ${VAR} compose uses is in .env.example, and every variable there is used', () => {
			const used = [...new Set(uses.map((u) => u.name))].sort();
			expect(used).toEqual([...entries.keys()].sort());
		});

		it('compose defaults agree with the values in .env.example', () => {
			const mismatched = uses
				.filter((u) => u.op === ':-' || u.op === '-')
				.filter((u) => entries.get(u.name)?.value !== '' && entries.get(u.name)?.value !== u.arg)
				.map(
					(u) =>
						`${u.name}: compose default "${u.arg}", .env.example "${entries.get(u.name)?.value}"`,
				);
			expect(mismatched).toEqual([]);
		});

		it('every variable in .env.example is explained by a comment above it', () => {
			const unexplained: string[] = [];
			for (const [name, { line }] of entries) {
				let i = line - 1;
				while (i >= 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(lines[i])) i--;
				if (i < 0 || !/^#\s*\S/.test(lines[i])) unexplained.push(name);
			}
			expect(unexplained).toEqual([]);
		});

		it('compose refuses to start while a secret left empty in .env.example is not filled in', () => {
			const empty = [...entries].filter(([, e]) => e.value === '').map(([k]) => k);
			const optional = empty.filter((k) => /^RELAY_N8N_(URL|API_KEY)$/.test(k));
			expect(optional.sort()).toEqual(['RELAY_N8N_API_KEY', 'RELAY_N8N_URL']);
			for (const secret of empty.filter((k) => !optional.includes(k))) {
				const without = { ...env, [secret]: '' };
				expect(() => resolveCompose(without)).toThrow(MissingVariable);
				expect(() => resolveCompose(without)).toThrow(secret);
			}
			expect(empty.filter((k) => !optional.includes(k)).sort()).toEqual(
				[
					'GRAFANA_ADMIN_PASSWORD',
					'N8N_ENCRYPTION_KEY',
					'POSTGRES_PASSWORD',
					'RELAY_INGEST_SECRET',
					'RELAY_TOKENS',
				].sort(),
			);
		});

		it('keeps docker/.env out of git and out of the image build context', () => {
			expect(() =>
				execFileSync('git', ['check-ignore', '-q', 'docker/.env'], { cwd: ROOT }),
			).not.toThrow();
			const ignore = readFileSync(join(DOCKER, '.dockerignore'), 'utf8')
				.split('\n')
				.filter((l) => l && !l.startsWith('#'));
			expect(ignore[0]).toBe('*');
			// Only what the Dockerfiles copy is let back in.
			const copied = [...new Set([...n8nFile.copies, ...relayFile.copies])];
			expect(ignore.slice(1).sort()).toEqual(copied.map((c) => `!${c}`).sort());
		});
	});

	describe('package and hook', () => {
		it('copies the tarball pack.sh produces', () => {
			const pack = readFileSync(join(DOCKER, 'pack.sh'), 'utf8');
			const target = /\$out\/([^"\s]+\.tgz)/g;
			const produced = [...pack.matchAll(target)].map((m) => `package/${m[1]}`);
			expect(produced).toContain(`package/${pkg.name}.tgz`);
			expect(produced).toContain(`package/${tarballName(relayPkg.name)}.tgz`);
			expect(pack).toMatch(/npm pack [^\n]*--workspace status-relay/);
			expect(n8nFile.copies).toEqual([`package/${pkg.name}.tgz`]);
			// The relay image gets the relay package alone: none of the node package's dependencies.
			expect(relayFile.copies).toEqual([`package/${tarballName(relayPkg.name)}.tgz`]);
			const [command] = Object.keys(relayPkg.bin);
			expect(command).toBe('n8n-support-relay');
			expect(relayFile.text).toContain(`command -v ${command}`);
			expect(relayFile.text).toContain(`CMD ["${command}"]`);
		});

		it('points EXTERNAL_HOOK_FILES at the hook file inside the installed package', () => {
			const hook = n8nFile.env.EXTERNAL_HOOK_FILES;
			expect(hook).toBeDefined();
			// The folder the Dockerfile installs into, as n8n does: <user folder>/.n8n/nodes.
			const cd = /cd\s+(\/\S+\/\.n8n\/nodes)\s/.exec(n8nFile.text.replace(/\\\n/g, ' '));
			expect(cd).not.toBeNull();
			const prefix = `${cd![1]}/node_modules/${pkg.name}/`;
			expect(hook.startsWith(prefix)).toBe(true);
			const inPackage = hook.slice(prefix.length);

			// In the packed package (what the Dockerfile installs); `npm test` builds first.
			// Under the lock the harness builds and packs with (test/harness/n8n.ts packPackage): a
			// build clears dist/ first, and other test runs may share this work tree.
			const lockDir = join(ROOT, '.cache', 'pack');
			mkdirSync(lockDir, { recursive: true });
			const out = execFileSync(
				'flock',
				[join(lockDir, '.lock'), 'npm', 'pack', '--dry-run', '--json', '--ignore-scripts'],
				{ cwd: ROOT, encoding: 'utf8' },
			);
			const [info] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
			const packed = info.files.map((f) => f.path);
			expect(
				packed.some((f) => f.startsWith('dist/')) ? 'built' : 'run `npm run build` first',
			).toBe('built');
			expect(packed).toContain(inPackage);
			expect(inPackage).toBe('dist/status-relay/hook/index.js');

			// The image build checks the same path, and compose does not override it.
			expect(n8nFile.text).toContain(`test -f ${hook}`);
			for (const name of N8N_SERVICES)
				expect(services[name].environment?.EXTERNAL_HOOK_FILES ?? hook).toBe(hook);
		}, 120_000);

		it('gives n8n only SUPPORT_RELAY_* settings the hook reads, and valid ones', () => {
			const hookEnv: Env = {
				SUPPORT_RELAY_URL: 'http://relay:8080',
				SUPPORT_RELAY_SECRET: '0123456789abcdef',
			};
			const saved = process.env;
			let read: Set<string>;
			try {
				read = namesRead((proxy) => {
					process.env = proxy;
					readHookConfig();
				}, hookEnv);
			} finally {
				process.env = saved;
			}
			read.add('SUPPORT_RELAY_HOOK_DEBUG'); // read by its logger
			for (const name of N8N_SERVICES) {
				const serviceEnv = services[name].environment!;
				const relaySettings = Object.keys(serviceEnv).filter((k) => k.startsWith('SUPPORT_RELAY_'));
				expect(relaySettings.filter((k) => !read!.has(k))).toEqual([]);
				expect(relaySettings).toEqual(
					expect.arrayContaining(['SUPPORT_RELAY_URL', 'SUPPORT_RELAY_SECRET']),
				);
				const saved2 = process.env;
				try {
					process.env = { ...serviceEnv };
					expect(readHookConfig()).not.toHaveProperty('error');
				} finally {
					process.env = saved2;
				}
			}
		});
	});

	describe('the relays', () => {
		it('set only variables status-relay/server/config.ts reads, valid for loadConfig', () => {
			const read = namesRead((proxy) => {
				try {
					loadConfig(proxy);
				} catch {
					// only the names matter here
				}
			}, {});
			expect(read.has('RELAY_INGEST_SECRET')).toBe(true);
			for (const name of RELAY_SERVICES) {
				const relayEnv = services[name].environment!;
				expect(Object.keys(relayEnv).filter((k) => !read.has(k))).toEqual([]);
				expect(() => loadConfig(relayEnv)).not.toThrow();
			}
		});

		it('share one Redis stream and the hook secret, and listen on all interfaces', () => {
			const [a, b] = RELAY_SERVICES.map((n) => loadConfig(services[n].environment!));
			expect(a.redisUrl).toBeDefined();
			expect(a.redisUrl).toBe(b.redisUrl);
			expect(a.redisStream).toBe(b.redisStream);
			expect(a.ingestSecret).toBe(b.ingestSecret);
			expect(a.host).toBe('0.0.0.0');
			for (const name of N8N_SERVICES)
				expect(services[name].environment!.SUPPORT_RELAY_SECRET).toBe(a.ingestSecret);
		});

		it('accept the n8n API URL .env.example suggests', () => {
			const text = readFileSync(join(DOCKER, '.env.example'), 'utf8');
			const suggested = /RELAY_N8N_URL=(https?:\/\/\S+)/.exec(text);
			expect(suggested).not.toBeNull();
			const withApi = resolveCompose({
				...env,
				RELAY_N8N_URL: suggested![1],
				RELAY_N8N_API_KEY: 'n8n-api-key',
			});
			const config = loadConfig(withApi.services['relay-1'].environment!);
			const url = new URL(config.n8n!.url);
			expect(url.hostname).toBe('n8n');
			expect(urlPort(url)).toBe(Number(withApi.services.n8n.environment!.N8N_PORT));
		});
	});

	describe('n8n in queue mode', () => {
		let known: Set<string>;
		let n8nDir: string;
		beforeAll(async () => {
			// No-op on a warm cache; otherwise installs the pinned n8n like the integration tests do.
			n8nDir = join(await ensureN8nInstalled(DEFAULT_N8N_VERSION), 'node_modules');
			known = new Set();
			const sources = [
				join(n8nDir, 'n8n/dist'),
				join(n8nDir, 'n8n-core/dist'),
				...readdirSync(join(n8nDir, '@n8n')).map((d) => join(n8nDir, '@n8n', d, 'dist')),
			];
			const patterns = [
				/Env\)\('([A-Z0-9_]+)'/g,
				/process\.env\.([A-Z0-9_]+)/g,
				/process\.env\[['"]([A-Z0-9_]+)['"]\]/g,
			];
			for (const file of sources.flatMap((dir) => jsFiles(dir))) {
				const text = readFileSync(file, 'utf8');
				for (const pattern of patterns) for (const m of text.matchAll(pattern)) known.add(m[1]);
			}
		}, 30 * 60_000);

		it('sets only variables n8n reads (or the hook reads)', () => {
			expect(known.has('EXECUTIONS_MODE')).toBe(true);
			for (const name of N8N_SERVICES) {
				const unknown = Object.keys(services[name].environment!).filter(
					(k) => !known.has(k) && !k.startsWith('SUPPORT_RELAY_') && !OS_VARIABLES.has(k),
				);
				expect(`${name}: ${unknown.join(', ')}`).toBe(`${name}: `);
			}
			expect(Object.keys(n8nFile.env).filter((k) => !known.has(k))).toEqual([]);
			expect(Object.keys(n8nFile.env)).toContain('EXTERNAL_HOOK_FILES');
		});

		it('runs main and workers on the same Postgres, Redis queue and encryption key', () => {
			const main = services.n8n.environment!;
			const worker = services['n8n-worker'].environment!;
			for (const e of [main, worker]) {
				expect(e.EXECUTIONS_MODE).toBe('queue');
				expect(e.DB_TYPE).toBe('postgresdb');
				expect(e.OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS).toBe('true');
				expect(e.N8N_ENCRYPTION_KEY).toBe(env.N8N_ENCRYPTION_KEY);
				expect(e.N8N_METRICS).toBe('true');
			}
			for (const key of Object.keys(main).filter((k) =>
				/^(DB_|QUEUE_BULL_|N8N_ENCRYPTION_KEY$|SUPPORT_RELAY_)/.test(k),
			))
				expect(`${key}=${worker[key]}`).toBe(`${key}=${main[key]}`);
			const command = services['n8n-worker'].command;
			expect(Array.isArray(command) ? command[0] : String(command).split(' ')[0]).toBe('worker');
			expect(worker.QUEUE_HEALTH_CHECK_ACTIVE).toBe('true');
		});

		it('keeps the worker scalable: no fixed name, no published port, replicas from the env', () => {
			const worker = services['n8n-worker'];
			expect(worker.container_name).toBeUndefined();
			expect(worker.ports ?? []).toEqual([]);
			expect(Number(worker.deploy?.replicas)).toBeGreaterThanOrEqual(1);
			expect(Number(worker.deploy?.replicas)).toBe(Number(env.N8N_WORKER_REPLICAS));
		});

		it('serves the health paths the checks call (n8n 2.41: /healthz, /healthz/readiness)', () => {
			const server = readFileSync(join(n8nDir, 'n8n/dist/scaling/worker-server.js'), 'utf8');
			expect(server).toContain('`${healthPath}/readiness`');
			expect(services.n8n.environment!.N8N_ENDPOINT_HEALTH).toBeUndefined();
			for (const name of N8N_SERVICES)
				expect(healthUrl(services[name]).pathname).toBe('/healthz/readiness');
		});
	});

	describe('ports and host names', () => {
		const aliases = new Map<string, string[]>();
		for (const [name, service] of Object.entries(services)) {
			aliases.set(name, [...(aliases.get(name) ?? []), name]);
			for (const net of Object.values(service.networks ?? {}))
				for (const alias of net?.aliases ?? [])
					aliases.set(alias, [...(aliases.get(alias) ?? []), name]);
		}
		const n8nPort = Number(services.n8n.environment!.N8N_PORT ?? 5678);
		const workerPort = Number(services['n8n-worker'].environment!.QUEUE_HEALTH_CHECK_PORT ?? 5678);
		const relayPort = (name: string) => loadConfig(services[name].environment!).port;
		const redisCommand = services.redis.command as string[];
		const redisPort = Number(redisCommand[redisCommand.indexOf('--port') + 1] ?? 6379);
		const prometheusFlag = (services.prometheus.command as string[]).find((c) =>
			c.startsWith('--web.listen-address='),
		);
		const prometheusPort = Number(prometheusFlag?.split(':').pop() ?? 9090);
		const grafanaPort = Number(services.grafana.environment!.GF_SERVER_HTTP_PORT ?? 3000);
		const prometheusConfig = parseYaml(
			readFileSync(join(DOCKER, 'prometheus/prometheus.yml'), 'utf8'),
		) as {
			scrape_configs: Array<{
				job_name: string;
				metrics_path?: string;
				static_configs?: Array<{ targets: string[] }>;
				dns_sd_configs?: Array<{ names: string[]; port: number; type: string }>;
			}>;
		};
		const job = (name: string) => prometheusConfig.scrape_configs.find((j) => j.job_name === name)!;

		it('n8n main: N8N_PORT = published container port = health check = Prometheus target', () => {
			expect(containerPorts(services.n8n)).toEqual([n8nPort]);
			expect(urlPort(healthUrl(services.n8n))).toBe(n8nPort);
			expect(job('n8n-main').static_configs![0].targets).toEqual([`n8n:${n8nPort}`]);
		});

		it('workers: QUEUE_HEALTH_CHECK_PORT = health check = Prometheus DNS discovery of every replica', () => {
			expect(urlPort(healthUrl(services['n8n-worker']))).toBe(workerPort);
			const [sd] = job('n8n-worker').dns_sd_configs!;
			expect(sd).toMatchObject({ names: ['n8n-worker'], type: 'A', port: workerPort });
		});

		it('relays: RELAY_PORT = published container port = health check = hook URL = Prometheus targets', () => {
			const targets: string[] = [];
			for (const name of RELAY_SERVICES) {
				const port = relayPort(name);
				expect(containerPorts(services[name])).toEqual([port]);
				expect(urlPort(healthUrl(services[name]))).toBe(port);
				targets.push(`${name}:${port}`);
			}
			expect(job('relay').static_configs![0].targets.sort()).toEqual(targets.sort());
			for (const name of N8N_SERVICES) {
				const url = new URL(services[name].environment!.SUPPORT_RELAY_URL);
				const behind = aliases.get(url.hostname) ?? [];
				expect(behind.sort()).toEqual([...RELAY_SERVICES].sort());
				for (const relay of behind) expect(urlPort(url)).toBe(relayPort(relay));
			}
		});

		it('Redis and Postgres: hosts are services, ports and credentials agree', () => {
			for (const name of N8N_SERVICES) {
				const e = services[name].environment!;
				expect(aliases.get(e.QUEUE_BULL_REDIS_HOST)).toEqual(['redis']);
				expect(Number(e.QUEUE_BULL_REDIS_PORT)).toBe(redisPort);
				expect(aliases.get(e.DB_POSTGRESDB_HOST)).toEqual(['postgres']);
				const pg = services.postgres.environment!;
				expect([e.DB_POSTGRESDB_DATABASE, e.DB_POSTGRESDB_USER, e.DB_POSTGRESDB_PASSWORD]).toEqual([
					pg.POSTGRES_DB,
					pg.POSTGRES_USER,
					pg.POSTGRES_PASSWORD,
				]);
				const pgCheck = (services.postgres.healthcheck!.test as string[]).join(' ');
				expect(pgCheck).toContain(`-p ${e.DB_POSTGRESDB_PORT}`);
			}
			for (const name of RELAY_SERVICES) {
				const url = new URL(loadConfig(services[name].environment!).redisUrl!);
				expect(aliases.get(url.hostname)).toEqual(['redis']);
				expect(Number(url.port || 6379)).toBe(redisPort);
				// A database of its own, apart from n8n's Bull queue.
				expect(url.pathname).not.toBe(`/${services.n8n.environment!.QUEUE_BULL_REDIS_DB ?? 0}`);
			}
			expect((services.redis.healthcheck!.test as string[]).join(' ')).toContain(`-p ${redisPort}`);
			expect(redisCommand).toEqual(expect.arrayContaining(['--maxmemory-policy', 'noeviction']));
		});

		it('Prometheus and Grafana: listen ports, health checks and the datasource URL agree', () => {
			expect(containerPorts(services.prometheus)).toEqual([prometheusPort]);
			expect(urlPort(healthUrl(services.prometheus))).toBe(prometheusPort);
			expect(containerPorts(services.grafana)).toEqual([grafanaPort]);
			expect(urlPort(healthUrl(services.grafana))).toBe(grafanaPort);
			const datasources = parseYaml(
				readFileSync(join(DOCKER, 'grafana/provisioning/datasources/prometheus.yaml'), 'utf8'),
			) as { datasources: Array<{ uid: string; url: string; type: string }> };
			const [ds] = datasources.datasources;
			const url = new URL(ds.url);
			expect(aliases.get(url.hostname)).toEqual(['prometheus']);
			expect(urlPort(url)).toBe(prometheusPort);
			const dashboard = JSON.parse(
				readFileSync(join(DOCKER, 'grafana/dashboards/support-email.json'), 'utf8'),
			) as { panels: Array<{ type: string; datasource?: { uid: string } }> };
			for (const panel of dashboard.panels.filter((p) => p.type !== 'row'))
				expect(panel.datasource?.uid).toBe(ds.uid);
			for (const name of ['prometheus', 'grafana'])
				expect(services[name].profiles).toEqual(['monitoring']);
		});

		it('no two services publish the same host port; depends_on and mounts point at what exists', () => {
			const published = Object.values(services).flatMap(hostPorts);
			expect(published.length).toBe(new Set(published).size);
			for (const [name, service] of Object.entries(services)) {
				if (!['prometheus', 'grafana'].includes(name)) expect(service.profiles).toBeUndefined();
				for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
					expect(services[dep]).toBeDefined();
					if (condition === 'service_healthy') expect(services[dep].healthcheck).toBeDefined();
				}
				for (const volume of service.volumes ?? []) {
					const source = volume.split(':')[0];
					if (source.startsWith('./'))
						expect(existsSync(join(DOCKER, source)) ? source : `missing ${source}`).toBe(source);
					else expect(compose.volumes).toHaveProperty(source);
				}
			}
		});
	});

	describe('the Grafana dashboard', () => {
		const dashboard = JSON.parse(
			readFileSync(join(DOCKER, 'grafana/dashboards/support-email.json'), 'utf8'),
		) as { panels: Array<{ type: string; targets?: Array<{ expr: string }> }> };
		const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
		const names = (prefix: string) => [
			...new Set(
				exprs.flatMap((e) =>
					[...e.matchAll(new RegExp(`\\b${prefix}[a-zA-Z0-9_:]*`, 'g'))].map((m) => m[0]),
				),
			),
		];
		const promJob = (name: string) =>
			(
				parseYaml(readFileSync(join(DOCKER, 'prometheus/prometheus.yml'), 'utf8')) as {
					scrape_configs: Array<{ job_name: string; metrics_path?: string }>;
				}
			).scrape_configs.find((j) => j.job_name === name);

		it('asks for relay metrics the relay exports (started in-process with the compose settings)', async () => {
			const relayEnv: Env = {
				...services['relay-1'].environment!,
				RELAY_HOST: '127.0.0.1',
				RELAY_PORT: '0',
			};
			delete relayEnv.RELAY_REDIS_URL; // no `redis` host here; the metrics are the same
			const relay = await new Relay(loadConfig(relayEnv), {
				logger: createLogger('silent'),
			}).start();
			try {
				const ready = await fetch(`${relay.url}${healthUrl(services['relay-1']).pathname}`);
				expect(ready.status).toBe(200);
				const scraped = await fetch(`${relay.url}${promJob('relay')?.metrics_path ?? '/metrics'}`);
				expect(scraped.status).toBe(200);
				const text = await scraped.text();
				const exported = new Set<string>();
				for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
					exported.add(m[1]);
					if (m[2] === 'histogram')
						for (const s of ['_bucket', '_sum', '_count']) exported.add(m[1] + s);
				}
				const used = names('relay_');
				expect(used.length).toBeGreaterThanOrEqual(8);
				expect(used.filter((n) => !exported.has(n))).toEqual([]);
			} finally {
				await relay.stop();
			}
		});

		it(
			'asks for n8n metrics n8n 2.41 exports, with the settings that turn them on',
			async () => {
				const n8nDir = join(await ensureN8nInstalled(DEFAULT_N8N_VERSION), 'node_modules');
				const metricsDir = join(n8nDir, 'n8n/dist/metrics/prometheus');
				const files = jsFiles(metricsDir).map((f) => ({ f, text: readFileSync(f, 'utf8') }));
				const endpoints = readFileSync(
					join(n8nDir, '@n8n/config/dist/configs/endpoints.config.js'),
					'utf8',
				);
				const eventNames = new Set(
					jsFiles(join(n8nDir, 'n8n/dist/eventbus')).flatMap((f) =>
						[...readFileSync(f, 'utf8').matchAll(/'(n8n\.[a-z]+\.[a-z]+)'/g)].map((m) => m[1]),
					),
				);
				const envFlag = (property: string) =>
					new RegExp(
						`Env\\)\\('([A-Z0-9_]+)'\\),\\s*__metadata\\([^)]*\\)\\s*\\], PrometheusMetricsConfig\\.prototype, "${property}"`,
					).exec(endpoints)?.[1];
				const serviceEnv = services.n8n.environment!;
				expect(serviceEnv.N8N_METRICS_PREFIX).toBeUndefined(); // n8n's default, n8n_
				const problems: string[] = [];
				const used = names('n8n_');
				expect(used.length).toBeGreaterThanOrEqual(5);
				for (const metric of used) {
					const rest = metric.slice('n8n_'.length);
					const candidates = [rest, rest.replace(/_(bucket|sum|count)$/, '')];
					let source = files.find(({ text }) => candidates.some((c) => text.includes(`}${c}\``)));
					if (!source && rest.endsWith('_total')) {
						const event = `n8n.${rest.slice(0, -'_total'.length).replace(/_/g, '.')}`;
						if (eventNames.has(event))
							source = files.find(({ f }) => f.endsWith('event-bus-metrics.service.js'));
					}
					if (!source) {
						problems.push(`${metric}: not exported by n8n ${DEFAULT_N8N_VERSION}`);
						continue;
					}
					const enabledBy = /get enabled\(\)\s*\{\s*return \(?this\.config\.(\w+)/.exec(
						source.text,
					)?.[1];
					const flag = enabledBy && envFlag(enabledBy);
					if (enabledBy && !flag)
						problems.push(`${metric}: cannot find the setting for ${enabledBy}`);
					if (flag && serviceEnv[flag] !== 'true') problems.push(`${metric}: needs ${flag}=true`);
				}
				// node_type label: the package's node types as n8n labels them.
				const eventBus = files.find(({ f }) => f.endsWith('event-bus-metrics.service.js'))!.text;
				expect(eventBus).toContain(".replace('n8n-nodes-', '').replace(/\\./g, '_')");
				for (const expr of exprs.filter((e) => e.includes('node_type'))) {
					expect(serviceEnv[envFlag('includeNodeTypeLabel')!]).toBe('true');
					const m = /node_type=~"([^"]+)"/.exec(expr);
					if (m)
						expect(
							`${pkg.name}.supportClassifier`.replace('n8n-nodes-', '').replace(/\./g, '_'),
						).toMatch(new RegExp(`^${m[1]}$`));
				}
				expect(problems).toEqual([]);
			},
			30 * 60_000,
		);
	});
});
