import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeSelfSignedCertificate } from '../certificate.js';
import { spawnOwned, type OwnedProcess } from '../owned-process.js';
import { freePorts } from '../ports.js';
import { ensureMailUsers, type SystemUser } from '../system-users.js';
import { waitForTcp } from '../tcp-probe.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';
import { applyLineEdits, courierConfigEdits, SHIPPED_CONFIG_FILES, userdbLine } from './courier-config.js';
import { serversRoot, ServerNotInstalledError, type MailServer } from './mail-server.js';

const run = promisify(execFile);

/** Password of every user of a test Courier. */
export const COURIER_PASSWORD = 'mailferry-test-pw';

/** The shell script that sets up the mount namespace and runs the daemons (see its header). */
const LAUNCHER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'courier-launcher.sh');

/** A private Courier-IMAP 5 + Courier POP3 instance. */
export interface CourierServer extends MailServer {
  readonly product: 'courier';
  /** PID of the launcher (the owned process); every Courier process of this instance is in its mount namespace. */
  readonly launcherPid: number;
  /** `mnt:[inode]` of that namespace, to verify after stop() that nothing of it is left. */
  readonly mountNamespace: string;
}

/** Options for {@link startCourier}. */
export interface StartCourierOptions {
  /** Users created before this resolves. */
  users?: string[];
}

/**
 * Start Courier IMAP and POP3 on free 127.0.0.1 ports; resolves once both greet.
 *
 * All daemons (authdaemond with the authuserdb module, couriertcpd+imapd, couriertcpd+pop3d)
 * run under one launcher shell in a private mount namespace (`unshare -m`), because Courier
 * reads /etc/courier and /run/courier/authdaemon/socket at fixed paths: the namespace puts this
 * instance's directory there (see courier-launcher.sh). Stopping the launcher ends every
 * process of the namespace. Users are authuserdb entries (no system accounts); their Maildirs
 * belong to the `mailferry-test` system user.
 */
export async function startCourier(options: StartCourierOptions = {}): Promise<CourierServer> {
  const root = path.join(serversRoot(), 'courier', 'root');
  if (!(await isFile(path.join(root, 'usr', 'bin', 'imapd')))) throw new ServerNotInstalledError('courier', serversRoot());
  const mailUser = await ensureMailUsers();
  const dir = await makeTempDir('courier');
  let proc: OwnedProcess | undefined;
  try {
    const etc = path.join(dir, 'etc', 'courier');
    await prepareDirs(dir, etc);
    await writeCertificates(dir, etc);
    const passwordHash = await hashPassword(root);
    const started = await launch(root, dir, etc);
    proc = started.proc;
    const users = new UserDb(etc, path.join(dir, 'mail'), mailUser, passwordHash, proc.pid);
    for (const name of options.users ?? []) await users.add(name);
    const mountNamespace = await privateNamespaceOf(proc.pid);
    if (mountNamespace === undefined) throw new Error('courier: the launcher is not in a private mount namespace');
    const owned = proc;
    return {
      product: 'courier',
      host: '127.0.0.1',
      imapPort: started.imapPort,
      pop3Port: started.pop3Port,
      password: COURIER_PASSWORD,
      dir,
      separator: '.',
      personalPrefix: 'INBOX.',
      launcherPid: owned.pid,
      mountNamespace,
      addUser: (name) => users.add(name),
      logTail: (lines = 40) => tail(path.join(dir, 'courier.log'), lines),
      async stop() {
        await owned.stop('SIGTERM', 10_000);
        // The launcher ends its namespace; should it have been killed before it could, do it here.
        await killNamespace(mountNamespace);
        await removeTempDir(dir);
      },
    };
  } catch (err) {
    if (proc) await stopLauncher(proc);
    await removeTempDir(dir);
    throw err;
  }
}

/** Stop a launcher and make sure nothing of its namespace survives (used when a start fails). */
async function stopLauncher(proc: OwnedProcess): Promise<void> {
  const ns = await privateNamespaceOf(proc.pid);
  await proc.stop('SIGTERM', 5_000);
  if (ns !== undefined) await killNamespace(ns);
}

/**
 * The mount namespace of `pid` if it is not ours (right after spawn, `unshare` may not have
 * left our namespace yet: sweeping that one would kill far more than the instance).
 */
async function privateNamespaceOf(pid: number): Promise<string | undefined> {
  const [theirs, ours] = await Promise.all([
    fs.readlink(`/proc/${pid}/ns/mnt`).catch(() => undefined),
    fs.readlink('/proc/self/ns/mnt'),
  ]);
  return theirs !== undefined && theirs !== ours ? theirs : undefined;
}

/** etc/courier (config), run/courier/authdaemon (socket), mail/ (user homes). */
async function prepareDirs(dir: string, etc: string): Promise<void> {
  await fs.mkdir(etc, { recursive: true });
  // courier-imap's postinst makes it (root:courier 0750); makeimapaccess builds imapaccess.dat from it.
  await fs.mkdir(path.join(etc, 'imapaccess'), { mode: 0o750 });
  // tmpfiles.d/courier-authdaemon.conf makes it on a real system.
  await fs.mkdir(path.join(dir, 'run', 'courier', 'authdaemon'), { recursive: true, mode: 0o750 });
  await fs.mkdir(path.join(dir, 'mail'), { mode: 0o755 });
  await fs.writeFile(path.join(etc, 'userdb'), '', { mode: 0o600 });
}

/** imapd.pem / pop3d.pem (key + certificate, as mkimapdcert writes them), so STARTTLS works as shipped. */
async function writeCertificates(dir: string, etc: string): Promise<void> {
  const { certFile, keyFile } = await writeSelfSignedCertificate(path.join(dir, 'tls'));
  const pem = (await fs.readFile(keyFile, 'utf8')) + (await fs.readFile(certFile, 'utf8'));
  for (const name of ['imapd.pem', 'pop3d.pem']) await fs.writeFile(path.join(etc, name), pem, { mode: 0o600 });
}

/** One crypt(3) MD5 hash of the shared password, made by the package's own userdbpw. */
async function hashPassword(root: string): Promise<string> {
  const child = execFile(path.join(root, 'usr', 'sbin', 'userdbpw'), ['-md5']);
  child.stdin?.end(`${COURIER_PASSWORD}\n`);
  const out = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`userdbpw exited with ${code}`))));
  });
  const hash = out.trim();
  if (!hash.startsWith('$1$')) throw new Error(`userdbpw: unexpected output ${JSON.stringify(out)}`);
  return hash;
}

/** Write the configs for fresh ports, spawn the launcher, wait for both greetings; retry on a port race. */
async function launch(root: string, dir: string, etc: string): Promise<{ proc: OwnedProcess; imapPort: number; pop3Port: number }> {
  const logFile = path.join(dir, 'courier.log');
  for (let attempt = 1; ; attempt++) {
    const [imapPort, pop3Port] = (await freePorts(2)) as [number, number];
    const edits = courierConfigEdits({ imapPort, pop3Port });
    for (const name of SHIPPED_CONFIG_FILES) {
      const shipped = await fs.readFile(path.join(root, 'etc', 'courier', name), 'utf8');
      await fs.writeFile(path.join(etc, name), applyLineEdits(name, shipped, edits[name]), { mode: 0o644 });
    }
    // imapaccess.dat is built by the launcher (as Debian's start script does) when missing.
    await fs.rm(path.join(etc, 'imapaccess.dat'), { force: true });
    const proc = await spawnOwned('unshare', ['--mount', '--', '/bin/sh', LAUNCHER, root, dir], { logFile });
    try {
      const alive = proc.running;
      await waitForTcp(imapPort, { until: /^\* OK.*\r\n/, deadlineMs: 15_000, alive, what: 'courier imapd' });
      await waitForTcp(pop3Port, { until: /^\+OK.*\r\n/, deadlineMs: 15_000, alive, what: 'courier pop3d' });
      return { proc, imapPort, pop3Port };
    } catch (err) {
      await stopLauncher(proc);
      const log = await tail(logFile, 30);
      if (attempt < 5 && /Address already in use/i.test(log)) continue;
      throw new Error(`${(err as Error).message}\n--- courier log (${dir}) ---\n${log}`);
    }
  }
}

/**
 * The private userdb: one line per user in etc/courier/userdb, compiled to userdb.dat by the
 * package's makeuserdb run inside the instance's namespace (it has /etc/courier and
 * /usr/lib/courier paths compiled in). authuserdb notices the new .dat file on the next login.
 * Additions are serialized: makeuserdb rewrites the whole database.
 */
class UserDb {
  private queue: Promise<void> = Promise.resolve();
  private readonly names = new Set<string>();

  constructor(
    private readonly etc: string,
    private readonly mailDir: string,
    private readonly mailUser: SystemUser,
    private readonly passwordHash: string,
    private readonly launcherPid: number,
  ) {}

  add(name: string): Promise<void> {
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(name)) return Promise.reject(new Error(`addUser: unsupported user name ${JSON.stringify(name)}`));
    const next = this.queue.then(() => this.addNow(name));
    this.queue = next.catch(() => {});
    return next;
  }

  private async addNow(name: string): Promise<void> {
    if (this.names.has(name)) return;
    const home = path.join(this.mailDir, name);
    await makeMaildir(path.join(home, 'Maildir'), this.mailUser);
    const { uid, gid } = this.mailUser;
    await fs.appendFile(path.join(this.etc, 'userdb'), userdbLine(name, { uid, gid, home, passwordHash: this.passwordHash }));
    try {
      await run('nsenter', [`--target=${this.launcherPid}`, '--mount', '--', '/usr/sbin/makeuserdb'], { timeout: 30_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`makeuserdb failed: ${e.stderr?.trim() || e.message}`);
    }
    this.names.add(name);
  }
}

/** home/ and home/Maildir/{cur,new,tmp}, mode 0700, owned by the mail user (as maildirmake run by the user would). */
async function makeMaildir(maildir: string, owner: SystemUser): Promise<void> {
  const home = path.dirname(maildir);
  for (const d of [home, maildir, ...['cur', 'new', 'tmp'].map((s) => path.join(maildir, s))]) {
    await fs.mkdir(d, { mode: 0o700 });
    await fs.chown(d, owner.uid, owner.gid);
  }
}

/** SIGKILL every process still in mount namespace `ns` (by PID), and wait until none is left. */
export async function killNamespace(ns: string): Promise<void> {
  if (ns === (await fs.readlink('/proc/self/ns/mnt'))) throw new Error('killNamespace: refusing to sweep our own mount namespace');
  // Require a few empty listings in a row: a process between fork and showing up in /proc,
  // or one whose parent was killed mid-spawn (libgamin double-forks gam_server), can be
  // missed by a single listing.
  let emptyInARow = 0;
  for (let i = 0; i < 60; i++) {
    const left = await namespaceMembers(ns);
    if (left.length === 0) {
      if (++emptyInARow >= 3) return;
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    emptyInARow = 0;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`courier: processes of ${ns} survived SIGKILL: ${(await namespaceMembers(ns)).join(' ')}`);
}

/** PIDs whose mount namespace is `ns` (zombies have none and are not listed). */
export async function namespaceMembers(ns: string): Promise<number[]> {
  const pids = (await fs.readdir('/proc')).filter((n) => /^\d+$/.test(n));
  const found: number[] = [];
  await Promise.all(
    pids.map(async (pid) => {
      const link = await fs.readlink(`/proc/${pid}/ns/mnt`).catch(() => '');
      if (link === ns) found.push(Number(pid));
    }),
  );
  return found;
}

async function tail(file: string, lines: number): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines - 1).join('\n');
}

async function isFile(file: string): Promise<boolean> {
  return fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}
