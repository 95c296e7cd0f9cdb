/** `mailferry config import`'s parts: the two line formats, line-numbered problems, password files written all at once or not at all. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATE, readAccountLines } from '../../../src/cli/import/account-lines.js';
import { planImport, writeImport } from '../../../src/cli/import/import-config.js';

const templates = { source: DEFAULT_TEMPLATE, target: 'imap://{user}@{host}:143' };
const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailferry-import-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('readAccountLines', () => {
  it('imapsync lines: templates per side, users escaped, quoted fields, a trailing ";", comments and blank lines skipped', () => {
    const text = '# old;new\n\nold.example.com;alice@example.com;"p;w";new.example.com;alice;secret2;\nold.example.com;bob;pw;new.example.com;bob;pw2\n';
    const { lines, problems } = readAccountLines(text, templates);
    expect(problems).toEqual([]);
    expect(lines).toEqual([
      { line: 3, source: 'imaps://alice%40example.com@old.example.com', sourcePassword: 'p;w', target: 'imap://alice@new.example.com:143', targetPassword: 'secret2' },
      { line: 4, source: 'imaps://bob@old.example.com', sourcePassword: 'pw', target: 'imap://bob@new.example.com:143', targetPassword: 'pw2' },
    ]);
  });

  it('CSV with the header source,source_password,target,target_password[,name]', () => {
    const text = 'source,source_password,target,target_password,name\nimaps://a@old.example.com,"x,y",imaps://a@new.example.com,z,ann\n';
    expect(readAccountLines(text, templates)).toEqual({
      problems: [],
      lines: [{ line: 2, source: 'imaps://a@old.example.com', sourcePassword: 'x,y', target: 'imaps://a@new.example.com', targetPassword: 'z', name: 'ann' }],
    });
  });

  it('bad lines are named by number, never with their passwords', () => {
    const { problems } = readAccountLines('h1;u1;topsecret;h2;u2\nh1;u1;;h2;u2;pw\n', templates);
    expect(problems).toEqual([
      { line: 1, message: '5 fields; expected host1;user1;password1;host2;user2;password2' },
      { line: 2, message: 'empty password1' },
    ]);
    // A quote left open: the parser's own message would quote the line; only its place is told.
    const open = readAccountLines('h1;u1;p;h2;u2;p2\nh1;"u1;topsecret;h2;u2;p2\n', templates).problems;
    expect(open).toHaveLength(1);
    expect(open[0]?.message).toMatch(/does not parse .*must be double-quoted/);
    expect(JSON.stringify(open)).not.toContain('topsecret');
  });
});

describe('planImport and writeImport', () => {
  it('a URL that does not parse, a POP3 target and a reused name are problems of their lines', () => {
    const { lines } = readAccountLines([
      'source,source_password,target,target_password,name',
      'ftp://a@x,p,imaps://a@y,q,a',
      'imaps://b@x,p,imaps://b@y,q,b',
      'imaps://c@x,p,imaps://c@y,q,b',
      'imaps://d@x,p,imaps://d@y,q,d/e',
      'imaps://e@x,p,pop3s://e@y,q,e',
    ].join('\n'), templates);
    const { pairs, problems } = planImport('accounts.csv', lines);
    expect(pairs.map((p) => p.name)).toEqual(['b']);
    expect(problems.map((p) => p.line)).toEqual([2, 4, 5, 6]);
    expect(problems[0]?.message).toMatch(/^source: unsupported scheme "ftp:"/);
    expect(problems[1]?.message).toBe('the name "b" is used by an earlier line');
    expect(problems[2]?.message).toMatch(/may hold only letters, digits/);
    expect(problems[3]?.message).toMatch(/POP3 can only be a source/);
  });

  it('writes one 0600 file per password in a new 0700 directory, and a config that names them', async () => {
    const base = tempDir();
    const { lines } = readAccountLines('old.example.com;alice;pw1;new.example.com;alice;pw2\n', templates);
    const { pairs } = planImport('accounts.txt', lines);
    const secretsDir = path.join(base, 'secrets');
    const yaml = await writeImport({ file: 'accounts.txt', lines, secretsDir, now: new Date('2026-12-08T00:00:00Z') }, pairs);
    const config = parse(yaml);
    expect(config.pairs).toEqual({ alice: { source: 'alice-source', target: 'alice-target' } });
    expect(config.accounts['alice-source']).toEqual({ url: 'imaps://alice@old.example.com', password: { file: path.join(secretsDir, 'alice.source') } });
    expect(fs.readFileSync(path.join(secretsDir, 'alice.target'), 'utf8')).toBe('pw2');
    expect(fs.statSync(secretsDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(secretsDir, 'alice.source')).mode & 0o777).toBe(0o600);
    expect(yaml).not.toContain('pw1');
    expect(fs.readdirSync(base)).toEqual(['secrets']);
  });

  it('refuses an existing secrets directory and leaves nothing behind', async () => {
    const base = tempDir();
    fs.mkdirSync(path.join(base, 'secrets'));
    const { lines } = readAccountLines('h;u;p;h2;u2;p2\n', templates);
    await expect(writeImport({ file: 'f', lines, secretsDir: path.join(base, 'secrets'), now: new Date() }, planImport('f', lines).pairs)).rejects.toThrow(/exists already/);
    expect(fs.readdirSync(base)).toEqual(['secrets']);
    expect(fs.readdirSync(path.join(base, 'secrets'))).toEqual([]);
  });
});
