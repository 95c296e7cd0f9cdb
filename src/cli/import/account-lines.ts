/**
 * A file of accounts, one pair per line, in either of two forms:
 *
 * - imapsync's bulk lines, `host1;user1;password1;host2;user2;password2` (fields may be
 *   double-quoted to hold a ";"), turned into account URLs by a template per side
 *   (default `imaps://{user}@{host}`);
 * - a CSV file whose header is `source,source_password,target,target_password[,name]`,
 *   where source and target are account URLs.
 *
 * Blank lines and lines starting with "#" are skipped. Every bad line is reported with its
 * line number (never with its passwords); the caller writes nothing unless all are good.
 */
import { parse } from 'csv-parse/sync';

export interface AccountLine {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly source: string;
  readonly sourcePassword: string;
  readonly target: string;
  readonly targetPassword: string;
  readonly name?: string;
}

export interface LineProblem {
  readonly line: number;
  readonly message: string;
}

export interface Templates {
  /** With {host} and {user}, e.g. imaps://{user}@{host}. */
  readonly source: string;
  readonly target: string;
}

export const DEFAULT_TEMPLATE = 'imaps://{user}@{host}';
const CSV_HEADER = ['source', 'source_password', 'target', 'target_password'];

export function readAccountLines(text: string, templates: Templates): { lines: AccountLine[]; problems: LineProblem[] } {
  const csv = isCsv(text);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      delimiter: csv ? ',' : ';', relax_column_count: true, skip_empty_lines: true, comment: '#', comment_no_infix: true, info: true, trim: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (error) {
    // The parser's message quotes the line, passwords and all: only its code and place are kept.
    const e = error as { code?: string; lines?: number };
    return { lines: [], problems: [{ line: e.lines ?? 0, message: `does not parse (${e.code ?? 'malformed'}); a field holding the delimiter or a quote must be double-quoted` }] };
  }
  return csv ? fromCsv(records) : fromImapsync(records, templates);
}

/** A CSV file starts (after comments) with the header line. */
function isCsv(text: string): boolean {
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#')) ?? '';
  return first.toLowerCase().replace(/\s/g, '').startsWith(CSV_HEADER.join(','));
}

function fromCsv(records: ReadonlyArray<{ record: string[]; info: { lines: number } }>): { lines: AccountLine[]; problems: LineProblem[] } {
  const [header, ...rows] = records;
  const columns = (header?.record ?? []).map((c) => c.toLowerCase());
  const at = (name: string) => columns.indexOf(name);
  const lines: AccountLine[] = [];
  const problems: LineProblem[] = [];
  for (const { record, info } of rows) {
    const value = (name: string) => (at(name) >= 0 ? record[at(name)] ?? '' : '');
    const missing = CSV_HEADER.filter((name) => value(name) === '');
    if (missing.length > 0 || record.length > columns.length) {
      problems.push({ line: info.lines, message: missing.length > 0 ? `empty ${missing.join(', ')}` : `${record.length} fields, the header has ${columns.length}` });
      continue;
    }
    const name = value('name');
    lines.push({ line: info.lines, source: value('source'), sourcePassword: value('source_password'), target: value('target'), targetPassword: value('target_password'), ...(name ? { name } : {}) });
  }
  return { lines, problems };
}

function fromImapsync(records: ReadonlyArray<{ record: string[]; info: { lines: number } }>, templates: Templates): { lines: AccountLine[]; problems: LineProblem[] } {
  const lines: AccountLine[] = [];
  const problems: LineProblem[] = [];
  for (const { record, info } of records) {
    // imapsync's files often end each line with ";".
    const fields = record.length === 7 && record[6] === '' ? record.slice(0, 6) : record;
    if (fields.length !== 6) {
      problems.push({ line: info.lines, message: `${fields.length} fields; expected host1;user1;password1;host2;user2;password2` });
      continue;
    }
    const [host1, user1, password1, host2, user2, password2] = fields as [string, string, string, string, string, string];
    const empty = [['host1', host1], ['user1', user1], ['password1', password1], ['host2', host2], ['user2', user2], ['password2', password2]].filter(([, v]) => v === '').map(([k]) => k);
    if (empty.length > 0) {
      problems.push({ line: info.lines, message: `empty ${empty.join(', ')}` });
      continue;
    }
    lines.push({
      line: info.lines,
      source: expand(templates.source, host1, user1), sourcePassword: password1,
      target: expand(templates.target, host2, user2), targetPassword: password2,
    });
  }
  return { lines, problems };
}

/** {host} as given, {user} %-escaped for the URL's user part (an address's "@" is %40). */
function expand(template: string, host: string, user: string): string {
  return template.replace(/\{host\}/g, host).replace(/\{user\}/g, encodeURIComponent(user));
}
