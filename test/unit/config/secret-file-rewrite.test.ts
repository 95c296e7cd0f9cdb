/**
 * rewriteSecretFile / replaceFileAtomically on real files in a temp directory: the text,
 * mode and owner kept, nothing written when nothing changed, no temporary file left
 * behind whatever happens, concurrent rotations serialized (the last one wins), and
 * unserialized writers (as several processes are) never show a reader a torn or empty file.
 */
import { chmod, chown, lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceFileAtomically, rewriteSecretFile, SecretFileWriteError } from '../../../src/config/secret-file-rewrite.js';
import { parseRefreshSecret, withRefreshToken } from '../../../src/connectors/oauth/refresh-secret.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';

let root: string;
let serial = 0;

beforeAll(async () => {
  root = await makeTempDir('secret-file');
});

afterAll(async () => {
  if (root) await removeTempDir(root);
});

/** A fresh directory holding one secret file with `text` and `mode`. */
async function secretFile(text: string, mode = 0o600): Promise<{ dir: string; file: string }> {
  serial += 1;
  const dir = join(root, `case-${serial}`);
  await mkdir(dir);
  const file = join(dir, 'alice.json');
  await writeFile(file, text, { mode });
  await chmod(file, mode); // whatever the umask
  return { dir, file };
}

const rotateTo = (token: string) => (current: string) => withRefreshToken(current, token);

async function rejection(promise: Promise<unknown>): Promise<SecretFileWriteError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SecretFileWriteError);
  return error as SecretFileWriteError;
}

describe('rewriteSecretFile', () => {
  it('writes the rotated token into a JSON file: format, mode 0600 and owner kept, no temporary file left', async () => {
    const { dir, file } = await secretFile('{\n  "refresh_token": "rt.old",\n  "client_secret": "s3"\n}\n');
    // Owned by someone else (as root may set up a service account's file): kept.
    await chown(file, 4242, 4343);
    const before = await stat(file);
    expect(await rewriteSecretFile(file, rotateTo('rt.new'))).toBe('written');
    expect(await readFile(file, 'utf8')).toBe('{\n  "refresh_token": "rt.new",\n  "client_secret": "s3"\n}\n');
    const after = await stat(file);
    expect(after.mode & 0o7777).toBe(0o600);
    expect([after.uid, after.gid]).toEqual([4242, 4343]);
    expect(after.ino).not.toBe(before.ino); // replaced by a rename, not written in place
    expect(await readdir(dir)).toEqual(['alice.json']);
  });

  it('a bare token stays bare with its newline; another mode (0640) is kept', async () => {
    const { dir, file } = await secretFile('rt.old\n', 0o640);
    await rewriteSecretFile(file, rotateTo('rt.new'));
    expect(await readFile(file, 'utf8')).toBe('rt.new\n');
    expect((await stat(file)).mode & 0o7777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['alice.json']);
  });

  it('writes nothing when the text would not change', async () => {
    const { file } = await secretFile('rt.same\n');
    const before = await stat(file);
    expect(await rewriteSecretFile(file, rotateTo('rt.same'))).toBe('unchanged');
    const after = await stat(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('through a symbolic link: the file it points to is replaced, the link stays', async () => {
    const { dir, file } = await secretFile('rt.old\n');
    const link = join(dir, 'current');
    await symlink('alice.json', link);
    await rewriteSecretFile(link, rotateTo('rt.new'));
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe('alice.json');
    expect(await readFile(file, 'utf8')).toBe('rt.new\n');
    expect((await readdir(dir)).sort()).toEqual(['alice.json', 'current']);
  });

  it('concurrent rotations of one file are serialized: every one is written, in order, the last one stays', async () => {
    const { dir, file } = await secretFile('{"refresh_token": "rt.0", "client_secret": "s3"}');
    const tokens = Array.from({ length: 25 }, (_, i) => `rt.${i + 1}`);
    const seen: string[] = [];
    const outcomes = await Promise.all(tokens.map((token) => rewriteSecretFile(file, (current) => {
      seen.push(parseRefreshSecret(current).refreshToken);
      return withRefreshToken(current, token);
    })));
    expect(outcomes.every((o) => o === 'written')).toBe(true);
    // Each rewrite read what the one before it wrote.
    expect(seen).toEqual(['rt.0', ...tokens.slice(0, -1)]);
    expect(await readFile(file, 'utf8')).toBe('{"refresh_token": "rt.25", "client_secret": "s3"}');
    expect(await readdir(dir)).toEqual(['alice.json']);
  });

  it('a read-only file (mode 0400) is left alone, even by root: EACCES naming the file', async () => {
    const { dir, file } = await secretFile('rt.old\n', 0o400);
    const error = await rejection(rewriteSecretFile(file, rotateTo('rt.new')));
    expect(error.code).toBe('EACCES');
    expect(error.message).toBe(`cannot write ${file}: the file is read-only (mode 0400)`);
    expect(await readFile(file, 'utf8')).toBe('rt.old\n');
    expect(await readdir(dir)).toEqual(['alice.json']);
  });

  it('a file that is gone: ENOENT naming the file; a rewrite that throws writes nothing', async () => {
    const { dir, file } = await secretFile('rt.old\n');
    await rm(file);
    const error = await rejection(rewriteSecretFile(file, rotateTo('rt.new')));
    expect(error.code).toBe('ENOENT');
    expect(error.message).toBe(`cannot write ${file}: the file or its directory is gone (ENOENT)`);
    await writeFile(file, 'not a refresh secret\n');
    await expect(rewriteSecretFile(file, rotateTo('rt.new'))).rejects.toThrow(/one word/);
    expect(await readFile(file, 'utf8')).toBe('not a refresh secret\n');
    expect(await readdir(dir)).toEqual(['alice.json']);
  });
});

describe('replaceFileAtomically', () => {
  it('a failed rename removes the temporary file (the target is a directory)', async () => {
    const { dir } = await secretFile('rt.old\n');
    const target = join(dir, 'occupied');
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'x');
    const error = await rejection(replaceFileAtomically(target, 'rt.new\n', { mode: 0o600, uid: 0, gid: 0 }));
    expect(error.code).toMatch(/^(EISDIR|ENOTEMPTY|EEXIST)$/);
    expect((await readdir(dir)).sort()).toEqual(['alice.json', 'occupied']);
  });

  it('unserialized writers, as several processes on one host are: a reader never sees a torn or empty file', async () => {
    // Long tokens, so a torn write would show; the reader reads with the writes in flight
    // (they run on libuv's thread pool).
    const token = (writer: number, round: number) => `rt.${writer}.${round}.${'x'.repeat(64 * 1024)}`;
    const { dir, file } = await secretFile(`{"refresh_token": "${token(0, 0)}", "client_secret": "s3"}\n`);
    const valid = new Set([token(0, 0)]);
    const writers = [1, 2, 3, 4].map(async (writer) => {
      for (let round = 1; round <= 15; round++) {
        valid.add(token(writer, round));
        await replaceFileAtomically(file, `{"refresh_token": "${token(writer, round)}", "client_secret": "s3"}\n`, { mode: 0o600, uid: 0, gid: 0 });
      }
    });
    let reads = 0;
    let done = false;
    const all = Promise.all(writers).finally(() => {
      done = true;
    });
    while (!done) {
      const secret = parseRefreshSecret(await readFile(file, 'utf8'));
      expect(valid.has(secret.refreshToken)).toBe(true);
      expect(secret.clientSecret).toBe('s3');
      reads += 1;
    }
    await all;
    expect(reads).toBeGreaterThan(5);
    expect(await readdir(dir)).toEqual(['alice.json']);
    expect((await stat(file)).mode & 0o7777).toBe(0o600);
  });
});
