/**
 * The config `mailferry discover` writes: one source account per mailbox (the discovering
 * app's graph:// URL with the mailbox's address), one target account from the target
 * template, one pair each. Secrets go by reference only: the source's is the app's (the
 * same variable, file or certificate the discover command used), the target's follows
 * --target-secret (one variable for an OAuth app, or one file per mailbox). A CA file
 * given to discover (--source-ca) is the sources' too.
 */
import path from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, parseAccountUrl, type GraphAccountSpec, type SecretRef } from '../config/index.js';
import { pairNameOf, uniquePairName } from './pair-names.js';

export interface DiscoveredMailbox {
  readonly mail: string;
  readonly userPrincipalName: string;
}

export interface DiscoverConfigInput {
  /** The account discover listed the tenant with; its app reads every mailbox. */
  readonly app: GraphAccountSpec;
  /** The URL text it was given, for the header comment. */
  readonly appUrl: string;
  readonly mailboxes: readonly DiscoveredMailbox[];
  /** e.g. imaps://{local}@new.example.com; placeholders {local}, {domain}, {mail}, {upn}. */
  readonly targetTemplate: string;
  /** env:NAME or file:PATH (PATH may hold placeholders); default env:MAILFERRY_TARGET_PASSWORD. */
  readonly targetSecret?: string;
  readonly mode?: 'migrate' | 'mirror' | 'backup';
  readonly now: Date;
}

const PLACEHOLDER = /\{(local|domain|mail|upn)\}/g;
const HAS_PLACEHOLDER = /\{(local|domain|mail|upn)\}/;

/** The YAML text; throws ConfigError naming the mailbox whose target URL does not parse. */
export function discoverConfig(input: DiscoverConfigInput): string {
  if (!HAS_PLACEHOLDER.test(input.targetTemplate)) {
    throw new ConfigError(`--target-template "${input.targetTemplate}" has no placeholder; use {local}, {domain}, {mail} or {upn}, e.g. imaps://{local}@new.example.com`);
  }
  const accounts: Record<string, unknown> = {};
  const pairs: Record<string, unknown> = {};
  const names = new Set<string>();
  for (const mailbox of input.mailboxes) {
    const name = uniquePairName(pairNameOf(mailbox.mail), names);
    const targetUrl = expand(input.targetTemplate, mailbox, encodeURIComponent);
    const targetSecret = secretRef(input.targetSecret ?? 'env:MAILFERRY_TARGET_PASSWORD', mailbox);
    try {
      parseAccountUrl(targetUrl, `target of ${mailbox.mail}`, targetSecret);
    } catch (error) {
      throw new ConfigError(`--target-template gives "${targetUrl}" for ${mailbox.mail}: ${(error as Error).message}`);
    }
    accounts[`${name}-source`] = {
      url: sourceUrl(input.app, input.appUrl, mailbox.mail), ...secretOf(input.app),
      ...(input.app.caFile === undefined ? {} : { caFile: path.resolve(input.app.caFile) }),
    };
    accounts[`${name}-target`] = { url: targetUrl, password: targetSecret };
    pairs[name] = { source: `${name}-source`, target: `${name}-target`, ...(input.mode === undefined || input.mode === 'migrate' ? {} : { mode: input.mode }) };
  }
  const header = [
    `# Written by mailferry discover on ${input.now.toISOString()}: ${input.mailboxes.length} mailbox(es) of tenant ${input.app.tenant}.`,
    '# Secrets are references (variables or files), never the secrets themselves.',
    '# Next: mailferry enqueue --config THIS_FILE, with mailferry worker --config THIS_FILE running.',
  ].join('\n');
  return `${header}\n${stringify({ accounts, pairs }, { lineWidth: 0 })}`;
}

/**
 * The discovering URL with the mailbox's address in place of its own (tenant, app and
 * endpoint kept; a certificate by its absolute path, since workers may start elsewhere).
 */
function sourceUrl(app: GraphAccountSpec, appUrl: string, mail: string): string {
  const url = new URL(appUrl);
  const at = mail.lastIndexOf('@');
  url.username = encodeURIComponent(mail.slice(0, at));
  url.hostname = mail.slice(at + 1);
  if (app.credential === 'certificate' && 'file' in app.secret) url.searchParams.set('cert', app.secret.file);
  return url.href;
}

/** A certificate is named in the URL (&cert=); a client secret by the reference discover read it from. */
function secretOf(app: GraphAccountSpec): { password?: SecretRef } {
  return app.credential === 'certificate' ? {} : { password: app.secret };
}

function secretRef(spec: string, mailbox: DiscoveredMailbox): SecretRef {
  const [kind, ...rest] = spec.split(':');
  const value = rest.join(':');
  if (kind === 'env' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return { env: value };
  if (kind === 'file' && value !== '') return { file: expand(value, mailbox, (s) => s.replace(/[/\\]/g, '_')) };
  throw new ConfigError(`--target-secret "${spec}": expected env:VARIABLE_NAME or file:/path/with/{local}`);
}

function expand(template: string, mailbox: DiscoveredMailbox, escape: (value: string) => string): string {
  const { mail } = mailbox;
  const at = mail.lastIndexOf('@');
  const values: Record<string, string> = { local: mail.slice(0, at), domain: mail.slice(at + 1), mail, upn: mailbox.userPrincipalName };
  return template.replace(PLACEHOLDER, (_m, key: string) => escape(values[key]!));
}
