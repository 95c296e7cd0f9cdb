/**
 * The connector contract suite (rclone's fstests idea): one set of tests that every
 * source and target connector passes, skipping only what a connector does not declare
 * (its kind of source, the features it lists). A new connector (POP3, EWS, Maildir)
 * registers a fixture here.
 *
 * Sources are told apart by `kind`, and each test speaks the kind the source is:
 * - 'uid' (IMAP, Maildir): status / listUids / fetchMeta / fetchRaw;
 * - 'maildrop' (POP3): listMaildrop / retrieve, numbers valid in the session;
 * - 'item-sync' (EWS): syncItems from `null` until `more` is false, then fetchItems.
 * `features.fetchLarge` (uid and maildrop sources) is checked where declared, against
 * the plain fetch of the same message.
 *
 * A target says in `features.recovery` how its copies are found after a crash, and is
 * checked that way: 'uid-window' targets (IMAP, Maildir) through listWindow + fetchRaw
 * from the UIDNEXT seen before an append; 'marker' targets (EWS) through findByMarker of
 * the marker given with the AppendItem. `features.appendAtomic` and
 * `features.appendEach` are checked where declared. Stored messages are read back
 * through the fixture's `readBack` when it has one (a view of the server that does not
 * go through the connector), else through the target's UID window.
 *
 * `features.mirror` of sources and targets has its part in mirror-contract.ts.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/connector-error.js';
import type {
  AnySource, AppendItem, FlagPolicy, ItemSyncSource, MaildropSource, SourceKind, TargetConnector, UidSource, UidWindowRecovery,
} from '../../src/connectors/types.js';
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
  /** A connector on the loaded source account, of any kind. */
  source(): AnySource;
  /**
   * What the source reports of each message besides its bytes. Default: for a UID source,
   * everything (flags and INTERNALDATE); for a maildrop (whose messages have neither)
   * and an item-sync source, the bytes alone.
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
   * The target says the UID of each message it stores (IMAP with UIDPLUS's APPENDUID, a
   * Maildir): append's result is held to the UIDNEXT seen before. The contract does not
   * declare this (the result's `uid` is simply present or not), so the fixture does.
   */
  readonly reportsAppendUid?: boolean;
  /**
   * The messages of a target folder in the order they were stored, read without the
   * connector where possible. Default: the target's UID window (recovery 'uid-window' only).
   */
  readBack?(target: TargetConnector, path: string): Promise<StoredMessage[]>;
  /** A source connector whose credentials are wrong. */
  badCredentials(): AnySource;
  /** False where the server gives a renamed folder a new UIDVALIDITY (Courier). Default true. */
  readonly renameKeepsUidValidity?: boolean;
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
type SourceOfKind<K extends SourceKind> = Extract<AnySource, { readonly kind: K }>;

/** The source as a source of `kind`, or the test skipped. */
function ofKind<K extends SourceKind>(source: AnySource, kind: K, skip: Skip): SourceOfKind<K> {
  return source.kind === kind ? (source as SourceOfKind<K>) : skip(`a ${source.kind} source is not a ${kind} source`);
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

/** One message to store, as a migration gives it. */
const itemOf = (message: CorpusMessage, flags: readonly string[], marker?: string): AppendItem => ({
  raw: message.raw, flags, internalDate: message.internalDate, ...(marker === undefined ? {} : { marker }),
});

/** @param roles - what the connector can be; a source-only protocol (POP3) skips the target suite entirely. */
export function connectorContract(name: string, setup: () => Promise<ContractFixture>, roles: readonly ContractRole[] = ['source', 'target']): void {
  if (roles.includes('source')) describe(`${name}: source contract`, () => {
    let fixture: ContractFixture;
    /** The source of whatever kind; a test of one kind narrows it (ofKind) or skips. */
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
      return anySource.kind === 'uid' ? { flags: 'all', internalDate: true } : { flags: [], internalDate: false };
    };
    /** A message as a string: its bytes' SHA-256, plus its date and flags as far as the source reports them. */
    const fingerprint = (raw: Buffer, date: Date, flags: readonly string[]) => {
      const { flags: compared, internalDate } = reported();
      const wanted = compared === 'all' ? flags : flags.filter((f) => compared.some((c) => c.toLowerCase() === f.toLowerCase()));
      return [sha(raw), ...(internalDate ? [date.toISOString()] : []), ...(compared === 'all' || compared.length > 0 ? [[...wanted].sort().join(' ')] : [])].join(' ');
    };
    const fingerprintOf = (m: { raw: Buffer; internalDate: Date; flags: readonly string[] }) => fingerprint(m.raw, m.internalDate, m.flags);

    /** Every message of a UID source, and unknown UIDs simply absent; sizes as fetchMeta says them. */
    async function fetchEveryUid(source: UidSource): Promise<string[]> {
      const uids = await source.listUids(fixture.folder, 0);
      const raws = await source.fetchRaw(fixture.folder, [...uids, 999_999]);
      for (const raw of raws) expect(raw.size).toBe(raw.raw.length);
      const metas = await source.fetchMeta(fixture.folder, uids);
      expect(metas.map((m) => m.size).sort()).toEqual(raws.map((r) => r.size).sort());
      return raws.map(fingerprintOf);
    }

    /** Every message of a maildrop, and unknown numbers simply absent; sizes as the listing says them. */
    async function fetchEveryNumber(source: MaildropSource): Promise<string[]> {
      const entries = await source.listMaildrop();
      const raws = await source.retrieve([...entries.map((e) => e.number), 999_999]);
      for (const raw of raws) expect(raw.size).toBe(raw.raw.length);
      expect(entries.map((e) => e.size).sort()).toEqual(raws.map((r) => r.size).sort());
      return raws.map(fingerprintOf);
    }

    /** Every item of an item-sync source, and an unknown id simply absent. */
    async function fetchEveryItem(source: ItemSyncSource): Promise<string[]> {
      if (fixture.unknownItemId === undefined) throw new Error(`${name}: an item-sync fixture must supply unknownItemId`);
      const { ids } = await enumerate(source, fixture.folder, fixture.messages.length);
      const items = await source.fetchItems(fixture.folder, [...ids, fixture.unknownItemId]);
      expect(items.map((i) => i.id).sort()).toEqual([...ids].sort());
      for (const item of items) expect(item.size).toBe(item.raw.length);
      expect(await source.fetchItems(fixture.folder, [fixture.unknownItemId])).toEqual([]);
      expect(await source.fetchItems(fixture.folder, [])).toEqual([]);
      return items.map(fingerprintOf);
    }

    it('lists the folder that holds the messages as selectable', async () => {
      const folders = await anySource.listFolders();
      expect(folders.find((f) => f.path === fixture.folder)?.selectable).toBe(true);
    });

    it('reports status with a UIDVALIDITY, a UIDNEXT past every UID and the message count', async (ctx) => {
      const source = ofKind(anySource, 'uid', (note) => ctx.skip(note));
      const status = await source.status(fixture.folder);
      const uids = await source.listUids(fixture.folder, 0);
      expect(status.uidValidity).toMatch(/^\d+$/);
      expect(status.messages).toBe(fixture.messages.length);
      expect(status.uidNext).toBeGreaterThan(Math.max(...uids));
    });

    it('lists UIDs ascending and only those after the given one', async (ctx) => {
      const source = ofKind(anySource, 'uid', (note) => ctx.skip(note));
      const all = await source.listUids(fixture.folder, 0);
      expect(all).toHaveLength(fixture.messages.length);
      expect([...all].sort((a, b) => a - b)).toEqual(all);
      const last = all.at(-1) as number;
      expect(await source.listUids(fixture.folder, last)).toEqual([]);
      expect(await source.listUids(fixture.folder, all[0] as number)).toEqual(all.slice(1));
    });

    it('lists the maildrop: one entry per message, numbers ascending, UIDLs unique, the same again within the session', async (ctx) => {
      const source = ofKind(anySource, 'maildrop', (note) => ctx.skip(note));
      const entries = await source.listMaildrop();
      expect(entries).toHaveLength(fixture.messages.length);
      const numbers = entries.map((e) => e.number);
      expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
      expect(new Set(numbers).size).toBe(numbers.length);
      const uidls = entries.flatMap((e) => (e.uidl === undefined ? [] : [e.uidl]));
      expect(new Set(uidls).size).toBe(uidls.length);
      expect(await source.listMaildrop()).toEqual(entries);
    });

    it('lists the folder as mail, with an item count that matches the messages', async (ctx) => {
      const source = ofKind(anySource, 'item-sync', (note) => ctx.skip(note));
      const folder = (await source.listFolders()).find((f) => f.path === fixture.folder);
      expect(folder).toMatchObject({ selectable: true, content: 'mail', itemCount: fixture.messages.length });
    });

    it('enumerates every item once: syncItems from null until more is false, pages within maxChanges', async (ctx) => {
      const source = ofKind(anySource, 'item-sync', (note) => ctx.skip(note));
      const { ids } = await enumerate(source, fixture.folder, fixture.messages.length);
      expect(ids).toHaveLength(fixture.messages.length);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('a state from a finished enumeration yields no items', async (ctx) => {
      const source = ofKind(anySource, 'item-sync', (note) => ctx.skip(note));
      const { state } = await enumerate(source, fixture.folder, fixture.messages.length);
      const after = await source.syncItems(fixture.folder, state, pageSize(fixture.messages.length));
      expect(after.items).toEqual([]);
      expect(after.more).toBe(false);
    });

    it('fetches the exact bytes (and the flags and date it reports) of every message; unknown ones are simply absent', async () => {
      const expected = fixture.messages.map((m) => fingerprint(m.raw, m.internalDate, m.flags)).sort();
      const source = anySource;
      const fetched = source.kind === 'uid' ? await fetchEveryUid(source)
        : source.kind === 'maildrop' ? await fetchEveryNumber(source)
          : await fetchEveryItem(source);
      // Exact duplicates share bytes but not always dates or flags: compare as multisets.
      // A source without flags of its own (POP3) is held to the bytes alone.
      expect(fetched.sort()).toEqual(expected);
    });

    it('fetchLarge reads one message whole, as the plain fetch does; an unknown one is undefined (when declared)', async (ctx) => {
      const source = anySource;
      if (source.kind === 'uid') {
        const fetchLarge = source.features.fetchLarge ?? ctx.skip('fetchLarge is not declared');
        const [uid] = await source.listUids(fixture.folder, 0);
        const [meta] = await source.fetchMeta(fixture.folder, [uid as number]);
        const [whole] = await source.fetchRaw(fixture.folder, [uid as number]);
        const large = await fetchLarge(fixture.folder, meta!);
        expect(large?.raw.equals(whole?.raw as Buffer)).toBe(true);
        expect(large).toMatchObject({ uid, size: whole?.size });
        expect(fingerprintOf(large!)).toBe(fingerprintOf(whole!));
        expect(await fetchLarge(fixture.folder, { ...meta!, uid: 999_999 })).toBeUndefined();
      } else if (source.kind === 'maildrop') {
        const fetchLarge = source.features.fetchLarge ?? ctx.skip('fetchLarge is not declared');
        const [entry] = await source.listMaildrop();
        const [whole] = await source.retrieve([entry?.number as number]);
        const large = await fetchLarge(entry?.number as number, entry?.size as number);
        expect(large?.raw.equals(whole?.raw as Buffer)).toBe(true);
        expect(large).toMatchObject({ uid: entry?.number, size: whole?.size });
        expect(await fetchLarge(999_999, 1)).toBeUndefined();
      } else {
        ctx.skip('an item-sync source has no fetchLarge');
      }
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

    /** The target's UID window, when its copies are recovered by one (else undefined: recovery by marker). */
    const uidWindow = (): UidWindowRecovery | undefined => {
      const { recovery } = target.features;
      return recovery.kind === 'uid-window' ? recovery : undefined;
    };

    /** The folder's messages in the order they were stored. */
    async function readBack(path: string): Promise<StoredMessage[]> {
      if (fixture.readBack) return fixture.readBack(target, path);
      const window = uidWindow();
      if (!window) throw new Error(`${name}: a target without a UID window needs a fixture readBack()`);
      const metas = await window.listWindow(path, 1);
      const raws = await window.fetchRaw(path, metas.map((m) => m.uid));
      return raws.sort((a, b) => a.uid - b.uid).map((r) => ({ raw: r.raw, flags: r.flags, internalDate: r.internalDate }));
    }

    /** The flags of `message` the target accepts for a new message (as the migration filters them). */
    const acceptedFlags = (message: CorpusMessage, policy: FlagPolicy) => message.flags.filter((f) => policy.newKeywords || f.startsWith('\\'));

    it('ensureFolder creates a folder, and succeeds again when it exists', async () => {
      expect((await target.ensureFolder(folder)).created).toBe(true);
      expect((await target.ensureFolder(folder)).created).toBe(false);
      expect((await target.listFolders()).some((f) => f.path === folder)).toBe(true);
    });

    it('append stores exact bytes, flags and date, and reports the UID when the fixture says it does', async () => {
      const message = fixture.messages[0] as CorpusMessage;
      const before = await target.status(folder);
      const policy = await target.flagPolicy(folder);
      const stored = await readBack(folder);
      const flags = acceptedFlags(message, policy);
      const result = await target.append(folder, itemOf(message, flags));
      if (fixture.reportsAppendUid) expect(result.uid).toBe(before.uidNext);
      const after = await readBack(folder);
      expect(after).toHaveLength(stored.length + 1);
      const added = after.at(-1) as StoredMessage;
      expect(added.raw.equals(message.raw)).toBe(true);
      expect(added.internalDate.getTime()).toBe(message.internalDate.getTime());
      expectStoredFlags(added.flags, flags, policy);
      const window = uidWindow();
      if (window) {
        // The recovery window after the UIDNEXT seen before the append holds the new message.
        const found = await window.listWindow(folder, before.uidNext);
        expect(found).toHaveLength(1);
        if (result.uid !== undefined) expect(found[0]?.uid).toBe(result.uid);
        const [fetched] = await window.fetchRaw(folder, [found[0]?.uid as number]);
        expect(fetched?.raw.equals(message.raw)).toBe(true);
        expect(fetched?.internalDate.getTime()).toBe(message.internalDate.getTime());
      }
    });

    it('appendAtomic stores several messages in order, all at once (when declared)', async (ctx) => {
      const appendAtomic = target.features.appendAtomic ?? ctx.skip('appendAtomic is not declared');
      const messages = fixture.messages.slice(1, 4);
      const before = await target.status(folder);
      const stored = await readBack(folder);
      const results = await appendAtomic(folder, messages.map((m) => itemOf(m, [])));
      expect(results).toHaveLength(messages.length);
      const after = await readBack(folder);
      expect(after.slice(stored.length).map((s) => sha(s.raw))).toEqual(messages.map((m) => sha(m.raw)));
      expect(after.slice(stored.length).map((s) => s.internalDate.getTime())).toEqual(messages.map((m) => m.internalDate.getTime()));
      const window = uidWindow();
      if (window) {
        const found = await window.listWindow(folder, before.uidNext);
        expect(found.map((m) => m.uid)).toEqual(results.map((r) => r.uid ?? expect.any(Number)));
        const fetched = await window.fetchRaw(folder, found.map((m) => m.uid));
        expect(fetched.map((s) => sha(s.raw))).toEqual(messages.map((m) => sha(m.raw)));
      }
    });

    it('appendEach stores several messages in order, one result each (when declared)', async (ctx) => {
      const appendEach = target.features.appendEach ?? ctx.skip('appendEach is not declared');
      const messages = fixture.messages.slice(4, 7);
      const policy = await target.flagPolicy(folder);
      const stored = await readBack(folder);
      const items = messages.map((m) => itemOf(m, acceptedFlags(m, policy)));
      const results = await appendEach(folder, items);
      expect(results.map((r) => r.stored)).toEqual(messages.map(() => true));
      const added = (await readBack(folder)).slice(stored.length);
      expect(added.map((s) => sha(s.raw))).toEqual(messages.map((m) => sha(m.raw)));
      expect(added.map((s) => s.internalDate.getTime())).toEqual(messages.map((m) => m.internalDate.getTime()));
      added.forEach((s, n) => expectStoredFlags(s.flags, items[n]?.flags ?? [], policy));
    });

    it('finds a message again by the marker given on append; an unknown marker is not found (marker recovery)', async (ctx) => {
      const { recovery } = target.features;
      const byMarker = recovery.kind === 'marker' ? recovery : ctx.skip('recovery is by UID window');
      const message = fixture.messages[7] ?? (fixture.messages[0] as CorpusMessage);
      const marker = `contract|${name}|${sha(message.raw).slice(0, 16)}`;
      const result = await target.append(folder, itemOf(message, [], marker));
      const found = await byMarker.findByMarker(folder, [marker, 'contract|never-appended']);
      expect([...found.keys()]).toEqual([marker]);
      if (result.id !== undefined) expect(found.get(marker)).toBe(result.id);
      expect((await byMarker.findByMarker(folder, ['contract|never-appended'])).size).toBe(0);
    });

    it('can find its copies after a crash: by a UID window from UIDNEXT, or by marker', async () => {
      const { recovery } = target.features;
      if (recovery.kind === 'uid-window') {
        // The window starts at the UIDNEXT a page commit records: a target with UIDs says a real one.
        const { uidNext } = await target.status(folder);
        expect(uidNext).toBeGreaterThan(0);
        expect(await recovery.listWindow(folder, uidNext)).toEqual([]);
      } else {
        expect(typeof recovery.findByMarker).toBe('function');
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

    mirrorTargetContract(() => ({ target, messages: fixture.messages, renameKeepsUidValidity: fixture.renameKeepsUidValidity !== false }));
  });
}
