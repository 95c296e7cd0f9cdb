/**
 * `mailferry discover 'graph://admin@contoso.com?tenant=...&client=...' --target-template
 * 'imaps://{local}@new.example.com' > pairs.yaml`: the tenant's mail users (filtered by
 * domain, group or enabled account) as a config of pairs, ready for `enqueue` and the
 * workers. The YAML goes to stdout (or --output, written atomically with mode 0600), a
 * summary to stderr. Exit 0 with at least one mailbox, 1 when none matched, 2 for bad
 * input, 3 when the tenant cannot be read.
 */
import { ConfigError, parseAccountUrl, readEnvironment, SOURCE_PASSWORD_ENV, type SecretRef } from '../../config/index.js';
import { isConnectorError } from '../../connectors/connector-error.js';
import { graphOptions } from '../../jobs/connections/connector-factory.js';
import { createLogger } from '../../observability/logger.js';
import { discoverConfig } from '../discover-config.js';
import { EXIT } from '../exit-codes.js';
import { writeFileAtomically } from '../write-file-atomically.js';

export interface DiscoverOptions {
  readonly targetTemplate?: string;
  readonly targetSecret?: string;
  readonly domain: string[];
  readonly group?: string;
  readonly enabledOnly: boolean;
  readonly mode?: 'migrate' | 'mirror' | 'backup';
  readonly output?: string;
  readonly sourcePasswordFile?: string;
  readonly sourceCa?: string;
}

export async function discover(url: string, options: DiscoverOptions): Promise<number> {
  if (!options.targetTemplate) throw new ConfigError('give --target-template, e.g. --target-template \'imaps://{local}@new.example.com\'');
  const secret: SecretRef = options.sourcePasswordFile ? { file: options.sourcePasswordFile } : { env: SOURCE_PASSWORD_ENV };
  const app = parseAccountUrl(url, 'discover', secret, options.sourceCa);
  if (app.kind !== 'graph') throw new ConfigError(`discover lists a Microsoft 365 tenant: give a graph:// URL (graph://admin@contoso.com?tenant=TENANT_ID&client=CLIENT_ID), not ${app.kind}://`);
  const { GraphDirectory, GroupNotFoundError } = await import('../../connectors/graph/index.js');
  const log = createLogger(readEnvironment().logLevel ?? 'warn');
  const directory = new GraphDirectory(graphOptions(app, 'discover', log));
  let users;
  try {
    users = await directory.mailUsers({ domains: options.domain, ...(options.group === undefined ? {} : { group: options.group }), enabledOnly: options.enabledOnly });
  } catch (error) {
    if (error instanceof GroupNotFoundError) throw new ConfigError(error.message);
    if (isConnectorError(error)) {
      process.stderr.write(`mailferry discover: ${error.message}\n`);
      return EXIT.ACCOUNT;
    }
    throw error;
  } finally {
    await directory.close();
  }
  const text = discoverConfig({
    app, appUrl: url, mailboxes: users, targetTemplate: options.targetTemplate, now: new Date(),
    ...(options.targetSecret === undefined ? {} : { targetSecret: options.targetSecret }),
    ...(options.mode === undefined ? {} : { mode: options.mode }),
  });
  if (options.output === undefined) process.stdout.write(text);
  else await writeFileAtomically(options.output, text, '--output');
  const disabled = users.filter((u) => !u.accountEnabled).length;
  process.stderr.write(`mailferry discover: ${users.length} mailbox(es)${disabled > 0 ? ` (${disabled} with a disabled account: shared mailboxes or leavers)` : ''}${options.output ? ` written to ${options.output}` : ''}\n`);
  return users.length > 0 ? EXIT.OK : EXIT.INCOMPLETE;
}
