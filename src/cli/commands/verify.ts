/**
 * `mailferry verify`: compares a pair's source and target by content, folder by folder,
 * with the folder plan a run would use (so a backup's prefix and renames apply). No Redis
 * and no state: it reads both accounts and says what differs.
 *
 * Exit codes: 0 identical (or complete with copies the target changed), 1 differs, 2 usage,
 * 3 an account could not be used.
 */
import { ConfigError, accountLabel, readEnvironment, type RunSpec } from '../../config/index.js';
import { isConnectorError } from '../../connectors/connector-error.js';
import type { AnySource, TargetConnector, UidSource } from '../../connectors/types.js';
import { defaultConnectorFactory, type ConnectorFactory } from '../../jobs/index.js';
import { planRun } from '../../jobs/plan/plan-run.js';
import { compareDigests, sourceDigests, targetDigests } from '../../jobs/verify/verify-folder.js';
import { createLogger } from '../../observability/logger.js';
import { checkReadable } from '../account-check.js';
import { EXIT } from '../exit-codes.js';
import { waitingForServer } from '../server-waits.js';
import { EXAMPLES, formatPair, isIdentical, jsonOf, lastLine, totalsOf, type FolderVerdict, type PairVerdict } from '../verify/format.js';
import { planMigration, type MigrateOptions } from './migrate.js';

/** The account and folder options of `migrate` that decide what is compared, and --json. */
export type VerifyOptions = Pick<MigrateOptions,
  'source' | 'target' | 'sourcePasswordFile' | 'targetPasswordFile' | 'sourceCa' | 'targetCa' | 'config'
  | 'include' | 'exclude' | 'specialUse' | 'pop3Folder' | 'json'>;

/** An account could not be used (authentication, TLS, connection): exit 3. */
class AccountFailure extends Error {}

export function verifySpecs(pair: string | undefined, options: VerifyOptions): RunSpec[] {
  if (pair !== undefined && !options.config) throw new ConfigError('a pair name needs --config FILE (or give --source URL --target URL)');
  const { specs } = planMigration({ ...options, ...(pair === undefined ? {} : { pair }), json: false });
  for (const spec of specs) {
    if (spec.target.kind === 'ews') throw new ConfigError(`verify: pair ${spec.pairName}: not supported for ews targets yet (Exchange rebuilds MIME, and its items have no UIDs to compare)`);
  }
  return specs;
}

export async function verify(pair: string | undefined, options: VerifyOptions): Promise<number> {
  const specs = verifySpecs(pair, options);
  checkReadable(specs);
  const env = readEnvironment();
  const log = createLogger(env.logLevel ?? 'warn');
  const factory = defaultConnectorFactory(log);
  const verdicts: PairVerdict[] = [];
  try {
    for (const spec of specs) {
      const verdict = await verifyPair(factory, spec);
      verdicts.push(verdict);
      if (!options.json) {
        if (specs.length > 1) process.stdout.write(`\n== ${spec.pairName}\n`);
        process.stdout.write(`${formatPair(verdict).join('\n')}\n`);
      }
    }
  } catch (error) {
    if (error instanceof AccountFailure) {
      process.stderr.write(`mailferry verify: ${error.message}\n`);
      return EXIT.ACCOUNT;
    }
    throw error;
  }
  const totals = totalsOf(verdicts);
  if (options.json) process.stdout.write(`${JSON.stringify(jsonOf(verdicts), null, 2)}\n`);
  else process.stdout.write(`${lastLine(totals)}\n`);
  return isIdentical(totals) ? EXIT.OK : EXIT.INCOMPLETE;
}

/** Opens a connector; a failure to is the account's. */
async function opened<T extends { connect(): Promise<void>; close(): Promise<void> }>(make: () => Promise<T>, what: string): Promise<T> {
  const connector = await make();
  try {
    await waitingForServer(() => connector.connect(), (line) => process.stderr.write(`mailferry verify: ${what}: ${line}\n`));
  } catch (error) {
    await connector.close().catch(() => undefined);
    throw new AccountFailure(`${what}: ${(error as Error).message}`, { cause: error });
  }
  return connector;
}

async function verifyPair(factory: ConnectorFactory, spec: RunSpec): Promise<PairVerdict> {
  const source = await opened(() => factory.source(spec.source), `source ${accountLabel(spec.source)}`);
  try {
    const target = await opened(() => factory.target(spec.target), `target ${accountLabel(spec.target)}`);
    try {
      return await comparePair(spec, source, target);
    } finally {
      await target.close().catch(() => undefined);
    }
  } finally {
    await source.close().catch(() => undefined);
  }
}

/** Folder-level trouble becomes that folder's error; an account's ends the verification. */
function folderError(error: unknown, pairName: string): string {
  if (isConnectorError(error) && error.scope !== 'account') return error.message;
  if (isConnectorError(error)) throw new AccountFailure(`${pairName}: ${error.message}`, { cause: error });
  throw error;
}

async function comparePair(spec: RunSpec, source: AnySource, target: TargetConnector): Promise<PairVerdict> {
  let plan: Awaited<ReturnType<typeof planRun>>;
  let targetPaths: Set<string>;
  try {
    plan = await planRun(source, target, spec.rules);
    targetPaths = new Set((await target.listFolders()).map((f) => f.path));
  } catch (error) {
    throw new AccountFailure(`${spec.pairName}: listing folders failed: ${(error as Error).message}`, { cause: error });
  }
  // POP3 messages have no flags or dates of their own: the pair decides them.
  const compareFlags = source.kind !== 'maildrop';
  const folders: FolderVerdict[] = [];
  for (const folder of plan.folders) {
    const { sourcePath, targetPath } = folder;
    if (folder.content !== undefined && folder.content !== 'mail') {
      folders.push({ sourcePath, targetPath, status: 'skipped', error: `${folder.content} folder, not copied as mail` });
      continue;
    }
    try {
      const sourceSide = await sourceDigests(source, sourcePath);
      const exists = targetPaths.has(targetPath);
      const targetSide = exists ? await targetDigests(target, targetPath) : [];
      const policy = compareFlags && exists ? await target.flagPolicy(targetPath) : undefined;
      const comparison = compareDigests(sourceSide, targetSide, { ...(policy ? { policy } : {}), dates: compareFlags });
      const differs = comparison.missing.length + comparison.extra.length + comparison.flags.length + comparison.dates.length > 0;
      const messageIds = differs && source.kind === 'uid' ? await messageIdsOf(source, sourcePath, comparison) : undefined;
      folders.push({
        sourcePath, targetPath, status: differs ? 'differs' : comparison.changed.length > 0 ? 'changed' : 'identical', comparison,
        ...(exists ? {} : { targetMissing: true }), ...(messageIds ? { messageIds } : {}),
      });
    } catch (error) {
      folders.push({ sourcePath, targetPath, status: 'error', error: folderError(error, spec.pairName) });
    }
  }
  return { pair: spec.pairName, mode: spec.mode ?? 'migrate', folders, notes: notesFor(spec) };
}

/** Message-IDs of the example messages (cheap: a few ENVELOPE fetches); none when the source cannot say. */
async function messageIdsOf(source: UidSource, path: string, c: ReturnType<typeof compareDigests>): Promise<Map<number | string, string> | undefined> {
  const ids = [...new Set([...c.missing.map((m) => m.id), ...c.flags.map((p) => p.sourceId), ...c.dates.map((p) => p.sourceId)]
    .slice(0, 3 * EXAMPLES).filter((id): id is number => typeof id === 'number'))];
  if (ids.length === 0) return undefined;
  try {
    const metas = await source.fetchMeta(path, ids, { withMessageId: true });
    return new Map(metas.filter((m) => m.messageId !== undefined).map((m) => [m.uid, m.messageId as string]));
  } catch (error) {
    // The Message-IDs only label the examples of a folder already found to differ: a folder
    // that cannot give them (gone meanwhile, a refused FETCH) keeps its verdict without labels.
    // An account-wide failure is not that, and ends the verification as any other would.
    if (isConnectorError(error) && error.scope !== 'account') return undefined;
    throw error;
  }
}

function notesFor(spec: RunSpec): string[] {
  const notes: string[] = [];
  if (spec.mode === 'backup') {
    notes.push('this is a backup pair: it keeps mail deleted on the source (for its retention), so extra messages on the target may be expected.');
  }
  if (spec.source.kind === 'pop3') {
    notes.push('POP3 source: flags and dates are decided by the pair (--pop3-seen, --pop3-date), so only content is compared.');
    if (spec.pop3 && spec.pop3.deletion.mode !== 'never') notes.push('the pair deletes copied mail from the POP3 server, so extra messages on the target are expected.');
  }
  if (spec.source.kind === 'ews' || spec.source.kind === 'graph') notes.push('Exchange source: Exchange rebuilds MIME on export, so bytes compare as the server gives them now.');
  return notes;
}
