/**
 * The crash sweep, in the style of mbsync's run-tests.pl: kill a migration with SIGKILL
 * at every write point of the copy engine in turn (write-ahead intents written, a message
 * appended, a page committed: the n-th time each is reached, for n = 1, 2, ... until a
 * run no longer reaches it), resume, and check the target equals an uninterrupted run's:
 * every message present exactly once, byte-exact, with its flags and date; a third run
 * (at every other point) copies nothing. One sweep per kind of source; all run on the one engine.
 */
import { expect } from 'vitest';
import type { DovecotServer } from '../support/dovecot.js';
import { snapshotAccount, type AccountSnapshot } from '../support/imap-account.js';
import type { MigrateRun } from './migrate-cli.js';

/** The engine's write points (src/jobs/copy/crash-points.ts). */
export const WRITE_POINTS = ['after-intents', 'after-append', 'after-commit'] as const;

/** No sweep of these small fixtures gets near this; a run that still crashes beyond it is a bug. */
const MAX_HITS = 60;

export interface SweepSubject {
  /** The Dovecot whose new users are the targets. */
  readonly dovecot: DovecotServer;
  /** A migrate into the target user `target` (with `env` added). */
  run(target: string, env?: Record<string, string>): Promise<MigrateRun>;
}

let targets = 0;

/** Kills at `point`:1, :2, ... until a run completes without reaching it; returns how many crash points were tried. */
export async function sweep(point: (typeof WRITE_POINTS)[number], reference: AccountSnapshot, subject: SweepSubject): Promise<number> {
  const { dovecot } = subject;
  const snapshot = (user: string) => snapshotAccount({ port: dovecot.imapPort, user, password: dovecot.password });
  for (let n = 1; n <= MAX_HITS; n += 1) {
    targets += 1;
    const target = `t${targets}`;
    await dovecot.addUser(target);
    const crashed = await subject.run(target, { MAILFERRY_CRASH_AT: `${point}:${n}` });
    if (crashed.signal !== 'SIGKILL') {
      // Fewer than n such points in a whole run: the sweep is complete.
      expect(crashed.code, `${point}:${n} did not crash, and the run failed\n${crashed.stderr}`).toBe(0);
      expect(await snapshot(target), `${point}:${n}: uninterrupted run`).toEqual(reference);
      return n - 1;
    }
    const resumed = await subject.run(target);
    expect(resumed.code, `${point}:${n} resumed\n${resumed.stderr}`).toBe(0);
    expect(await snapshot(target), `${point}:${n}: the target after resuming`).toEqual(reference);
    // The target is already checked exact after every resume; that the state knows every
    // copy (a third run copies nothing) is checked at every other point, which keeps a
    // sweep's cost down (each run is a process start) while still covering each kind of page.
    if (n % 2 === 1) {
      const again = await subject.run(target);
      expect(again.code, `${point}:${n}: a third run\n${again.stderr}`).toBe(0);
      expect(again.summary?.runs[0]?.folders.reduce((sum, f) => sum + f.copied, 0), `${point}:${n}: a third run`).toBe(0);
    }
  }
  throw new Error(`${point} was still reached ${MAX_HITS} times in one run`);
}
