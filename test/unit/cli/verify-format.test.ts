/**
 * resultOf, isIdentical and lastLine (cli/verify/format.ts): the last line scripts read.
 * Copies the target changed as it stored them are reported (changed=N, result 'changed')
 * but are no failure; anything missing, extra or mismatched makes it 'differs'.
 */
import { describe, expect, it } from 'vitest';
import { isIdentical, lastLine, resultOf, type VerifyTotals } from '../../../src/cli/verify/format.js';

function totals(extra: Partial<VerifyTotals> = {}): VerifyTotals {
  return { folders: 2, messages: 10, missing: 0, extra: 0, changed: 0, flags: 0, dates: 0, errors: 0, ...extra };
}

describe('verify result and last line', () => {
  it('nothing different: identical, no changed= field', () => {
    const t = totals();
    expect(isIdentical(t)).toBe(true);
    expect(resultOf(t)).toBe('identical');
    expect(lastLine(t)).toBe('VERIFY identical: folders=2 messages=10 missing=0 extra=0 flags=0 dates=0');
  });

  it('only changed copies: changed, with changed=N, and still identical for the exit code', () => {
    const t = totals({ changed: 3 });
    expect(isIdentical(t)).toBe(true);
    expect(resultOf(t)).toBe('changed');
    expect(lastLine(t)).toBe('VERIFY changed: folders=2 messages=10 missing=0 extra=0 changed=3 flags=0 dates=0');
  });

  it('changed copies and a missing message: differs', () => {
    const t = totals({ changed: 3, missing: 1 });
    expect(isIdentical(t)).toBe(false);
    expect(resultOf(t)).toBe('differs');
    expect(lastLine(t)).toBe('VERIFY differs: folders=2 messages=10 missing=1 extra=0 changed=3 flags=0 dates=0');
  });

  it.each<[string, Partial<VerifyTotals>]>([
    ['missing', { missing: 1 }],
    ['extra', { extra: 1 }],
    ['flags', { flags: 1 }],
    ['dates', { dates: 1 }],
    ['errors', { errors: 1 }],
  ])('%s alone: differs', (_name, fields) => {
    expect(resultOf(totals(fields))).toBe('differs');
    expect(lastLine(totals(fields))).toMatch(/^VERIFY differs: /);
  });

  it('errors are shown last, only when there are some', () => {
    expect(lastLine(totals({ errors: 2 }))).toBe('VERIFY differs: folders=2 messages=10 missing=0 extra=0 flags=0 dates=0 errors=2');
  });
});
