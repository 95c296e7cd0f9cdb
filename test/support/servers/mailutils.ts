import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnOwned, type OwnedProcess } from '../owned-process.js';
import { freePorts } from '../ports.js';
import { ensureMailUsers, type SystemUser } from '../system-users.js';
import { waitForTcp } from '../tcp-probe.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';
import { ServerNotInstalledError, serversRoot, type MailServer } from './mail-server.js';
import { fileExists } from '../file-exists.js';

const run = promisify(execFile);

/** Password of every user of a test Mailutils. */
export const MAILUTILS_PASSWORD = 'mailferry-test-pw';

/**
 * sha512-crypt of {@link MAILUTILS_PASSWORD} (`openssl passwd -6 -salt mailferrytest mailferry-test-pw`).
 * Mailutils' default authentication modules (`generic:system`) compare crypt(3) of the
 * password given at login with the passwd entry's second field.
 */
const PASSWORD_HASH = '$6$mailferrytest$/lBjnICMUCezzsnW1g2EyU8Ylvz0gIyKc0lyPMYVG95QTFA6eP2P0GpExrMLxv6N2AJQkI9fqaOahZxHZKEzg0';

/** A private GNU Mailutils 3.15 imap4d + pop3d pair owned by this test process. */
export interface MailutilsServer extends MailServer {
  readonly product: 'mailutils';
  readonly pop3Port: number;
  /** The mbox spool directory: user `u`'s INBOX is the mbox file `<spoolDir>/u`. */
  readonly spoolDir: string;
  /** The PIDs of the two daemon masters (imap4d, pop3d); each session is a forked child of one. */
  readonly pids: { imap: number; pop3: number };
  /** The mbox file holding `user`'s INBOX (created by the server on first SELECT or POP3 login). */
  inboxPath(user: string): string;
  /** The home directory of `user`: personal folders other than INBOX live here (mbox files, subdirectories). */
  homeDir(user: string): string;
  /**
   * Append raw RFC 5322 messages to `user`'s INBOX as mbox entries (From_ line, `>From ` quoting),
   * owned by the mail user; call it while no session has the INBOX open.
   */
  deliver(user: string, messages: Array<string | Buffer>): Promise<void>;
}

/** Options for {@link startMailutils}. */
export interface StartMailutilsOptions {
  /** Users created before the servers start. */
  users?: string[];
  /** Appended verbatim to imap4d.conf (Mailutils config syntax, e.g. `namespace personal { ... };`). */
  imapConfig?: string;
  /** Appended verbatim to pop3d.conf, e.g. `apop-database-file /path;`. */
  pop3Config?: string;
}

/**
 * Start GNU Mailutils imap4d and pop3d (Debian 12, 1:3.15-4, unpacked by
 * `scripts/test-servers/install-mailutils.sh`) on free 127.0.0.1 ports; resolves once both greet.
 *
 * Each daemon runs as our child in the foreground (`--daemon --foreground`) with a private
 * config (`--config-file`, so /etc/mailutils.conf is never read) that only moves paths and
 * turns off what cannot work here:
 * - users: Mailutils' default `generic:system` auth modules call getpwnam(3); nss_wrapper
 *   (LD_PRELOAD, from Debian's libnss-wrapper) answers from a private passwd/group pair, so users
 *   log in with plain names, /etc/passwd is untouched and sessions switch to the
 *   `mailferry-test` uid (group `mail`, as Debian's imap4d/pop3d do) like real system users;
 * - mail: Debian's default mbox spool layout in `<dir>/spool` (`mailbox { mail-spool }`),
 *   personal folders in `<dir>/home/<user>` (the default namespace: prefix "", delimiter "/");
 * - `tls-mode no` per server (the compiled-in mode fails the preflight check without a
 *   certificate), `tcp-wrappers { enable no; }` and `logging { syslog no; }` (logs go to
 *   `<dir>/imap4d.log` and `<dir>/pop3d.log`).
 * Everything else (auth modules, locking, timeouts, backlog 4, max 20 children, the POP3
 * APOP banner, …) is the compiled-in default.
 */
export async function startMailutils(options: StartMailutilsOptions = {}): Promise<MailutilsServer> {
  const root = path.join(serversRoot(), 'mailutils');
  const imap4d = path.join(root, 'usr/sbin/imap4d');
  const pop3d = path.join(root, 'usr/sbin/pop3d');
  const nssWrapper = path.join(root, 'usr/lib/x86_64-linux-gnu/libnss_wrapper.so');
  for (const file of [imap4d, pop3d, nssWrapper]) {
    if (!(await fileExists(file))) throw new ServerNotInstalledError('mailutils', serversRoot());
  }
  const mailUser = await ensureMailUsers();
  const mailGid = await groupId('mail');
  const dir = await makeTempDir('mailutils');
  const procs: OwnedProcess[] = [];
  try {
    const layout = await makeLayout(dir, mailUser, mailGid);
    for (const user of options.users ?? []) await addUser(layout, user, mailUser);
    const env = [
      `LD_LIBRARY_PATH=${path.join(root, 'usr/lib/x86_64-linux-gnu')}:${path.join(root, 'lib/x86_64-linux-gnu')}`,
      `LD_PRELOAD=${nssWrapper}`,
      `NSS_WRAPPER_PASSWD=${layout.passwdFile}`,
      `NSS_WRAPPER_GROUP=${layout.groupFile}`,
    ];
    const imap = await launch(dir, 'imap4d', imap4d, env, layout, options.imapConfig);
    procs.push(imap.proc);
    const pop3 = await launch(dir, 'pop3d', pop3d, env, layout, options.pop3Config);
    procs.push(pop3.proc);

    return {
      product: 'mailutils',
      host: '127.0.0.1',
      imapPort: imap.port,
      pop3Port: pop3.port,
      password: MAILUTILS_PASSWORD,
      dir,
      separator: '/',
      personalPrefix: '',
      spoolDir: layout.spoolDir,
      pids: { imap: imap.proc.pid, pop3: pop3.proc.pid },
      inboxPath: (user) => path.join(layout.spoolDir, checkName(user)),
      homeDir: (user) => path.join(layout.homeRoot, checkName(user)),
      addUser: (name) => addUser(layout, name, mailUser),
      deliver: (user, messages) => deliver(path.join(layout.spoolDir, checkName(user)), messages, mailUser, mailGid),
      logTail: (lines = 40) => readLogs(lines, path.join(dir, 'imap4d.log'), path.join(dir, 'pop3d.log')),
      async stop() {
        await stopAll(procs);
        await removeTempDir(dir);
      },
    };
  } catch (err) {
    await stopAll(procs);
    await removeTempDir(dir);
    throw err;
  }
}

interface Layout {
  dir: string;
  spoolDir: string;
  homeRoot: string;
  passwdFile: string;
  groupFile: string;
}

async function makeLayout(dir: string, mailUser: SystemUser, mailGid: number): Promise<Layout> {
  const layout: Layout = {
    dir,
    spoolDir: path.join(dir, 'spool'),
    homeRoot: path.join(dir, 'home'),
    passwdFile: path.join(dir, 'nss', 'passwd'),
    groupFile: path.join(dir, 'nss', 'group'),
  };
  await fs.mkdir(path.join(dir, 'nss'));
  await fs.mkdir(path.join(dir, 'run'));
  await fs.mkdir(layout.homeRoot, { mode: 0o755 });
  // Like Debian's /var/mail: root:mail 2775, so a session (uid mailferry-test, gid mail) can
  // create the user's mbox and its dotlock.
  await fs.mkdir(layout.spoolDir);
  await fs.chown(layout.spoolDir, 0, mailGid);
  await fs.chmod(layout.spoolDir, 0o2775);
  // nss_wrapper answers only from these files: root (the daemons' own uid) and the groups
  // the daemons look up (`mail`, which they switch to) must be in them.
  await fs.writeFile(layout.passwdFile, 'root:x:0:0:root:/root:/bin/sh\n', { mode: 0o644 });
  const groups = [`root:x:0:`, `mail:x:${mailGid}:`];
  if (mailUser.gid !== mailGid && mailUser.gid !== 0) groups.push(`${mailUser.name}:x:${mailUser.gid}:`);
  await fs.writeFile(layout.groupFile, `${groups.join('\n')}\n`, { mode: 0o644 });
  return layout;
}

function checkName(name: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(name) || name === 'root') {
    throw new Error(`mailutils: unsupported user name ${JSON.stringify(name)}`);
  }
  return name;
}

/** Add a passwd entry (atomically, by rename: nss_wrapper re-reads a changed file) and a home dir. */
async function addUser(layout: Layout, name: string, mailUser: SystemUser): Promise<void> {
  checkName(name);
  const home = path.join(layout.homeRoot, name);
  await fs.mkdir(home, { recursive: true, mode: 0o700 });
  await fs.chown(home, mailUser.uid, mailUser.gid);
  const current = await fs.readFile(layout.passwdFile, 'utf8');
  if (current.split('\n').some((line) => line.startsWith(`${name}:`))) return;
  const line = `${name}:${PASSWORD_HASH}:${mailUser.uid}:${mailUser.gid}::${home}:/usr/sbin/nologin\n`;
  const tmp = `${layout.passwdFile}.${process.pid}.tmp`;
  await fs.writeFile(tmp, current + line, { mode: 0o644 });
  await fs.rename(tmp, layout.passwdFile);
}

function serverConfig(program: 'imap4d' | 'pop3d', port: number, layout: Layout, extra: string | undefined): string {
  return [
    `# Private ${program} config written by test/support/servers/mailutils.ts.`,
    'logging { syslog no; print-severity yes; };',
    `mailbox { mail-spool ${quote(layout.spoolDir)}; };`,
    `pidfile ${quote(path.join(layout.dir, 'run', `${program}.pid`))};`,
    'tcp-wrappers { enable no; };',
    `server 127.0.0.1:${port} { tls-mode no; };`,
    extra ?? '',
    '',
  ].join('\n');
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Spawn one daemon and wait for its greeting; retry with a new port if the one picked was taken. */
async function launch(
  dir: string,
  program: 'imap4d' | 'pop3d',
  binary: string,
  envArgs: string[],
  layout: Layout,
  extra: string | undefined,
): Promise<{ proc: OwnedProcess; port: number }> {
  const confFile = path.join(dir, `${program}.conf`);
  const logFile = path.join(dir, `${program}.log`);
  for (let attempt = 1; ; attempt++) {
    const [port] = (await freePorts(1)) as [number];
    await fs.writeFile(confFile, serverConfig(program, port, layout, extra), { mode: 0o644 });
    // /usr/bin/env execs the daemon in place, so the PID we own is the daemon's.
    const proc = await spawnOwned('/usr/bin/env', [...envArgs, binary, `--config-file=${confFile}`, '--daemon', '--foreground'], {
      logFile,
      cwd: dir,
    });
    try {
      await waitForTcp(port, {
        until: program === 'imap4d' ? /^\* OK.*\r\n/ : /^\+OK.*\r\n/,
        deadlineMs: 15_000,
        alive: proc.running,
        what: program,
      });
      return { proc, port };
    } catch (err) {
      await proc.stop('SIGKILL');
      const log = await readLogs(30, logFile);
      if (attempt < 5 && /Address already in use/i.test(log)) continue;
      throw new Error(`${(err as Error).message}\n--- ${program} log (${dir}) ---\n${log}`);
    }
  }
}

/**
 * Stop every session child, then the masters. A master exits on SIGTERM without ending its
 * children, so the children (read from /proc) get SIGTERM first, while their master still
 * reaps them; any left after 5 s get SIGKILL.
 */
async function stopAll(procs: OwnedProcess[]): Promise<void> {
  const children = (await Promise.all(procs.filter((p) => p.running()).map((p) => childPids(p.pid)))).flat();
  signal(children, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (children.some(isLive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  signal(children.filter(isLive), 'SIGKILL');
  await Promise.all(procs.map((p) => p.stop('SIGTERM', 10_000)));
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
}

/** True while `pid` exists and is not a zombie. */
function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function childPids(pid: number): Promise<number[]> {
  const tasks = await fs.readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const lists = await Promise.all(tasks.map((t) => fs.readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')));
  return lists.join(' ').split(/\s+/).filter(Boolean).map(Number);
}

/** Append messages to an mbox file (From_ line, `>`-quoting of body lines starting with `From `). */
async function deliver(file: string, messages: Array<string | Buffer>, mailUser: SystemUser, mailGid: number): Promise<void> {
  // asctime(3) form, as in a From_ line: `Mon Dec  7 10:00:00 2026`.
  const [wd, day, mon, year, time] = new Date().toUTCString().split(/,? /) as string[];
  const date = `${wd} ${mon} ${String(Number(day)).padStart(2, ' ')} ${time} ${year}`;
  const parts: Buffer[] = [];
  for (const message of messages) {
    let text = Buffer.isBuffer(message) ? message.toString('latin1') : message;
    text = text.replace(/\r\n/g, '\n');
    if (!text.endsWith('\n')) text += '\n';
    text = text.replace(/^(>*From )/gm, '>$1');
    parts.push(Buffer.from(`From mailferry-test@localhost ${date}\n${text}\n`, 'latin1'));
  }
  await fs.appendFile(file, Buffer.concat(parts), { mode: 0o600 });
  await fs.chown(file, mailUser.uid, mailGid);
}

async function readLogs(lines: number, ...files: string[]): Promise<string> {
  const parts = await Promise.all(files.map((f) => fs.readFile(f, 'utf8').catch(() => '')));
  return parts
    .map((text, i) => `--- ${path.basename(files[i] ?? '')} ---\n${text.split('\n').slice(-lines).join('\n')}`)
    .join('\n');
}

async function groupId(name: string): Promise<number> {
  try {
    const { stdout } = await run('getent', ['group', name]);
    const gid = Number(stdout.split(':')[2]);
    if (Number.isInteger(gid)) return gid;
  } catch {
    // Fall through.
  }
  throw new Error(`mailutils: system group ${name} is missing (Debian creates it in base-passwd)`);
}
