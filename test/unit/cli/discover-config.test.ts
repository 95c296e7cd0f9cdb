/** The config `mailferry discover` writes: pairs per mailbox, targets from the template, secrets by reference. */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { discoverConfig } from '../../../src/cli/discover-config.js';
import { parseAccountUrl, type GraphAccountSpec } from '../../../src/config/index.js';

const TENANT = '5e0c1d2b-8f3a-4c6e-9b1d-7a2f3e4d5c6b';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const APP_URL = `graph://admin@contoso.com?tenant=${TENANT}&client=${CLIENT}&endpoint=https://127.0.0.1:9443/v1.0&authority=https://127.0.0.1:9443`;
const app = parseAccountUrl(APP_URL, 'discover', { env: 'MAILFERRY_SOURCE_PASSWORD' }) as GraphAccountSpec;
const mailboxes = [
  { mail: 'alice@contoso.com', userPrincipalName: 'alice@contoso.onmicrosoft.com' },
  { mail: 'Bob.Smith@contoso.com', userPrincipalName: 'bob@contoso.com' },
  { mail: 'bob.smith@fabrikam.com', userPrincipalName: 'bob2@contoso.com' },
];
const now = new Date('2026-12-08T00:00:00Z');

describe('discoverConfig', () => {
  it('one pair per mailbox: the app\'s URL with the mailbox\'s address, the target from the template, secrets as references', () => {
    const config = parse(discoverConfig({ app, appUrl: APP_URL, mailboxes, targetTemplate: 'imaps://{local}@new.example.com', now }));
    expect(Object.keys(config.pairs)).toEqual(['alice', 'bob.smith', 'bob.smith-2']);
    expect(config.pairs.alice).toEqual({ source: 'alice-source', target: 'alice-target' });
    const source = config.accounts['alice-source'];
    expect(source.password).toEqual({ env: 'MAILFERRY_SOURCE_PASSWORD' });
    expect(parseAccountUrl(source.url, 'x', source.password)).toMatchObject({ kind: 'graph', user: 'alice@contoso.com', tenant: TENANT, endpoint: 'https://127.0.0.1:9443/v1.0' });
    expect(config.accounts['bob.smith-target']).toEqual({ url: 'imaps://Bob.Smith@new.example.com', password: { env: 'MAILFERRY_TARGET_PASSWORD' } });
  });

  it('{mail} is escaped in a URL; file secrets per mailbox; the mode is kept', () => {
    const text = discoverConfig({
      app, appUrl: APP_URL, mailboxes: mailboxes.slice(0, 1), now, mode: 'mirror',
      targetTemplate: `imaps://{mail}@outlook.office365.com?auth=oauth&tenant=${TENANT}&client=${CLIENT}`, targetSecret: 'file:/etc/mailferry/{local}.secret',
    });
    expect(text).toMatch(/^# Written by mailferry discover on 2026-12-08T00:00:00.000Z: 1 mailbox\(es\)/);
    const config = parse(text);
    expect(config.accounts['alice-target'].url).toBe(`imaps://alice%40contoso.com@outlook.office365.com?auth=oauth&tenant=${TENANT}&client=${CLIENT}`);
    expect(config.accounts['alice-target'].password).toEqual({ file: '/etc/mailferry/alice.secret' });
    expect(config.pairs.alice.mode).toBe('mirror');
  });

  it('a certificate app names no password (the URL carries &cert=)', () => {
    const url = `${APP_URL}&cert=/etc/mailferry/app.pem`;
    const certApp = parseAccountUrl(url, 'discover', { env: 'X' }) as GraphAccountSpec;
    const config = parse(discoverConfig({ app: certApp, appUrl: url, mailboxes: mailboxes.slice(0, 1), targetTemplate: 'imaps://{local}@new.example.com', now }));
    expect(config.accounts['alice-source'].password).toBeUndefined();
    expect(config.accounts['alice-source'].url).toContain('cert=%2Fetc%2Fmailferry%2Fapp.pem');
  });

  it.each<[string, { targetTemplate: string; targetSecret?: string }, RegExp]>([
    ['a template without a placeholder', { targetTemplate: 'imaps://one@new.example.com' }, /has no placeholder/],
    ['a template that is no account URL', { targetTemplate: 'ftp://{local}@new.example.com' }, /gives "ftp:\/\/alice@new.example.com" for alice@contoso.com/],
    ['a bad secret reference', { targetTemplate: 'imaps://{local}@new.example.com', targetSecret: 'vault:x' }, /expected env:VARIABLE_NAME or file:/],
  ])('%s is refused, naming the fix', (_name, given, message) => {
    expect(() => discoverConfig({ app, appUrl: APP_URL, mailboxes, now, ...given })).toThrow(message);
  });
});
