/** The `mailferry` command line. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config/index.js';
import { isMappingError } from '../mapping/index.js';
import { EmbeddedRedisError, RedisPolicyError } from '../state/index.js';
import { migrate } from './commands/migrate.js';
import { status } from './commands/status.js';
import { worker } from './commands/worker.js';
import { EXIT } from './exit-codes.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const positiveInt = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive whole number`);
  return n;
};

const program = new Command()
  .name('mailferry')
  .description('Migrate and mirror mailboxes through a crash-safe queue (IMAP, POP3 and Exchange EWS).')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText('after', `
Exit codes:
  0    every selected message is on the target
  1    finished, but some messages are quarantined or a folder failed (see the summary)
  2    bad input: usage, config file, secrets, Redis settings
  3    an account could not be used: authentication, TLS or connection failure
  130  interrupted (SIGINT), 143 terminated (SIGTERM): run again to resume

Environment:
  MAILFERRY_SOURCE_PASSWORD, MAILFERRY_TARGET_PASSWORD   passwords for the one-liner
  REDIS_URL            use this Redis instead of the embedded one
  XDG_STATE_HOME       the embedded Redis lives in $XDG_STATE_HOME/mailferry (default ~/.local/state)
  MAILFERRY_LOG_LEVEL  pino log level (default: info, or warn when progress bars are shown)`);

const redisOptions = (command: Command): Command => command
  .option('--redis <url>', 'Redis URL (default: $REDIS_URL, else a private embedded redis-server)')
  .option('--state-dir <dir>', 'where the embedded Redis keeps its data (default: $XDG_STATE_HOME/mailferry)');

redisOptions(program.command('migrate')
  .description('Copy every message of the source account into the target account, once, resumably.')
  .option('--source <url>', 'source account: imaps://USER@HOST[:PORT] (TLS) or imap://USER@HOST[:PORT] (STARTTLS; add ?tls=off for plaintext); POP3: pop3s://, pop3:// (STLS), ?auth=user|apop; Exchange: ews://USER@HOST[:PORT]/EWS/Exchange.asmx, ?auth=ntlm|basic|bearer|oauth (with &tenant= &client=), ?impersonate=ADDRESS')
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
  .action(async (options) => finish(await migrate(options)));

redisOptions(program.command('worker')
  .description('Work queued jobs of the config\'s pairs until stopped (scale-out helper for migrate).')
  .requiredOption('--config <file>', 'YAML config with accounts and pairs')
  .option('--pair <name>', 'serve only this pair')
  .option('--concurrency <n>', 'folders at once per pair (default 4)', positiveInt('--concurrency')))
  .action(async (options) => finish(await worker(options)));

redisOptions(program.command('status')
  .description('Show recent runs and their progress.')
  .option('--limit <n>', 'how many runs', positiveInt('--limit'), 10)
  .addOption(new Option('--json', 'machine-readable output').default(false)))
  .action(async (options) => finish(await status(options)));

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
