import { describe, expect, it } from 'vitest';
import { fileName, flagsOf, foreignLetters, lettersOf, sizeOf, splitFileName, uniqueBase } from '../../../src/connectors/maildir/message-filename.js';

const table = ['$Forwarded', '$Label1', 'Project-X'];
const letterOf = (k: string) => {
  const n = table.findIndex((t) => t.toLowerCase() === k.toLowerCase());
  return n < 0 ? undefined : String.fromCharCode(0x61 + n);
};
const keywordOf = (l: string) => table[l.charCodeAt(0) - 0x61];

describe('Maildir info letters', () => {
  it.each<[string[], string]>([
    [[], ''],
    [['\\Seen'], 'S'],
    [['\\Seen', '\\Answered', '\\Flagged', '\\Draft', '\\Deleted'], 'DFRST'],
    [['\\Seen', '$Forwarded'], 'Sa'],
    [['Project-X', '\\Flagged', '$Label1'], 'Fbc'],
    [['\\seen', '\\SEEN', 'project-x'], 'Sc'],
  ])('%j <-> "%s"', (flags, letters) => {
    expect(lettersOf(flags, letterOf)).toBe(letters);
    const back = flagsOf(letters, keywordOf);
    expect(back.map((f) => f.toLowerCase()).sort()).toEqual([...new Set(flags.map((f) => f.toLowerCase()))].sort());
  });

  it('drops \\Recent and keywords without a letter; ignores letters without a meaning', () => {
    expect(lettersOf(['\\Recent', 'NoLetter', '\\Seen'], letterOf)).toBe('S');
    expect(flagsOf('PSz', keywordOf)).toEqual(['\\Seen']);
  });

  it('keeps the letters that carry no IMAP flag (foreignLetters), sorted and once', () => {
    expect(foreignLetters('PSabFP')).toBe('P');
    expect(foreignLetters('DFRST')).toBe('');
    expect(foreignLetters('')).toBe('');
  });

  it('splits names at ":2," and reads S=', () => {
    const base = '1276528487.M364837P9451R0a1b2c3d4e5f6a7b.kurkku,S=1355,W=1394';
    expect(splitFileName(`${base}:2,FSa`)).toEqual({ base, letters: 'FSa' });
    expect(splitFileName(base)).toEqual({ base, letters: '' });
    expect(sizeOf(base)).toBe(1355);
    expect(sizeOf('1276528487.M364837P9451.kurkku')).toBeUndefined();
    expect(fileName(base, 'S')).toBe(`${base}:2,S`);
  });

  it('makes unique bases of the form <sec>.M<usec>P<pid>R<random>.<host>,S=<size>', () => {
    const a = uniqueBase(42, 1_700_000_000_123);
    expect(a).toMatch(new RegExp(`^1700000000\\.M123\\d{3}P${process.pid}R[0-9a-f]{16}\\.[^/:]+,S=42$`));
    expect(uniqueBase(42, 1_700_000_000_123)).not.toBe(a);
    expect(sizeOf(a)).toBe(42);
  });
});
