/**
 * Builds live connectors from a run's account specs, resolving secrets in this process.
 * The POP3, EWS, Graph and Maildir connectors are loaded on first use: ews-javascript-api alone
 * adds about 0.3 s and 50 MiB to every start of the CLI, IMAP-only runs included.
 */
import type { Logger } from 'pino';
import { ConfigError, accountLabel, readCaFile, resolveSecret, type AccountSpec, type EwsAccountSpec, type GraphAccountSpec, type ImapAccountSpec, type NetworkAccountSpec, type Pop3AccountSpec } from '../../config/index.js';
import type { EwsAccountOptions } from '../../connectors/ews/index.js';
import type { GraphAccountOptions } from '../../connectors/graph/index.js';
import { ImapSource, ImapTarget, ImapWatcher, type ImapAccountOptions } from '../../connectors/imap/index.js';
import type { BearerTokenSource } from '../../connectors/oauth/index.js';
import type { Pop3AccountOptions } from '../../connectors/pop3/index.js';
import type { AccountGate, AnySource, FolderWatcher, TargetConnector } from '../../connectors/types.js';
import type { AccountGates } from './account-backoff.js';
import { refreshTokenKeeper } from './refresh-token-keeper.js';

/** What every protocol's options share: where, who, the secret, the CA and a quiet logger. */
function baseOptions(account: NetworkAccountSpec, role: string, log: Logger) {
  const what = `${role} ${accountLabel(account)}`;
  return {
    host: account.host,
    port: account.port,
    user: account.user,
    tls: account.tls,
    password: resolveSecret(account.secret, what),
    // Protocol chatter only at trace level; connectors mark credentials sensitive themselves.
    logger: log.child({ account: accountLabel(account), role }, { level: log.level === 'trace' ? 'debug' : 'warn' }),
    ...(account.caFile === undefined ? {} : { ca: readCaFile(account.caFile, what) }),
  };
}

async function imapOptions(account: ImapAccountSpec, role: string, log: Logger): Promise<ImapAccountOptions> {
  const { password, ...base } = baseOptions(account, role, log);
  if (account.oauth === undefined) return { ...base, password, maxLiteralBytes: 512 * 1024 * 1024 };
  return { ...base, tokens: await oauthTokens(account, password, base, role, log), maxLiteralBytes: 512 * 1024 * 1024 };
}

/** USER/PASS or APOP with the password; SASL XOAUTH2 with the account's token provider (the secret is then the provider's). */
async function pop3Options(account: Pop3AccountSpec, role: string, log: Logger): Promise<Pop3AccountOptions> {
  const { password, ...base } = baseOptions(account, role, log);
  if (account.auth !== 'xoauth2') return { ...base, password, auth: account.auth };
  return { ...base, password: '', auth: 'xoauth2', tokens: await oauthTokens(account, password, base, role, log) };
}

/**
 * The account's token provider, shared by every connector of the account in this process
 * (one token, one refresh in flight). The secret is the client secret (client credentials)
 * or the refresh token, alone or as JSON with the client secret (refresh token); a rotated
 * refresh token goes back to the secret's file (refresh-token-keeper.ts). Loaded on first
 * use: the token code (msal) costs every CLI start otherwise.
 */
async function oauthTokens(
  account: ImapAccountSpec | Pop3AccountSpec, secret: string, base: { logger: Logger; ca?: Buffer }, role: string, log: Logger,
): Promise<BearerTokenSource> {
  const { parseRefreshSecret, sharedRefreshTokenProvider, sharedTokenProvider } = await import('../../connectors/oauth/index.js');
  const oauth = account.oauth;
  const common = { logger: base.logger, ...(base.ca === undefined ? {} : { ca: base.ca }) };
  if (oauth === undefined) throw new ConfigError(`${role} ${accountLabel(account)}: no OAuth settings`);
  if (oauth.flow === 'client-credentials') {
    return sharedTokenProvider({
      tenant: oauth.tenant, clientId: oauth.clientId, authority: oauth.authority, clientSecret: secret.trim(), ...common,
      ...(oauth.scope === undefined ? {} : { scope: oauth.scope }),
    });
  }
  let parsed;
  try {
    parsed = parseRefreshSecret(secret);
  } catch (error) {
    throw new ConfigError(`${role} ${accountLabel(account)}: ?auth=oauth-refresh: ${(error as Error).message}`);
  }
  const keeper = refreshTokenKeeper(account, log);
  return sharedRefreshTokenProvider({
    tokenUrl: oauth.tokenUrl, clientId: oauth.clientId, refreshToken: parsed.refreshToken, ...common,
    ...(keeper === undefined ? {} : { keeper }),
    ...(parsed.clientSecret === undefined ? {} : { clientSecret: parsed.clientSecret }),
    ...(oauth.scope === undefined ? {} : { scope: oauth.scope }),
  });
}

/**
 * The endpoint URL from its parts. The secret is the password (ntlm, basic), the Entra
 * app's client secret (oauth), or the access token itself (bearer).
 */
function ewsOptions(account: EwsAccountSpec, role: string, log: Logger): EwsAccountOptions {
  const { password, ...base } = baseOptions(account, role, log);
  const url = `${account.tls === 'off' ? 'http' : 'https'}://${account.host.includes(':') ? `[${account.host}]` : account.host}:${account.port}${account.path}`;
  if (account.auth === 'oauth' && account.oauth === undefined) {
    throw new ConfigError(`${role} ${accountLabel(account)}: auth oauth needs the tenant and client ids (?tenant=...&client=...)`);
  }
  const secret = account.auth === 'oauth' && account.oauth
    ? { oauth: { tenant: account.oauth.tenant, clientId: account.oauth.clientId, authority: account.oauth.authority, clientSecret: password } }
    : account.auth === 'bearer' ? { accessToken: password } : { password };
  return {
    url, user: base.user, logger: base.logger,
    // bearer is the connector's oauth with a token given instead of client credentials.
    auth: account.auth === 'bearer' ? 'oauth' : account.auth,
    ...secret,
    ...(account.impersonate === undefined ? {} : { impersonate: account.impersonate }),
    ...(base.ca === undefined ? {} : { ca: base.ca }),
  };
}

/** The app's credentials (client secret, or the certificate file's PEM) and the mailbox's endpoint; also for `discover`. */
export function graphOptions(account: GraphAccountSpec, role: string, log: Logger): GraphAccountOptions {
  const { password, ...base } = baseOptions(account, role, log);
  return {
    endpoint: account.endpoint, mailbox: account.user, tenant: account.tenant, clientId: account.clientId, authority: account.authority,
    ...(account.credential === 'certificate' ? { clientCertificate: password } : { clientSecret: password.trim() }),
    logger: base.logger,
    ...(base.ca === undefined ? {} : { ca: base.ca }),
  };
}

export interface ConnectorFactory {
  source(account: AccountSpec): Promise<AnySource>;
  target(account: AccountSpec): Promise<TargetConnector>;
  /** A watcher of source folders (push), or undefined for protocols without one (only IMAP has). */
  watcher(account: AccountSpec): Promise<FolderWatcher | undefined>;
}

/** What building a connector may use besides the account: the log and the account's back-off gate. */
interface BuildContext {
  readonly log: Logger;
  readonly gate: { readonly gate?: AccountGate };
}

/** How one kind of account's connectors are built; a kind that cannot be a target (POP3) has no `target`. */
interface ConnectorKind<A extends AccountSpec> {
  source(account: A, ctx: BuildContext): Promise<AnySource>;
  target?(account: A, ctx: BuildContext): Promise<TargetConnector>;
  /** Push notification of changes (IMAP IDLE); kinds without it are polled by full passes. */
  watcher?(account: A, ctx: BuildContext): Promise<FolderWatcher>;
}

type KindOf<K extends AccountSpec['kind']> = ConnectorKind<Extract<AccountSpec, { kind: K }>>;

/**
 * The registry of connector kinds: a new connector is its folder under src/connectors/
 * plus one entry here (and its account form in src/config). Modules other than IMAP's
 * are loaded on first use.
 */
const KINDS: { readonly [K in AccountSpec['kind']]: KindOf<K> } = {
  imap: {
    source: async (account, { log, gate }) => new ImapSource({ ...(await imapOptions(account, 'source', log)), ...gate }),
    target: async (account, { log, gate }) => new ImapTarget({ ...(await imapOptions(account, 'target', log)), ...gate }),
    watcher: async (account, { log, gate }) => new ImapWatcher({ ...(await imapOptions(account, 'watcher', log)), ...gate }),
  },
  pop3: {
    source: async (account, { log }) => new (await import('../../connectors/pop3/index.js')).Pop3Source(await pop3Options(account, 'source', log)),
  },
  ews: {
    source: async (account, { log, gate }) => new (await import('../../connectors/ews/index.js')).EwsSource({ ...ewsOptions(account, 'source', log), ...gate }),
    target: async (account, { log, gate }) => new (await import('../../connectors/ews/index.js')).EwsTarget({ ...ewsOptions(account, 'target', log), ...gate }),
  },
  graph: {
    source: async (account, { log, gate }) => new (await import('../../connectors/graph/index.js')).GraphSource({ ...graphOptions(account, 'source', log), ...gate }),
  },
  maildir: {
    source: async (account) => new (await import('../../connectors/maildir/index.js')).MaildirSource({ root: account.path }),
    target: async (account) => new (await import('../../connectors/maildir/index.js')).MaildirTarget({ root: account.path }),
  },
};

function kindOf<A extends AccountSpec>(account: A): ConnectorKind<A> {
  return KINDS[account.kind] as unknown as ConnectorKind<A>;
}

/**
 * @param gates - the accounts' back-off gates (shared with every worker process through
 * the governor); without them each connection hears its server alone (`verify`, tests).
 */
export function defaultConnectorFactory(log: Logger, gates?: AccountGates): ConnectorFactory {
  const context = (account: AccountSpec): BuildContext => {
    const gate = gates?.gateFor(account);
    return { log, gate: gate === undefined ? {} : { gate } };
  };
  return {
    source: (account) => kindOf(account).source(account, context(account)),
    async target(account) {
      const kind = kindOf(account);
      // The config layer refuses this already (checkPairKinds); a hand-made spec might not.
      if (!kind.target) throw new ConfigError(`target ${accountLabel(account)}: ${account.kind.toUpperCase()} can only be a source`);
      return kind.target(account, context(account));
    },
    async watcher(account) {
      return kindOf(account).watcher?.(account, context(account));
    },
  };
}
