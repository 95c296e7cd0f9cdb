import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeSelfSignedCertificate } from './certificate.js';
import { dovecotConfig, dovecotOAuth2Config } from './dovecot-config.js';
import { spawnOwned, type OwnedProcess } from './owned-process.js';
import { freePorts } from './ports.js';
import { ensureMailUsers, type SystemUser } from './system-users.js';
import { waitForTcp } from './tcp-probe.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

const run = promisify(execFile);

/** Password of every user of a test Dovecot. */
export const DOVECOT_PASSWORD = 'mailferry-test-pw';

/** A private Dovecot instance owned by this test process. */
export interface DovecotServer {
  host: '127.0.0.1';
  /** Plain IMAP (STARTTLS offered, plaintext login allowed). */
  imapPort: number;
  /** Implicit-TLS IMAP. */
  imapsPort: number;
  /** Plain POP3 (STLS offered, plaintext USER/PASS and APOP allowed; the greeting has an APOP timestamp). */
  pop3Port: number;
  /** Implicit-TLS POP3 (pop3s). */
  pop3sPort: number;
  /** Private directory: dovecot.conf, dovecot.log, users/, mail/, run/, tls/. */
  dir: string;
  /** The same for every user. */
  password: string;
  /** The self-signed server certificate (CN and SAN IP 127.0.0.1); pass as `ca` to trust it. */
  caFile: string;
  /** Add a mail user; it can log in as soon as this resolves. */
  addUser(name: string): Promise<void>;
  /** Run `doveadm -c <conf> ...args` and return its stdout. */
  doveadm(args: string[]): Promise<string>;
  /** Stop this instance (SIGTERM to our master PID, wait for exit) and delete `dir`. */
  stop(): Promise<void>;
}

/** Options for {@link startDovecot}. */
export interface StartDovecotOptions {
  /** Users created before the server starts. */
  users?: string[];
  /** Appended verbatim to dovecot.conf, e.g. `pop3_uidl_format = %g` or a `plugin { }` block. */
  extraConfig?: string;
  /**
   * Also accept OAuth logins (IMAP AUTH=XOAUTH2 and AUTH=OAUTHBEARER; POP3 SASL XOAUTH2 and
   * OAUTHBEARER in CAPA, RFC 5034 AUTH), checked by Dovecot's oauth2
   * passdb against this RFC 7662 introspection endpoint (e.g. the fake token service's
   * `introspectionUrl`); password logins keep working for every user.
   */
  oauth2?: { introspectionUrl: string };
}

/**
 * Start a private Dovecot (IMAP, IMAPS, POP3, POP3S) on free 127.0.0.1 ports; resolves once IMAP greets.
 *
 * The master runs in the foreground (`dovecot -F`) as our child, so its PID is ours to
 * signal; mail is stored as maildir owned by the `mailferry-test` system user.
 */
export async function startDovecot(options: StartDovecotOptions = {}): Promise<DovecotServer> {
  const mailUser = await ensureMailUsers();
  const dir = await makeTempDir('dovecot');
  try {
    const { certFile, keyFile } = await writeSelfSignedCertificate(path.join(dir, 'tls'));
    const usersDir = path.join(dir, 'users');
    await fs.mkdir(usersDir);
    await fs.mkdir(path.join(dir, 'mail'));
    await fs.chown(path.join(dir, 'mail'), mailUser.uid, mailUser.gid);
    for (const user of options.users ?? []) await writeUser(usersDir, user, mailUser, dir);

    const confFile = path.join(dir, 'dovecot.conf');
    let oauth2ConfFile: string | undefined;
    if (options.oauth2) {
      oauth2ConfFile = path.join(dir, 'dovecot-oauth2.conf.ext');
      await fs.writeFile(oauth2ConfFile, dovecotOAuth2Config(options.oauth2.introspectionUrl), { mode: 0o644 });
    }
    const started = await launch(dir, confFile, { certFile, keyFile, usersDir, mailUser, extraConfig: options.extraConfig, oauth2ConfFile });
    const { proc, ports } = started;
    return {
      host: '127.0.0.1',
      imapPort: ports.imap,
      imapsPort: ports.imaps,
      pop3Port: ports.pop3,
      pop3sPort: ports.pop3s,
      dir,
      password: DOVECOT_PASSWORD,
      caFile: certFile,
      addUser: (name) => writeUser(usersDir, name, mailUser, dir),
      async doveadm(args) {
        try {
          const { stdout } = await run('doveadm', ['-c', confFile, ...args], { timeout: 60_000, maxBuffer: 256 << 20 });
          return stdout;
        } catch (err) {
          const e = err as { stderr?: string; message: string };
          throw new Error(`doveadm ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
        }
      },
      async stop() {
        await proc.stop('SIGTERM', 10_000);
        await removeTempDir(dir);
      },
    };
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}

interface LaunchInput {
  certFile: string;
  keyFile: string;
  usersDir: string;
  mailUser: SystemUser;
  extraConfig: string | undefined;
  oauth2ConfFile: string | undefined;
}

/** Spawn and wait for the greeting; retry with new ports if one was taken meanwhile. */
async function launch(
  dir: string,
  confFile: string,
  input: LaunchInput,
): Promise<{ proc: OwnedProcess; ports: { imap: number; imaps: number; pop3: number; pop3s: number } }> {
  const logFile = path.join(dir, 'dovecot.log');
  for (let attempt = 1; ; attempt++) {
    const [imap, imaps, pop3, pop3s] = (await freePorts(4)) as [number, number, number, number];
    await fs.writeFile(
      confFile,
      dovecotConfig({
        dir,
        instanceName: path.basename(dir),
        imapPort: imap,
        imapsPort: imaps,
        pop3Port: pop3,
        pop3sPort: pop3s,
        certFile: input.certFile,
        keyFile: input.keyFile,
        usersDir: input.usersDir,
        uid: input.mailUser.uid,
        gid: input.mailUser.gid,
        ...(input.extraConfig !== undefined ? { extraConfig: input.extraConfig } : {}),
        ...(input.oauth2ConfFile !== undefined ? { oauth2ConfFile: input.oauth2ConfFile } : {}),
      }),
    );
    const proc = await spawnOwned('dovecot', ['-F', '-c', confFile], { logFile: path.join(dir, 'dovecot.stderr.log') });
    try {
      await waitForTcp(imap, { until: /^\* OK.*\r\n/, deadlineMs: 15_000, alive: proc.running, what: 'dovecot' });
      return { proc, ports: { imap, imaps, pop3, pop3s } };
    } catch (err) {
      await proc.stop('SIGKILL');
      const log = await readLogs(logFile, path.join(dir, 'dovecot.stderr.log'));
      if (attempt < 5 && /Address already in use/.test(log)) continue;
      throw new Error(`${(err as Error).message}\n--- dovecot log (${dir}) ---\n${log}`);
    }
  }
}

async function readLogs(...files: string[]): Promise<string> {
  const parts = await Promise.all(files.map((f) => fs.readFile(f, 'utf8').catch(() => '')));
  return parts.join('').split('\n').slice(-30).join('\n');
}

/** One passwd-file per user (see dovecot-config.ts for why); written atomically via rename. */
async function writeUser(usersDir: string, name: string, mailUser: SystemUser, dir: string): Promise<void> {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(name)) throw new Error(`addUser: unsupported user name ${JSON.stringify(name)}`);
  const file = path.join(usersDir, name);
  const line = `${name}:{PLAIN}${DOVECOT_PASSWORD}:${mailUser.uid}:${mailUser.gid}::${dir}/mail/${name}::\n`;
  // Dot-prefixed temp name: user names cannot start with ".", so no login can hit it.
  const tmp = path.join(usersDir, `.${name}.tmp`);
  await fs.writeFile(tmp, line, { mode: 0o644 });
  await fs.rename(tmp, file);
}

