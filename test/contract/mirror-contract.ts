/**
 * The mirror part of the connector contract: what a continuous mirror or a backup with a
 * retention rule needs beyond copying, declared as `features.mirror` (a MirrorSource on a
 * UID source, a MirrorTarget on a target; see contract/sources.ts and contract/targets.ts).
 * Each test runs for connectors that declare it and is skipped for the others.
 *
 * A mirror source is watched while someone else changes it, so the fixture hands over a
 * second way into the same folder (`MutableFolder`, never the connector under test), and
 * the source connector stays connected across the changes, as a long-lived mirror's does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../src/connectors/connector-error.js';
import type {
  AnySource, MessageFlags, MirrorSource, MirrorTarget, TargetConnector, UidSource, UidWindowRecovery,
} from '../../src/connectors/types.js';
import type { CorpusMessage } from '../support/corpus.js';

/** A folder of the mutable source account, changed without the connector. */
export interface MutableFolder {
  readonly folder: string;
  /** Appends a message; resolves with its UID. */
  append(raw: Buffer, flags: readonly string[]): Promise<number>;
  /** Replaces the flags of one message. */
  setFlags(uid: number, flags: readonly string[]): Promise<void>;
  /** Removes exactly these messages. */
  expunge(uids: readonly number[]): Promise<void>;
  /** Deletes the folder and creates it again, empty, with a new UIDVALIDITY (when the store can). */
  recreate?(): Promise<void>;
  close(): Promise<void>;
}

export interface MutableSource {
  /** A connector on the account `changes` writes to. */
  readonly source: AnySource;
  readonly changes: MutableFolder;
}

type Skip = (note: string) => never;

/** Flags compared as IMAP compares them: case-insensitively, as a set, without \Recent. */
const normalize = (flags: readonly string[]) => [...new Set(flags.map((f) => f.toLowerCase()))].filter((f) => f !== '\\recent').sort();
const normalized = (list: readonly MessageFlags[]) => list.map((m) => ({ uid: m.uid, flags: normalize(m.flags) }));

/**
 * @param context - the fixture's messages (their bytes are appended) and a new mutable source, when the fixture has one.
 */
export function mirrorSourceContract(context: () => { messages: readonly CorpusMessage[]; mutableSource?: () => Promise<MutableSource> }): void {
  describe('mirror source', () => {
    let mutable: MutableSource | undefined;
    let raws: Buffer[];

    beforeAll(async () => {
      const { messages, mutableSource } = context();
      raws = messages.map((m) => m.raw);
      mutable = mutableSource ? await mutableSource() : undefined;
      await mutable?.source.connect();
    });
    afterAll(async () => {
      await mutable?.source.close();
      await mutable?.changes.close();
    });

    /** The source (for status), its mirror feature, and the way to change its folder; or the test skipped. */
    const mirror = (skip: Skip): { source: UidSource; follow: MirrorSource; changes: MutableFolder; folder: string } => {
      if (!mutable) return skip('the fixture has no mutable source');
      const { source, changes } = mutable;
      if (source.kind !== 'uid' || !source.features.mirror) return skip('not a mirror source');
      return { source, follow: source.features.mirror, changes, folder: changes.folder };
    };
    const raw = (n: number) => raws[n % raws.length] as Buffer;

    it('listAllUids: every UID under the UIDVALIDITY of status, current after appends and expunges elsewhere', async (ctx) => {
      const { source, follow, changes, folder } = mirror((note) => ctx.skip(note));
      const empty = await follow.listAllUids(folder);
      expect(empty).toEqual({ uidValidity: (await source.status(folder)).uidValidity, uids: [] });
      // The connector saw the folder empty; it must not answer from that memory now.
      const [a, b, c] = [await changes.append(raw(0), []), await changes.append(raw(1), []), await changes.append(raw(2), [])];
      expect(await follow.listAllUids(folder)).toEqual({ uidValidity: empty.uidValidity, uids: [a, b, c] });
      await changes.expunge([b as number]);
      expect((await follow.listAllUids(folder)).uids).toEqual([a, c]);
      const d = await changes.append(raw(3), ['\\Deleted']);
      expect((await follow.listAllUids(folder)).uids).toEqual([a, c, d]);
      await changes.expunge([a as number, c as number, d]);
      expect((await follow.listAllUids(folder)).uids).toEqual([]);
      const e = await changes.append(raw(4), []);
      expect((await follow.listAllUids(folder)).uids).toEqual([e]);
      await changes.expunge([e]);
    });

    it('fetchFlags: flags up to a UID; with changedSince exactly the messages changed after it', async (ctx) => {
      const { source, follow, changes, folder } = mirror((note) => ctx.skip(note));
      const given = [['\\Seen'], ['\\Flagged', '$Label1'], []];
      const uids: number[] = [];
      for (const [n, flags] of given.entries()) uids.push(await changes.append(raw(n), flags));
      const [first, second, third] = uids as [number, number, number];
      const all = await follow.fetchFlags(folder, third);
      expect(normalized(all)).toEqual(uids.map((uid, n) => ({ uid, flags: normalize(given[n] ?? []) })));
      expect((await follow.fetchFlags(folder, second)).map((m) => m.uid)).toEqual([first, second]);
      expect(await follow.fetchFlags(folder, 0)).toEqual([]);
      expect((await follow.fetchFlags(folder, third + 1000)).map((m) => m.uid)).toEqual(uids);

      const before = (await source.status(folder)).highestModseq;
      if (before === undefined) return; // no CONDSTORE: changedSince cannot be asked for
      await changes.setFlags(second, ['\\Answered', 'Project-X']);
      expect(normalized(await follow.fetchFlags(folder, third, before))).toEqual([{ uid: second, flags: normalize(['\\Answered', 'Project-X']) }]);
      const after = (await source.status(folder)).highestModseq as string;
      expect(BigInt(after)).toBeGreaterThan(BigInt(before));
      expect(await follow.fetchFlags(folder, third, after)).toEqual([]);
      await changes.expunge(uids);
    });

    it('listAllUids never mixes two UIDVALIDITYs: after the folder was made again it rejects or answers for the new one', async (ctx) => {
      const { source, follow, changes, folder } = mirror((note) => ctx.skip(note));
      if (!changes.recreate) ctx.skip('the store cannot recreate the folder');
      await changes.append(raw(0), []);
      const old = await follow.listAllUids(folder);
      await changes.recreate!();
      const uid = await changes.append(raw(1), []);
      let fresh = await follow.listAllUids(folder).catch((error: unknown) => error);
      if (fresh instanceof Error) {
        // A rejection is fine if it is a retryable ConnectorError, and the retry must answer.
        expect(fresh).toBeInstanceOf(ConnectorError);
        expect((fresh as ConnectorError).retry).not.toBe('never');
        fresh = await follow.listAllUids(folder);
      }
      const answer = fresh as { uidValidity: string; uids: number[] };
      expect(answer.uidValidity).not.toBe(old.uidValidity);
      expect(answer).toEqual({ uidValidity: (await source.status(folder)).uidValidity, uids: [uid] });
    });
  });
}

/** A mirror target under test: the connector, its mirror feature, and its UID window to see what changed. */
interface MirrorUnderTest {
  readonly target: TargetConnector;
  readonly change: MirrorTarget;
  readonly window: UidWindowRecovery;
}

/**
 * @param context - the connected target (as the target suite made it) and the messages whose bytes are appended.
 */
export function mirrorTargetContract(context: () => { target: TargetConnector; messages: readonly CorpusMessage[]; renameKeepsUidValidity?: boolean }): void {
  describe('mirror target', () => {
    const folder = 'Mirror/Ünï flags';

    /**
     * The target, its mirror feature and its UID window; or the test skipped. A mirror
     * target's changes are by UID, so its recovery must be a UID window (read here to see them).
     */
    const mirror = (skip: Skip): MirrorUnderTest => {
      const { target } = context();
      const { mirror: change, recovery } = target.features;
      if (!change) return skip('not a mirror target');
      if (recovery.kind !== 'uid-window') throw new Error(`a mirror target changes messages by UID, but its recovery is '${recovery.kind}'`);
      return { target, change, window: recovery };
    };
    const raw = (n: number) => {
      const { messages } = context();
      return (messages[n % messages.length] as CorpusMessage).raw;
    };
    /** Appends and returns the new UID (from the append, or from the UID window after UIDNEXT). */
    async function append({ target, window }: MirrorUnderTest, path: string, n: number, flags: readonly string[]): Promise<number> {
      const before = await target.status(path);
      const result = await target.append(path, { raw: raw(n), flags, internalDate: new Date('2024-03-01T10:00:00Z') });
      if (result.uid !== undefined) return result.uid;
      const [added] = await window.listWindow(path, before.uidNext);
      return added?.uid as number;
    }
    const uidsOf = async ({ window }: MirrorUnderTest, path: string) => (await window.listWindow(path, 1)).map((m) => m.uid);

    beforeAll(async () => {
      const { target } = context();
      if (target.features.mirror) await target.ensureFolder(folder);
    });

    it('setFlags replaces flags, keywords included, and an empty set clears them', async (ctx) => {
      const mirrored = mirror((note) => ctx.skip(note));
      const { target, change } = mirrored;
      const policy = await target.flagPolicy(folder);
      const keyword = policy.newKeywords ? ['$Mirrored'] : [];
      const a = await append(mirrored, folder, 0, ['\\Seen']);
      const b = await append(mirrored, folder, 1, []);
      const c = await append(mirrored, folder, 2, ['\\Flagged', '\\Seen']);
      const d = await append(mirrored, folder, 3, ['\\Answered']);
      const wanted: MessageFlags[] = [
        { uid: a, flags: ['\\Flagged', ...keyword] },
        { uid: b, flags: ['\\Seen', '\\Answered'] },
        { uid: c, flags: [] },
        // Same set as b's, written differently: one group, one STORE.
        { uid: d, flags: ['\\answered', '\\SEEN', '\\Recent'] },
        { uid: 999_999, flags: ['\\Seen'] },
      ];
      await change.setFlags(folder, wanted);
      const expected = wanted.slice(0, 4).map((m) => ({ uid: m.uid, flags: normalize(m.flags) }));
      expect(normalized(await change.fetchFlags(folder, [a, b, c, d, 999_999]))).toEqual(expected);
      // The same state through the target's other read path (the recovery window).
      const windowed = await mirrored.window.listWindow(folder, a);
      expect(normalized(windowed.filter((m) => m.uid <= d))).toEqual(expected);
      // And back again: the keyword goes, the empty set stays empty.
      await change.setFlags(folder, [{ uid: a, flags: ['\\Draft'] }, { uid: c, flags: [] }]);
      expect(normalized(await change.fetchFlags(folder, [a, c]))).toEqual([{ uid: a, flags: ['\\draft'] }, { uid: c, flags: [] }]);
      await change.setFlags(folder, []);
      expect(await change.fetchFlags(folder, [])).toEqual([]);
    });

    it('deleteMessages removes exactly the given UIDs, even when another message carries \\Deleted', async (ctx) => {
      const mirrored = mirror((note) => ctx.skip(note));
      const { target, change } = mirrored;
      const path = 'Mirror/deletions';
      await target.ensureFolder(path);
      const marked = await append(mirrored, path, 0, ['\\Deleted']);
      const doomed = await append(mirrored, path, 1, []);
      const kept = await append(mirrored, path, 2, ['\\Seen']);
      const alsoDoomed = await append(mirrored, path, 3, ['\\Flagged']);
      await change.deleteMessages(path, [doomed, alsoDoomed, 999_999]);
      expect(await uidsOf(mirrored, path)).toEqual([marked, kept]);
      expect(normalized(await change.fetchFlags(path, [marked]))).toEqual([{ uid: marked, flags: ['\\deleted'] }]);
      await change.deleteMessages(path, []);
      await change.deleteMessages(path, [doomed]);
      expect(await uidsOf(mirrored, path)).toEqual([marked, kept]);
      expect((await target.status(path)).messages).toBe(2);
    });

    it('renameFolder moves a folder with its subfolders and messages, keeping UIDVALIDITY (where the server does)', async (ctx) => {
      const mirrored = mirror((note) => ctx.skip(note));
      const { target, change } = mirrored;
      const [from, to] = ['Mirror/Ölder', 'Mirror/Renamed ✓'];
      await target.ensureFolder(from);
      await target.ensureFolder(`${from}/Child`);
      await target.ensureFolder(`${from}/Child/Grandchild`);
      await target.ensureFolder('Mirror/Ölder sibling');
      const parentUid = await append(mirrored, from, 0, ['\\Seen']);
      const markedUid = await append(mirrored, from, 2, []);
      const childUid = await append(mirrored, `${from}/Child`, 1, []);
      // A message marked \Deleted in the folder as last written: renaming must not expunge it
      // (an IMAP client that CLOSEs a read-write selection first would).
      await change.setFlags(from, [{ uid: markedUid, flags: ['\\Deleted'] }]);
      const before = await target.status(from);
      const childBefore = await target.status(`${from}/Child`);

      await change.renameFolder(from, to);

      const paths = (await target.listFolders()).map((f) => f.path);
      expect(paths).toEqual(expect.arrayContaining([to, `${to}/Child`, `${to}/Child/Grandchild`, 'Mirror/Ölder sibling']));
      expect(paths.filter((p) => p === from || p.startsWith(`${from}/`))).toEqual([]);
      if (context().renameKeepsUidValidity !== false) {
        expect((await target.status(to)).uidValidity).toBe(before.uidValidity);
        expect((await target.status(`${to}/Child`)).uidValidity).toBe(childBefore.uidValidity);
      }
      expect(await uidsOf(mirrored, to)).toEqual([parentUid, markedUid]);
      expect(await uidsOf(mirrored, `${to}/Child`)).toEqual([childUid]);
      const [moved] = await mirrored.window.fetchRaw(to, [parentUid]);
      expect(moved?.raw.equals(raw(0))).toBe(true);
    });

    it('renameFolder refuses a missing folder and an existing name with a ConnectorError', async (ctx) => {
      const mirrored = mirror((note) => ctx.skip(note));
      const { target, change } = mirrored;
      await target.ensureFolder('Mirror/Taken');
      await target.ensureFolder('Mirror/Source');
      const missing = await change.renameFolder('Mirror/Nowhere', 'Mirror/Somewhere').then(() => null, (e: unknown) => e);
      expect(missing).toBeInstanceOf(ConnectorError);
      expect(missing).toMatchObject({ code: 'FOLDER_NOT_FOUND', scope: 'folder' });
      const taken = await change.renameFolder('Mirror/Source', 'Mirror/Taken').then(() => null, (e: unknown) => e);
      expect(taken).toBeInstanceOf(ConnectorError);
      expect((taken as ConnectorError).scope).toBe('folder');
      expect((await target.listFolders()).some((f) => f.path === 'Mirror/Source')).toBe(true);
    });
  });
}
