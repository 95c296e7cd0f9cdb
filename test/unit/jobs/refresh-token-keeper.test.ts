/**
 * The refresh token provider with the keeper of the account's secret, against the fake
 * token service (test/support/oauth) with one-time refresh tokens, so a token kept in the
 * wrong place shows as a refused refresh: a rotated token goes back into the secret file
 * (format and mode kept); a connector built later finds the same provider under the new
 * token; nothing is written when the service does not rotate; a secret from an environment
 * variable is warned about once per account; a file that cannot be written is a warning
 * naming it and the fix, and the token chain goes on in memory. No log line holds a token.
 */
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ImapAccountSpec, SecretRef } from '../../../src/config/index.js';
import { parseRefreshSecret, sharedRefreshTokenProvider, type RefreshTokenOptions } from '../../../src/connectors/oauth/index.js';
import { refreshTokenKeeper } from '../../../src/jobs/connections/refresh-token-keeper.js';
import { startTokenService, type FakeTokenService } from '../../support/oauth/index.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dir.js';

const TENANT = '0b5f4c3a-2d1e-4f6a-8b7c-9d0e1f2a3b4c';
const CLIENT = '5e4d3c2b-1a09-4876-9543-210fedcba987';
const CLIENT_SECRET = 'keeper~client~secret';
/** A public client: its secret is the bare refresh token. */
const PUBLIC = '6f5e4d3c-2b1a-4987-8654-3210fedcba98';
let service: FakeTokenService;
let dir: string;
let serial = 0;

beforeAll(async () => {
  [service, dir] = await Promise.all([
    startTokenService({ tenants: [TENANT], clients: { [CLIENT]: CLIENT_SECRET }, oneTimeRefreshTokens: true }),
    makeTempDir('keeper'),
  ]);
});

beforeEach(() => {
  service.lifetimeSeconds = 3600;
  service.rotateRefreshTokens = true;
});

afterAll(async () => {
  await Promise.all([service?.stop(), dir ? removeTempDir(dir) : undefined]);
});

/** A pino logger whose JSON lines are kept, at debug level. */
function capturedLog(): { log: Logger; lines: Array<Record<string, unknown>>; text: () => string } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of String(chunk).split('\n').filter((l) => l !== '')) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}

/** A distinct mailbox per test: the shared providers are per process. */
function account(secret: SecretRef): ImapAccountSpec {
  serial += 1;
  return { kind: 'imap', host: '127.0.0.1', port: 1143, user: `keeper${serial}`, tls: 'off', secret };
}

/** What the connector factory does for one connector: read the secret, build (or find) the account's provider. */
async function providerFor(spec: ImapAccountSpec, secretText: string, log: Logger, extra: Partial<RefreshTokenOptions> = {}) {
  const parsed = parseRefreshSecret(secretText);
  const keeper = refreshTokenKeeper(spec, log);
  return sharedRefreshTokenProvider({
    tokenUrl: `${service.authority}/${TENANT}/oauth2/v2.0/token`, clientId: parsed.clientSecret === undefined ? PUBLIC : CLIENT, refreshToken: parsed.refreshToken, ca: service.ca,
    ...(parsed.clientSecret === undefined ? {} : { clientSecret: parsed.clientSecret }),
    ...(keeper === undefined ? {} : { keeper }),
    logger: log, ...extra,
  });
}

async function secretFile(text: string, mode = 0o600): Promise<string> {
  serial += 1;
  const file = join(dir, `secret-${serial}.json`);
  await writeFile(file, text);
  await chmod(file, mode);
  return file;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('refresh token keeper', () => {
  it('a rotated refresh token is in the secret file before the access token is handed out: JSON format and mode kept', async () => {
    const first = service.addRefreshToken(CLIENT, 'alice');
    const file = await secretFile(`{\n  "client_secret": "${CLIENT_SECRET}",\n  "refresh_token": "${first}"\n}\n`);
    const spec = account({ file });
    const { log, text } = capturedLog();
    const provider = await providerFor(spec, await readFile(file, 'utf8'), log);
    await provider.token();
    const stored = await readFile(file, 'utf8');
    const rotated = parseRefreshSecret(stored).refreshToken;
    expect(rotated).not.toBe(first);
    expect(stored).toBe(`{\n  "client_secret": "${CLIENT_SECRET}",\n  "refresh_token": "${rotated}"\n}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(service.refreshTokenState(first)).toBe('spent');
    expect(service.refreshTokenState(rotated)).toBe('active');
    expect(text()).not.toContain(first);
    expect(text()).not.toContain(rotated);
  });

  it('a connector built after a rotation reads the new token from the file and shares the provider (no second token chain)', async () => {
    service.lifetimeSeconds = 2; // renewed after a second: every renewal rotates
    const file = await secretFile(`${service.addRefreshToken(PUBLIC, 'bob')}\n`);
    const spec = account({ file });
    const { log, lines } = capturedLog();
    const provider = await providerFor(spec, await readFile(file, 'utf8'), log);
    await provider.token();
    for (let round = 0; round < 2; round++) {
      const later = await providerFor(spec, await readFile(file, 'utf8'), log);
      expect(later).toBe(provider);
      await sleep(1100);
      await later.token();
    }
    const stored = (await readFile(file, 'utf8')).trim();
    expect(service.refreshTokenState(stored)).toBe('active');
    expect(lines.filter((l) => l['level'] === 40)).toEqual([]);
  });

  it('writes nothing when the token service does not rotate (Google)', async () => {
    service.rotateRefreshTokens = false;
    const token = service.addRefreshToken(PUBLIC, 'carol');
    const file = await secretFile(`${token}\n`);
    const before = await stat(file);
    const { log, lines } = capturedLog();
    await (await providerFor(account({ file }), await readFile(file, 'utf8'), log)).token();
    const after = await stat(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(lines.filter((l) => String(l['msg']).includes('written back'))).toEqual([]);
  });

  it('a read-only file: one warning per failed write naming the file and the fix; the chain goes on in memory', async () => {
    service.lifetimeSeconds = 2;
    const first = service.addRefreshToken(PUBLIC, 'dave');
    const file = await secretFile(`${first}\n`, 0o400);
    const { log, lines, text } = capturedLog();
    const spec = account({ file });
    const provider = await providerFor(spec, await readFile(file, 'utf8'), log);
    await provider.token();
    await sleep(1100);
    await provider.token(); // with one-time tokens this works only with the rotated token in memory
    expect(await readFile(file, 'utf8')).toBe(`${first}\n`);
    const warnings = lines.filter((l) => l['level'] === 40);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ file, code: 'EACCES' });
    expect(String(warnings[0]?.['msg'])).toMatch(new RegExp(
      `^account ${spec.user}@127\\.0\\.0\\.1:1143: the rotated refresh token was not written back: cannot write ${file}: the file is read-only \\(mode 0400\\); `
      + `make the file and its directory writable .*chmod 600 ${file}\\. This process goes on with the new token in memory`,
    ));
    expect(text()).not.toContain(first);
    for (const issued of service.issued) expect(text()).not.toContain(issued.token);
  });

  it('a secret from an environment variable: one warning per account naming it and what to do, no keeper', async () => {
    const spec = account({ env: 'MAILFERRY_SOURCE_PASSWORD' });
    const { log, lines } = capturedLog();
    expect(refreshTokenKeeper(spec, log)).toBeUndefined();
    expect(refreshTokenKeeper(spec, log)).toBeUndefined();
    const warnings = lines.filter((l) => l['level'] === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ account: `${spec.user}@127.0.0.1:1143`, variable: 'MAILFERRY_SOURCE_PASSWORD' });
    expect(String(warnings[0]?.['msg'])).toMatch(/environment variable MAILFERRY_SOURCE_PASSWORD, which mailferry cannot update/);
    expect(String(warnings[0]?.['msg'])).toMatch(/put the refresh token in a file \(password: \{ file: \.\.\. \} in the config, --source-password-file/i);
    // Another account is another warning.
    refreshTokenKeeper(account({ env: 'MAILFERRY_SOURCE_PASSWORD' }), log);
    expect(lines.filter((l) => l['level'] === 40)).toHaveLength(2);
  });
});
