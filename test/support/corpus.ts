import {
  ASCII_SUBJECTS,
  FILENAMES,
  LATIN1_SUBJECTS,
  LATIN1_WORDS,
  PEOPLE,
  UTF8_SUBJECTS,
  UTF8_WORDS,
  paragraphs,
  sentence,
} from './corpus-text.js';
import { CRLF, base64Lines, encodedWordB, encodedWordQ, quotedPrintable, rfc5322Date, wrap } from './mime.js';
import { Prng } from './prng.js';

/** One message to APPEND: exact bytes (CRLF line endings), flags and INTERNALDATE. */
export interface CorpusMessage {
  /** Folder path with "/" as the hierarchy delimiter. */
  folder: string;
  raw: Buffer;
  flags: string[];
  /** Whole seconds, in the past. */
  internalDate: Date;
}

/** Options for {@link buildCorpus}. */
export interface CorpusOptions {
  seed: number;
  count: number;
  /** Default {@link DEFAULT_FOLDERS}. The first `folders.length` messages go one per folder. */
  folders?: readonly string[];
}

/** Folder mix: nesting, a plain special name, non-ASCII (mUTF-7 on the wire), "&" (escaped in mUTF-7). */
export const DEFAULT_FOLDERS: readonly string[] = [
  'INBOX',
  'Archive/2023',
  'Archive/2024',
  'Sent',
  'Überweisungen',
  '日本語 フォルダ',
  'Work & Play',
];

/** Every flag and keyword the corpus uses (each appears at least once when count >= 7). */
export const CORPUS_FLAGS: readonly string[] = ['\\Seen', '\\Flagged', '\\Answered', '\\Draft', '$Forwarded', '$Label1', 'Project-X'];

type Kind =
  | 'plain'
  | 'utf8'
  | 'qp'
  | 'attachment'
  | 'latin1'
  | 'encoded-subject'
  | 'no-message-id'
  | 'same-message-id'
  | 'duplicate'
  | 'dot-lines'
  | 'alternative'
  | 'reply';

/** Each kind appears once up front so even a small corpus has every edge case. */
const SCHEDULE: readonly Kind[] = [
  'plain', 'attachment', 'latin1', 'encoded-subject', 'no-message-id', 'dot-lines',
  'alternative', 'utf8', 'same-message-id', 'reply', 'qp',
];

const WEIGHTED: readonly Kind[] = [
  ...Array<Kind>(8).fill('plain'), ...Array<Kind>(3).fill('utf8'), 'qp', ...Array<Kind>(3).fill('attachment'),
  'latin1', ...Array<Kind>(2).fill('encoded-subject'), 'no-message-id', 'same-message-id', 'duplicate',
  'dot-lines', ...Array<Kind>(2).fill('alternative'), ...Array<Kind>(2).fill('reply'),
];

/**
 * Smallest `count` for which {@link buildCorpus} contains every edge case: plain, UTF-8 8bit,
 * quoted-printable, base64 attachment, ISO-8859-1 8bit body, RFC 2047 subjects, missing
 * Message-ID, two different messages with one Message-ID, an exact duplicate in the same
 * folder, "."/".." lines, multipart/alternative, a folded References header.
 */
export function minCountForAllFeatures(folderCount = DEFAULT_FOLDERS.length): number {
  return Math.max(SCHEDULE.length, folderCount) + 1;
}

const FIRST_DATE = Date.UTC(2009, 0, 1) / 1000;
const LAST_DATE = Date.UTC(2024, 11, 31) / 1000;
const ZONES = [60, -300, 540, 0, 330, 120, -420];

/** Build a deterministic corpus: same options, same bytes, on every machine. */
export function buildCorpus(options: CorpusOptions): CorpusMessage[] {
  const folders = options.folders ?? DEFAULT_FOLDERS;
  if (folders.length === 0) throw new Error('buildCorpus: folders must not be empty');
  const rng = new Prng(options.seed);
  // The exact duplicate is placed after every folder got its first message, so copying
  // another message's folder never leaves a folder empty.
  const duplicateAt = Math.max(SCHEDULE.length, folders.length);
  const messages: CorpusMessage[] = [];
  const ids: Array<string | undefined> = [];

  for (let i = 0; i < options.count; i++) {
    let kind: Kind = i < SCHEDULE.length ? (SCHEDULE[i] as Kind) : i === duplicateAt ? 'duplicate' : rng.pick(WEIGHTED);
    if (kind === 'duplicate' && i < duplicateAt) kind = 'plain';
    const internalDate = new Date(rng.int(FIRST_DATE, LAST_DATE) * 1000);
    const flags = pickFlags(rng, i);
    let folder = i < folders.length ? (folders[i] as string) : rng.pick(folders);

    if (kind === 'duplicate' && messages.length > 0) {
      const index = rng.int(0, messages.length - 1);
      const original = messages[index] as CorpusMessage;
      messages.push({ folder: original.folder, raw: Buffer.from(original.raw), flags, internalDate });
      ids.push(ids[index]);
      continue;
    }

    let messageId: string | undefined = `<${rng.hex(16)}.${i}@${rng.pick(['example.com', 'example.org', 'mail.example.net'])}>`;
    if (kind === 'no-message-id') messageId = undefined;
    if (kind === 'same-message-id') {
      const withId = messages.map((m, j) => ({ m, id: ids[j] })).filter((x) => x.id !== undefined);
      if (withId.length > 0) {
        const original = rng.pick(withId);
        messageId = original.id;
        // Same folder when coverage allows: the harder case for Message-ID based dedup.
        if (i >= folders.length) folder = original.m.folder;
      }
    }
    const parentId = ids.filter((x): x is string => x !== undefined);
    const raw = renderMessage(rng, kind, { internalDate, messageId, parentIds: parentId.slice(-4) });
    messages.push({ folder, raw, flags, internalDate });
    ids.push(messageId);
  }
  return messages;
}

function pickFlags(rng: Prng, i: number): string[] {
  const odds: ReadonlyArray<[string, number]> = [
    ['\\Seen', 0.6], ['\\Answered', 0.15], ['\\Flagged', 0.12], ['\\Draft', 0.04],
    ['$Forwarded', 0.08], ['$Label1', 0.08], ['Project-X', 0.08],
  ];
  const flags = new Set<string>();
  const forced = CORPUS_FLAGS[i];
  if (forced !== undefined) flags.add(forced);
  for (const [flag, p] of odds) if (rng.chance(p)) flags.add(flag);
  return [...flags].sort();
}

interface RenderInput {
  internalDate: Date;
  messageId: string | undefined;
  parentIds: string[];
}

function renderMessage(rng: Prng, kind: Kind, input: RenderInput): Buffer {
  const from = rng.pick(PEOPLE);
  let to = rng.pick(PEOPLE);
  if (to === from) to = PEOPLE[(PEOPLE.indexOf(from) + 1) % PEOPLE.length] ?? to;
  const sent = new Date(input.internalDate.getTime() - rng.int(5, 3600) * 1000);
  const zone = rng.pick(ZONES);
  const received = rfc5322Date(new Date(input.internalDate.getTime() - rng.int(0, 4) * 1000), zone);

  let subject = rng.pick(ASCII_SUBJECTS);
  if (kind === 'encoded-subject') {
    subject = rng.chance(0.5) ? encodedWordB(rng.pick(UTF8_SUBJECTS)) : encodedWordQ(rng.pick(LATIN1_SUBJECTS));
  } else if (kind === 'latin1' && rng.chance(0.5)) {
    subject = encodedWordQ(rng.pick(LATIN1_SUBJECTS));
  } else if (kind === 'reply') {
    subject = `Re: ${subject.replace(/^(Re: )+/, '')}`;
  }

  const headers = [
    `Return-Path: <${from.addr}>`,
    `Received: from mail.example.org (mail.example.org [192.0.2.${rng.int(1, 254)}])`,
    `\tby mx.example.net (Postfix) with ESMTPS id ${rng.hex(10).toUpperCase()}`,
    `\tfor <${to.addr}>; ${received}`,
    `From: ${address(from)}`,
    `To: ${address(to)}`,
    ...(rng.chance(0.2) ? [`Cc: ${address(rng.pick(PEOPLE))}, ${address(rng.pick(PEOPLE))}`] : []),
    `Subject: ${subject}`,
    `Date: ${rfc5322Date(sent, zone)}`,
    ...(input.messageId !== undefined ? [`Message-ID: ${input.messageId}`] : []),
    ...(kind === 'reply' && input.parentIds.length > 0 ? replyHeaders(input.parentIds) : []),
    'MIME-Version: 1.0',
  ];
  const { contentHeaders, body } = renderBody(rng, kind);
  return Buffer.concat([Buffer.from([...headers, ...contentHeaders].join(CRLF) + CRLF + CRLF, 'utf8'), body]);
}

function address(person: { name: string; addr: string; encoded?: boolean }): string {
  const name = person.encoded === true ? encodedWordB(person.name) : `"${person.name}"`;
  return `${name} <${person.addr}>`;
}

/** In-Reply-To plus a References header folded one id per line. */
function replyHeaders(parentIds: string[]): string[] {
  const last = parentIds[parentIds.length - 1] as string;
  return [`In-Reply-To: ${last}`, `References: ${parentIds.join(`${CRLF} `)}`];
}

function textBlock(rng: Prng, extra?: readonly string[]): string {
  return paragraphs(rng, extra).map((words) => wrap(words)).join(CRLF + CRLF);
}

function renderBody(rng: Prng, kind: Kind): { contentHeaders: string[]; body: Buffer } {
  const signature = `${CRLF}${CRLF}-- ${CRLF}${wrap(sentence(rng))}${CRLF}`;
  switch (kind) {
    case 'utf8':
      return {
        contentHeaders: ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'],
        body: Buffer.from(textBlock(rng, UTF8_WORDS) + signature, 'utf8'),
      };
    case 'qp':
      return {
        contentHeaders: ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable'],
        body: Buffer.from(quotedPrintable(textBlock(rng, UTF8_WORDS)) + signature, 'utf8'),
      };
    case 'latin1':
      // Raw ISO-8859-1 bytes (0xE9 "é", 0xFC "ü", 0xDF "ß"): invalid as UTF-8 on purpose.
      return {
        contentHeaders: ['Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: 8bit'],
        body: Buffer.from(`Café, Grüße, Straße.${CRLF}${CRLF}${textBlock(rng, LATIN1_WORDS)}${signature}`, 'latin1'),
      };
    case 'dot-lines':
      return {
        contentHeaders: ['Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: 7bit'],
        body: Buffer.from(
          [
            'Lines below start with dots (SMTP/POP3 dot-stuffing must round-trip):',
            '.',
            '..',
            '.hidden starts with one dot',
            '..two dots here',
            '...',
            'From the desk of the editor (an mbox "From " line)',
            'trailing spaces   ',
            '',
            textBlock(rng),
            '.',
          ].join(CRLF) + CRLF,
          'utf8',
        ),
      };
    case 'attachment':
      return attachmentBody(rng);
    case 'alternative':
      return alternativeBody(rng);
    default:
      return {
        contentHeaders: ['Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: 7bit'],
        body: Buffer.from(textBlock(rng) + signature, 'utf8'),
      };
  }
}

function attachmentBody(rng: Prng): { contentHeaders: string[]; body: Buffer } {
  const boundary = `----=_Part_${rng.hex(12)}`;
  const filename = rng.pick(FILENAMES);
  // RFC 2231 for non-ASCII names, a quoted string otherwise.
  const disposition = /^[\x20-\x7e]*$/.test(filename)
    ? `attachment; filename="${filename}"`
    : `attachment;${CRLF} filename*=UTF-8''${encodeURIComponent(filename)}`;
  const body = [
    'This is a multi-part message in MIME format.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    textBlock(rng),
    '',
    `--${boundary}`,
    `Content-Type: application/octet-stream; name="${filename.replace(/[^\x20-\x7e]/g, '_')}"`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: ${disposition}`,
    '',
    base64Lines(rng.bytes(rng.int(512, 24_000))) + `--${boundary}--`,
    '',
  ].join(CRLF);
  return {
    contentHeaders: [`Content-Type: multipart/mixed;${CRLF} boundary="${boundary}"`],
    body: Buffer.from(body, 'utf8'),
  };
}

function alternativeBody(rng: Prng): { contentHeaders: string[]; body: Buffer } {
  const boundary = `=_alt_${rng.hex(16)}`;
  const text = textBlock(rng, UTF8_WORDS);
  const html = `<html><body>${text
    .split(CRLF + CRLF)
    .map((p) => `<p>${p.replace(/\r\n/g, ' ')}</p>`)
    .join(CRLF)}</body></html>`;
  const body = [
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    quotedPrintable(text),
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    quotedPrintable(html),
    `--${boundary}--`,
    '',
  ].join(CRLF);
  return {
    contentHeaders: [`Content-Type: multipart/alternative; boundary="${boundary}"`],
    body: Buffer.from(body, 'utf8'),
  };
}

/**
 * A valid multipart message of about `sizeBytes` (within a few hundred bytes), mostly a
 * base64 attachment of pseudo-random bytes; deterministic for a given seed.
 */
export function bigMessage(sizeBytes: number, seed: number): Buffer {
  const rng = new Prng(seed);
  const boundary = `----=_Big_${rng.hex(12)}`;
  const date = new Date(rng.int(FIRST_DATE, LAST_DATE) * 1000);
  const head = [
    'From: "Alice Example" <alice@example.com>',
    'To: "Bob Builder" <bob@example.org>',
    `Subject: Big attachment (${sizeBytes} bytes, seed ${seed})`,
    `Date: ${rfc5322Date(date, 60)}`,
    `Message-ID: <big.${rng.hex(16)}@example.com>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'See attachment.',
    `--${boundary}`,
    'Content-Type: application/octet-stream; name="big.bin"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="big.bin"',
    '',
    '',
  ].join(CRLF);
  const tail = `--${boundary}--${CRLF}`;
  // base64 in 76-char lines + CRLF: 57 input bytes per 78 output bytes.
  const room = Math.max(0, sizeBytes - head.length - tail.length);
  const data = rng.bytes(Math.floor((room * 57) / 78));
  return Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(base64Lines(data), 'ascii'), Buffer.from(tail, 'ascii')]);
}
