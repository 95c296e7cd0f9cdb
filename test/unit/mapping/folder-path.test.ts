import { describe, expect, it } from 'vitest';
import type { Namespace } from '../../../src/connectors/types.js';
import {
  MappingError,
  canonicalizeInbox,
  fromNormalized,
  fromSegments,
  isInbox,
  namespaceFor,
  toNormalized,
  toSegments,
} from '../../../src/mapping/index.js';

const dovecot: Namespace = { prefix: '', delimiter: '/' };
const courier: Namespace = { prefix: 'INBOX.', delimiter: '.' };

function translate(path: string, from: Namespace, to: Namespace): { path: string; escaped: boolean } {
  return fromSegments(toSegments(path, from), to);
}

describe('toSegments', () => {
  it.each<[string, Namespace, string[]]>([
    ['INBOX', dovecot, ['INBOX']],
    ['Inbox', dovecot, ['INBOX']],
    ['iNbOx', courier, ['INBOX']],
    ['Sent', dovecot, ['Sent']],
    ['Archive/2024/Q1', dovecot, ['Archive', '2024', 'Q1']],
    ['Inbox/Sub', dovecot, ['INBOX', 'Sub']],
    ['Sub/inbox', dovecot, ['Sub', 'inbox']], // only the root INBOX is special (RFC 3501 5.1)
    ['INBOX.Sent', courier, ['Sent']],
    ['inbox.Sent', courier, ['Sent']], // the INBOX of the prefix is case-insensitive too
    ['INBOX.Archive.2024', courier, ['Archive', '2024']],
    ['INBOX.INBOX.Sub', courier, ['INBOX', 'Sub']],
    ['Shared.x', courier, ['Shared', 'x']], // outside the prefix: split as is
    ['ınbox', dovecot, ['ınbox']], // Turkish dotless i is not INBOX
    ['a/b', { prefix: '', delimiter: '' }, ['a/b']], // flat server
  ])('%j in %j -> %j', (path, ns, expected) => {
    expect(toSegments(path, ns)).toEqual(expected);
  });
});

describe('fromSegments', () => {
  it.each<[string[], Namespace, string | undefined, string, boolean]>([
    [['INBOX'], courier, undefined, 'INBOX', false], // INBOX is never prefixed
    [['inbox'], courier, undefined, 'INBOX', false],
    [['Sent'], courier, undefined, 'INBOX.Sent', false],
    [['Archive', '2024'], courier, undefined, 'INBOX.Archive.2024', false],
    [['a.b'], courier, undefined, 'INBOX.a_b', true],
    [['x', 'v1.2.3'], courier, '-', 'INBOX.x.v1-2-3', true],
    [['a/b'], dovecot, undefined, 'a_b', true],
    [['a.b'], dovecot, undefined, 'a.b', false],
    [['a', 'b'], { prefix: '', delimiter: '' }, undefined, 'a_b', true], // flat target
  ])('%j -> %j (escape %j) = %j, escaped %j', (segments, ns, escape, path, escaped) => {
    expect(fromSegments(segments, ns, escape)).toEqual({ path, escaped });
  });

  it.each<[string[], string, RegExp]>([
    [[], '_', /zero segments/],
    [['a'], '.', /escape replacement "\." contains the target hierarchy delimiter "\."/],
  ])('rejects %j with escape %j', (segments, escape, message) => {
    expect(() => fromSegments(segments, courier, escape)).toThrow(MappingError);
    expect(() => fromSegments(segments, courier, escape)).toThrow(message);
  });
});

describe('namespace translation', () => {
  it.each<[string, string, boolean]>([
    ['INBOX', 'INBOX', false],
    ['Sent', 'INBOX.Sent', false],
    ['Archive/2024/Q1', 'INBOX.Archive.2024.Q1', false],
    ['Projects/v1.0', 'INBOX.Projects.v1_0', true],
    ['inbox/Sub', 'INBOX.INBOX.Sub', false],
  ])('Dovecot %j -> Courier %j (escaped %j)', (source, target, escaped) => {
    expect(translate(source, dovecot, courier)).toEqual({ path: target, escaped });
  });

  it.each<[string, string, boolean]>([
    ['INBOX', 'INBOX', false],
    ['INBOX.Sent', 'Sent', false],
    ['INBOX.Archive.2024.Q1', 'Archive/2024/Q1', false],
    ['INBOX.INBOX.Sub', 'INBOX/Sub', false],
    ['INBOX.a/b', 'a_b', true],
  ])('Courier %j -> Dovecot %j (escaped %j)', (source, target, escaped) => {
    expect(translate(source, courier, dovecot)).toEqual({ path: target, escaped });
  });

  it.each(['Überweisungen/2024', '日本語', 'Ünïcode & Co', '📁 Projects', 'Archive/📁 Projects/日本語', 'INBOX/Sub'])(
    'round-trips %j Dovecot -> Courier -> Dovecot exactly',
    (path) => {
      const there = translate(path, dovecot, courier);
      expect(there.escaped).toBe(false);
      expect(translate(there.path, courier, dovecot)).toEqual({ path, escaped: false });
    },
  );

  it('keeps non-ASCII segments untouched (no modified UTF-7 here)', () => {
    expect(translate('Überweisungen/2024', dovecot, courier).path).toBe('INBOX.Überweisungen.2024');
    expect(toSegments('INBOX.📁 Projects.日本語', courier)).toEqual(['📁 Projects', '日本語']);
  });
});

describe('helpers', () => {
  it.each<[string, boolean]>([
    ['INBOX', true],
    ['inbox', true],
    ['InBoX', true],
    ['INBOX2', false],
    ['ınbox', false],
  ])('isInbox(%j) = %j', (name, expected) => {
    expect(isInbox(name)).toBe(expected);
  });

  it('canonicalizes only the root INBOX', () => {
    expect(canonicalizeInbox(['inbox', 'inbox'])).toEqual(['INBOX', 'inbox']);
  });

  it.each<[string, string[]]>([
    ['a/b/c', ['a', 'b', 'c']],
    ['inbox/x', ['INBOX', 'x']],
  ])('fromNormalized(%j) = %j', (path, segments) => {
    expect(fromNormalized(path, 'test')).toEqual(segments);
    expect(toNormalized(segments)).toBe(path.replace(/^inbox/, 'INBOX'));
  });

  it.each(['', 'a//b', '/a', 'a/'])('fromNormalized(%j) names the origin and the bad path', (path) => {
    expect(() => fromNormalized(path, 'Folder map entry "X"')).toThrow(
      new RegExp(`^Folder map entry "X" produces the folder path "${path}"`),
    );
  });

  it.each<[string | null, Namespace]>([
    [null, dovecot],
    ['/', dovecot],
    ['.', { prefix: '', delimiter: '.' }],
  ])('namespaceFor uses the folder delimiter %j', (delimiter, expected) => {
    expect(namespaceFor({ path: 'x', delimiter, selectable: true }, dovecot)).toEqual(expected);
  });
});
