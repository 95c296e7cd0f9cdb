/**
 * The connector contract suite (rclone's fstests idea): one set of tests that every
 * source and target connector passes, skipping only what a connector does not declare
 * (its capabilities, its optional methods, its kind of source). A new connector (POP3,
 * EWS, Maildir) registers a fixture here.
 *
 * Sources come in two forms, and each test speaks the form the source has:
 * - UID sources (IMAP, POP3 as a maildrop): listUids / fetchMeta / fetchRaw / streamRaw.
 * - item-sync sources (`kind === 'item-sync'`, EWS): syncItems from `null` until `more`
 *   is false, then fetchItems.
 *
 * Targets are read back through the fixture's `readBack` when it has one (a view of the
 * server that does not go through the connector), else through the target's own UID
 * window (listWindow + fetchRaw). UID-window checks run for targets that have UIDs
 * (status().uidNext > 0); marker checks for targets that offer findByMarker.
 *
 * The mirror capabilities (MirrorSource, MirrorTarget) have their part in mirror-contract.ts.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/connector-error.js';
import { isItemSyncSource, type AnySource, type FlagPolicy, type ItemSyncSource, type SourceConnector, type TargetConnector } from '../../src/connectors/types.js';
import type { CorpusMessage } from '../support/corpus.js';
import { mirrorSourceContract, mirrorTargetContract, type MutableSource } from './mirror-contract.js';

/** One message of a target folder as the fixture reads it back. */
export interface StoredMessage {
  readonly raw: Buffer;
  /** IMAP flags and keywords (\Recent is ignored). */
  readonly flags: readonly string[];
  readonly internalDate: Date;
}

/**
 * What of a message's state a source reports and the suite compares, besides the bytes.
 * `flags`: 'all' compares every flag; a list compares those flags only (others are
 * ignored on both sides); [] compares none.
 */
export interface ReportedState {
  readonly flags: 'all' | readonly string[];
  readonly internalDate: boolean;
}

export interface ContractFixture {
  /** Messages the source account holds, all in `folder`, with the flags and dates the source reports (see `reports`). */
  readonly messages: readonly CorpusMessage[];
  readonly folder: string;
  /** A connector on the loaded source account: a UID source or an item-sync source. */
  source(): AnySource;
  /**
   * What the source reports of each message besides its bytes. Default: for a UID source,
   * everything when its capabilities say it has flags (else the bytes alone); for an
   * item-sync source (which declares no capabilities), the bytes alone.
   */
  readonly reports?: ReportedState;
  /**
   * For an item-sync source: an id of the source's form that names no item of `folder`
   * (e.g. of an item deleted since), for "unknown ids are simply absent".
   */
  readonly unknownItemId?: string;
  /** A connector on an empty target account (a new one each call); absent for a source-only protocol (POP3). */
  target?(): Promise<TargetConnector>;
  /**
   * The messages of a target folder in the order they were stored, read without the
   * connector where possible. Default: the target's own listWindow + fetchRaw (UID targets only).
   */
  readBack?(target: TargetConnector, path: string): Promise<StoredMessage[]>;
  /** A source connector whose credentials are wrong. */
  badCredentials(): AnySource;
  /**
   * For the mirror source tests: a connector on a new, empty source account plus a way to
   * change its folder without the connector. Absent: those tests are skipped.
   */
  mutableSource?(): Promise<MutableSource>;
  close(): Promise<void>;
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export type ContractRole = 'source' | 'target';

type Skip = (note: string) => never;

/** The source as a UID source, or the test skipped. */
function uidSource(source: AnySource, skip: Skip): SourceConnector {
  return isItemSyncSource(source) ? skip('an item-sync source has no UIDs') : source;
}

/** The source as an item-sync source, or the test skipped. */
function itemSource(source: AnySource, skip: Skip): ItemSyncSource {
  return isItemSyncSource(source) ? source : skip('a UID source has no sync state');
}

/** Items per syncItems call: small enough that even a short folder takes several pages. */
const pageSize = (count: number) => Math.max(1, Math.ceil(count / 3));

/** A whole enumeration from `null`: every page, each page checked against the page size. */
async function enumerate(source: ItemSyncSource, path: string, count: number) {
  const max = pageSize(count);
  const ids: string[] = [];
  let state: string | null = null;
  for (let pages = 0; ; pages += 1) {
    if (pages > count + 10) throw new Error(`syncItems of "${path}" does not end (more is still true after ${pages} pages)`);
    const page = await source.syncItems(path, state, max);
    expect(page.items.length).toBeLessThanOrEqual(max);
    expect(typeof page.state).toBe('string');
    ids.push(...page.items.map((item) => item.id));
    state = page.state;
    if (!page.more) break;
  }
  return { ids, state: state as string };
}

const normalizeFlags = (flags: readonly string[]) =>
  [...new Set(flags.map((f) => f.toLowerCase()))].filter((f) => f !== '\\recent').sort();

/**
 * The target kept every flag the policy says it keeps (permanent flags; keywords when new
 * keywords may be created) and invented none.
 */
function expectStoredFlags(stored: readonly string[], given: readonly string[], policy: FlagPolicy): void {
  const permanent = new Set(policy.permanent.map((f) => f.toLowerCase()));
  const kept = given.filter((f) => permanent.has(f.toLowerCase()) || (!f.startsWith('\\') && policy.newKeywords));
  const actual = normalizeFlags(stored);
  expect(actual).toEqual(expect.arrayContaining(normalizeFlags(kept)));
  const allowed = new Set(normalizeFlags(given));
  expect(actual.filter((f) => !allowed.has(f))).toEqual([]);
}

/** @param roles - what the connector can be; a source-only protocol (POP3) skips the target suite entirely. */
export function connectorContract(name: string, setup: () => Promise<ContractFixture>, roles: readonly ContractRole[] = ['source', 'target']): void {
  if (roles.includes('source')) describe(`${name}: source contract`, () => {
    let fixture: ContractFixture;
    /** The source in either form; a test of one form narrows it (uidSource / itemSource) or skips. */
    let anySource: AnySource;

    beforeAll(async () => {
      fixture = await setup();
      anySource = fixture.source();
      await anySource.connect();
    });
    afterAll(async () => {
      await anySource?.close();
      await fixture?.close();
    });

    /** What the comparison of fetched messages covers (see ContractFixture.reports). */
    const reported = (): ReportedState => {
      if (fixture.reports) return fixture.reports;
      const withFlags = !isItemSyncSource(anySource) && anySource.capabilities.flags;
      return withFlags ? { flags: 'all', internalDate: true } : { flags: [], internalDate: false };
    };
    /** A message as a string: its bytes' SHA-256, plus its date and flags as far as the source reports them. */
    const fingerprint = (raw: Buffer, date: Date, flags: readonly string[]) => {
      const { flags: compared, internalDate } = reported();
      const wanted = compared === 'all' ? flags : flags.filter((f) => compared.some((c) => c.toLowerCase() === f.toLowerCase()));
      return [sha(raw), ...(internalDate ? [date.toISOString()] : []), ...(compared === 'all' || compared.length > 0 ? [[...wanted].sort().join(' ')] : [])].join(' ');
    };

    it('lists the folder that holds the messages as selectable', async () => {
      const folders = await anySource.listFolders();
      expect(folders.find((f) => f.path === fixture.folder)?.selectable).toBe(true);
    });

    it('reports status with a UIDVALIDITY, a UIDNEXT past every UID and the message count', async (ctx) => {
      const source = uidSource(anySource, (note) => ctx.skip(note));
      const status = await source.status(fixture.folder);
      const uids = await source.listUids(fixture.folder, 0);
      expect(status.uidValidity).toMatch(/^\d+$/);
      expect(status.messages).toBe(fixture.messages.length);
      expect(status.uidNext).toBeGreaterThan(Math.max(...uids));
    });

    it('lists UIDs ascending and only those after the given one', async (ctx) => {
      const source = uidSource(anySource, (note) => ctx.skip(note));
      const all = await source.listUids(fixture.folder, 0);
      expect(all).toHaveLength(fixture.messages.length);
      expect([...all].sort((a, b) => a - b)).toEqual(all);
      const last = all.at(-1) as number;
      expect(await source.listUids(fixture.folder, last)).toEqual([]);
      expect(await source.listUids(fixture.folder, all[0] as number)).toEqual(all.slice(1));
    });

    it('lists the folder as mail, with an item count that matches the messages', async (ctx) => {
      const source = itemSource(anySource, (note) => ctx.skip(note));
      const folder = (await source.listFolders()).find((f) => f.path === fixture.folder);
      expect(folder).toMatchObject({ selectable: true, content: 'mail', itemCount: fixture.messages.length });
    });

    it('enumerates every item once: syncItems from null until more is false, pages within maxChanges', async (ctx) => {
      const source = itemSource(anySource, (note) => ctx.skip(note));
      const { ids } = await enumerate(source, fixture.folder, fixture.messages.length);
      expect(ids).toHaveLength(fixture.messages.length);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('a state from a finished enumeration yields no items', async (ctx) => {
      const source = itemSource(anySource, (note) => ctx.skip(note));
      const { state } = await enumerate(source, fixture.folder, fixture.messages.length);
      const after = await source.syncItems(fixture.folder, state, pageSize(fixture.messages.length));
      expect(after.items).toEqual([]);
      expect(after.more).toBe(false);
    });

    it('fetches the exact bytes (and the flags and date it reports) of every message; unknown ones are simply absent', async () => {
      const expected = fixture.messages.map((m) => fingerprint(m.raw, m.internalDate, m.flags)).sort();
      const source = anySource;
      if (isItemSyncSource(source)) {
        if (fixture.unknownItemId === undefined) throw new Error(`${name}: an item-sync fixture must supply unknownItemId`);
        const { ids } = await enumerate(source, fixture.folder, fixture.messages.length);
        const items = await source.fetchItems(fixture.folder, [...ids, fixture.unknownItemId]);
        // Exact duplicates share bytes but not always dates or flags: compare as multisets.
        expect(items.map((i) => fingerprint(i.raw, i.internalDate, i.flags)).sort()).toEqual(expected);
        expect(items.map((i) => i.id).sort()).toEqual([...ids].sort());
        for (const item of items) expect(item.size).toBe(item.raw.length);
        expect(await source.fetchItems(fixture.folder, [fixture.unknownItemId])).toEqual([]);
        expect(await source.fetchItems(fixture.folder, [])).toEqual([]);
        return;
      }
      const uids = await source.listUids(fixture.folder, 0);
      const raws = await source.fetchRaw(fixture.folder, [...uids, 999_999]);
      // Exact duplicates share bytes but not always dates or flags: compare as multisets.
      // A source without flags of its own (POP3) is held to the bytes alone.
      expect(raws.map((r) => fingerprint(r.raw, r.internalDate, r.flags)).sort()).toEqual(expected);
      for (const raw of raws) expect(raw.size).toBe(raw.raw.length);
      const metas = await source.fetchMeta(fixture.folder, uids);
      expect(metas.map((m) => m.size).sort()).toEqual(raws.map((r) => r.size).sort());
    });

    it('streams the exact bytes of one message, when it can stream', async (ctx) => {
      const source = uidSource(anySource, (note) => ctx.skip(note));
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

    mirrorSourceContract(() => ({ messages: fixture.messages, ...(fixture.mutableSource ? { mutableSource: () => fixture.mutableSource!() } : {}) }));
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

    /** The target has UIDs (IMAP); one without (EWS) says so with a UIDNEXT of 0. */
    const hasUids = async (path: string) => (await target.status(path)).uidNext > 0;

    /** The folder's messages in the order they were stored. */
    async function readBack(path: string): Promise<StoredMessage[]> {
      if (fixture.readBack) return fixture.readBack(target, path);
      if (!(await hasUids(path))) throw new Error(`${name}: a target without UIDs needs a fixture readBack()`);
      const window = await target.listWindow(path, 1);
      const raws = await target.fetchRaw(path, window.map((m) => m.uid));
      return raws.sort((a, b) => a.uid - b.uid).map((r) => ({ raw: r.raw, flags: r.flags, internalDate: r.internalDate }));
    }

    /** The flags of `message` the target accepts for a new message (as the migration filters them). */
    const acceptedFlags = (message: CorpusMessage, policy: FlagPolicy) => message.flags.filter((f) => policy.newKeywords || f.startsWith('\\'));

    it('ensureFolder creates a folder, and succeeds again when it exists', async () => {
      expect((await target.ensureFolder(folder)).created).toBe(true);
      expect((await target.ensureFolder(folder)).created).toBe(false);
      expect((await target.listFolders()).some((f) => f.path === folder)).toBe(true);
    });

    it('append stores exact bytes, flags and date, and reports the UID when it says it can', async () => {
      const message = fixture.messages[0] as CorpusMessage;
      const before = await target.status(folder);
      const policy = await target.flagPolicy(folder);
      const stored = await readBack(folder);
      const flags = acceptedFlags(message, policy);
      const result = await target.append(folder, message.raw, flags, message.internalDate);
      if (target.capabilities.appendReturnsId) expect(result.uid).toBe(before.uidNext);
      const after = await readBack(folder);
      expect(after).toHaveLength(stored.length + 1);
      const added = after.at(-1) as StoredMessage;
      expect(added.raw.equals(message.raw)).toBe(true);
      expect(added.internalDate.getTime()).toBe(message.internalDate.getTime());
      expectStoredFlags(added.flags, flags, policy);
      if (before.uidNext > 0) {
        // The recovery window after the UIDNEXT seen before the append holds the new message.
        const window = await target.listWindow(folder, before.uidNext);
        expect(window).toHaveLength(1);
        const [fetched] = await target.fetchRaw(folder, [window[0]?.uid as number]);
        expect(fetched?.raw.equals(message.raw)).toBe(true);
        expect(fetched?.internalDate.getTime()).toBe(message.internalDate.getTime());
      }
    });

    it('appendBatch stores several messages in order, all at once (when declared)', async (ctx) => {
      if (!target.capabilities.batchAppend || !target.appendBatch) ctx.skip();
      const messages = fixture.messages.slice(1, 4);
      const before = await target.status(folder);
      const stored = await readBack(folder);
      const results = await target.appendBatch!(folder, messages.map((m) => ({ raw: m.raw, flags: [], internalDate: m.internalDate })));
      expect(results).toHaveLength(messages.length);
      const after = await readBack(folder);
      expect(after.slice(stored.length).map((s) => sha(s.raw))).toEqual(messages.map((m) => sha(m.raw)));
      expect(after.slice(stored.length).map((s) => s.internalDate.getTime())).toEqual(messages.map((m) => m.internalDate.getTime()));
      if (before.uidNext > 0) {
        const window = await target.listWindow(folder, before.uidNext);
        expect(window.map((m) => m.uid)).toEqual(results.map((r) => r.uid ?? expect.any(Number)));
        const fetched = await target.fetchRaw(folder, window.map((m) => m.uid));
        expect(fetched.map((s) => sha(s.raw))).toEqual(messages.map((m) => sha(m.raw)));
      }
    });

    it('appendEach stores several messages in order, one result each (when offered)', async (ctx) => {
      if (!target.appendEach) ctx.skip();
      const messages = fixture.messages.slice(4, 7);
      const policy = await target.flagPolicy(folder);
      const stored = await readBack(folder);
      const items = messages.map((m) => ({ raw: m.raw, flags: acceptedFlags(m, policy), internalDate: m.internalDate }));
      const results = await target.appendEach!(folder, items);
      expect(results.map((r) => r.stored)).toEqual(messages.map(() => true));
      const added = (await readBack(folder)).slice(stored.length);
      expect(added.map((s) => sha(s.raw))).toEqual(messages.map((m) => sha(m.raw)));
      expect(added.map((s) => s.internalDate.getTime())).toEqual(messages.map((m) => m.internalDate.getTime()));
      added.forEach((s, n) => expectStoredFlags(s.flags, items[n]?.flags ?? [], policy));
    });

    it('finds a message again by the marker given on append; an unknown marker is not found (when offered)', async (ctx) => {
      if (!target.findByMarker) ctx.skip();
      const message = fixture.messages[7] ?? (fixture.messages[0] as CorpusMessage);
      const marker = `contract|${name}|${sha(message.raw).slice(0, 16)}`;
      const result = await target.append(folder, message.raw, [], message.internalDate, marker);
      const found = await target.findByMarker!(folder, [marker, 'contract|never-appended']);
      expect([...found.keys()]).toEqual([marker]);
      if (result.id !== undefined) expect(found.get(marker)).toBe(result.id);
      expect((await target.findByMarker!(folder, ['contract|never-appended'])).size).toBe(0);
    });

    it('can find its copies after a crash: by the UID window, or by marker when it has no UIDs', async () => {
      if (await hasUids(folder)) {
        expect(await target.listWindow(folder, (await target.status(folder)).uidNext)).toEqual([]);
      } else {
        expect(typeof target.findByMarker).toBe('function');
      }
    });

    it('ensureFolder creates a nested folder with a Unicode name, and finds it again', async () => {
      const nested = `${folder}/Ébène ✉ 日本/Tiefe`;
      expect((await target.ensureFolder(nested)).created).toBe(true);
      expect((await target.ensureFolder(nested)).created).toBe(false);
      expect((await target.listFolders()).some((f) => f.path === nested)).toBe(true);
      expect(await readBack(nested)).toEqual([]);
    });

    it('status of a missing folder is a ConnectorError with scope folder', async () => {
      const error = await target.status('Does/Not/Exist').then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectorError);
      expect((error as ConnectorError).scope).toBe('folder');
    });

    mirrorTargetContract(() => ({ target, messages: fixture.messages }));
  });
}
