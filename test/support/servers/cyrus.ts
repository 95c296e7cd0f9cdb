/**
 * A private Cyrus IMAP 3.6 (Debian 12's cyrus-imapd, cyrus-pop3d, cyrus-common), started from
 * the packages `scripts/test-servers/install.sh` unpacks under `<serversRoot()>/cyrus/root`.
 *
 * - Config: Debian's shipped imapd.conf and cyrus.conf with only paths, ports, services and
 *   authentication changed (see cyrus-config.ts): the `INBOX.` namespace with `.` as
 *   separator, munge8bit on, `popminpoll: 1` (a second POP3 login within a minute gets
 *   `-ERR [LOGIN-DELAY]`), plaintext LOGIN/USER+PASS over plain TCP.
 * - Users: SASL auxprop from a private sasldb (saslpasswd2); addUser() writes the password
 *   there and, logged in as the admin, `CREATE user.<name>` over IMAP.
 * - Processes: `master` runs in the foreground as our child (spawnOwned) as root and switches
 *   its programs to the `cyrus` system user (created, group mail, like Debian does).
 * - Logs: Cyrus logs only to syslog. Where a mount namespace can be made (root), master runs
 *   in one whose /dev/log is a private datagram socket read by socat into `<dir>/syslog.raw`;
 *   otherwise logTail() has only what master printed to stdout/stderr.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RawImap } from '../imap-raw.js';
import { spawnOwned, type OwnedProcess } from '../owned-process.js';
import { freePorts } from '../ports.js';
import { ensureCyrusUser, type SystemUser } from '../system-users.js';
import { tcpExchange } from '../tcp-probe.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';
import { cyrusConf, cyrusImapdConf, cyrusPaths } from './cyrus-config.js';
import { ServerNotInstalledError, serversRoot, type MailServer } from './mail-server.js';
import { fileExists } from '../file-exists.js';

const run = promisify(execFile);

/** Password of every user of a test Cyrus, the admin's too. */
export const CYRUS_PASSWORD = 'mailferry-test-pw';
/** The `admins:` user; it creates `user.<name>` mailboxes and is not meant for tests' mail. */
export const CYRUS_ADMIN = 'mailferry-admin';

const SASLPASSWD2 = '/usr/sbin/saslpasswd2';
const SOCAT = '/usr/bin/socat';
const UNSHARE = '/usr/bin/unshare';
const SETSID = '/usr/bin/setsid';

/** A running private Cyrus. */
export interface CyrusServer extends MailServer {
  readonly product: 'cyrus';
  readonly pop3Port: number;
  readonly separator: '.';
  readonly personalPrefix: 'INBOX.';
  /** The admin user (password {@link CYRUS_PASSWORD}): sees every `user.*` mailbox. */
  readonly adminUser: string;
  /** LMTP (lmtpd) on a unix socket, for delivering as an MTA would. */
  readonly lmtpSocket: string;
  /** True when syslog goes to this instance's own log (see the module comment). */
  readonly syslogCaptured: boolean;
  /** PID of master, our direct child (the programs it runs are its children). */
  readonly masterPid: number;
}

/** Options for {@link startCyrus}. */
export interface StartCyrusOptions {
  /** Users created (addUser) before this resolves. */
  users?: string[];
  /** imapd.conf keys to set or replace after the harness's, e.g. `{ popminpoll: '0' }`. */
  settings?: Record<string, string>;
}

/** `<serversRoot()>/cyrus/root`: the unpacked .deb files (etc/, usr/). */
export function cyrusRoot(): string {
  return path.join(serversRoot(), 'cyrus', 'root');
}

/** Start a private Cyrus (IMAP and POP3 on free 127.0.0.1 ports); resolves once both greet. */
export async function startCyrus(options: StartCyrusOptions = {}): Promise<CyrusServer> {
  const install = await findInstall();
  const cyrusUser = await ensureCyrusUser();
  const dir = await makeTempDir('cyrus');
  const files = {
    sasldb: path.join(dir, 'sasldb2'),
    syslogSocket: path.join(dir, 'log.sock'),
    syslog: path.join(dir, 'syslog.raw'),
    masterLog: path.join(dir, 'master.log'),
    socatLog: path.join(dir, 'socat.log'),
  };
  const paths = cyrusPaths(dir);
  const realm = os.hostname();
  let socat: OwnedProcess | undefined;
  let master: OwnedProcess | undefined;
  try {
    await makeDirectories(dir, cyrusUser);
    await setPassword(files.sasldb, realm, CYRUS_ADMIN, cyrusUser);
    const shippedImapd = await fs.readFile(path.join(install.root, 'etc/imapd.conf'), 'utf8');
    const shippedCyrus = await fs.readFile(path.join(install.root, 'etc/cyrus.conf'), 'utf8');
    await fs.writeFile(
      paths.imapdConf,
      cyrusImapdConf(shippedImapd, { dir, sasldbFile: files.sasldb, adminUser: CYRUS_ADMIN, ...(options.settings ? { settings: options.settings } : {}) }),
      { mode: 0o644 },
    );

    const syslogCaptured = await namespacesWork();
    if (syslogCaptured) {
      socat = await spawnOwned(SOCAT, ['-u', `UNIX-RECV:${files.syslogSocket},perm=0666`, `OPEN:${files.syslog},creat,append`], {
        logFile: files.socatLog,
      });
      await waitForFile(files.syslogSocket, socat, 5_000);
    }

    const started = await launch({ dir, install, shippedCyrus, files, syslogCaptured });
    master = started.proc;
    const { imapPort, pop3Port } = started;
    const masterProc = master;
    const socatProc = socat;

    let queue: Promise<void> = Promise.resolve();
    const addUser = (name: string): Promise<void> => {
      const next = queue.then(async () => {
        if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)) {
          throw new Error(`cyrus addUser: unsupported user name ${JSON.stringify(name)} (lowercase letters, digits, _ and -; "." is the hierarchy separator)`);
        }
        await setPassword(files.sasldb, realm, name, cyrusUser);
        await createMailbox(imapPort, `user.${name}`);
      });
      queue = next.catch(() => undefined);
      return next;
    };
    const logTail = (lines = 40): Promise<string> => readLogs(files, lines);

    let stopping: Promise<void> | undefined;
    const server: CyrusServer = {
      product: 'cyrus',
      host: '127.0.0.1',
      imapPort,
      pop3Port,
      password: CYRUS_PASSWORD,
      dir,
      separator: '.',
      personalPrefix: 'INBOX.',
      adminUser: CYRUS_ADMIN,
      lmtpSocket: paths.lmtpSocket,
      syslogCaptured,
      masterPid: masterProc.pid,
      addUser,
      logTail,
      stop() {
        stopping ??= (async () => {
          await stopMaster(masterProc);
          await socatProc?.stop('SIGTERM', 5_000);
          await removeTempDir(dir);
        })();
        return stopping;
      },
    };
    for (const user of options.users ?? []) await addUser(user);
    return server;
  } catch (err) {
    const log = await readLogs(files, 40).catch(() => '');
    if (master) await stopMaster(master);
    await socat?.stop('SIGKILL');
    await removeTempDir(dir);
    if (err instanceof ServerNotInstalledError) throw err;
    throw new Error(`${(err as Error).message}\n--- cyrus log (${dir}) ---\n${log}`, { cause: err });
  }
}

interface Install {
  root: string;
  binDir: string;
  /** The directory holding libcyrus*.so (not on the loader's path: the packages are only unpacked). */
  libDir: string;
}

async function findInstall(): Promise<Install> {
  const root = cyrusRoot();
  const binDir = path.join(root, 'usr/lib/cyrus/bin');
  try {
    await fs.access(path.join(binDir, 'master'), fs.constants.X_OK);
    await fs.access(SASLPASSWD2, fs.constants.X_OK);
    await fs.access(SOCAT, fs.constants.X_OK);
  } catch {
    throw new ServerNotInstalledError('cyrus', serversRoot());
  }
  const libRoot = path.join(root, 'usr/lib');
  const candidates = [libRoot, ...(await fs.readdir(libRoot)).map((name) => path.join(libRoot, name))];
  for (const candidate of candidates) {
    if (await fileExists(path.join(candidate, 'libcyrus.so.0'))) return { root, binDir, libDir: candidate };
  }
  throw new ServerNotInstalledError('cyrus', serversRoot());
}

/** What Debian's `cyrus makedirs` creates, owned by cyrus:mail (Cyrus makes the rest on demand). */
async function makeDirectories(dir: string, owner: SystemUser): Promise<void> {
  const p = cyrusPaths(dir);
  const modes: Array<[string, number]> = [
    [p.configDirectory, 0o750],
    ...['db', 'proc', 'log', 'msg', 'user', 'quota', 'lock'].map((sub): [string, number] => [path.join(p.configDirectory, sub), 0o700]),
    [path.join(p.configDirectory, 'socket'), 0o750],
    [p.partitionDefault, 0o750],
    [p.partitionNews, 0o750],
    [p.newsSpool, 0o750],
    [p.sieveDir, 0o750],
    [p.run, 0o755],
    [p.procPath, 0o750],
    [p.lockPath, 0o750],
    [p.socketDir, 0o750],
  ];
  for (const [d, mode] of modes) {
    await fs.mkdir(d, { recursive: true });
    await fs.chmod(d, mode);
    await fs.chown(d, owner.uid, owner.gid);
  }
}

/** Add or replace `user`'s password in the sasldb; the file stays readable by cyrus only. */
async function setPassword(sasldb: string, realm: string, user: string, owner: SystemUser): Promise<void> {
  // -p: the password is read from stdin without prompting; -c: create the entry (or replace it).
  await runWithInput(SASLPASSWD2, ['-f', sasldb, '-u', realm, '-c', '-p', user], CYRUS_PASSWORD);
  await fs.chown(sasldb, owner.uid, owner.gid);
  await fs.chmod(sasldb, 0o640);
}

function runWithInput(command: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}): ${stderr.trim()}`));
    });
    child.stdin.end(input);
  });
}

/** Log in as the admin and CREATE `mailbox` (e.g. `user.alice`: that user's INBOX). */
async function createMailbox(imapPort: number, mailbox: string): Promise<void> {
  const work = (async () => {
    const imap = await RawImap.login(imapPort, CYRUS_ADMIN, CYRUS_PASSWORD);
    try {
      await imap.command(`CREATE "${mailbox}"`).catch((err: Error) => {
        // addUser of an existing user only resets the password, as Dovecot's harness does.
        if (!/ NO Mailbox already exists/.test(err.message)) throw err;
      });
    } finally {
      await imap.logout();
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`cyrus: CREATE ${mailbox} as ${CYRUS_ADMIN} took over 20 s`)), 20_000);
  });
  try {
    await Promise.race([work, timeout]);
  } catch (err) {
    throw new Error(`cyrus: CREATE ${mailbox} as ${CYRUS_ADMIN} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The shell run inside the new mount namespace (it then execs master, keeping the PID we
 * spawned): /dev becomes a small tmpfs of symlinks to the real /dev (bind-mounted under the
 * instance dir), plus `log` -> the instance's syslog socket. Nothing outside the namespace changes.
 */
const NAMESPACE_SCRIPT = `set -e
d=$1; shift
mkdir -p "$d/realdev"
mount --rbind /dev "$d/realdev"
mount -t tmpfs -o mode=0755,size=64k mailferry-dev /dev
for e in "$d"/realdev/* "$d"/realdev/.[!.]*; do
  [ -e "$e" ] || [ -L "$e" ] || continue
  ln -s "$e" "/dev/\${e##*/}"
done
ln -sf "$d/log.sock" /dev/log
exec "$@"
`;

let namespaceProbe: Promise<boolean> | undefined;

/** Whether this process may make a private mount namespace (root with CAP_SYS_ADMIN, unshare present). */
function namespacesWork(): Promise<boolean> {
  namespaceProbe ??= (async () => {
    // MAILFERRY_CYRUS_NO_NAMESPACE=1 forces the fallback (logs from master's stdout/stderr only).
    if (process.env['MAILFERRY_CYRUS_NO_NAMESPACE'] === '1') return false;
    if (process.getuid?.() !== 0 || !(await fileExists(UNSHARE))) return false;
    const probeDir = await fs.mkdtemp(path.join(os.tmpdir(), 'mailferry-cyrus-nsprobe-'));
    try {
      await run(UNSHARE, ['--mount', '--propagation', 'private', '/bin/sh', '-c', NAMESPACE_SCRIPT, 'mailferry-cyrus-ns', probeDir, '/bin/true'], {
        timeout: 10_000,
      });
      return true;
    } catch {
      return false;
    } finally {
      await fs.rm(probeDir, { recursive: true, force: true });
    }
  })();
  return namespaceProbe;
}

interface LaunchInput {
  dir: string;
  install: Install;
  shippedCyrus: string;
  files: { syslog: string; masterLog: string };
  syslogCaptured: boolean;
}

/** Write cyrus.conf with fresh ports, spawn master, wait for both greetings; new ports if one was taken meanwhile. */
async function launch(input: LaunchInput): Promise<{ proc: OwnedProcess; imapPort: number; pop3Port: number }> {
  const paths = cyrusPaths(input.dir);
  for (let attempt = 1; ; attempt++) {
    const [imapPort, pop3Port] = (await freePorts(2)) as [number, number];
    await fs.writeFile(paths.cyrusConf, cyrusConf(input.shippedCyrus, { dir: input.dir, binDir: input.install.binDir, imapPort, pop3Port }), {
      mode: 0o644,
    });
    // -D: keep stdout/stderr open (into master.log); foreground is master's default (-d would daemonize).
    const masterArgs = [path.join(input.install.binDir, 'master'), '-D', '-C', paths.imapdConf, '-M', paths.cyrusConf, '-p', paths.pidFile, '-l', '32'];
    // setsid: master's shutdown signals its whole process group (every process it may signal,
    // i.e. all running as cyrus), which would end other instances' masters and imapds in our group.
    const prefix = [`LD_LIBRARY_PATH=${input.install.libDir}`, SETSID];
    const args = input.syslogCaptured
      ? [...prefix, UNSHARE, '--mount', '--propagation', 'private', '/bin/sh', '-c', NAMESPACE_SCRIPT, 'mailferry-cyrus-ns', input.dir, ...masterArgs]
      : [...prefix, ...masterArgs];
    // env, setsid (we are no group leader, so it does not fork) and unshare exec, as does the
    // script, so the PID we hold is master's.
    const proc = await spawnOwned('/usr/bin/env', args, { logFile: input.files.masterLog });
    const outcome = await waitReady(proc, imapPort, pop3Port, input.files.syslog, 20_000);
    if (outcome === 'ready') return { proc, imapPort, pop3Port };
    await stopMaster(proc);
    if ((outcome === 'port-taken' && attempt < 5) || (outcome === 'exited' && attempt < 3)) {
      // A new attempt appends to the same logs; mark where it starts. (A master that exits
      // silently at once was seen twice in ~20 starts on a machine shared with other test
      // servers, killed by a signal it got before logging anything: worth one more try.)
      const why = outcome === 'port-taken' ? 'a port was taken' : `master exited (${describeExit(await proc.exited)})`;
      await fs.appendFile(input.files.masterLog, `--- harness: ${why}; retrying with new ports ---\n`);
      continue;
    }
    throw new Error(
      outcome === 'port-taken'
        ? `cyrus: ports taken by another process ${attempt} times`
        : outcome === 'exited'
          ? `cyrus master exited (${describeExit(await proc.exited)}) before IMAP ${imapPort} and POP3 ${pop3Port} greeted`
          : `cyrus did not greet on IMAP ${imapPort} and POP3 ${pop3Port} within 20 s`,
    );
  }
}

function describeExit(info: { code: number | null; signal: NodeJS.Signals | null }): string {
  return info.signal !== null ? `signal ${info.signal}` : `code ${info.code}`;
}

const BIND_FAILED = /unable to (?:bind to|create) (?:imap|pop3)\S* (?:socket|listener socket): Address already in use/;

/** Poll until IMAP and POP3 both answer with Cyrus's greeting, master exits, a port is someone else's, or the deadline. */
async function waitReady(
  proc: OwnedProcess,
  imapPort: number,
  pop3Port: number,
  syslogFile: string,
  deadlineMs: number,
): Promise<'ready' | 'exited' | 'port-taken' | 'timeout'> {
  const start = Date.now();
  let imapOk = false;
  let pop3Ok = false;
  while (Date.now() - start < deadlineMs) {
    if (!proc.running()) return 'exited';
    const syslog = await fs.readFile(syslogFile, 'utf8').catch(() => '');
    if (BIND_FAILED.test(syslog)) return 'port-taken';
    try {
      if (!imapOk) imapOk = await greets(imapPort, /^\* OK .*Cyrus IMAP/);
      if (!pop3Ok) pop3Ok = await greets(pop3Port, /^\+OK .*Cyrus POP3/);
    } catch (err) {
      if ((err as { portTaken?: boolean }).portTaken) return 'port-taken';
      throw err;
    }
    if (imapOk && pop3Ok) return 'ready';
    await new Promise((r) => setTimeout(r, 50));
  }
  return 'timeout';
}

/** True when the port greets with `expected`; false when nothing answers yet; throws 'port-taken' for another server's greeting. */
async function greets(port: number, expected: RegExp): Promise<boolean> {
  let reply: string;
  try {
    reply = await tcpExchange(port, { until: /\r\n/, timeoutMs: 1_000 });
  } catch {
    return false;
  }
  if (expected.test(reply)) return true;
  // Someone else answers: our master could not bind (and will never get this port).
  throw Object.assign(new Error(`another server answers on ${port}: ${JSON.stringify(reply)}`), { portTaken: true });
}

/**
 * SIGTERM to master (which ends its programs and waits for them), SIGKILL after 10 s. Then
 * SIGKILL any of its children, by PID and start time as seen before, that outlived it.
 */
async function stopMaster(proc: OwnedProcess): Promise<void> {
  const children = await childProcesses(proc.pid);
  await proc.stop('SIGTERM', 10_000);
  for (const child of children) {
    if ((await startTime(child.pid)) !== child.startTime) continue;
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

async function childProcesses(parent: number): Promise<Array<{ pid: number; startTime: string }>> {
  const found: Array<{ pid: number; startTime: string }> = [];
  for (const name of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readStat(Number(name));
    if (stat && stat.ppid === parent) found.push({ pid: Number(name), startTime: stat.startTime });
  }
  return found;
}

async function startTime(pid: number): Promise<string | undefined> {
  return (await readStat(pid))?.startTime;
}

/** ppid and start time (field 22) from /proc/<pid>/stat; the command name may hold spaces, so parse after its ')'. */
async function readStat(pid: number): Promise<{ ppid: number; startTime: string } | undefined> {
  const text = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, starttime field 22.
  return { ppid: Number(fields[1]), startTime: fields[19] ?? '' };
}

/**
 * The last `lines` syslog messages (each "Mon DD HH:MM:SS cyrus/<program>[pid]: text"), then
 * whatever master printed. socat writes datagrams back to back (syslog adds no newline), so
 * messages are split at each "<priority>" followed by a timestamp.
 */
async function readLogs(files: { syslog: string; masterLog: string }, lines: number): Promise<string> {
  const [raw, masterLog] = await Promise.all([
    fs.readFile(files.syslog, 'utf8').catch(() => ''),
    fs.readFile(files.masterLog, 'utf8').catch(() => ''),
  ]);
  const messages = raw
    .split(/<\d{1,3}>(?=[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d )/)
    .map((m) => m.replace(/\s+$/, ''))
    .filter((m) => m !== '');
  const parts = [messages.slice(-lines).join('\n')];
  const masterLines = masterLog.split('\n').filter((l) => l.trim() !== '');
  if (masterLines.length > 0) parts.push(`--- master stdout/stderr ---\n${masterLines.slice(-lines).join('\n')}`);
  return parts.filter((p) => p !== '').join('\n');
}

async function waitForFile(file: string, owner: OwnedProcess, deadlineMs: number): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < deadlineMs) {
    if (await fileExists(file)) return;
    if (!owner.running()) throw new Error(`socat exited before creating ${file}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`socat did not create ${file} within ${deadlineMs} ms`);
}
