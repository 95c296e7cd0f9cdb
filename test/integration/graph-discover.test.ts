/**
 * A whole tenant through the real CLI: `mailferry discover` lists the Graph test server's
 * mail users (one domain, and one group) and writes a config of pairs with secrets by
 * reference; `enqueue --wait` with two `worker` processes completes every pair, each
 * target equal to its mailbox.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type StartedCli } from '../support/cli.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startGraphServer, type GraphTestServer } from '../support/graph/index.js';
import { sha256, snapshotAccount } from '../support/imap-account.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const TENANT = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
const APP = '55555555-6666-7777-8888-999999999999';
const SECRET = 'graph-discover-secret';
const PEOPLE = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'];

let graph: GraphTestServer;
let dovecot: DovecotServer;
let redis: RedisServer;
let dir: string;
const workers: StartedCli[] = [];

const env = () => ({ MAILFERRY_SOURCE_PASSWORD: SECRET, MAILFERRY_TARGET_PASSWORD: dovecot.password });
const appUrl = () => `graph://admin@contoso.com?tenant=${TENANT}&client=${APP}&endpoint=${encodeURIComponent(graph.url)}&authority=${encodeURIComponent(graph.authority)}`;

beforeAll(async () => {
  dir = await makeTempDir('graph-discover');
  [graph, dovecot, redis] = await Promise.all([
    startGraphServer({
      tenant: TENANT, clients: { [APP]: { secret: SECRET } },
      users: [
        ...PEOPLE.map((name, i) => ({ mail: `${name}@contoso.com`, ...(i < 3 ? { groups: ['movers'] } : {}) })),
        { mail: 'shared-info@contoso.com', accountEnabled: false },
        { mail: 'zoe@fabrikam.com' },
      ],
    }),
    startDovecot({ users: [...PEOPLE, 'shared-info'] }),
    startRedis(),
  ]);
  for (const [i, name] of PEOPLE.entries()) {
    const box = graph.mailbox(`${name}@contoso.com`);
    box.addFolder('Inbox/Team');
    for (let k = 0; k < 4 + i; k++) {
      box.addMessage(k % 2 === 0 ? 'Inbox' : 'Inbox/Team', Buffer.from(`From: x@contoso.com\r\nSubject: ${name} ${k}\r\nMessage-ID: <${name}.${k}@contoso.com>\r\n\r\nbody ${k}\r\n`), { isRead: k % 3 === 0 });
    }
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map(async (w) => {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await w.result;
  }));
  await Promise.all([graph?.stop(), dovecot?.stop(), redis?.destroy(), dir ? removeTempDir(dir) : undefined]);
});

describe('mailferry discover', () => {
  it('lists a group\'s members as pairs, or a domain\'s users (shared mailboxes included unless --enabled-only)', async () => {
    const group = await runCli(['discover', appUrl(), '--source-ca', graph.caFile, '--group', 'movers', '--target-template', `imap://{local}@127.0.0.1:${dovecot.imapPort}?tls=off`], { env: env() });
    expect(group.code, group.stderr).toBe(0);
    expect(Object.keys(parse(group.stdout).pairs)).toEqual(['ann', 'ben', 'cat']);

    const domain = await runCli(['discover', appUrl(), '--source-ca', graph.caFile, '--domain', 'contoso.com', '--target-template', 'imaps://{local}@new.example.com'], { env: env() });
    expect(domain.code, domain.stderr).toBe(0);
    expect(Object.keys(parse(domain.stdout).pairs)).toEqual([...PEOPLE, 'shared-info']);
    expect(domain.stderr).toMatch(/7 mailbox\(es\) \(1 with a disabled account/);
    const enabled = await runCli(['discover', appUrl(), '--source-ca', graph.caFile, '--domain', 'contoso.com', '--enabled-only', '--target-template', 'imaps://{local}@new.example.com'], { env: env() });
    expect(Object.keys(parse(enabled.stdout).pairs)).toEqual(PEOPLE);
    expect(domain.stdout).not.toContain(SECRET);

    const noGroup = await runCli(['discover', appUrl(), '--source-ca', graph.caFile, '--group', 'nobody', '--target-template', 'imaps://{local}@x.example.com'], { env: env() });
    expect(noGroup.code).toBe(2);
    expect(noGroup.stderr).toMatch(/--group "nobody": no group has that display name/);
  }, 60_000);

  it('writes a config that enqueue --wait and two workers complete: every target equals its mailbox', async () => {
    const config = path.join(dir, 'pairs.yaml');
    const written = await runCli([
      'discover', appUrl(), '--source-ca', graph.caFile, '--domain', 'contoso.com', '--enabled-only',
      '--target-template', `imap://{local}@127.0.0.1:${dovecot.imapPort}?tls=off`, '--output', config,
    ], { env: env() });
    expect(written.code, written.stderr).toBe(0);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    // The pairs as discover wrote them, with the Redis the workers share.
    const file = path.join(dir, 'fleet.yaml');
    writeFileSync(file, `redis: ${redis.url}\n${readFileSync(config, 'utf8')}`);

    for (let i = 0; i < 2; i++) {
      const worker = startCli(['worker', '--config', file, '--concurrency', '3'], { env: env(), timeoutMs: 110_000 });
      workers.push(worker);
      await new Promise<void>((resolve) => worker.child.stderr.on('data', (d: Buffer) => { if (String(d).includes('worker started')) resolve(); }));
    }
    const enqueued = await runCli(['enqueue', '--config', file, '--wait'], { env: env(), timeoutMs: 100_000 });
    expect(enqueued.code, enqueued.stderr).toBe(0);

    for (const [i, name] of PEOPLE.entries()) {
      // Two workers, three jobs each: still never more than Graph's 4 requests at once per mailbox.
      expect(graph.maxInFlight(`${name}@contoso.com`), name).toBeLessThanOrEqual(4);
      const snapshot = await snapshotAccount({ port: dovecot.imapPort, user: name, password: dovecot.password });
      const source = graph.mailbox(`${name}@contoso.com`);
      expect((snapshot.get('INBOX') ?? []).map((m) => m.sha256).sort(), name).toEqual(source.messages('Inbox').map((m) => sha256(m.raw)).sort());
      expect((snapshot.get('INBOX/Team') ?? []).length, name).toBe(Math.floor((4 + i) / 2));
    }
  }, 120_000);
});
