/**
 * The YAML config file: accounts, pairs and folder rules, validated once with zod into
 * RunSpecs. Errors name the file, the path inside it and what is expected.
 * See config/example.yaml for a documented example.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DATE_SOURCES, DEFAULT_FOLDER_RULES, compileFolderRules, isMappingError, type FolderRules } from '../mapping/index.js';
import { parseAccountUrl } from './account-url.js';
import { ConfigError } from './config-error.js';
import { checkModeKinds, checkPairKinds } from './pair-kinds.js';
import { DEFAULT_POP3_OPTIONS, parseDeletion, type Pop3Options } from './pop3-options.js';
import { pairService, type PairService } from './pair-service.js';
import { DEFAULT_COPY_OPTIONS, type RunSpec } from './run-spec.js';
import { DEFAULT_DELETE_CAP, PAIR_MODES } from './sync-modes.js';

const secretSchema = z.union([
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
], { error: 'password must be { env: VARIABLE_NAME } or { file: /path/to/file }; never the password itself' });

const accountSchema = z.object({
  url: z.string().min(1),
  // Required for server accounts; a maildir:/// account has none (checked after the URL is read).
  password: secretSchema.optional(),
  caFile: z.string().min(1).optional(),
  // `tls: off` = plaintext, the same as `?tls=off` in the URL (YAML 1.1 readers see `off` as false).
  tls: z.union([z.literal('off'), z.literal(false)], { error: 'tls accepts only "off" (plaintext); leave it out for TLS' }).optional(),
  // Connections to this account at once, across every worker (default: limits.connectionsPerAccount).
  maxConnections: z.number().int().min(1).max(100).optional(),
}).strict();

const folderRulesSchema = z.object({
  include: z.array(z.string()).default([]),
  exclude: z.array(z.string()).default([]),
  map: z.record(z.string(), z.string()).default({}),
  rename: z.array(z.object({ from: z.string(), to: z.string() }).strict()).default([]),
  specialUse: z.boolean().default(true),
}).strict();

const pop3Schema = z.object({
  folder: z.string().min(1).optional(),
  markSeen: z.boolean().optional(),
  date: z.enum(DATE_SOURCES).optional(),
  delete: z.string().min(1).optional(),
}).strict();

const mirrorSchema = z.object({
  watch: z.array(z.string().min(1)).optional(),
  pollSeconds: z.number().int().min(5).max(86_400).optional(),
  deleteCap: z.object({
    percent: z.number().min(0).max(100).optional(),
    minimum: z.number().int().min(0).optional(),
  }).strict().optional(),
}).strict();

const backupSchema = z.object({
  prefix: z.string().optional(),
  keepDeletedDays: z.number().int().min(0).optional(),
}).strict();

const pairSchema = z.object({
  source: z.string().min(1),
  target: z.string().min(1),
  mode: z.enum(PAIR_MODES).default('migrate'),
  schedule: z.string().min(1).optional(),
  folders: folderRulesSchema.optional(),
  pop3: pop3Schema.optional(),
  mirror: mirrorSchema.optional(),
  backup: backupSchema.optional(),
}).strict();

const limitsSchema = z.object({
  connectionsPerServer: z.number().int().min(1).max(10_000).optional(),
  connectionsPerAccount: z.number().int().min(1).max(100).optional(),
  loginsPerMinutePerServer: z.number().int().min(1).max(100_000).optional(),
}).strict();

const configSchema = z.object({
  redis: z.string().optional(),
  stateDir: z.string().optional(),
  accounts: z.record(z.string(), accountSchema),
  pairs: z.record(z.string(), pairSchema),
  options: z.object({
    pageSize: z.number().int().min(1).max(5000).optional(),
    batchMegabytes: z.number().int().min(1).max(1024).optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
  }).strict().optional(),
  limits: limitsSchema.optional(),
}).strict();

export type ConfigFile = z.infer<typeof configSchema>;

export interface LoadedConfig {
  readonly file: string;
  readonly redis?: string;
  readonly stateDir?: string;
  readonly concurrency?: number;
  readonly pairs: ReadonlyMap<string, RunSpec>;
  /** Per pair: its schedule and watched folders (the daemon's concern). */
  readonly services: ReadonlyMap<string, PairService>;
  /** Governor limits given in the file (the rest are defaults). */
  readonly limits: ConnectionLimitsGiven;
}

export type ConnectionLimitsGiven = z.infer<typeof limitsSchema>;

export function loadConfigFile(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new ConfigError(`${file}: invalid config:\n${problems.join('\n')}`);
  }
  return toLoadedConfig(file, parsed.data);
}

/** `tls: off` in the file is the URL's `?tls=off`; parseAccountUrl then checks it against the scheme. */
function withPlaintext(url: string, plaintext: boolean): string {
  if (!plaintext || /[?&]tls=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}tls=off`;
}

function pop3Options(given: z.infer<typeof pop3Schema> | undefined, what: string): Pop3Options {
  return {
    markSeen: given?.markSeen ?? DEFAULT_POP3_OPTIONS.markSeen,
    dateFrom: given?.date ?? DEFAULT_POP3_OPTIONS.dateFrom,
    deletion: given?.delete === undefined ? DEFAULT_POP3_OPTIONS.deletion : parseDeletion(given.delete, `${what}.delete`),
  };
}

function toLoadedConfig(file: string, config: ConfigFile): LoadedConfig {
  const copy = {
    pageSize: config.options?.pageSize ?? DEFAULT_COPY_OPTIONS.pageSize,
    batchBytes: (config.options?.batchMegabytes ?? DEFAULT_COPY_OPTIONS.batchBytes / 1048576) * 1048576,
  };
  const accounts = new Map(Object.entries(config.accounts).map(([name, account]) => {
    const parsed = parseAccountUrl(withPlaintext(account.url, account.tls !== undefined), `${file}: accounts.${name}.url`, account.password ?? { env: '' }, account.caFile);
    // A Graph account with certificate credentials has its secret in the certificate's file.
    const certificate = parsed.kind === 'graph' && parsed.credential === 'certificate';
    if (parsed.kind !== 'maildir' && !certificate && account.password === undefined) {
      throw new ConfigError(`${file}: accounts.${name}.password: required for a server account: { env: VARIABLE_NAME } or { file: /path/to/file }`);
    }
    const spec = parsed.kind === 'maildir' || account.maxConnections === undefined ? parsed : { ...parsed, maxConnections: account.maxConnections };
    return [name, spec] as const;
  }));
  const pairs = new Map<string, RunSpec>();
  const services = new Map<string, PairService>();
  for (const [name, pair] of Object.entries(config.pairs)) {
    const source = accounts.get(pair.source);
    const target = accounts.get(pair.target);
    const known = [...accounts.keys()].join(', ') || '(none)';
    if (!source) throw new ConfigError(`${file}: pairs.${name}.source names account "${pair.source}", which is not under accounts (known: ${known})`);
    if (!target) throw new ConfigError(`${file}: pairs.${name}.target names account "${pair.target}", which is not under accounts (known: ${known})`);
    checkPairKinds(source, target, `${file}: pairs.${name}`, pair.pop3 ? ['pop3'] : []);
    const folders = pair.folders;
    let rules: FolderRules = folders
      ? { include: folders.include, exclude: folders.exclude, map: folders.map, renames: folders.rename, specialUse: folders.specialUse }
      : DEFAULT_FOLDER_RULES;
    if (pair.pop3?.folder !== undefined) rules = { ...rules, map: { ...rules.map, INBOX: pair.pop3.folder } };
    try {
      compileFolderRules(rules);
    } catch (error) {
      if (isMappingError(error)) throw new ConfigError(`${file}: pairs.${name}.folders: ${error.message}`);
      throw error;
    }
    const what = `${file}: pairs.${name}`;
    checkModeKinds(pair.mode, source, target, what);
    if (pair.mirror && pair.mode !== 'mirror') throw new ConfigError(`${what}.mirror: only for mode: mirror (this pair is mode: ${pair.mode})`);
    if (pair.backup && pair.mode !== 'backup') throw new ConfigError(`${what}.backup: only for mode: backup (this pair is mode: ${pair.mode})`);
    if (pair.mode === 'backup') rules = backupRules(rules, pair.backup?.prefix, name, target.kind);
    const spec: RunSpec = { pairName: name, source, target, rules, copy, ...modeOptions(pair) };
    pairs.set(name, source.kind === 'pop3' ? { ...spec, pop3: pop3Options(pair.pop3, `${what}.pop3`) } : spec);
    services.set(name, pairService(pair.mode, { ...(pair.schedule === undefined ? {} : { schedule: pair.schedule }), ...pair.mirror }, what));
  }
  const loaded: LoadedConfig = { file, pairs, services, limits: config.limits ?? {} };
  return {
    ...loaded,
    ...(config.redis === undefined ? {} : { redis: config.redis }),
    ...(config.stateDir === undefined ? {} : { stateDir: config.stateDir }),
    ...(config.options?.concurrency === undefined ? {} : { concurrency: config.options.concurrency }),
  };
}

type PairConfig = z.infer<typeof pairSchema>;

function modeOptions(pair: PairConfig): Partial<RunSpec> {
  if (pair.mode === 'mirror') {
    const cap = pair.mirror?.deleteCap;
    return { mode: 'mirror', mirror: { deleteCap: { percent: cap?.percent ?? DEFAULT_DELETE_CAP.percent, minimum: cap?.minimum ?? DEFAULT_DELETE_CAP.minimum }, confirmDeletes: false } };
  }
  if (pair.mode === 'backup') {
    const days = pair.backup?.keepDeletedDays;
    return { mode: 'backup', backup: days === undefined ? {} : { keepDeletedDays: days } };
  }
  return {};
}

/**
 * A backup into a mail server goes under `Backup/<pair>/` (or the given prefix) with the
 * source's own folder names; a Maildir is the archive itself, so it gets no prefix.
 */
function backupRules(rules: FolderRules, prefix: string | undefined, pairName: string, targetKind: string): FolderRules {
  const chosen = prefix ?? (targetKind === 'maildir' ? '' : `Backup/${pairName}`);
  return { ...rules, specialUse: false, ...(chosen === '' ? {} : { prefix: chosen }) };
}
