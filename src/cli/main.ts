/** The `mailferry` command line. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config/index.js';
import { isMappingError } from '../mapping/index.js';
import { EmbeddedRedisError, RedisPolicyError } from '../state/index.js';
import { EXIT } from './exit-codes.js';

// Each command's module is imported in its action: `--help` and the other commands do
// not pay for loading what one command needs (express, the connectors, BullMQ).

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const positiveInt = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive whole number`);
  return n;
};

const tcpPort = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('--http-port must be a TCP port (1-65535)');
  return n;
};

const program = new Command()
  .name('mailferry')
  .description('Migrate, mirror and back up mailboxes through a crash-safe queue (IMAP, POP3, Exchange EWS, Microsoft Graph, Maildir).')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText('after', `
Exit codes:
  0    every selected message is on the target
  1    finished, but some messages are quarantined, a folder failed, or a mirror held
       deletions back (see the summary)
  2    bad input: usage, config file, secrets, Redis settings
  3    an account could not be used: authentication, TLS or connection failure
  130  interrupted (SIGINT), 143 terminated (SIGTERM): run again to resume

Environment:
  MAILFERRY_SOURCE_PASSWORD, MAILFERRY_TARGET_PASSWORD   passwords for the one-liner
  REDIS_URL            use this Redis instead of the embedded one
  XDG_STATE_HOME       the embedded Redis lives in $XDG_STATE_HOME/mailferry (default ~/.local/state)
  MAILFERRY_REDIS_IDLE_MINUTES   the embedded Redis stops after this long without a client (default 10; 0: at once)
  MAILFERRY_LOG_LEVEL  pino log level (default: info, or warn when progress bars are shown)
  MAILFERRY_HTTP_PORT, MAILFERRY_HTTP_HOST   as --http-port, --http-host (migrate, mirror, daemon, worker)
  MAILFERRY_DASHBOARD_TOKEN   the token that opens /dashboard (as --dashboard-token-file)`);

const redisOptions = (command: Command): Command => command
  .option('--redis <url>', 'Redis URL (default: $REDIS_URL, else a private embedded redis-server)')
  .option('--state-dir <dir>', 'where the embedded Redis keeps its data (default: $XDG_STATE_HOME/mailferry)');

/** Redis options, plus the HTTP server of a command that works jobs (health, metrics, dashboard). */
const serveOptions = (command: Command): Command => redisOptions(command)
  .option('--http-port <port>', 'serve /healthz, /readyz, /metrics and /dashboard on this port (default: $MAILFERRY_HTTP_PORT; neither: no server)', tcpPort)
  .option('--http-host <address>', 'the address --http-port binds (default: $MAILFERRY_HTTP_HOST, else 127.0.0.1; 0.0.0.0 in a container)')
  .option('--dashboard-token-file <file>', 'the token that opens /dashboard (default: $MAILFERRY_DASHBOARD_TOKEN; neither: the dashboard is off)');

serveOptions(program.command('migrate')
  .description('Copy every message of the source account into the target account, once, resumably.')
  .option('--source <url>', 'source account: imaps://USER@HOST[:PORT] (TLS) or imap://USER@HOST[:PORT] (STARTTLS; add ?tls=off for plaintext); POP3: pop3s://, pop3:// (STLS), ?auth=user|apop|oauth|oauth-refresh; Exchange: ews://USER@HOST[:PORT]/EWS/Exchange.asmx, ?auth=ntlm|basic|bearer|oauth (with &tenant= &client=), ?impersonate=ADDRESS; Microsoft 365 through Graph: graph://USER@DOMAIN?tenant=TENANT_ID&client=CLIENT_ID[&cert=FILE.pem] (the client secret as the password); IMAP and POP3 OAuth2: ?auth=oauth&tenant=&client= (client secret) or ?auth=oauth-refresh&client=[&token-url=] (refresh token)')
  .option('--target <url>', 'target account: imaps://, imap:// or ews://, as for --source; maildir:///PATH for a local Maildir (also a --source, to restore)')
  .option('--source-password-file <file>', `read the source password from a file (default: $${'MAILFERRY_SOURCE_PASSWORD'})`)
  .option('--target-password-file <file>', `read the target password from a file (default: $${'MAILFERRY_TARGET_PASSWORD'})`)
  .option('--source-ca <file>', 'trust this PEM CA for the source (self-hosted servers)')
  .option('--target-ca <file>', 'trust this PEM CA for the target')
  .option('--config <file>', 'YAML config with accounts and pairs (see config/example.yaml)')
  .option('--pair <name>', 'with --config: run only this pair (default: every pair)')
  .option('--include <glob>', 'only folders matching this glob (repeatable; "*" one level, "**" any depth)', collect, [])
  .option('--exclude <glob>', 'skip folders matching this glob (repeatable; wins over --include)', collect, [])
  .option('--no-special-use', 'do not map Sent/Drafts/Trash/Junk/Archive onto the target\'s own folders')
  .option('--page-size <n>', 'messages per checkpoint (default 200)', positiveInt('--page-size'))
  .option('--concurrency <n>', 'folders copied at once; each uses one source and one target connection (default 4)', positiveInt('--concurrency'))
  .addOption(new Option('--json', 'print the summary as JSON on stdout').default(false))
  .option('--pop3-folder <path>', 'POP3 source: the target folder for its messages (default INBOX), e.g. Imported/POP')
  .option('--pop3-seen', 'POP3 source: store the messages as read (default: unread)')
  .addOption(new Option('--pop3-date <from>', 'POP3 source: INTERNALDATE from the newest Received: header, else Date:, else now (default received)').choices(['received', 'date', 'now']))
  .option('--pop3-delete <policy>', 'POP3 source: never (default), after-copy, or older-than:30d; deletes only what the target confirmed, at the end of a complete run')
  .option('--mapping-report <file>', 'POP3 source: after the run, write UIDL -> target folder, UID and date as tab-separated lines')
  .option('--report <file>', 'after the run, write its report as JSON (per folder: counts, bytes, quarantined messages); several pairs: { runs: [...] }')
  .addHelpText('after', `
Examples:
  MAILFERRY_SOURCE_PASSWORD=... MAILFERRY_TARGET_PASSWORD=... \\
    mailferry migrate --source imaps://alice@old.example.com --target imaps://alice@new.example.com
  mailferry migrate --source imaps://alice@old.example.com --target imaps://alice@new.example.com \\
    --exclude Junk --exclude 'Trash/**'
  MAILFERRY_SOURCE_PASSWORD=... MAILFERRY_TARGET_PASSWORD=... \\
    mailferry migrate --source pop3s://alice@pop.example.com --target imaps://alice@new.example.com \\
    --pop3-folder Imported/POP --pop3-delete after-copy
  mailferry migrate --source 'ews://CONTOSO%5Csvc@mail.contoso.com/EWS/Exchange.asmx?impersonate=bob@contoso.com' \\
    --target imaps://bob@new.example.com
  mailferry migrate --config mailferry.yaml --pair alice`))
  .action(async (options) => finish(await (await import('./commands/migrate.js')).migrate(options)));

serveOptions(program.command('mirror')
  .description('Keep the target following the source, in the foreground: new mail, flag changes, deletions (within a cap), new and renamed folders.')
  .option('--source <url>', 'source account: imaps://USER@HOST[:PORT] or imap://USER@HOST[:PORT] (STARTTLS; ?tls=off for plaintext); Microsoft 365: graph://USER@DOMAIN?tenant=TENANT_ID&client=CLIENT_ID (polled by full passes)')
  .option('--target <url>', 'target account: imaps://, imap:// or maildir:///PATH')
  .option('--source-password-file <file>', 'read the source password from a file (default: $MAILFERRY_SOURCE_PASSWORD)')
  .option('--target-password-file <file>', 'read the target password from a file (default: $MAILFERRY_TARGET_PASSWORD)')
  .option('--source-ca <file>', 'trust this PEM CA for the source')
  .option('--target-ca <file>', 'trust this PEM CA for the target')
  .option('--include <glob>', 'only folders matching this glob (repeatable)', collect, [])
  .option('--exclude <glob>', 'skip folders matching this glob (repeatable)', collect, [])
  .option('--no-special-use', 'do not map Sent/Drafts/Trash/Junk/Archive onto the target\'s own folders')
  .option('--watch <glob>', 'source folders followed as changes happen, by IMAP IDLE (repeatable; default INBOX)', collect, [])
  .option('--poll-seconds <n>', 'a full pass over every folder this often (default 60)', positiveInt('--poll-seconds'))
  .option('--delete-cap-percent <n>', 'a pass deletes at most this share of a folder unless confirmed (default 10)', positiveInt('--delete-cap-percent'))
  .option('--delete-cap-minimum <n>', '... but always up to this many messages (default 10)', positiveInt('--delete-cap-minimum'))
  .option('--confirm-deletes', 'allow this run to exceed the cap and to empty folders the source emptied', false)
  .option('--watchers-per-account <n>', 'IDLE connections per source account at most', positiveInt('--watchers-per-account'), 3)
  .option('--concurrency <n>', 'folders at once (default 4)', positiveInt('--concurrency'))
  .option('--once', 'one full pass, then print the summary and exit (exit codes as for migrate)', false)
  .addOption(new Option('--json', 'with --once: print the summary as JSON').default(false))
  .option('--report <file>', 'with --once: write the pass\'s report as JSON (per folder: counts, bytes, flags updated, deletions, quarantine)')
  .addHelpText('after', `
Deletions are followed only from a complete listing of the folder under the same
UIDVALIDITY, never from an error or an empty listing of a folder that had mail, and at
most --delete-cap-percent of a folder per pass: more is held and reported until you run
once with --confirm-deletes. Only messages mailferry copied are ever deleted.

Examples:
  MAILFERRY_SOURCE_PASSWORD=... MAILFERRY_TARGET_PASSWORD=... \\
    mailferry mirror --source imaps://alice@old.example.com --target imaps://alice@new.example.com
  mailferry mirror --source imaps://alice@old.example.com --target imaps://alice@new.example.com \\
    --watch INBOX --watch 'Projects/**' --poll-seconds 300`))
  .action(async (options) => finish(await (await import('./commands/mirror.js')).mirror(options)));

serveOptions(program.command('daemon')
  .description('Serve every pair of a config until stopped: mirrors follow their source, backups and scheduled runs run on time, queued runs are worked.')
  .requiredOption('--config <file>', 'YAML config with accounts and pairs (see config/example.yaml)')
  .option('--concurrency <n>', 'jobs at once in this process (default 4)', positiveInt('--concurrency'))
  .option('--watchers-per-account <n>', 'IDLE connections per source account at most', positiveInt('--watchers-per-account'), 3))
  .action(async (options) => finish(await (await import('./commands/daemon.js')).daemon(options)));

redisOptions(program.command('enqueue')
  .description('Queue a run of the config\'s pairs (or of --pair NAME ...) for the workers sharing this Redis, and return.')
  .requiredOption('--config <file>', 'YAML config with accounts and pairs')
  .option('--pair <name>', 'queue only this pair (repeatable)', collect, [])
  .option('--wait', 'wait for the runs to end, print one line each and exit like migrate', false))
  .action(async (options) => finish(await (await import('./commands/enqueue.js')).enqueue(options)));

serveOptions(program.command('worker')
  .description('Work queued runs of config pairs until stopped (scale-out: start any number, on any machine, on one Redis).')
  .requiredOption('--config <file>', 'YAML config with accounts and pairs (the secrets this worker can use)')
  .option('--concurrency <n>', 'jobs at once in this process (default 4)', positiveInt('--concurrency')))
  .action(async (options) => finish(await (await import('./commands/worker.js')).worker(options)));

program.command('verify')
  .description('Compare source and target by content, folder by folder as a run maps them: SHA-256 of every message, and flags and INTERNALDATE of identical ones. Reads both accounts; needs no Redis.')
  .argument('[pair]', 'with --config: the pair to verify (default: every pair of the file)')
  .option('--source <url>', 'source account, as for migrate (imaps://, imap://, pop3s://, pop3://, ews://, maildir:///PATH)')
  .option('--target <url>', 'target account: imaps://, imap:// or maildir:///PATH (not ews:// yet)')
  .option('--source-password-file <file>', 'read the source password from a file (default: $MAILFERRY_SOURCE_PASSWORD)')
  .option('--target-password-file <file>', 'read the target password from a file (default: $MAILFERRY_TARGET_PASSWORD)')
  .option('--source-ca <file>', 'trust this PEM CA for the source')
  .option('--target-ca <file>', 'trust this PEM CA for the target')
  .option('--config <file>', 'YAML config with accounts and pairs; the pair\'s folder rules (prefix, renames) apply')
  .option('--include <glob>', 'only folders matching this glob (repeatable), as given to migrate', collect, [])
  .option('--exclude <glob>', 'skip folders matching this glob (repeatable), as given to migrate', collect, [])
  .option('--no-special-use', 'as given to migrate: no Sent/Drafts/Trash/Junk/Archive mapping')
  .option('--pop3-folder <path>', 'POP3 source: the target folder its messages went to (default INBOX)')
  .addOption(new Option('--json', 'machine-readable output').default(false))
  .addHelpText('after', `
The last line is "VERIFY identical|changed|differs: folders=N messages=N missing=N extra=N [changed=N] flags=N dates=N".
"changed": every message is there, but the target changed some as it stored them (Cyrus replaces 8-bit
header bytes with 'X'; an mbox server adds Status: headers); each folder line says how. Such copies are
recognised by Message-ID and body.
Exit codes: 0 identical or changed, 1 differs, 2 usage, 3 an account could not be used.
A server that asks to wait ([LOGIN-DELAY], [IN-USE], throttling) is waited for, up to 15 minutes.
A backup pair keeps mail deleted on the source, so extra messages on its target may be expected.

Examples:
  MAILFERRY_SOURCE_PASSWORD=... MAILFERRY_TARGET_PASSWORD=... \\
    mailferry verify --source imaps://alice@old.example.com --target imaps://alice@new.example.com
  mailferry verify --config mailferry.yaml alice --json`)
  .action(async (pair: string | undefined, options) => finish(await (await import('./commands/verify.js')).verify(pair, options)));

program.command('discover')
  .description('List a Microsoft 365 tenant\'s mail users through Graph and write a config of pairs for them (YAML on stdout).')
  .argument('<url>', 'the Entra app: graph://ADMIN@DOMAIN?tenant=TENANT_ID&client=CLIENT_ID[&cert=FILE.pem] (needs User.Read.All; the client secret from $MAILFERRY_SOURCE_PASSWORD or --source-password-file)')
  .option('--target-template <url>', 'each mailbox\'s target, with {local}, {domain}, {mail} or {upn}, e.g. imaps://{local}@new.example.com')
  .option('--target-secret <ref>', 'where each target\'s secret is: env:NAME (one for all, e.g. an OAuth app\'s secret) or file:/path/{local} (default: env:MAILFERRY_TARGET_PASSWORD)')
  .option('--domain <domain>', 'only addresses in this domain (repeatable)', collect, [])
  .option('--group <name>', 'only members of this group (display name or id; needs GroupMember.Read.All)')
  .addOption(new Option('--enabled-only', 'leave out users whose account is disabled (shared mailboxes have disabled accounts)').default(false))
  .addOption(new Option('--mode <mode>', 'the pairs\' mode').choices(['migrate', 'mirror', 'backup']))
  .option('--output <file>', 'write the config to this file (mode 0600, atomically) instead of stdout')
  .option('--source-password-file <file>', 'read the app\'s client secret from a file (default: $MAILFERRY_SOURCE_PASSWORD)')
  .option('--source-ca <file>', 'PEM of a CA to trust for the Graph endpoint and the authority')
  .action(async (url: string, options) => finish(await (await import('./commands/discover.js')).discover(url, options)));

program.command('state').description('The embedded Redis that keeps state when no --redis is given.')
  .command('stop')
  .description('Stop the embedded Redis now (it stops by itself after $MAILFERRY_REDIS_IDLE_MINUTES, default 10, without a client); its data stays')
  .option('--state-dir <dir>', 'the state directory (default: $XDG_STATE_HOME/mailferry)')
  .action(async (options) => finish(await (await import('./commands/state-stop.js')).stateStop(options)));

const configCommand = program.command('config').description('Work with config files.');
configCommand.command('import')
  .description('Turn a file of accounts into a config of pairs (YAML on stdout), each password in a file of its own.')
  .argument('<file>', 'imapsync\'s lines host1;user1;password1;host2;user2;password2, or a CSV with the header source,source_password,target,target_password[,name] (account URLs)')
  .option('--source-template <url>', 'imapsync lines: the source URL, with {host} and {user} (default imaps://{user}@{host})')
  .option('--target-template <url>', 'imapsync lines: the target URL, with {host} and {user} (default imaps://{user}@{host})')
  .option('--secrets-dir <dir>', 'a new directory for the password files (mode 0700, files 0600)', 'mailferry-secrets')
  .option('--output <file>', 'write the config to this file (mode 0600, atomically) instead of stdout')
  .addHelpText('after', `
Every line is checked before anything is written; bad lines are named with their line
numbers (exit 2). Blank lines and lines starting with # are skipped. A field holding the
delimiter is double-quoted. Examples:
  mailferry config import accounts.txt --source-template 'imaps://{user}@{host}:993' \\
    --target-template 'imap://{user}@{host}:143' --secrets-dir /etc/mailferry/secrets > pairs.yaml
  mailferry config import accounts.csv --output pairs.yaml`)
  .action(async (file: string, options) => finish(await (await import('./commands/config-import.js')).configImport(file, options)));

redisOptions(program.command('status')
  .description('Show every registered pair (mode, schedule, its last or current run) and recent runs.')
  .option('--limit <n>', 'how many runs', positiveInt('--limit'), 10)
  .addOption(new Option('--json', 'machine-readable output').default(false)))
  .action(async (options) => finish(await (await import('./commands/status.js')).status(options)));

/**
 * Sets the exit code and makes sure the process really ends: a connection some library
 * keeps open (a reconnecting Redis client, an IMAP socket in LOGOUT) must not turn a
 * finished run into a hang. The timer is unref'd, so a clean exit is not delayed.
 */
function finish(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 3000).unref();
}

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError || isMappingError(error) || error instanceof RedisPolicyError || error instanceof EmbeddedRedisError) {
    process.stderr.write(`mailferry: ${(error as Error).message}\n`);
    finish(EXIT.USAGE);
    return;
  }
  process.stderr.write(`mailferry: ${(error as Error)?.stack ?? String(error)}\n`);
  finish(EXIT.INCOMPLETE);
});
