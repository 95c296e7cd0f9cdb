/** IMAP account URLs with OAuth 2.0: ?auth=oauth (client credentials) and ?auth=oauth-refresh. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { parseAccountUrl } from '../../../src/config/account-url.js';
import { parseRefreshSecret } from '../../../src/connectors/oauth/index.js';

const secret = { env: 'MAILFERRY_SOURCE_PASSWORD' } as const;
const TENANT = '5e0c1d2b-8f3a-4c6e-9b1d-7a2f3e4d5c6b';
const CLIENT = '11111111-2222-3333-4444-555555555555';

describe('parseAccountUrl: IMAP with OAuth', () => {
  it('client credentials: tenant, client, default authority', () => {
    expect(parseAccountUrl(`imaps://alice%40contoso.com@outlook.office365.com?auth=oauth&tenant=${TENANT}&client=${CLIENT}`, 'source', secret)).toEqual({
      kind: 'imap', host: 'outlook.office365.com', port: 993, user: 'alice@contoso.com', tls: 'implicit', secret,
      oauth: { flow: 'client-credentials', tenant: TENANT, clientId: CLIENT, authority: 'https://login.microsoftonline.com' },
    });
  });

  it('refresh token: Google token URL by default for gmail hosts, Microsoft for outlook.office365.com', () => {
    expect(parseAccountUrl('imaps://me%40gmail.com@imap.gmail.com?auth=oauth-refresh&client=123-abc.apps.googleusercontent.com', 'source', secret)).toMatchObject({
      oauth: { flow: 'refresh-token', clientId: '123-abc.apps.googleusercontent.com', tokenUrl: 'https://oauth2.googleapis.com/token' },
    });
    expect(parseAccountUrl(`imaps://a%40contoso.com@outlook.office365.com?auth=oauth-refresh&client=${CLIENT}`, 'source', secret)).toMatchObject({
      oauth: { tokenUrl: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token' },
    });
    expect(parseAccountUrl(`imaps://a%40contoso.com@outlook.office365.com?auth=oauth-refresh&client=${CLIENT}&tenant=${TENANT}&scope=https://outlook.office.com/IMAP.AccessAsUser.All%20offline_access`, 'source', secret)).toMatchObject({
      oauth: { tokenUrl: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`, scope: 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access' },
    });
    expect(parseAccountUrl(`imap://a@mail.example.com?auth=oauth-refresh&client=x&token-url=${encodeURIComponent('https://idp.example.com/token')}`, 'source', secret)).toMatchObject({
      oauth: { tokenUrl: 'https://idp.example.com/token' },
    });
  });

  it.each<[string, string, RegExp]>([
    ['no tenant', `imaps://a@outlook.office365.com?auth=oauth&client=${CLIENT}`, /\?auth=oauth needs &tenant=TENANT_ID/],
    ['token-url with client credentials', `imaps://a@h.example.com?auth=oauth&tenant=${TENANT}&client=${CLIENT}&token-url=https://x.example.com/t`, /\?token-url= belongs to \?auth=oauth-refresh/],
    ['no client', 'imaps://a@imap.gmail.com?auth=oauth-refresh', /\?auth=oauth-refresh needs &client=CLIENT_ID/],
    ['an unknown host without token-url', 'imaps://a@mail.example.com?auth=oauth-refresh&client=x', /needs &token-url=https:\/\//],
    ['a plaintext token URL', 'imaps://a@mail.example.com?auth=oauth-refresh&client=x&token-url=http://idp.example.com/token', /must be https:\/\//],
    ['client without OAuth', `imaps://a@mail.example.com?client=${CLIENT}`, /\?client= belongs to \?auth=oauth or \?auth=oauth-refresh/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseAccountUrl(text, 'source', secret)).toThrow(ConfigError);
    expect(() => parseAccountUrl(text, 'source', secret)).toThrow(message);
  });
});

describe('parseRefreshSecret', () => {
  it('takes JSON with client_secret, or the bare refresh token', () => {
    expect(parseRefreshSecret('{"client_secret": "s3", "refresh_token": "rt"}\n')).toEqual({ clientSecret: 's3', refreshToken: 'rt' });
    expect(parseRefreshSecret('1//0gabc-def\n')).toEqual({ refreshToken: '1//0gabc-def' });
  });

  it('refuses broken JSON and missing tokens without quoting the secret', () => {
    expect(() => parseRefreshSecret('{"refresh_token": "topsecret"')).toThrow(/does not parse/);
    expect(() => parseRefreshSecret('{"client_secret": "topsecret"}')).toThrow(/no "refresh_token"/);
    expect(() => parseRefreshSecret('{"refresh_token": "x", "client_id": "y"}')).toThrow(/unknown keys \(client_id\)/);
    try { parseRefreshSecret('{"refresh_token": "topsecret"'); } catch (error) { expect((error as Error).message).not.toContain('topsecret'); }
  });
});
