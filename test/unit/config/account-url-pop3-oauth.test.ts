/** POP3 account URLs with OAuth 2.0 (SASL XOAUTH2): ?auth=oauth and ?auth=oauth-refresh, parsed as for IMAP. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { parseAccountUrl } from '../../../src/config/account-url.js';

const secret = { env: 'MAILFERRY_SOURCE_PASSWORD' } as const;
const TENANT = '5e0c1d2b-8f3a-4c6e-9b1d-7a2f3e4d5c6b';
const CLIENT = '11111111-2222-3333-4444-555555555555';

describe('parseAccountUrl: POP3 with OAuth', () => {
  it('client credentials: auth xoauth2 with tenant, client and the default authority', () => {
    expect(parseAccountUrl(`pop3s://alice%40contoso.com@outlook.office365.com?auth=oauth&tenant=${TENANT}&client=${CLIENT}`, 'source', secret)).toEqual({
      kind: 'pop3', host: 'outlook.office365.com', port: 995, user: 'alice@contoso.com', tls: 'implicit', secret, auth: 'xoauth2',
      oauth: { flow: 'client-credentials', tenant: TENANT, clientId: CLIENT, authority: 'https://login.microsoftonline.com' },
    });
  });

  it('client credentials with authority and scope, over STLS and plaintext', () => {
    expect(parseAccountUrl(`pop3://a@pop.example.com?auth=oauth&tenant=contoso.onmicrosoft.com&client=${CLIENT}&authority=https://login.microsoftonline.us&scope=https://outlook.office365.com/.default`, 'source', secret)).toEqual({
      kind: 'pop3', host: 'pop.example.com', port: 110, user: 'a', tls: 'starttls', secret, auth: 'xoauth2',
      oauth: { flow: 'client-credentials', tenant: 'contoso.onmicrosoft.com', clientId: CLIENT, authority: 'https://login.microsoftonline.us', scope: 'https://outlook.office365.com/.default' },
    });
    expect(parseAccountUrl(`pop3://a@127.0.0.1:1110?tls=off&auth=oauth&tenant=${TENANT}&client=${CLIENT}`, 'source', secret, '/etc/ca.pem')).toMatchObject({
      tls: 'off', port: 1110, auth: 'xoauth2', caFile: '/etc/ca.pem', oauth: { flow: 'client-credentials' },
    });
  });

  it('refresh token: Google token URL for pop.gmail.com, Microsoft for outlook.office365.com, or the given token-url', () => {
    expect(parseAccountUrl('pop3s://me%40gmail.com@pop.gmail.com?auth=oauth-refresh&client=123-abc.apps.googleusercontent.com', 'source', secret)).toEqual({
      kind: 'pop3', host: 'pop.gmail.com', port: 995, user: 'me@gmail.com', tls: 'implicit', secret, auth: 'xoauth2',
      oauth: { flow: 'refresh-token', clientId: '123-abc.apps.googleusercontent.com', tokenUrl: 'https://oauth2.googleapis.com/token' },
    });
    expect(parseAccountUrl(`pop3s://a%40contoso.com@outlook.office365.com?auth=oauth-refresh&client=${CLIENT}&tenant=${TENANT}`, 'source', secret)).toMatchObject({
      auth: 'xoauth2', oauth: { tokenUrl: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token` },
    });
    expect(parseAccountUrl(`pop3s://a@pop.example.com?auth=oauth-refresh&client=x&token-url=${encodeURIComponent('https://idp.example.com/token')}&scope=mail%20offline_access`, 'source', secret)).toMatchObject({
      auth: 'xoauth2', oauth: { flow: 'refresh-token', clientId: 'x', tokenUrl: 'https://idp.example.com/token', scope: 'mail offline_access' },
    });
  });

  it('keeps ?auth=user|apop and the default auto, without oauth', () => {
    expect(parseAccountUrl('pop3s://a@pop.example.com', 'source', secret)).toEqual({
      kind: 'pop3', host: 'pop.example.com', port: 995, user: 'a', tls: 'implicit', secret, auth: 'auto',
    });
    expect(parseAccountUrl('pop3s://a@pop.example.com?auth=user', 'source', secret)).toMatchObject({ auth: 'user' });
    expect(parseAccountUrl('pop3://a@pop.example.com?tls=off&auth=apop', 'source', secret)).toMatchObject({ auth: 'apop' });
    expect(parseAccountUrl('pop3://a@pop.example.com?tls=off&auth=apop', 'source', secret)).not.toHaveProperty('oauth');
  });

  it.each<[string, string, RegExp]>([
    ['an unknown auth', 'pop3s://a@pop.example.com?auth=password', /\?auth= accepts auto, user, apop, oauth, oauth-refresh/],
    ['the mechanism name as auth', 'pop3s://a@pop.example.com?auth=xoauth2', /\?auth= accepts auto, user, apop, oauth, oauth-refresh/],
    ['no tenant', `pop3s://a@outlook.office365.com?auth=oauth&client=${CLIENT}`, /\?auth=oauth needs &tenant=TENANT_ID/],
    ['no client', `pop3s://a@outlook.office365.com?auth=oauth&tenant=${TENANT}`, /\?auth=oauth needs &client=CLIENT_ID/],
    ['a tenant naming none', `pop3s://a@outlook.office365.com?auth=oauth&tenant=common&client=${CLIENT}`, /names no tenant/],
    ['token-url with client credentials', `pop3s://a@h.example.com?auth=oauth&tenant=${TENANT}&client=${CLIENT}&token-url=https://x.example.com/t`, /\?token-url= belongs to \?auth=oauth-refresh/],
    ['no client for the refresh token', 'pop3s://a@pop.gmail.com?auth=oauth-refresh', /\?auth=oauth-refresh needs &client=CLIENT_ID/],
    ['an unknown host without token-url', 'pop3s://a@pop.example.com?auth=oauth-refresh&client=x', /needs &token-url=https:\/\//],
    ['a plaintext token URL', 'pop3s://a@pop.example.com?auth=oauth-refresh&client=x&token-url=http://idp.example.com/token', /must be https:\/\//],
    ['token-url and tenant', `pop3s://a@pop.example.com?auth=oauth-refresh&client=x&tenant=${TENANT}&token-url=https://idp.example.com/token`, /either &token-url= or &tenant=/],
    ['a blank scope', `pop3s://a@pop.example.com?auth=oauth&tenant=${TENANT}&client=${CLIENT}&scope=%20`, /\?scope= takes space-separated scopes/],
    ['client with USER/PASS', `pop3s://a@pop.example.com?auth=user&client=${CLIENT}`, /\?client= belongs to \?auth=oauth or \?auth=oauth-refresh \(POP3 with OAuth 2\.0\)/],
    ['tenant with the default auth', `pop3s://a@pop.example.com?tenant=${TENANT}`, /\?tenant= belongs to \?auth=oauth or \?auth=oauth-refresh \(POP3/],
    ['an EWS-only parameter', `pop3s://a@pop.example.com?auth=oauth&tenant=${TENANT}&client=${CLIENT}&impersonate=b@example.com`, /unknown URL parameter "impersonate"/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseAccountUrl(text, 'source', secret)).toThrow(ConfigError);
    expect(() => parseAccountUrl(text, 'source', secret)).toThrow(message);
  });

  it('IMAP keeps its own wording for stray OAuth parameters', () => {
    expect(() => parseAccountUrl(`imaps://a@mail.example.com?client=${CLIENT}`, 'source', secret)).toThrow(/\(IMAP with OAuth 2\.0\)/);
  });
});
