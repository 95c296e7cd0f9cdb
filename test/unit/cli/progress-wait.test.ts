/**
 * activeWait and describeWait (progress.ts): while a run waits for a server (throttled,
 * POP3 [IN-USE] / [LOGIN-DELAY]) its record carries `waiting` as JSON; the progress line
 * shows the latest wait still ahead instead of the current folder, and nothing once passed.
 */
import { describe, expect, it } from 'vitest';
import { activeWait, describeWait } from '../../../src/cli/progress.js';
import type { RunWaiting } from '../../../src/state/index.js';

const NOW = Date.parse('2024-05-01T10:00:00.000Z');

const at = (offsetMs: number): string => new Date(NOW + offsetMs).toISOString();
const record = (wait?: RunWaiting) => (wait === undefined ? {} : { waiting: JSON.stringify(wait) });

describe('activeWait', () => {
  it('picks the wait ending last among those still ahead', () => {
    const soon = { reason: '[IN-USE] locked', until: at(30_000) };
    const later = { reason: '[LOGIN-DELAY] once a minute', until: at(60_000) };
    expect(activeWait([record(soon), record(later), record({ reason: 'old', until: at(-5_000) })], NOW)).toEqual(later);
    expect(activeWait([record(later), record(soon)], NOW)).toEqual(later);
  });

  it('a wait one millisecond past does not count', () => {
    const ahead = { reason: 'throttled', until: at(1_000) };
    expect(activeWait([record({ reason: 'past', until: at(-1) }), record(ahead)], NOW)).toEqual(ahead);
  });

  it('none when every wait has passed', () => {
    expect(activeWait([record({ reason: 'a', until: at(-60_000) }), record({ reason: 'b', until: at(0) })], NOW)).toBeUndefined();
  });

  it('none when no run waits, or no run is known', () => {
    expect(activeWait([record(), null, record()], NOW)).toBeUndefined();
    expect(activeWait([], NOW)).toBeUndefined();
  });
});

describe('describeWait', () => {
  it("'waiting until HH:MM:SS: reason', the time in the local zone", () => {
    const until = new Date(2024, 4, 1, 9, 5, 7);
    expect(describeWait({ reason: '[LOGIN-DELAY] wait', until: until.toISOString() })).toBe('waiting until 09:05:07: [LOGIN-DELAY] wait');
  });

  it('the 24-hour clock', () => {
    const until = new Date(2024, 4, 1, 23, 59, 1);
    expect(describeWait({ reason: 'throttled', until: until.toISOString() })).toBe('waiting until 23:59:01: throttled');
  });
});
