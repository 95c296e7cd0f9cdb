/** withRefreshToken: a rotated refresh token written into the secret's text, format kept. */
import { describe, expect, it } from 'vitest';
import { parseRefreshSecret, withRefreshToken } from '../../../src/connectors/oauth/refresh-secret.js';

describe('withRefreshToken', () => {
  it('a bare token stays bare, with its surrounding white space (trailing newline, CRLF)', () => {
    expect(withRefreshToken('rt.old\n', 'rt.new')).toBe('rt.new\n');
    expect(withRefreshToken('rt.old', 'rt.new')).toBe('rt.new');
    expect(withRefreshToken('  1//0g-old\r\n', '1//0g-new')).toBe('  1//0g-new\r\n');
  });

  it('JSON keeps client_secret, the key order, spacing, indentation and trailing newline', () => {
    expect(withRefreshToken('{"client_secret": "s3", "refresh_token": "old"}\n', 'new')).toBe('{"client_secret": "s3", "refresh_token": "new"}\n');
    expect(withRefreshToken('{"refresh_token":"old","client_secret":"s3"}', 'new')).toBe('{"refresh_token":"new","client_secret":"s3"}');
    const pretty = '{\n    "refresh_token": "old",\n    "client_secret": "s3"\n}\n';
    expect(withRefreshToken(pretty, 'new')).toBe('{\n    "refresh_token": "new",\n    "client_secret": "s3"\n}\n');
    expect(withRefreshToken('{"refresh_token": "old"}', 'new')).toBe('{"refresh_token": "new"}');
  });

  it('escapes the new token for JSON, and a client secret that looks like a key is left alone', () => {
    const tricky = '{"client_secret": "x\\"refresh_token\\": \\"y", "refresh_token": "old\\u002f"}';
    const rewritten = withRefreshToken(tricky, 'new"$&/');
    expect(parseRefreshSecret(rewritten)).toEqual({ clientSecret: 'x"refresh_token": "y', refreshToken: 'new"$&/' });
    expect(rewritten.startsWith('{"client_secret": "x\\"refresh_token\\": \\"y", "refresh_token": ')).toBe(true);
  });

  it('a text it cannot edit in place (duplicate key) is written anew: the key order and indentation kept', () => {
    const duplicate = '{\n  "refresh_token": "first",\n  "client_secret": "s3",\n  "refresh_token": "old"\n}';
    const rewritten = withRefreshToken(duplicate, 'new');
    expect(rewritten).toBe('{\n  "refresh_token": "new",\n  "client_secret": "s3"\n}');
  });

  it('refuses a text that is no refresh secret, and a new token with white space, without quoting either', () => {
    expect(() => withRefreshToken('{"refresh_token": "topsecret"', 'new')).toThrow(/does not parse/);
    expect(() => withRefreshToken('{"client_secret": "topsecret"}', 'new')).toThrow(/no "refresh_token"/);
    expect(() => withRefreshToken('two words', 'new')).toThrow(/one word/);
    expect(() => withRefreshToken('rt.old', 'new token')).toThrow(/white space/);
    try {
      withRefreshToken('{"client_secret": "topsecret"}', 'newsecret');
    } catch (error) {
      expect((error as Error).message).not.toMatch(/topsecret|newsecret/);
    }
  });
});
