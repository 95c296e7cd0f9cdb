/**
 * The connector contract suite (rclone's fstests idea): one set of tests that every
 * source and target connector passes, skipping only what a connector does not declare
 * in its capabilities. A new connector (POP3, EWS, Maildir) registers a fixture here.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/connector-error.js';
import type { SourceConnector, TargetConnector } from '../../src/connectors/types.js';
import type { CorpusMessage } from '../support/corpus.js';

export interface ContractFixture {
  /** Messages the source account holds, all in `folder`. */
  readonly messages: readonly CorpusMessage[];
  readonly folder: string;
  /** A connector on the loaded source account. */
  source(): SourceConnector;
  /** A connector on an empty target account (a new one each call); absent for a source-only protocol (POP3). */
  target?(): Promise<TargetConnector>;
  /** A source connector whose credentials are wrong. */
  badCredentials(): SourceConnector;
  close(): Promise<void>;
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export type ContractRole = 'source' | 'target';

/** @param roles - what the connector can be; a source-only protocol (POP3) skips the target suite entirely. */
export function connectorContract(name: string, setup: () => Promise<ContractFixture>, roles: readonly ContractRole[] = ['source', 'target']): void {
  if (roles.includes('source')) describe(`${name}: source contract`, () => {
    let fixture: ContractFixture;
    let source: SourceConnector;

    beforeAll(async () => {
      fixture = await setup();
      source = fixture.source();
      await source.connect();
    });
    afterAll(async () => {
      await source?.close();
      await fixture?.close();
    });

    it('lists the folder that holds the messages as selectable', async () => {
      const folders = await source.listFolders();
      expect(folders.find((f) => f.path === fixture.folder)?.selectable).toBe(true);
    });

    it('reports status with a UIDVALIDITY, a UIDNEXT past every UID and the message count', async () => {
      const status = await source.status(fixture.folder);
      const uids = await source.listUids(fixture.folder, 0);
      expect(status.uidValidity).toMatch(/^\d+$/);
      expect(status.messages).toBe(fixture.messages.length);
      expect(status.uidNext).toBeGreaterThan(Math.max(...uids));
    });

    it('lists UIDs ascending and only those after the given one', async () => {
      const all = await source.listUids(fixture.folder, 0);
      expect(all).toHaveLength(fixture.messages.length);
      expect([...all].sort((a, b) => a - b)).toEqual(all);
      const last = all.at(-1) as number;
      expect(await source.listUids(fixture.folder, last)).toEqual([]);
      expect(await source.listUids(fixture.folder, all[0] as number)).toEqual(all.slice(1));
    });

    it('fetches the exact bytes, flags and date of every message; unknown UIDs are simply absent', async () => {
      const uids = await source.listUids(fixture.folder, 0);
      const raws = await source.fetchRaw(fixture.folder, [...uids, 999_999]);
      // Exact duplicates share bytes but not always dates or flags: compare as multisets.
      // A source without flags of its own (POP3) is held to the bytes alone.
      const withFlags = source.capabilities.flags;
      const fingerprint = (raw: Buffer, date: Date, flags: readonly string[]) =>
        withFlags ? `${sha(raw)} ${date.toISOString()} ${[...flags].sort().join(' ')}` : sha(raw);
      expect(raws.map((r) => fingerprint(r.raw, r.internalDate, r.flags)).sort())
        .toEqual(fixture.messages.map((m) => fingerprint(m.raw, m.internalDate, m.flags)).sort());
      for (const raw of raws) expect(raw.size).toBe(raw.raw.length);
      const metas = await source.fetchMeta(fixture.folder, uids);
      expect(metas.map((m) => m.size).sort()).toEqual(raws.map((r) => r.size).sort());
    });

    it('streams the exact bytes of one message, when it can stream', async (ctx) => {
      if (!source.streamRaw) ctx.skip();
      const [uid] = await source.listUids(fixture.folder, 0);
      const [whole] = await source.fetchRaw(fixture.folder, [uid as number]);
      const chunks: Buffer[] = [];
      for await (const chunk of (await source.streamRaw!(fixture.folder, uid as number))!) chunks.push(chunk);
      expect(Buffer.concat(chunks).equals(whole?.raw as Buffer)).toBe(true);
      expect(await source.streamRaw!(fixture.folder, 999_999)).toBeUndefined();
    });

    it('throws a ConnectorError AUTH_FAILED with scope account and no retry on bad credentials', async () => {
      const bad = fixture.badCredentials();
      const error = await bad.connect().then(() => null, (e: unknown) => e);
      await bad.close();
      expect(error).toBeInstanceOf(ConnectorError);
      expect(error).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
    });
  });

  if (roles.includes('target')) describe(`${name}: target contract`, () => {
    let fixture: ContractFixture;
    let target: TargetConnector;
    const folder = 'Contract/Ünïcode & Co';

    beforeAll(async () => {
      fixture = await setup();
      if (!fixture.target) throw new Error(`${name}: the fixture has no target(); register it with roles ['source']`);
      target = await fixture.target();
      await target.connect();
    });
    afterAll(async () => {
      await target?.close();
      await fixture?.close();
    });

    it('ensureFolder creates a folder, and succeeds again when it exists', async () => {
      expect((await target.ensureFolder(folder)).created).toBe(true);
      expect((await target.ensureFolder(folder)).created).toBe(false);
      expect((await target.listFolders()).some((f) => f.path === folder)).toBe(true);
    });

    it('append stores exact bytes, flags and date, and reports the UID when it says it can', async () => {
      const message = fixture.messages[0] as CorpusMessage;
      const before = await target.status(folder);
      const policy = await target.flagPolicy(folder);
      const result = await target.append(folder, message.raw, message.flags.filter((f) => policy.newKeywords || f.startsWith('\\')), message.internalDate);
      if (target.capabilities.appendReturnsId) expect(result.uid).toBe(before.uidNext);
      const window = await target.listWindow(folder, before.uidNext);
      expect(window).toHaveLength(1);
      const [stored] = await target.fetchRaw(folder, [window[0]?.uid as number]);
      expect(stored?.raw.equals(message.raw)).toBe(true);
      expect(stored?.internalDate.getTime()).toBe(message.internalDate.getTime());
    });

    it('appendBatch stores several messages in order, all at once (when declared)', async (ctx) => {
      if (!target.capabilities.batchAppend || !target.appendBatch) ctx.skip();
      const messages = fixture.messages.slice(1, 4);
      const before = await target.status(folder);
      const results = await target.appendBatch!(folder, messages.map((m) => ({ raw: m.raw, flags: [], internalDate: m.internalDate })));
      expect(results).toHaveLength(messages.length);
      const window = await target.listWindow(folder, before.uidNext);
      expect(window.map((m) => m.uid)).toEqual(results.map((r) => r.uid ?? expect.any(Number)));
      const stored = await target.fetchRaw(folder, window.map((m) => m.uid));
      expect(stored.map((s) => sha(s.raw))).toEqual(messages.map((m) => sha(m.raw)));
    });

    it('status of a missing folder is a ConnectorError with scope folder', async () => {
      const error = await target.status('Does/Not/Exist').then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectorError);
      expect((error as ConnectorError).scope).toBe('folder');
    });
  });
}
