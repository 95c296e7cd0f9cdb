/**
 * rewrite-identity.ts: where a message's header block ends, its Message-ID, the identity
 * that survives a target's rewrite (Cyrus munge8bit, mbox Status:/X-UID: headers), and how
 * a stored copy is described when it differs from what was sent. These decide whether
 * recovery and verify recognise a rewritten copy instead of appending it again.
 */
import { describe, expect, it } from 'vitest';
import {
  bodyStart,
  describeChange,
  describeRewrite,
  hasRewriteTriggers,
  headerBlock,
  messageIdOf,
  shapeOfMessage,
  survivingIdentity,
} from '../../../src/jobs/copy/rewrite-identity.js';
import { latin1, munged, withMboxHeaders } from '../../support/target-rewrites.js';

const HEADER = 'Message-ID: <a1@example.org>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nSubject: Gr\xfc\xdfe aus K\xf6ln\r\n\r\n';
const BODY = 'Hello,\r\nsee you.\r\n';
/** A message with 8-bit bytes in its Subject (latin1). */
const original = latin1(HEADER + BODY);


describe('bodyStart / headerBlock', () => {
  it('a CRLF message: the body starts after CRLF CRLF, which the header block includes', () => {
    const raw = latin1('Subject: a\r\nFrom: b\r\n\r\nbody\r\n');
    expect(bodyStart(raw)).toBe('Subject: a\r\nFrom: b\r\n\r\n'.length);
    expect(headerBlock(raw).toString('latin1')).toBe('Subject: a\r\nFrom: b\r\n\r\n');
  });

  it('an LF message: the body starts after LF LF', () => {
    const raw = latin1('Subject: a\nFrom: b\n\nbody\n');
    expect(bodyStart(raw)).toBe('Subject: a\nFrom: b\n\n'.length);
    expect(headerBlock(raw).toString('latin1')).toBe('Subject: a\nFrom: b\n\n');
  });

  it('an empty line inside the body does not move the start', () => {
    const raw = latin1('Subject: a\r\n\r\nline 1\r\n\r\nline 2\n\nline 3\r\n');
    expect(bodyStart(raw)).toBe('Subject: a\r\n\r\n'.length);
  });

  it('a message without a body (no empty line): all header, the body starts at the end', () => {
    const raw = latin1('Subject: a\r\nFrom: b\r\n');
    expect(bodyStart(raw)).toBe(raw.length);
    expect(headerBlock(raw).equals(raw)).toBe(true);
  });
});

describe('messageIdOf', () => {
  it('reads the value, trimmed', () => {
    expect(messageIdOf(latin1('Subject: x\r\nMessage-ID:   <id@host>  \r\n\r\nbody'))).toBe('<id@host>');
  });

  it('unfolds a folded header', () => {
    expect(messageIdOf(latin1('Message-ID:\r\n <folded@host>\r\nSubject: x\r\n\r\nbody'))).toBe('<folded@host>');
    expect(messageIdOf(latin1('Message-ID:\n\t<folded@host>\nSubject: x\n\nbody'))).toBe('<folded@host>');
  });

  it('matches the header name in any case', () => {
    expect(messageIdOf(latin1('message-id: <lower@host>\r\n\r\n'))).toBe('<lower@host>');
    expect(messageIdOf(latin1('MESSAGE-ID: <upper@host>\r\n\r\n'))).toBe('<upper@host>');
  });

  it('is undefined when absent or empty', () => {
    expect(messageIdOf(latin1('Subject: x\r\n\r\nbody'))).toBeUndefined();
    expect(messageIdOf(latin1('Message-ID:\r\nSubject: x\r\n\r\nbody'))).toBeUndefined();
  });

  it('does not take a look-alike header or a Message-ID line in the body', () => {
    expect(messageIdOf(latin1('X-Message-ID: <no@host>\r\n\r\nMessage-ID: <body@host>\r\n'))).toBeUndefined();
  });
});

describe('survivingIdentity', () => {
  it('is the same for a copy whose 8-bit header bytes were replaced by X byte for byte', () => {
    const copy = munged(original);
    expect(copy.length).toBe(original.length);
    expect(copy.equals(original)).toBe(false);
    expect(survivingIdentity(copy)).toBe(survivingIdentity(original));
  });

  it('is the same for a copy with Status: RO and X-UID: 5 added', () => {
    expect(survivingIdentity(withMboxHeaders(original))).toBe(survivingIdentity(original));
  });

  it('differs when the body differs', () => {
    expect(survivingIdentity(latin1(`${HEADER}Hello,\r\nsee you!\r\n`))).not.toBe(survivingIdentity(original));
  });

  it('differs when the Message-ID differs', () => {
    const other = latin1(HEADER.replace('<a1@example.org>', '<a2@example.org>') + BODY);
    expect(survivingIdentity(other)).not.toBe(survivingIdentity(original));
  });

  it('differs when the Date differs', () => {
    const other = latin1(HEADER.replace('10:00:00', '10:00:01') + BODY);
    expect(survivingIdentity(other)).not.toBe(survivingIdentity(original));
  });
});

describe('describeChange / describeRewrite', () => {
  const stored = (raw: Buffer) => ({ size: raw.length, header: headerBlock(raw) });

  it('an unchanged copy: undefined', () => {
    expect(describeChange(shapeOfMessage(original), shapeOfMessage(Buffer.from(original)))).toBeUndefined();
    expect(describeRewrite(original, stored(original))).toBeUndefined();
  });

  it("8-bit header bytes replaced by 'X' (munge8bit)", () => {
    const copy = munged(original);
    expect(describeChange(shapeOfMessage(original), shapeOfMessage(copy))).toBe("8-bit bytes in headers replaced by 'X'");
    expect(describeRewrite(original, stored(copy))).toBe("8-bit bytes in headers replaced by 'X'");
  });

  it('headers added, named in the order the copy has them', () => {
    const copy = withMboxHeaders(original);
    expect(describeChange(shapeOfMessage(original), shapeOfMessage(copy))).toBe('headers added (Status, X-UID)');
    expect(describeRewrite(original, stored(copy))).toBe('headers added (Status, X-UID)');
  });

  it('the same header block, another body size: body changed', () => {
    const copy = latin1(`${HEADER}Hello,\r\nsee you soon.\r\n`);
    expect(describeChange(shapeOfMessage(original), shapeOfMessage(copy))).toBe('body changed');
  });

  it('any other change to the header block: rewritten', () => {
    const copy = latin1(HEADER.replace('Subject: Gr', 'Subject: Hi') + BODY);
    expect(describeChange(shapeOfMessage(original), shapeOfMessage(copy))).toBe('rewritten');
  });

  it('a header removed (nothing added): rewritten', () => {
    const copy = latin1(HEADER.replace(/Subject: [^\r]*\r\n/, '') + BODY);
    expect(describeChange(shapeOfMessage(original), shapeOfMessage(copy))).toBe('rewritten');
  });
});

describe('hasRewriteTriggers: what the run checks after its first page', () => {
  it('a 7-bit CRLF message has none', () => {
    expect(hasRewriteTriggers(Buffer.from('Subject: hi\r\nMessage-ID: <a@b>\r\n\r\nbody with ü in it\r\n', 'utf8'))).toBe(false);
  });

  it('8-bit bytes in the header block are one (Cyrus munge8bit acts on them)', () => {
    expect(hasRewriteTriggers(Buffer.from('Subject: Привет\r\n\r\nbody\r\n', 'utf8'))).toBe(true);
  });

  it('a bare LF anywhere is one', () => {
    expect(hasRewriteTriggers(Buffer.from('Subject: hi\r\n\r\nline one\nline two\r\n', 'latin1'))).toBe(true);
    expect(hasRewriteTriggers(Buffer.from('\nSubject: hi\r\n\r\n', 'latin1'))).toBe(true);
  });
});
