/** A file written whole or not at all: a temporary file beside it (mode 0600), then a rename. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../config/index.js';

export async function writeFileAtomically(file: string, text: string, option: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temp, text, { mode: 0o600, flag: 'wx' });
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw new ConfigError(`${option} ${file}: cannot write (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}
