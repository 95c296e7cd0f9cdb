/**
 * A file of accounts (account-lines.ts) as a config of pairs. Every line is checked first
 * (its account URLs parsed as the config loader will); one bad line and nothing is
 * written. The passwords go to files of their own in a new secrets directory (mode 0700,
 * files 0600), built under a temporary name and renamed into place in one step, so a
 * failure leaves nothing half-written; the YAML names those files and never holds a password.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { checkPairKinds, ConfigError, parseAccountUrl } from '../../config/index.js';
import { isSafePairName, pairNameOf, uniquePairName } from '../pair-names.js';
import type { AccountLine, LineProblem } from './account-lines.js';

export interface ImportInput {
  readonly file: string;
  readonly lines: readonly AccountLine[];
  /** Where the password files go; must not exist yet. */
  readonly secretsDir: string;
  readonly now: Date;
}

interface PlannedPair {
  readonly name: string;
  readonly line: AccountLine;
}

/** Checks every line; returns the problems (empty: all good) and the pairs with their names. */
export function planImport(file: string, lines: readonly AccountLine[]): { pairs: PlannedPair[]; problems: LineProblem[] } {
  const problems: LineProblem[] = [];
  const pairs: PlannedPair[] = [];
  const names = new Set<string>();
  for (const line of lines) {
    const where = `${file}:${line.line}`;
    try {
      const source = parseAccountUrl(line.source, `${where}: source`, { env: 'UNUSED' });
      const target = parseAccountUrl(line.target, `${where}: target`, { env: 'UNUSED' });
      checkPairKinds(source, target, where);
      if (line.name !== undefined && !isSafePairName(line.name)) throw new ConfigError(`${where}: the name "${line.name}" may hold only letters, digits, ".", "-" and "_"`);
      if (line.name !== undefined && names.has(line.name)) throw new ConfigError(`${where}: the name "${line.name}" is used by an earlier line`);
      pairs.push({ name: uniquePairName(line.name ?? pairNameOf(source.kind === 'maildir' ? 'maildir' : source.user), names), line });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push({ line: line.line, message: error.message.replace(`${where}: `, '') });
    }
  }
  return { pairs, problems };
}

/** Writes the password files (all at once, see above) and returns the YAML. */
export async function writeImport(input: ImportInput, pairs: readonly PlannedPair[]): Promise<string> {
  const dir = path.resolve(input.secretsDir);
  if (await exists(dir)) throw new ConfigError(`--secrets-dir ${dir} exists already; give a new directory (mailferry never overwrites secrets)`);
  const building = path.join(path.dirname(dir), `.${path.basename(dir)}.${randomBytes(4).toString('hex')}.tmp`);
  const accounts: Record<string, unknown> = {};
  const configPairs: Record<string, unknown> = {};
  try {
    await fs.mkdir(building, { mode: 0o700 });
    for (const { name, line } of pairs) {
      await fs.writeFile(path.join(building, `${name}.source`), line.sourcePassword, { mode: 0o600, flag: 'wx' });
      await fs.writeFile(path.join(building, `${name}.target`), line.targetPassword, { mode: 0o600, flag: 'wx' });
      accounts[`${name}-source`] = { url: line.source, password: { file: path.join(dir, `${name}.source`) } };
      accounts[`${name}-target`] = { url: line.target, password: { file: path.join(dir, `${name}.target`) } };
      configPairs[name] = { source: `${name}-source`, target: `${name}-target` };
    }
    await fs.rename(building, dir);
  } catch (error) {
    await fs.rm(building, { recursive: true, force: true });
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`--secrets-dir ${dir}: cannot write the password files (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const header = [
    `# Written by mailferry config import on ${input.now.toISOString()} from ${input.file}: ${pairs.length} pair(s).`,
    `# Passwords are in ${dir} (one file each, mode 0600), never in this file.`,
    '# Next: mailferry migrate --config THIS_FILE, or enqueue it for the workers.',
  ].join('\n');
  return `${header}\n${stringify({ accounts, pairs: configPairs }, { lineWidth: 0 })}`;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}
