import { describe, expect, it } from 'vitest';
import { messageDate, parseDate } from '../../../src/mapping/index.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const message = (headers: string, body = 'Hello\r\n') => Buffer.from(`${headers}\r\n\r\n${body}`, 'latin1');

const RECEIVED_TWO_HOPS = [
  'Received: from mx.example.org by mail.example.net; Tue, 1 Jul 2003 10:52:37 +0200 (CEST)',
  'Received: from client by mx.example.org;',
  '\tMon, 30 Jun 2003 23:00:00 -0000',
  'Date: Mon, 30 Jun 2003 20:00:00 +0000',
  'Subject: hi',
].join('\r\n');

describe('messageDate', () => {
  it.each([
    ['topmost Received: wins (the last hop: delivery into the mailbox)', RECEIVED_TWO_HOPS, 'received', '2003-07-01T08:52:37.000Z'],
    ['date source "date" ignores Received:', RECEIVED_TWO_HOPS, 'date', '2003-06-30T20:00:00.000Z'],
    ['folded Received: is unfolded', 'Received: from a by b;\r\n Fri, 5 Jan 2024 09:00:00 +0100\r\nDate: Sat, 6 Jan 2024 09:00:00 +0000', 'received', '2024-01-05T08:00:00.000Z'],
    ['Received: without a date falls back to the next one', 'Received: from a by b with local\r\nReceived: x; 2 Feb 2021 10:00:00 +0000', 'received', '2021-02-02T10:00:00.000Z'],
    ['no Received: falls back to Date:', 'Date: Tue, 1 Jul 03 10:52:37 EST\r\nSubject: x', 'received', '2003-07-01T15:52:37.000Z'],
    ['Received: date in the future is a wrong clock: Date: instead', 'Received: x; 1 Jan 2030 00:00:00 +0000\r\nDate: 1 Jan 2020 00:00:00 +0000', 'received', '2020-01-01T00:00:00.000Z'],
    ['unparseable Date: falls back to now', 'Date: sometime last week', 'received', NOW.toISOString()],
    ['no headers at all: now', '', 'received', NOW.toISOString()],
    ['"now" ignores the headers', RECEIVED_TWO_HOPS, 'now', NOW.toISOString()],
    ['header names are case-insensitive', 'RECEIVED: a; 3 Mar 2022 03:03:03 +0300', 'received', '2022-03-03T00:03:03.000Z'],
  ] as const)('%s', (_name, headers, from, expected) => {
    expect(messageDate(message(headers), from, NOW).toISOString()).toBe(expected);
  });

  it('reads only the header section (a Date: line in the body does not count)', () => {
    const raw = message('Subject: no date', 'Date: 1 Jan 2001 00:00:00 +0000\r\n');
    expect(messageDate(raw, 'received', NOW)).toBe(NOW);
  });

  it('8-bit bytes in headers do not disturb the parse', () => {
    const raw = Buffer.concat([Buffer.from('Subject: caf'), Buffer.from([0xe9, 0xff, 0x80]), Buffer.from('\r\nDate: 4 Apr 2024 04:04:04 +0000\r\n\r\nx')]);
    expect(messageDate(raw, 'date', NOW).toISOString()).toBe('2024-04-04T04:04:04.000Z');
  });

  it('a message with LF line ends still yields its date', () => {
    expect(messageDate(Buffer.from('Date: 5 May 2015 05:05:05 +0000\n\nbody\n'), 'date', NOW).toISOString()).toBe('2015-05-05T05:05:05.000Z');
  });
});

describe('parseDate', () => {
  it.each(['1', 'Tuesday', '2003-07-01', 'Thu, 13 Feb 2025 25:61:00 +0000', '1 Jan 1960 00:00:00 +0000'])('rejects %j', (text) => {
    expect(parseDate(text, NOW)).toBeUndefined();
  });
});
