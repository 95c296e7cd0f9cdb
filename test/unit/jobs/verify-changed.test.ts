/**
 * compareDigests (verify-folder.ts), third pass: a copy the target changed as it stored it
 * (Cyrus munge8bit, mbox Status:/X-UID:) has another sha256 but the same surviving identity
 * (Message-ID, Date, body). It is reported as changed, with how, not as missing plus extra;
 * a target copy that differs in body or Message-ID stays missing and extra.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shapeOfMessage, survivingIdentity } from '../../../src/jobs/copy/rewrite-identity.js';
import { compareDigests, type MessageDigest } from '../../../src/jobs/verify/verify-folder.js';
import { latin1, munged, withMboxHeaders } from '../../support/target-rewrites.js';

const original = latin1('Message-ID: <m1@example.org>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nSubject: \xc4rger\r\n\r\nbody\r\n');
const other = latin1('Message-ID: <m2@example.org>\r\nDate: Mon, 1 Jan 2024 11:00:00 +0000\r\nSubject: plain\r\n\r\nother body\r\n');


/** A digest as verify builds it for a message read exactly. */
function digest(id: number, raw: Buffer, exact = true): MessageDigest {
  const base = { id, sha256: createHash('sha256').update(raw).digest('hex'), size: raw.length, flags: [], internalDate: new Date(0) };
  return exact ? { ...base, identity: survivingIdentity(raw), shape: shapeOfMessage(raw) } : base;
}

const options = { dates: false };

describe('compareDigests: copies the target changed', () => {
  it("a munge8bit copy is changed (8-bit bytes replaced by 'X'), not missing and extra", () => {
    const result = compareDigests([digest(1, original)], [digest(7, munged(original))], options);
    expect(result.changed).toEqual([{ sourceId: 1, targetId: 7, how: "8-bit bytes in headers replaced by 'X'" }]);
    expect(result.missing).toEqual([]);
    expect(result.extra).toEqual([]);
    expect(result.matched).toBe(1);
  });

  it('an mbox copy with Status: and X-UID: added is changed (headers added)', () => {
    const result = compareDigests([digest(1, original)], [digest(7, withMboxHeaders(original))], options);
    expect(result.changed).toEqual([{ sourceId: 1, targetId: 7, how: 'headers added (Status, X-UID)' }]);
    expect(result.missing).toEqual([]);
    expect(result.extra).toEqual([]);
  });

  it('byte-identical copies are matched first; only the rest goes by identity', () => {
    const result = compareDigests(
      [digest(1, original), digest(2, other)],
      [digest(8, other), digest(7, withMboxHeaders(original))],
      options,
    );
    expect(result.matched).toBe(2);
    expect(result.changed.map((p) => [p.sourceId, p.targetId])).toEqual([[1, 7]]);
    expect(result.missing).toEqual([]);
    expect(result.extra).toEqual([]);
  });

  it('without shapes, an identity match is described as body changed', () => {
    const { shape: _s, ...source } = digest(1, original);
    const { shape: _t, ...target } = digest(7, munged(original));
    expect(compareDigests([source], [target], options).changed).toEqual([{ sourceId: 1, targetId: 7, how: 'body changed' }]);
  });

  it('another Message-ID and body: missing and extra, not changed', () => {
    const result = compareDigests([digest(1, original)], [digest(7, other)], options);
    expect(result.changed).toEqual([]);
    expect(result.missing.map((m) => m.id)).toEqual([1]);
    expect(result.extra.map((m) => m.id)).toEqual([7]);
    expect(result.matched).toBe(0);
  });

  it('the same header, another body: missing and extra', () => {
    const edited = latin1(original.toString('latin1').replace('body\r\n', 'body, edited\r\n'));
    const result = compareDigests([digest(1, original)], [digest(7, edited)], options);
    expect(result.changed).toEqual([]);
    expect(result.missing.map((m) => m.id)).toEqual([1]);
    expect(result.extra.map((m) => m.id)).toEqual([7]);
  });

  it('digests without identity (not read exactly) stay missing and extra', () => {
    const result = compareDigests([digest(1, original, false)], [digest(7, munged(original), false)], options);
    expect(result.changed).toEqual([]);
    expect(result.missing.map((m) => m.id)).toEqual([1]);
    expect(result.extra.map((m) => m.id)).toEqual([7]);
  });

  it('one target copy pairs with one source message: a duplicate source message is missing', () => {
    const result = compareDigests([digest(1, original), digest(2, original)], [digest(7, munged(original))], options);
    expect(result.changed).toEqual([{ sourceId: 1, targetId: 7, how: "8-bit bytes in headers replaced by 'X'" }]);
    expect(result.missing.map((m) => m.id)).toEqual([2]);
    expect(result.extra).toEqual([]);
  });
});
