/**
 * Resolves secret references. The only place secrets are read (secret-file-rewrite.ts
 * writes a rotated refresh token back to its file); they live in memory and in their own
 * files only, never in Redis, logs, metrics or argv.
 */
import { readFileSync } from 'node:fs';
import type { SecretRef } from './account-spec.js';
import { ConfigError } from './config-error.js';

export function resolveSecret(ref: SecretRef, what: string): string {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') throw new ConfigError(`${what}: the environment variable ${ref.env} is not set (it should hold the password)`);
    return value;
  }
  let text: string;
  try {
    text = readFileSync(ref.file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${what}: cannot read password file ${ref.file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  // A trailing newline from `echo pw > file` is not part of the password.
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new ConfigError(`${what}: password file ${ref.file} is empty`);
  return value;
}

export function readCaFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`${what}: cannot read CA file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}
