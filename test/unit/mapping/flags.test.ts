import { describe, expect, it } from 'vitest';
import type { FlagPolicy } from '../../../src/connectors/types.js';
import { isValidKeyword, mapFlags } from '../../../src/mapping/index.js';

const anyKeyword: FlagPolicy = { permanent: ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft', '\\*'], newKeywords: true };
const systemOnly: FlagPolicy = { permanent: ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'], newKeywords: false };
const someKeywords: FlagPolicy = { permanent: ['\\Seen', '$Forwarded', '$Junk', 'NonJunk'], newKeywords: false };

describe('mapFlags', () => {
  it.each<[string, readonly string[], FlagPolicy, string[], string[]]>([
    ['nothing', [], anyKeyword, [], []],
    ['system flags kept in canonical order', ['\\Draft', '\\Seen', '\\Flagged'], systemOnly, ['\\Seen', '\\Flagged', '\\Draft'], []],
    ['case canonicalized', ['\\SEEN', '\\answered', '\\dElEtEd'], systemOnly, ['\\Seen', '\\Answered', '\\Deleted'], []],
    ['\\Recent dropped silently (RFC 3501 2.3.2)', ['\\Recent', '\\Seen', '\\RECENT'], systemOnly, ['\\Seen'], []],
    ['unknown backslash flags dropped and listed', ['\\Seen', '\\Important', '\\*'], anyKeyword, ['\\Seen'], ['\\Important', '\\*']],
    ['\\* allows any keyword', ['$Forwarded', 'Custom', '$label1'], anyKeyword, ['$Forwarded', 'Custom', '$label1'], []],
    ['\\* in PERMANENTFLAGS alone allows any keyword', ['Custom'], { permanent: ['\\*'], newKeywords: false }, ['Custom'], []],
    ['no \\*: keywords limited to PERMANENTFLAGS', ['$Forwarded', 'Custom', 'NonJunk', '$MDNSent'], someKeywords, ['$Forwarded', 'NonJunk'], ['Custom', '$MDNSent']],
    ['no keywords allowed at all', ['$Forwarded', '\\Seen'], systemOnly, ['\\Seen'], ['$Forwarded']],
    ['keyword match is case-insensitive, target spelling wins', ['$forwarded', '$JUNK'], someKeywords, ['$Forwarded', '$Junk'], []],
    ['source spelling kept when created new', ['$forwarded'], anyKeyword, ['$forwarded'], []],
    ['duplicates removed, first spelling kept', ['\\Seen', '\\seen', 'Work', 'WORK', 'work'], anyKeyword, ['\\Seen', 'Work'], []],
    ['dropped listed once', ['Custom', 'custom', '\\X', '\\x'], systemOnly, [], ['Custom', '\\X']],
    ['system flags first, keywords in source order', ['b', '\\Answered', 'a', '\\Seen', 'c'], anyKeyword, ['\\Seen', '\\Answered', 'b', 'a', 'c'], []],
    ['invalid keywords dropped and listed', ['has space', 'paren(', 'Ünïcode', '', 'ok', 'a]b', 'star*', 'pct%', 'q"', 'brace{'], anyKeyword, ['ok'], ['has space', 'paren(', 'Ünïcode', '', 'a]b', 'star*', 'pct%', 'q"', 'brace{']],
  ])('%s', (_name, source, policy, flags, dropped) => {
    expect(mapFlags(source, policy)).toEqual({ flags, dropped });
  });
});

describe('isValidKeyword', () => {
  it.each<[string, boolean]>([
    ['$Forwarded', true],
    ['NonJunk', true],
    ['$label[1]', false], // ']' is a resp-special
    ['[x', true], // '[' is allowed in an atom
    ['a.b-c_d+e', true],
    ['tab\there', false], // CTL
    ['del\x7f', false],
    ['back\\slash', false],
    ['', false],
    ['日本', false], // atoms are 7-bit
  ])('%j -> %j', (keyword, expected) => {
    expect(isValidKeyword(keyword)).toBe(expected);
  });
});
