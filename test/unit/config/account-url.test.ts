import { describe, expect, it } from 'vitest';
import type { EwsAccountSpec, ImapAccountSpec, Pop3AccountSpec, SecretRef } from '../../../src/config/account-spec.js';
import { parseAccountUrl } from '../../../src/config/account-url.js';
import { ConfigError } from '../../../src/config/config-error.js';

const secret: SecretRef = { env: 'SOURCE_PASSWORD' };

describe('parseAccountUrl: accepted forms', () => {
  it.each<[string, string, Omit<ImapAccountSpec, 'kind' | 'secret'>]>([
    ['imaps with the default port 993', 'imaps://alice@mail.example.com',
      { host: 'mail.example.com', port: 993, user: 'alice', tls: 'implicit' }],
    ['imaps with an explicit port', 'imaps://alice@mail.example.com:1993',
      { host: 'mail.example.com', port: 1993, user: 'alice', tls: 'implicit' }],
    ['imap with the default port 143 requires STARTTLS', 'imap://bob@old.example.com',
      { host: 'old.example.com', port: 143, user: 'bob', tls: 'starttls' }],
    ['imap with an explicit port', 'imap://bob@old.example.com:10143',
      { host: 'old.example.com', port: 10143, user: 'bob', tls: 'starttls' }],
    ['imap with ?tls=off is plaintext', 'imap://bob@127.0.0.1:1143?tls=off',
      { host: '127.0.0.1', port: 1143, user: 'bob', tls: 'off' }],
    ['IPv6 literal loses its brackets', 'imaps://alice@[::1]',
      { host: '::1', port: 993, user: 'alice', tls: 'implicit' }],
    ['IPv6 literal with a port', 'imap://alice@[2001:db8::1]:143?tls=off',
      { host: '2001:db8::1', port: 143, user: 'alice', tls: 'off' }],
    ['percent-encoded @ in the user name', 'imaps://alice%40example.com@mail.example.net',
      { host: 'mail.example.net', port: 993, user: 'alice@example.com', tls: 'implicit' }],
    ['unencoded @ in the user name (the last @ separates the host)', 'imaps://alice@example.com@mail.example.net',
      { host: 'mail.example.net', port: 993, user: 'alice@example.com', tls: 'implicit' }],
    ['percent-encoded non-ASCII user name', 'imaps://j%C3%B6rg@mail.example.net',
      { host: 'mail.example.net', port: 993, user: 'jörg', tls: 'implicit' }],
    ['upper-case scheme is accepted', 'IMAPS://alice@mail.example.com',
      { host: 'mail.example.com', port: 993, user: 'alice', tls: 'implicit' }],
  ])('%s: %s', (_name, text, expected) => {
    const spec = parseAccountUrl(text, 'source', secret);
    expect(spec).toEqual({ kind: 'imap', ...expected, secret });
    expect('caFile' in spec).toBe(false);
  });

  // BUG (minor, src/config/account-url.ts:37): imap(s) are not WHATWG "special" schemes, so the
  // URL parser keeps the host's case; "MAIL.Example.COM" and "mail.example.com" then give two
  // different accountLabel()s and so two pairIdOf()s, i.e. separate checkpoints for one account.
  it('lower-cases the host name (DNS names are case-insensitive)', () => {
    expect(parseAccountUrl('imaps://alice@MAIL.Example.COM', 'source', secret)).toMatchObject({ host: 'mail.example.com' });
  });

  it.each<[string, string, Omit<Pop3AccountSpec, 'kind' | 'secret'>]>([
    ['pop3s with the default port 995', 'pop3s://alice@mail.example.com',
      { host: 'mail.example.com', port: 995, user: 'alice', tls: 'implicit', auth: 'auto' }],
    ['pop3 with the default port 110 requires STLS', 'pop3://bob@old.example.com',
      { host: 'old.example.com', port: 110, user: 'bob', tls: 'starttls', auth: 'auto' }],
    ['pop3 with ?tls=off and APOP', 'pop3://bob@127.0.0.1:1110?tls=off&auth=apop',
      { host: '127.0.0.1', port: 1110, user: 'bob', tls: 'off', auth: 'apop' }],
  ])('%s: %s', (_name, text, expected) => {
    expect(parseAccountUrl(text, 'source', secret)).toEqual({ kind: 'pop3', ...expected, secret });
  });

  it.each<[string, string, Omit<EwsAccountSpec, 'kind' | 'secret'>]>([
    ['ews over HTTPS with NTLM by default', 'ews://alice@mail.example.com/EWS/Exchange.asmx',
      { host: 'mail.example.com', port: 443, user: 'alice', tls: 'implicit', path: '/EWS/Exchange.asmx', auth: 'ntlm' }],
    ['ews without a path gets the standard one', 'ews://CONTOSO%5Calice@mail.example.com:8443',
      { host: 'mail.example.com', port: 8443, user: 'CONTOSO\\alice', tls: 'implicit', path: '/EWS/Exchange.asmx', auth: 'ntlm' }],
    ['ews plain HTTP for a test server, basic auth, impersonation', 'ews://svc@127.0.0.1/EWS/Exchange.asmx?tls=off&auth=basic&impersonate=bob%40example.com',
      { host: '127.0.0.1', port: 80, user: 'svc', tls: 'off', path: '/EWS/Exchange.asmx', auth: 'basic', impersonate: 'bob@example.com' }],
  ])('%s: %s', (_name, text, expected) => {
    expect(parseAccountUrl(text, 'source', secret)).toEqual({ kind: 'ews', ...expected, secret });
  });

  it.each([
    ['maildir:///var/backups/alice', '/var/backups/alice'],
    ['maildir:///var/backups/alice/', '/var/backups/alice'],
    ['maildir:///srv/B%C3%BCro%20mail', '/srv/Büro mail'],
  ])('a Maildir directory: %s', (text, path) => {
    expect(parseAccountUrl(text, 'target', secret)).toEqual({ kind: 'maildir', path });
  });

  it('passes caFile through', () => {
    const spec = parseAccountUrl('imaps://alice@mail.example.com', 'target', { file: '/run/secrets/pw' }, '/etc/ssl/private-ca.pem');
    expect(spec).toEqual({
      kind: 'imap', host: 'mail.example.com', port: 993, user: 'alice', tls: 'implicit',
      secret: { file: '/run/secrets/pw' }, caFile: '/etc/ssl/private-ca.pem',
    });
  });
});

describe('parseAccountUrl: refused forms', () => {
  it.each<[string, string, RegExp]>([
    ['password in the URL', 'imaps://alice:hunter2@mail.example.com',
      /^source: do not put the password in the URL \(it shows in "ps"\)/],
    ['password without a user', 'imaps://:hunter2@mail.example.com',
      /do not put the password in the URL/],
    ['unknown scheme', 'pop://alice@mail.example.com',
      /^source: unsupported scheme "pop:"; use imaps:\/\/ or pop3s:\/\/ \(TLS\), imap:\/\/ or pop3:\/\/ \(STARTTLS\), ews:\/\/ \(Exchange\), graph:\/\/ \(Microsoft 365 through Graph\) or maildir:\/\/\/ \(a local directory\)$/],
    ['ews impersonate without an address', 'ews://svc@mail.example.com?impersonate=alice', /\?impersonate= takes the SMTP address/],
    ['ews auth that does not exist', 'ews://svc@mail.example.com?auth=kerberos', /^source: \?auth= accepts ntlm, basic, oauth, bearer$/],
    ['pop3s with tls=off', 'pop3s://alice@mail.example.com?tls=off',
      /^source: pop3s:\/\/ is TLS by definition; use pop3:\/\/\.\.\.\?tls=off for plaintext$/],
    ['pop3 auth that does not exist', 'pop3://alice@mail.example.com?auth=cram', /^source: \?auth= accepts auto, user, apop, oauth, oauth-refresh$/],
    ['http scheme', 'https://alice@mail.example.com',
      /unsupported scheme "https:"/],
    ['imaps with tls=off', 'imaps://alice@mail.example.com?tls=off',
      /^source: imaps:\/\/ is TLS by definition; use imap:\/\/\.\.\.\?tls=off for plaintext$/],
    ['tls= with a value other than off', 'imap://alice@mail.example.com?tls=on',
      /^source: \?tls= accepts only "off" \(plaintext\)$/],
    ['a path', 'imaps://alice@mail.example.com/INBOX', /unexpected path or #fragment/],
    ['a fragment', 'imaps://alice@mail.example.com#x', /unexpected path or #fragment/],
    ['tls= twice', 'imap://alice@mail.example.com?tls=off&tls=off', /\?tls= given more than once/],
    ['unknown parameter', 'imap://alice@mail.example.com?timeout=5',
      /^source: unknown URL parameter "timeout" \(known: tls, auth, tenant, client, authority, token-url, scope\)$/],
    ['imap auth that does not exist', 'imap://alice@mail.example.com?auth=plain', /^source: \?auth= accepts password, oauth, oauth-refresh$/],
    ['unknown parameter next to tls=off', 'imap://alice@mail.example.com?tls=off&timeout=5',
      /unknown URL parameter "timeout"/],
    ['missing user', 'imaps://mail.example.com',
      /^source: the URL needs a user name, e.g\. imaps:\/\/alice@mail\.example\.com$/],
    ['empty user before @', 'imap://@mail.example.com',
      /^source: the URL needs a user name, e\.g\. imap:\/\/alice@mail\.example\.com$/],
    ['missing user and host', 'imaps:///INBOX',
      /^source: the URL needs a user name, e\.g\. imaps:\/\/alice@mail\.example\.com$/],
    ['missing host after the user', 'imaps://alice@',
      /^source: "imaps:\/\/alice@" is not a URL; expected imaps:\/\/USER@HOST\[:PORT\], imap:\/\/USER@HOST\[:PORT\], pop3s:\/\/USER@HOST\[:PORT\], pop3:\/\/USER@HOST\[:PORT\], ews:\/\/USER@HOST\[:PORT\]\/EWS\/Exchange\.asmx, graph:\/\/USER@DOMAIN\?tenant=\.\.\.&client=\.\.\. or maildir:\/\/\/PATH$/],
    ['maildir with a host', 'maildir://backup/var/mail', /should be maildir:\/\/\/ABSOLUTE\/PATH/],
    ['maildir without a path', 'maildir:///', /needs an absolute directory path/],
    ['not a URL at all', 'alice@mail.example.com',
      /^source: "alice@mail\.example\.com" is not a URL/],
    ['empty string', '', /^source: "" is not a URL/],
    ['port out of range', 'imaps://alice@mail.example.com:70000', /is not a URL/],
  ])('%s: %s', (_name, text, message) => {
    let thrown: unknown;
    try {
      parseAccountUrl(text, 'source', secret);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).code).toBe('CONFIG');
    expect((thrown as Error).message).toMatch(message);
  });

  it('never echoes the password in its message', () => {
    expect(() => parseAccountUrl('imaps://alice:s3cret-pw@mail.example.com', 'source', secret))
      .toThrow(expect.objectContaining({ message: expect.not.stringContaining('s3cret-pw') }));
  });

  // BUG (src/config/account-url.ts:20): `scheme in DEFAULT_PORTS` also sees Object.prototype,
  // so "constructor://" is accepted as an account (port becomes the Object function, tls starttls).
  it('refuses the scheme "constructor:" (inherited object key)', () => {
    expect(() => parseAccountUrl('constructor://alice@mail.example.com', 'source', secret)).toThrow(ConfigError);
  });

  // BUG (src/config/account-url.ts:26): decodeURIComponent throws a bare URIError ("URI malformed")
  // on a stray "%" in the user name instead of a ConfigError naming the URL.
  it('reports a malformed percent-escape in the user name as a ConfigError', () => {
    expect(() => parseAccountUrl('imaps://al%ZZice@mail.example.com', 'source', secret)).toThrow(ConfigError);
  });
});

describe('parseAccountUrl: EWS with OAuth client credentials', () => {
  const TENANT = '7f1c6b1e-2a63-4a35-9d4c-2d9c2b0f0a11';
  const CLIENT = '3d2a9f0e-5b7c-4e1a-8c6d-0f1e2d3c4b5a';
  const base = `ews://app@outlook.office365.com/EWS/Exchange.asmx?auth=oauth&tenant=${TENANT}&client=${CLIENT}&impersonate=alice@contoso.com`;
  const exchangeOnline = { host: 'outlook.office365.com', port: 443, user: 'app', tls: 'implicit', path: '/EWS/Exchange.asmx', auth: 'oauth', impersonate: 'alice@contoso.com' } as const;

  it.each<[string, string, Omit<EwsAccountSpec, 'kind' | 'secret'>]>([
    ['the public cloud authority by default', base,
      { ...exchangeOnline, oauth: { tenant: TENANT, clientId: CLIENT, authority: 'https://login.microsoftonline.com' } }],
    ['a sovereign cloud authority, reduced to its origin', `${base}&authority=https://login.microsoftonline.us/`,
      { ...exchangeOnline, oauth: { tenant: TENANT, clientId: CLIENT, authority: 'https://login.microsoftonline.us' } }],
    ['an authority with a port (a test authority)', `${base}&authority=${encodeURIComponent('https://127.0.0.1:8443')}`,
      { ...exchangeOnline, oauth: { tenant: TENANT, clientId: CLIENT, authority: 'https://127.0.0.1:8443' } }],
    ['a tenant domain and upper-case GUIDs, in lower case', base.replace(TENANT, 'Contoso.onMicrosoft.com').replace(CLIENT, CLIENT.toUpperCase()),
      { ...exchangeOnline, oauth: { tenant: 'contoso.onmicrosoft.com', clientId: CLIENT, authority: 'https://login.microsoftonline.com' } }],
    ['a pre-obtained token (bearer), with no app', 'ews://alice@outlook.office365.com/EWS/Exchange.asmx?auth=bearer',
      { host: 'outlook.office365.com', port: 443, user: 'alice', tls: 'implicit', path: '/EWS/Exchange.asmx', auth: 'bearer' }],
  ])('%s', (_name, text, expected) => {
    expect(parseAccountUrl(text, 'source', secret)).toEqual({ kind: 'ews', ...expected, secret });
  });

  it('keeps the CA file, which the authority is checked against too', () => {
    expect(parseAccountUrl(base, 'source', secret, '/etc/ssl/ca.pem')).toMatchObject({ caFile: '/etc/ssl/ca.pem', oauth: { tenant: TENANT } });
  });

  it.each<[string, string, RegExp]>([
    ['no tenant', base.replace(`&tenant=${TENANT}`, ''),
      /^source: \?auth=oauth needs &tenant=TENANT_ID, the directory \(tenant\) id of the Entra app$/],
    ['an empty tenant', base.replace(`tenant=${TENANT}`, 'tenant='), /\?auth=oauth needs &tenant=TENANT_ID/],
    ['no client', base.replace(`&client=${CLIENT}`, ''),
      /^source: \?auth=oauth needs &client=CLIENT_ID, the application \(client\) id of the Entra app$/],
    ['neither: the tenant is named first', base.replace(`&tenant=${TENANT}&client=${CLIENT}`, ''), /needs &tenant=TENANT_ID/],
    ['a multi-tenant alias', base.replace(TENANT, 'common'), /^source: \?tenant=common names no tenant; app-only tokens need the directory \(tenant\) id or its domain$/],
    ['organizations', base.replace(TENANT, 'organizations'), /names no tenant/],
    ['a tenant that is neither a GUID nor a domain', base.replace(TENANT, 'my tenant'), /\?tenant= takes the directory \(tenant\) id, a GUID, or a domain/],
    ['a client id that is not a GUID', base.replace(CLIENT, 'mailferry-app'), /\?client= takes the application \(client\) id, a GUID/],
    ['no impersonation (an app has no mailbox)', base.replace('&impersonate=alice@contoso.com', ''),
      /\?auth=oauth gets app-only tokens, which act on a mailbox only through &impersonate=ADDRESS/],
    ['a plaintext authority', `${base}&authority=http://login.microsoftonline.com`, /\?authority= must be https:\/\//],
    ['an authority with a path (the tenant is added)', `${base}&authority=https://login.microsoftonline.com/${TENANT}`, /\?authority= takes the origin only/],
    ['an authority that is not a URL', `${base}&authority=login.microsoftonline.com`, /\?authority= "login\.microsoftonline\.com" is not a URL/],
    ['tenant with another auth', `ews://svc@mail.example.com?auth=basic&tenant=${TENANT}`,
      /^source: \?tenant= belongs to \?auth=oauth \(OAuth client credentials\), not to \?auth=basic$/],
    ['client with the default auth (ntlm)', `ews://svc@mail.example.com?client=${CLIENT}`, /\?client= belongs to \?auth=oauth/],
    ['authority with bearer', 'ews://svc@mail.example.com?auth=bearer&authority=https://login.microsoftonline.us', /\?authority= belongs to \?auth=oauth/],
    ['tenant on an IMAP URL without OAuth', `imaps://alice@mail.example.com?tenant=${TENANT}`, /^source: \?tenant= belongs to \?auth=oauth or \?auth=oauth-refresh/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseAccountUrl(text, 'source', secret)).toThrow(ConfigError);
    expect(() => parseAccountUrl(text, 'source', secret)).toThrow(message);
  });
});
