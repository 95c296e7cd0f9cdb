/**
 * `mailferry config import accounts.csv > pairs.yaml`: imapsync's bulk lines or a CSV of
 * account URLs as a config of pairs, with every password in a file of its own
 * (import/import-config.ts). Exit 0 written, 2 for any bad line (each named by its line
 * number, nothing written).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../config/index.js';
import { EXIT } from '../exit-codes.js';
import { DEFAULT_TEMPLATE, readAccountLines } from '../import/account-lines.js';
import { planImport, writeImport } from '../import/import-config.js';
import { writeFileAtomically } from '../write-file-atomically.js';

export interface ConfigImportOptions {
  readonly sourceTemplate?: string;
  readonly targetTemplate?: string;
  readonly secretsDir: string;
  readonly output?: string;
}

export async function configImport(file: string, options: ConfigImportOptions): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const read = readAccountLines(text, { source: options.sourceTemplate ?? DEFAULT_TEMPLATE, target: options.targetTemplate ?? DEFAULT_TEMPLATE });
  const planned = planImport(file, read.lines);
  const problems = [...read.problems, ...planned.problems].sort((a, b) => a.line - b.line);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`${file}:${p.line}: ${p.message}\n`);
    process.stderr.write(`mailferry config import: ${problems.length} bad line(s); nothing was written\n`);
    return EXIT.USAGE;
  }
  if (planned.pairs.length === 0) throw new ConfigError(`${file}: no account lines (expected host1;user1;password1;host2;user2;password2 lines, or a CSV with the header source,source_password,target,target_password[,name])`);
  const yaml = await writeImport({ file, lines: read.lines, secretsDir: options.secretsDir, now: new Date() }, planned.pairs);
  if (options.output === undefined) process.stdout.write(yaml);
  else await writeFileAtomically(options.output, yaml, '--output');
  process.stderr.write(`mailferry config import: ${planned.pairs.length} pair(s); passwords in ${options.secretsDir}${options.output ? `; config in ${options.output}` : ''}\n`);
  return EXIT.OK;
}
