import type { Prng } from './prng.js';

/** Word and name pools for the corpus; plain data so messages read like mail, not noise. */

const WORDS = (
  'the project meeting budget report draft review quarter invoice schedule team customer update release ' +
  'server backup migration folder account password travel lunch office deadline contract proposal figures ' +
  'please attached below thanks regards tomorrow monday friday agenda minutes notes summary question answer ' +
  'delivery shipment order payment reminder urgent follow-up details version feedback approval calendar'
).split(' ');

/** Non-ASCII words for UTF-8 bodies. */
export const UTF8_WORDS = 'Grüße Müller Straße Zürich café naïve façade Ærø smörgåsbord 日本語 東京 テスト Привет мир'.split(' ');
/** Words representable in ISO-8859-1 (for raw 8-bit Latin-1 bodies). */
export const LATIN1_WORDS = 'Grüße Müller Straße Zürich café naïve façade élève où déjà garçon'.split(' ');

/** Subjects sent as-is. */
export const ASCII_SUBJECTS = [
  'Quarterly report',
  'Re: Lunch on Friday?',
  'Invoice 2023-118',
  'Fwd: Meeting notes',
  'Build failed on main',
  'Your order has shipped',
  'Re: Re: Budget review',
  'Agenda for Monday',
  'Password reset requested',
  'Holiday schedule',
];
/** Subjects sent as RFC 2047 UTF-8 "B" words (each short enough for one encoded-word). */
export const UTF8_SUBJECTS = ['Grüße aus München', '日本語のテスト', 'Überweisung bestätigt', 'Café ☕ meeting', 'Привет из Москвы'];
/** Subjects sent as RFC 2047 ISO-8859-1 "Q" words. */
export const LATIN1_SUBJECTS = ['Grüße aus Köln', 'Réunion à Paris', 'Überweisung für März'];

/** Senders and recipients (RFC 2606 domains); `encoded` names go out as RFC 2047 words. */
export const PEOPLE: ReadonlyArray<{ name: string; addr: string; encoded?: boolean }> = [
  { name: 'Alice Example', addr: 'alice@example.com' },
  { name: 'Bob Builder', addr: 'bob@example.org' },
  { name: 'Carol Jones', addr: 'carol.jones@example.net' },
  { name: 'Jürgen Müller', addr: 'juergen@example.de', encoded: true },
  { name: '田中 太郎', addr: 'tanaka@example.jp', encoded: true },
  { name: 'Dave O\'Brien', addr: 'dave@example.com' },
];

/** Attachment names; the non-ASCII one exercises RFC 2231 `filename*=`. */
export const FILENAMES = ['report.pdf', 'figures.xlsx', 'photo 1.jpg', 'Übersicht.txt', 'archive.zip', 'notes.bin'];

/** 6 to 16 random words. */
export function sentence(rng: Prng, pool: readonly string[] = WORDS): string[] {
  const n = rng.int(6, 16);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(rng.pick(pool));
  return words;
}

/** A few paragraphs of ASCII words, optionally sprinkled with words from `extra`. */
export function paragraphs(rng: Prng, extra?: readonly string[]): string[][] {
  const count = rng.int(1, 4);
  const out: string[][] = [];
  for (let p = 0; p < count; p++) {
    const words: string[] = [];
    const sentences = rng.int(2, 5);
    for (let s = 0; s < sentences; s++) {
      words.push(...sentence(rng));
      if (extra !== undefined) words.push(rng.pick(extra));
    }
    out.push(words);
  }
  return out;
}
