import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfigFile } from '../../../src/config/config-file.js';
import { DEFAULT_COPY_OPTIONS } from '../../../src/config/run-spec.js';
import { DEFAULT_FOLDER_RULES } from '../../../src/mapping/index.js';

let dir: string;
let counter = 0;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailferry-config-test-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(text: string): string {
  counter += 1;
  const file = path.join(dir, `config-${counter}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

function loadError(file: string): ConfigError {
  try {
    loadConfigFile(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfigFile(${file}) did not throw`);
}

const ACCOUNTS = `
accounts:
  a:
    url: imaps://alice@old.example.com
    password: { env: A_PASSWORD }
  b:
    url: imap://alice%40example.com@new.example.net:10143
    password: { file: /run/secrets/b }
    caFile: /etc/ssl/ca.pem
`;

describe('loadConfigFile: valid files', () => {
  it('turns a full config into RunSpecs with rules and options', () => {
    const file = write(`
redis: redis://127.0.0.1:6379/2
stateDir: /var/lib/mailferry
${ACCOUNTS}
pairs:
  alice:
    source: a
    target: b
    folders:
      include: ["INBOX/**", "Sent"]
      exclude: ["**/Old"]
      map:
        "INBOX/Receipts": "Finance/Receipts"
      rename:
        - { from: "Projects/(\\\\d{4})/(.*)", to: "Archive/$1/$2" }
      specialUse: false
  back:
    source: b
    target: a
options:
  pageSize: 50
  batchMegabytes: 4
  concurrency: 8
`);
    const config = loadConfigFile(file);
    expect(config.file).toBe(file);
    expect(config.redis).toBe('redis://127.0.0.1:6379/2');
    expect(config.stateDir).toBe('/var/lib/mailferry');
    expect(config.concurrency).toBe(8);
    expect([...config.pairs.keys()]).toEqual(['alice', 'back']);

    const alice = config.pairs.get('alice');
    expect(alice).toEqual({
      pairName: 'alice',
      source: { kind: 'imap', host: 'old.example.com', port: 993, user: 'alice', tls: 'implicit', secret: { env: 'A_PASSWORD' } },
      target: {
        kind: 'imap', host: 'new.example.net', port: 10143, user: 'alice@example.com', tls: 'starttls',
        secret: { file: '/run/secrets/b' }, caFile: '/etc/ssl/ca.pem',
      },
      rules: {
        include: ['INBOX/**', 'Sent'],
        exclude: ['**/Old'],
        map: { 'INBOX/Receipts': 'Finance/Receipts' },
        renames: [{ from: 'Projects/(\\d{4})/(.*)', to: 'Archive/$1/$2' }],
        specialUse: false,
      },
      copy: { pageSize: 50, batchBytes: 4 * 1048576 },
    });
    const back = config.pairs.get('back');
    expect(back?.source).toEqual(alice?.target);
    expect(back?.target).toEqual(alice?.source);
    expect(back?.rules).toEqual(DEFAULT_FOLDER_RULES);
    expect(back?.copy).toEqual({ pageSize: 50, batchBytes: 4 * 1048576 });
  });

  it('fills in defaults for a minimal config', () => {
    const config = loadConfigFile(write(`${ACCOUNTS}
pairs:
  p:
    source: a
    target: b
`));
    expect(config.redis).toBeUndefined();
    expect(config.stateDir).toBeUndefined();
    expect(config.concurrency).toBeUndefined();
    expect('redis' in config).toBe(false);
    const p = config.pairs.get('p');
    expect(p?.copy).toEqual(DEFAULT_COPY_OPTIONS);
    expect(p?.rules).toEqual(DEFAULT_FOLDER_RULES);
  });

  it('fills in folder rule defaults when only some are given', () => {
    const config = loadConfigFile(write(`${ACCOUNTS}
pairs:
  p:
    source: a
    target: b
    folders:
      exclude: [Trash]
`));
    expect(config.pairs.get('p')?.rules).toEqual({ include: [], exclude: ['Trash'], map: {}, renames: [], specialUse: true });
  });

  it('reads a POP3 source with its options; the folder becomes a map rule for INBOX', () => {
    const config = loadConfigFile(write(`${ACCOUNTS}
  pop:
    url: pop3://carol@pop.example.com?tls=off&auth=apop
    password: { env: POP_PASSWORD }
pairs:
  carol:
    source: pop
    target: b
    pop3: { folder: Imported/POP, markSeen: true, date: date, delete: "older-than:30d" }
  plain:
    source: pop
    target: a
`));
    const carol = config.pairs.get('carol');
    expect(carol?.source).toMatchObject({ kind: 'pop3', port: 110, tls: 'off', auth: 'apop' });
    expect(carol?.rules.map).toEqual({ INBOX: 'Imported/POP' });
    expect(carol?.pop3).toEqual({ markSeen: true, dateFrom: 'date', deletion: { mode: 'older-than', days: 30 } });
    expect(config.pairs.get('plain')?.pop3).toEqual({ markSeen: false, dateFrom: 'received', deletion: { mode: 'never' } });
  });

  it('accepts a config with no pairs', () => {
    expect(loadConfigFile(write(`${ACCOUNTS}\npairs: {}\n`)).pairs.size).toBe(0);
  });

  it('loads the documented example config', () => {
    const example = fileURLToPath(new URL('../../../config/example.yaml', import.meta.url));
    const config = loadConfigFile(example);
    expect([...config.pairs.keys()]).toEqual(['alice', 'bob', 'carol', 'dave', 'gina', 'alice-mirror', 'alice-backup']);
    expect(config.pairs.get('gina')?.source).toMatchObject({ kind: 'graph', user: 'gina@contoso.com', endpoint: 'https://graph.microsoft.com/v1.0', credential: 'secret' });
    expect(config.pairs.get('alice-mirror')).toMatchObject({ mode: 'mirror', mirror: { deleteCap: { percent: 10, minimum: 10 } } });
    expect(config.services.get('alice-backup')).toEqual({ schedule: '0 2 * * *', watch: [] });
    expect(config.pairs.get('alice-backup')?.target).toMatchObject({ kind: 'maildir', path: '/var/backups/alice' });
    expect(config.pairs.get('dave')?.source).toMatchObject({ kind: 'ews', user: 'CONTOSO\\svc-migrate', impersonate: 'dave@contoso.com', auth: 'ntlm' });
    expect(config.pairs.get('alice')?.target).toMatchObject({ user: 'alice@example.com' });
    expect(config.pairs.get('bob')?.source).toMatchObject({ tls: 'starttls', port: 143, caFile: '/etc/mailferry/old-example-ca.pem' });
  });
});

describe('loadConfigFile: errors name the file and the path inside it', () => {
  it.each<[string, string, RegExp[]]>([
    ['a POP3 account as the target', `${ACCOUNTS}
  pop:
    url: pop3s://carol@pop.example.com
    password: { env: POP_PASSWORD }
pairs:
  x: { source: a, target: pop }
`, [/: pairs\.x: the target is a POP3 account, but POP3 can only be a source/]],
    ['pop3 options on an IMAP source', `${ACCOUNTS}
pairs:
  x: { source: a, target: b, pop3: { markSeen: true } }
`, [/: pairs\.x: pop3 only apply to a POP3 source/]],
    ['a deletion policy that does not exist', `${ACCOUNTS}
  pop:
    url: pop3s://carol@pop.example.com
    password: { env: POP_PASSWORD }
pairs:
  x: { source: pop, target: a, pop3: { delete: "after-30-days" } }
`, [/: pairs\.x\.pop3\.delete: "after-30-days" is not a deletion policy; use never, after-copy or older-than:DAYSd/]],
    ['pair names an unknown source account', `${ACCOUNTS}
pairs:
  x:
    source: nope
    target: b
`, [/: pairs\.x\.source names account "nope", which is not under accounts \(known: a, b\)$/]],
    ['pair names an unknown target account', `${ACCOUNTS}
pairs:
  x:
    source: a
    target: typo
`, [/: pairs\.x\.target names account "typo", which is not under accounts \(known: a, b\)/]],
    ['no accounts at all', `
accounts: {}
pairs:
  x: { source: a, target: b }
`, [/pairs\.x\.source names account "a", which is not under accounts \(known: \(none\)\)/]],
    ['password given as a plain string', `
accounts:
  a:
    url: imaps://alice@old.example.com
    password: hunter2
pairs: {}
`, [/invalid config:\n {2}- accounts\.a\.password: password must be \{ env: VARIABLE_NAME \} or \{ file: \/path\/to\/file \}; never the password itself/]],
    ['password object with both env and file', `
accounts:
  a:
    url: imaps://alice@old.example.com
    password: { env: X, file: /y }
pairs: {}
`, [/- accounts\.a\.password: password must be/]],
    ['missing url', `
accounts:
  a:
    password: { env: X }
pairs: {}
`, [/- accounts\.a\.url: /]],
    ['bad account URL', `
accounts:
  a:
    url: imaps://alice:secret@old.example.com
    password: { env: X }
pairs: {}
`, [/: accounts\.a\.url: do not put the password in the URL/]],
    ['unknown top-level key', `${ACCOUNTS}
pairs: {}
concurency: 4
`, [/- \(top level\): .*"concurency"/]],
    ['unknown key in an account', `
accounts:
  a:
    url: imaps://alice@old.example.com
    password: { env: X }
    user: alice
pairs: {}
`, [/- accounts\.a: .*"user"/]],
    ['unknown key in folder rules', `${ACCOUNTS}
pairs:
  x:
    source: a
    target: b
    folders:
      includes: [INBOX]
`, [/- pairs\.x\.folders: .*"includes"/]],
    ['unknown key in options', `${ACCOUNTS}
pairs: {}
options:
  pagesize: 10
`, [/- options: .*"pagesize"/]],
    ['pageSize out of range', `${ACCOUNTS}
pairs: {}
options:
  pageSize: 0
`, [/- options\.pageSize: /]],
    ['non-integer batchMegabytes', `${ACCOUNTS}
pairs: {}
options:
  batchMegabytes: 1.5
`, [/- options\.batchMegabytes: /]],
    ['several problems are all listed', `
accounts:
  a:
    url: ""
    password: oops
pairs:
  x: { source: a }
`, [/- accounts\.a\.url: /, /- accounts\.a\.password: /, /- pairs\.x\.target: /]],
    ['empty file', '', [/- \(top level\): /]],
    ['YAML that is a list, not a mapping', '- a\n- b\n', [/- \(top level\): /]],
    ['invalid rename regex', `${ACCOUNTS}
pairs:
  x:
    source: a
    target: b
    folders:
      rename:
        - { from: "Projects/(", to: "P" }
`, [/: pairs\.x\.folders: Folder rename #1 has an invalid regular expression in "from": "Projects\/\("/]],
    ['two map entries for the same folder', `${ACCOUNTS}
pairs:
  x:
    source: a
    target: b
    folders:
      map: { "INBOX/a": "A", "inbox/a": "B" }
`, [/: pairs\.x\.folders: Folder map has two entries for the same source folder/]],
  ])('%s', (_name, text, messages) => {
    const file = write(text);
    const error = loadError(file);
    expect(error.message.startsWith(`${file}: `)).toBe(true);
    for (const message of messages) expect(error.message).toMatch(message);
  });

  it('reports YAML syntax errors', () => {
    const file = write('accounts:\n  a: [unclosed\npairs: {}\n');
    const error = loadError(file);
    expect(error.message).toMatch(new RegExp(`^${escape(file)}: not valid YAML: `));
  });

  it('reports duplicate keys as a YAML error', () => {
    const file = write(`${ACCOUNTS}\npairs: {}\npairs: {}\n`);
    expect(loadError(file).message).toMatch(/not valid YAML: .*unique/i);
  });

  it.each<[string, () => string, RegExp]>([
    ['missing file', () => path.join(dir, 'does-not-exist.yaml'), /\(ENOENT\)$/],
    ['a directory', () => dir, /\(EISDIR\)$/],
  ])('reports an unreadable file: %s', (_name, pathOf, code) => {
    const file = pathOf();
    const error = loadError(file);
    expect(error.message).toMatch(new RegExp(`^cannot read config file ${escape(file)} `));
    expect(error.message).toMatch(code);
  });

  it('never echoes a secret given in the URL', () => {
    const file = write(`
accounts:
  a:
    url: imaps://alice:s3cret-pw@old.example.com
    password: { env: X }
pairs: {}
`);
    expect(loadError(file).message).not.toContain('s3cret-pw');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('tls: off in the config', () => {
  it.each([['off'], ['false']])('tls: %s makes an imap:// account plaintext, like ?tls=off', (value) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mf-tls-'));
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(file, `accounts:\n  a:\n    url: imap://a@h\n    password: { env: X }\n    tls: ${value}\n  b:\n    url: imaps://b@h\n    password: { env: X }\npairs:\n  p: { source: a, target: b }\n`);
    const spec = loadConfigFile(file).pairs.get('p');
    expect(spec?.source).toMatchObject({ tls: 'off' });
    expect(spec?.target).toMatchObject({ tls: 'implicit' });
  });

  it('is refused on an imaps:// account', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mf-tls-'));
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(file, `accounts:\n  a:\n    url: imaps://a@h\n    password: { env: X }\n    tls: off\npairs:\n  p: { source: a, target: a }\n`);
    expect(() => loadConfigFile(file)).toThrow(/imaps:\/\/ is TLS by definition/);
  });
});
