/**
 * A real Dovecot IMAP server for tests (DESIGN.md section 7): Debian's dovecot-imapd, installed on
 * demand by scripts/ensure-system-deps.sh, run unprivileged (as the calling user, or as `nobody` when
 * the tests run as root) on a free loopback port, with a temporary config, maildir and passwd-file.
 *
 *   const dovecot = await Dovecot.start();
 *   await dovecot.append('INBOX', rawMessage);
 *   await dovecot.changeUidValidity('INBOX');
 *   await dovecot.stop();
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
	chmodSync,
	chownSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { REPO_ROOT as HARNESS_ROOT } from '../../harness/n8n';
import { freePort } from '../../support/free-port';

const execFileAsync = promisify(execFile);
// The harness finds the repository by package name, so this also works compiled into build-scripts/.
const REPO_ROOT = HARNESS_ROOT;

export interface DovecotUser {
	user: string;
	password: string;
}

export interface DovecotOptions {
	users?: DovecotUser[];
	/** Also listen with implicit TLS (`tlsPort`) and offer STARTTLS on `port` (self-signed certificate). */
	tls?: boolean;
	/** false: the server does not announce IDLE, so clients must poll. */
	idle?: boolean;
}

export const DEFAULT_USER: DovecotUser = { user: 'support@acme.test', password: 'inbox-secret' };

/** IMAP4rev1 capabilities Dovecot 2.3 announces after login, less IDLE (for the polling tests). */
const CAPABILITIES_WITHOUT_IDLE =
	'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SPECIAL-USE';

export class Dovecot {
	private process: ReturnType<typeof spawn> | undefined;

	private constructor(
		readonly dir: string,
		readonly port: number,
		readonly tlsPort: number | undefined,
		readonly users: DovecotUser[],
		private readonly runAs: { uid: number; gid: number } | undefined,
	) {}

	readonly host = '127.0.0.1';

	get user(): DovecotUser {
		return this.users[0];
	}

	get configPath(): string {
		return join(this.dir, 'dovecot.conf');
	}

	/** IMAP/SMTP credential data for the default user (plain IMAP on loopback). */
	credentials(user: DovecotUser = this.user): Record<string, unknown> {
		return {
			imapHost: this.host,
			imapPort: this.port,
			imapSecurity: 'none',
			user: user.user,
			password: user.password,
		};
	}

	static async start(options: DovecotOptions = {}): Promise<Dovecot> {
		await ensureDovecotInstalled();
		const dir = mkdtempSync(join(tmpdir(), 'dovecot-test-'));
		chmodSync(dir, 0o755);
		const users = options.users ?? [DEFAULT_USER];
		const runAs = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
		const uid = runAs?.uid ?? process.getuid?.() ?? 1000;
		const gid = runAs?.gid ?? process.getgid?.() ?? 1000;
		const port = await freePort();
		const tlsPort = options.tls ? await freePort() : undefined;

		for (const dirName of ['run', 'state', 'home']) mkdirSync(join(dir, dirName));
		writeFileSync(
			join(dir, 'passwd'),
			users
				.map((u) => {
					const home = join(dir, 'home', u.user);
					mkdirSync(home, { recursive: true });
					return `${u.user}:{PLAIN}${u.password}:${uid}:${gid}::${home}`;
				})
				.join('\n') + '\n',
		);
		if (options.tls) await makeCertificate(dir);
		writeFileSync(join(dir, 'dovecot.conf'), config(dir, port, tlsPort, runAs, options));
		if (runAs) chownTree(dir, runAs.uid, runAs.gid);

		const dovecot = new Dovecot(dir, port, tlsPort, users, runAs);
		await dovecot.launch();
		return dovecot;
	}

	private async launch(): Promise<void> {
		// -F: stay in the foreground, so the test process owns it and can stop it by its pid.
		const command = this.runAs ? 'setpriv' : 'dovecot';
		const args = this.runAs
			? [
					`--reuid=${this.runAs.uid}`,
					`--regid=${this.runAs.gid}`,
					'--clear-groups',
					'dovecot',
					'-F',
					'-c',
					this.configPath,
				]
			: ['-F', '-c', this.configPath];
		const child = spawn(command, args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
		let exited: number | null = null;
		child.once('exit', (code) => (exited = code ?? -1));
		this.process = child;
		const deadline = Date.now() + 15_000;
		while (Date.now() < deadline) {
			if (exited !== null)
				throw new Error(`dovecot exited with code ${exited}: ${output}\n${this.log()}`);
			if (await canConnect(this.port)) return;
			await sleep(50);
		}
		await this.stop();
		throw new Error(`dovecot did not listen on ${this.port} within 15 s: ${output}\n${this.log()}`);
	}

	/** Dovecot's own log (logins, errors), for failure messages. */
	log(): string {
		const path = join(this.dir, 'dovecot.log');
		return existsSync(path) ? readFileSync(path, 'utf8') : '';
	}

	/** A connected, logged-in imapflow client (the caller logs out). */
	async client(user: DovecotUser = this.user): Promise<ImapFlow> {
		const client = new ImapFlow({
			host: this.host,
			port: this.port,
			secure: false,
			doSTARTTLS: false,
			auth: { user: user.user, pass: user.password },
			logger: false,
			disableAutoIdle: true,
		});
		await client.connect();
		return client;
	}

	/** APPENDs messages to a mailbox over IMAP (as a mail client or delivery agent would). */
	async append(
		mailbox: string,
		messages: string | Buffer | Array<string | Buffer>,
		options: { flags?: string[]; user?: DovecotUser } = {},
	): Promise<number[]> {
		const client = await this.client(options.user);
		const uids: number[] = [];
		try {
			for (const message of Array.isArray(messages) ? messages : [messages]) {
				const result = await client.append(mailbox, message, options.flags ?? []);
				if (result && result.uid) uids.push(result.uid);
			}
		} finally {
			await client.logout().catch(() => undefined);
		}
		return uids;
	}

	async mailboxCreate(path: string, user: DovecotUser = this.user): Promise<void> {
		const client = await this.client(user);
		try {
			await client.mailboxCreate(path);
		} finally {
			await client.logout().catch(() => undefined);
		}
	}

	/**
	 * Writes messages straight into the INBOX maildir's `new/` folder, as a local delivery agent
	 * does: thousands of messages in a fraction of a second. Dovecot gives them UIDs on the next sync.
	 */
	deliverToMaildir(messages: Array<string | Buffer>, user: DovecotUser = this.user): void {
		const newDir = join(this.dir, 'home', user.user, 'Maildir', 'new');
		for (const sub of ['cur', 'new', 'tmp']) {
			const path = join(this.dir, 'home', user.user, 'Maildir', sub);
			if (!existsSync(path)) {
				mkdirSync(path, { recursive: true, mode: 0o700 });
				if (this.runAs) {
					chownSync(join(path, '..'), this.runAs.uid, this.runAs.gid);
					chownSync(path, this.runAs.uid, this.runAs.gid);
				}
			}
		}
		const stamp = Math.floor(Date.now() / 1000);
		const host = hostname().replace(/[/:]/g, '_');
		messages.forEach((message, index) => {
			const name = `${stamp}.M${index}P${process.pid}R${randomBytes(4).toString('hex')}.${host}`;
			const path = join(newDir, name);
			writeFileSync(path, message, { mode: 0o600 });
			if (this.runAs) chownSync(path, this.runAs.uid, this.runAs.gid);
		});
	}

	async status(
		mailbox = 'INBOX',
		user: DovecotUser = this.user,
	): Promise<{ messages: number; uidNext: number; uidValidity: number }> {
		const { stdout } = await this.doveadm([
			'mailbox',
			'status',
			'-u',
			user.user,
			'messages uidnext uidvalidity',
			mailbox,
		]);
		const read = (key: string) => Number(new RegExp(`${key}=(\\d+)`).exec(stdout)?.[1] ?? NaN);
		return {
			messages: read('messages'),
			uidNext: read('uidnext'),
			uidValidity: read('uidvalidity'),
		};
	}

	/**
	 * Gives the mailbox a new UIDVALIDITY, as a server does when a mailbox is rebuilt or restored:
	 * every UID a client remembered is void. Returns the new value.
	 */
	async changeUidValidity(
		mailbox = 'INBOX',
		value?: number,
		user: DovecotUser = this.user,
	): Promise<number> {
		const before = await this.status(mailbox, user);
		const next = value ?? before.uidValidity + 1000;
		await this.doveadm([
			'mailbox',
			'update',
			'-u',
			user.user,
			'--uid-validity',
			String(next),
			mailbox,
		]);
		return next;
	}

	async doveadm(args: string[]): Promise<{ stdout: string; stderr: string }> {
		return await execFileAsync('doveadm', ['-c', this.configPath, ...args], { cwd: this.dir });
	}

	/** Stops the server (and keeps the maildir) so a test can restart it on the same port. */
	async pause(): Promise<void> {
		await this.kill();
	}

	async resume(): Promise<void> {
		await this.launch();
	}

	private async kill(): Promise<void> {
		const child = this.process;
		this.process = undefined;
		if (!child || child.exitCode !== null) return;
		const exited = new Promise<void>((done) => child.once('exit', () => done()));
		child.kill('SIGTERM');
		const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
		await exited;
		clearTimeout(timer);
		// Dovecot's children leave with the master; wait until the port is free again.
		const deadline = Date.now() + 5_000;
		while (Date.now() < deadline && (await canConnect(this.port))) await sleep(50);
	}

	async stop(): Promise<void> {
		await this.kill();
		rmSync(this.dir, { recursive: true, force: true });
	}
}

function config(
	dir: string,
	port: number,
	tlsPort: number | undefined,
	runAs: { uid: number; gid: number } | undefined,
	options: DovecotOptions,
): string {
	const user = runAs ? 'nobody' : (process.env.USER ?? userName());
	const group = runAs ? 'nogroup' : groupName();
	const tls = tlsPort !== undefined;
	return `# Written by test/servers/dovecot: a throwaway, unprivileged Dovecot on loopback.
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = dovecot-test-${port}
default_internal_user = ${user}
default_internal_group = ${group}
default_login_user = ${user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
# Plain passwords are fine on loopback in tests.
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests check wrong passwords; no need to wait the default 2 s each time.
auth_failure_delay = 0
# IDLE reports new mail at once (inotify); this is the fallback check while idling.
mailbox_idle_check_interval = 1 secs
${options.idle === false ? `imap_capability = ${CAPABILITIES_WITHOUT_IDLE}` : ''}
${
	tls
		? `ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem`
		: 'ssl = no'
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort ?? 0}
    ssl = yes
  }
}
service anvil {
  chroot =
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
`;
}

let installed: Promise<void> | undefined;

/** Installs Debian's dovecot-imapd when it is missing (quick when it is there). */
export async function ensureDovecotInstalled(): Promise<void> {
	installed ??= (async () => {
		await execFileAsync(
			'bash',
			[join(REPO_ROOT, 'scripts/ensure-system-deps.sh'), 'dovecot-imapd'],
			{
				timeout: 10 * 60_000,
				maxBuffer: 16 * 1024 * 1024,
			},
		);
	})();
	await installed;
}

async function makeCertificate(dir: string): Promise<void> {
	await execFileAsync('openssl', [
		'req',
		'-x509',
		'-newkey',
		'rsa:2048',
		'-nodes',
		'-days',
		'2',
		'-subj',
		'/CN=localhost',
		'-keyout',
		join(dir, 'key.pem'),
		'-out',
		join(dir, 'cert.pem'),
	]);
}

function chownTree(dir: string, uid: number, gid: number): void {
	const walk = (path: string) => {
		chownSync(path, uid, gid);
		try {
			for (const entry of readdirSync(path)) walk(join(path, entry));
		} catch {
			// a file, not a folder
		}
	};
	walk(dir);
}

function userName(): string {
	return userInfo().username;
}

function groupName(): string {
	try {
		return execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
	} catch {
		return userName();
	}
}

export { freePort };

function canConnect(port: number): Promise<boolean> {
	return new Promise((done) => {
		const socket = connect({ host: '127.0.0.1', port });
		socket.once('connect', () => {
			socket.destroy();
			done(true);
		});
		socket.once('error', () => done(false));
	});
}

function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}
