/**
 * The bench corpus: test/support's deterministic generator (plain, UTF-8, QP, base64
 * attachments, Latin-1, RFC 2047 subjects, duplicates, ...) spread over 11 folders with
 * nesting, non-ASCII and "&" names, weighted so INBOX and the archives hold most mail,
 * plus K messages of ~12 MB in one folder.
 */
import { bigMessage, buildCorpus } from '../.build/test/support/corpus.js';

export const BENCH_FOLDERS = [
  'INBOX',
  'Sent',
  'Drafts',
  'Archive/2022',
  'Archive/2023',
  'Archive/2024',
  'Lists/dovecot',
  'Lists/node-dev',
  'Überweisungen',
  '日本語 フォルダ',
  'Work & Play',
];

/** buildCorpus picks uniformly from its folder list; repeating a name weights it. */
const WEIGHTS = {
  INBOX: 6, Sent: 3, Drafts: 1, 'Archive/2022': 3, 'Archive/2023': 3, 'Archive/2024': 4,
  'Lists/dovecot': 2, 'Lists/node-dev': 2, 'Überweisungen': 1, '日本語 フォルダ': 1, 'Work & Play': 1,
};

export const BIG_FOLDER = 'Archive/Attachments';
export const BIG_SIZE = 12 * 1024 * 1024;

export function benchCorpus({ seed, count, big = 0, folders = BENCH_FOLDERS }) {
  // The first folders.length messages go one per folder in list order: keep that order distinct.
  const weighted = [...folders];
  for (const f of folders) for (let i = 1; i < (WEIGHTS[f] ?? 1); i++) weighted.push(f);
  const messages = buildCorpus({ seed, count, folders: weighted });
  for (let i = 0; i < big; i++) {
    messages.push({
      folder: BIG_FOLDER,
      raw: bigMessage(BIG_SIZE, seed * 1000 + i),
      flags: i % 2 ? ['\\Seen'] : ['\\Seen', '\\Flagged'],
      internalDate: new Date(Date.UTC(2024, 5, 1 + i, 12, 0, 0)),
    });
  }
  return messages;
}

export function corpusStats(messages) {
  const byFolder = new Map();
  let bytes = 0;
  let largest = 0;
  for (const m of messages) {
    byFolder.set(m.folder, (byFolder.get(m.folder) ?? 0) + 1);
    bytes += m.raw.length;
    largest = Math.max(largest, m.raw.length);
  }
  return { messages: messages.length, bytes, largest, folders: byFolder.size, byFolder };
}
