/** The bearer transport under ews-javascript-api: which 401s earn one retry with a replaced token. */
import type { IXHRApi, IXHROptions } from 'ews-javascript-api';
import { describe, expect, it } from 'vitest';
import { BearerXhrApi, isTokenRejected } from '../../../src/connectors/ews/bearer-xhr.js';
import type { BearerTokenSource } from '../../../src/connectors/ews/oauth-token.js';

const EXO = 'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", token_types="app_asserted_user_v1 service_asserted_app_v1"';

describe('isTokenRejected', () => {
  it.each<[string, unknown, boolean]>([
    ['401 with error="invalid_token"', { status: 401, headers: { 'www-authenticate': `${EXO}, error="invalid_token"` } }, true],
    ['401 whose x-ms-diagnostics says expired', { status: 401, headers: { 'X-MS-Diagnostics': '2000003;reason="The token has expired.";error_category="invalid_token"' } }, true],
    ['401 with a bare Bearer challenge (no token problem named)', { status: 401, headers: { 'www-authenticate': EXO } }, false],
    ['401 without headers', { status: 401 }, false],
    ['403 with invalid_token', { status: 403, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }, false],
    ['a socket error', { code: 'ECONNRESET', message: 'socket hang up' }, false],
    ['not an object', 'boom', false],
  ])('%s: %s', (_name, failure, expected) => {
    expect(isTokenRejected(failure)).toBe(expected);
  });
});

/** A token source handing out "t1", then "t2", ... on each refresh. */
function tokenSource(): BearerTokenSource & { refreshes: string[] } {
  let current = 't1';
  const refreshes: string[] = [];
  return {
    refreshes,
    token: async () => current,
    refresh: async (stale) => {
      refreshes.push(stale);
      current = `t${Number(current.slice(1)) + 1}`;
      return current;
    },
  };
}

/** An inner transport answering each request from `answers` in turn (an Error-like object is thrown). */
function inner(answers: unknown[]): IXHRApi & { sent: IXHROptions[] } {
  const sent: IXHROptions[] = [];
  return {
    sent,
    apiName: 'fake',
    xhr: async (options: IXHROptions) => {
      sent.push(options);
      const answer = answers.shift();
      if (typeof answer === 'object' && answer !== null && 'status' in answer && (answer as { status: number }).status !== 200) throw answer;
      return answer as XMLHttpRequest;
    },
    xhrStream: async () => null as unknown as XMLHttpRequest,
    disconnect: () => undefined,
  };
}

const expired = { status: 401, headers: { 'www-authenticate': `${EXO}, error="invalid_token"` } };
const request: IXHROptions = { type: 'POST', url: 'https://ex.example/EWS/Exchange.asmx', headers: { 'Content-Type': 'text/xml' }, data: '<soap/>' };

describe('BearerXhrApi', () => {
  it('adds the token on a copy of the headers', async () => {
    const wire = inner([{ status: 200 }]);
    await new BearerXhrApi(wire, tokenSource()).xhr(request);
    expect(wire.sent[0]?.headers).toEqual({ 'Content-Type': 'text/xml', Authorization: 'Bearer t1' });
    expect(request.headers).toEqual({ 'Content-Type': 'text/xml' });
  });

  it('an expired token: one refresh of that token and one retry with the new one', async () => {
    const wire = inner([expired, { status: 200 }]);
    const tokens = tokenSource();
    await new BearerXhrApi(wire, tokens).xhr(request);
    expect(tokens.refreshes).toEqual(['t1']);
    expect(wire.sent.map((o) => o.headers?.['Authorization'])).toEqual(['Bearer t1', 'Bearer t2']);
    expect(wire.sent[1]?.data).toBe('<soap/>');
  });

  it('refused again after the refresh: the second 401 goes up as it is, no third try', async () => {
    const wire = inner([expired, expired, { status: 200 }]);
    const tokens = tokenSource();
    await expect(new BearerXhrApi(wire, tokens).xhr(request)).rejects.toBe(expired);
    expect(wire.sent).toHaveLength(2);
    expect(tokens.refreshes).toEqual(['t1']);
  });

  it('a 401 that does not blame the token, or a 500, is not retried', async () => {
    for (const failure of [{ status: 401, headers: { 'www-authenticate': EXO } }, { status: 500 }]) {
      const wire = inner([failure, { status: 200 }]);
      const tokens = tokenSource();
      await expect(new BearerXhrApi(wire, tokens).xhr(request)).rejects.toBe(failure);
      expect(wire.sent).toHaveLength(1);
      expect(tokens.refreshes).toEqual([]);
    }
  });
});
