#!/usr/bin/env node
/**
 * Quick-start demo (`npm run demo`): a real migration between two local mail accounts.
 *
 * Starts a private Dovecot (the test harness) with users alice-old and alice-new, loads a
 * realistic corpus into alice-old, runs `mailferry migrate` twice on the embedded defaults
 * (a private redis-server under a temp state dir), then stops both servers and removes the
 * temp dirs. Exits with the migrate exit code. Needs root: the harness creates a system user.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MESSAGES = 200;
const fail = (message) => {
  console.error(`demo: ${message}`);
  process.exit(2);
};

// Dovecot lives in /usr/sbin on Debian, which a PATH may lack.
process.env.PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;
const onPath = (cmd) => process.env.PATH.split(':').some((dir) => dir && fs.existsSync(path.join(dir, cmd)));

if (process.getuid?.() !== 0) {
  fail('needs root: the demo mail server stores mail as a dedicated system user, which it creates (useradd).\n' +
    '      Run it as root, e.g. `sudo npm run demo`, or in a container.');
}
const missing = ['dovecot', 'redis-server'].filter((cmd) => !onPath(cmd));
if (missing.length > 0) fail(`${missing.join(' and ')} not found; install: apt-get install -y dovecot-imapd dovecot-pop3d redis-server`);

let harness;
try {
  harness = {
    ...(await import('../.build/test/support/dovecot.js')),
    ...(await import('../.build/test/support/corpus.js')),
    ...(await import('../.build/test/support/imap-account.js')),
  };
} catch (error) {
  fail(`cannot load the compiled test harness (${error.message}); run \`npm run demo\`, which builds it first`);
}
const { startDovecot, buildCorpus, loadMessages, snapshotAccount } = harness;

const say = (text) => process.stdout.write(`\n==> ${text}\n`);
// Ctrl-C reaches the migrate child too: it stops at a page boundary, then we clean up.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (interrupted = true));

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailferry-demo-'));
let dovecot;
let exitCode = 1;
try {
  say('Starting a private Dovecot with the accounts alice-old and alice-new');
  dovecot = await startDovecot({ users: ['alice-old', 'alice-new'] });
  const account = (user) => ({ port: dovecot.imapPort, user, password: dovecot.password });
  const url = (user) => `imap://${user}@127.0.0.1:${dovecot.imapPort}?tls=off`;

  const corpus = buildCorpus({ seed: 42, count: MESSAGES });
  const folders = [...new Set(corpus.map((m) => m.folder))];
  say(`Loading ${corpus.length} messages into alice-old (${folders.length} folders: ${folders.join(', ')})`);
  await loadMessages(account('alice-old'), corpus);

  const args = ['migrate', '--source', url('alice-old'), '--target', url('alice-new'), '--state-dir', stateDir];
  const migrate = async (title) => {
    say(`${title}\n    mailferry ${args.map((a) => (/[?&\s]/.test(a) ? `'${a}'` : a)).join(' ')}\n`);
    const env = { ...process.env, MAILFERRY_SOURCE_PASSWORD: dovecot.password, MAILFERRY_TARGET_PASSWORD: dovecot.password };
    delete env.REDIS_URL; // the demo shows the embedded default
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(root, 'bin', 'mailferry.js'), ...args], { stdio: 'inherit', env });
    const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal === 'SIGINT' ? 130 : 1))));
    process.stdout.write(`(exit code ${code}, ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return code;
  };

  exitCode = await migrate('First run: copy everything');
  if (exitCode === 0 && !interrupted) {
    exitCode = await migrate('Second run, same command: resumes from the checkpoints in Redis, copies nothing');
  }
  if (exitCode === 0 && !interrupted) {
    const prints = async (user) => [...(await snapshotAccount(account(user))).values()].flat()
      .map((m) => `${m.sha256} ${m.size} ${m.internalDate} ${m.flags.join(' ')}`).sort().join('\n');
    const same = (await prints('alice-old')) === (await prints('alice-new'));
    say(same
      ? `Checked independently (imapflow, not mailferry): alice-new holds the same ${MESSAGES} messages, byte for byte (SHA-256), with their flags and dates.`
      : 'Independent check FAILED: alice-old and alice-new differ.');
    if (!same) exitCode = 1;
  }

  if (exitCode !== 0 || interrupted) {
    say(`The demo stopped early (exit code ${exitCode}); see the messages above.`);
  } else say(`What happened
    - The first run listed alice-old's folders, created them on alice-new and copied every
      message byte-exact, page by page; after each page it committed a checkpoint to Redis.
    - No Redis was given, so mailferry started its own redis-server on a Unix socket under
      --state-dir (default: $XDG_STATE_HOME/mailferry), AOF with fsync on every write.
    - The second run found every folder complete (same UIDNEXT as at the checkpoint) and
      copied nothing. Interrupt a run (Ctrl-C) and run it again: it resumes, and never
      doubles a message.

    Against real servers (passwords from the environment or a file, never on the command line):
      export MAILFERRY_SOURCE_PASSWORD=... MAILFERRY_TARGET_PASSWORD=...
      node bin/mailferry.js migrate --source imaps://alice@old.example.com --target imaps://alice@new.example.com
    Many accounts: --config FILE (see config/example.yaml). More: README.md, or --help.`);
} catch (error) {
  console.error(`demo: ${error?.stack ?? error}`);
  exitCode = 1;
} finally {
  await dovecot?.stop().catch((error) => console.error(`demo: stopping Dovecot: ${error.message}`));
  await stopEmbeddedRedis(path.join(stateDir, 'redis', 'redis.pid'));
  fs.rmSync(stateDir, { recursive: true, force: true });
}
process.exit(exitCode);

/** The embedded redis-server outlives the CLI on purpose; the demo ends it (that pid only). */
async function stopEmbeddedRedis(pidFile) {
  const pid = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : NaN);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
}
