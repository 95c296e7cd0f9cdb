/**
 * parseCapa (pop3-capabilities.ts): what a CAPA answer (RFC 2449) tells the session: the
 * capabilities listed, by first word, and LOGIN-DELAY, which says how long the server wants
 * between two logins (Cyrus on Debian: one POP3 login a minute) so waits can be planned.
 */
import { describe, expect, it } from 'vitest';
import { parseCapa } from '../../../src/connectors/pop3/pop3-capabilities.js';

const capa = (...lines: string[]) => Buffer.from(lines.map((line) => `${line}\r\n`).join(''), 'latin1');

describe('parseCapa', () => {
  it('LOGIN-DELAY 60: loginDelaySeconds 60', () => {
    expect(parseCapa(capa('TOP', 'UIDL', 'LOGIN-DELAY 60', 'PIPELINING')).loginDelaySeconds).toBe(60);
  });

  it('LOGIN-DELAY with the USER argument (RFC 2449 6.8, after login) still gives the seconds', () => {
    expect(parseCapa(capa('LOGIN-DELAY 900 USER')).loginDelaySeconds).toBe(900);
  });

  it('the capability name in any case', () => {
    expect(parseCapa(capa('login-delay 30')).loginDelaySeconds).toBe(30);
  });

  it('no LOGIN-DELAY line: undefined, and the key is absent', () => {
    const parsed = parseCapa(capa('TOP', 'UIDL'));
    expect(parsed.loginDelaySeconds).toBeUndefined();
    expect('loginDelaySeconds' in parsed).toBe(false);
  });

  it.each(['LOGIN-DELAY soon', 'LOGIN-DELAY', 'LOGIN-DELAY 0', 'LOGIN-DELAY -5', 'LOGIN-DELAY 60abc'])('%j: undefined', (line) => {
    expect(parseCapa(capa('TOP', line)).loginDelaySeconds).toBeUndefined();
  });

  it("'UTF8 USER' is listed as UTF8", () => {
    const parsed = parseCapa(capa('UTF8 USER', 'UIDL'));
    expect(parsed.listed.has('UTF8')).toBe(true);
    expect(parsed.listed.has('UTF8 USER')).toBe(false);
    expect(parsed.listed.has('USER')).toBe(false);
  });

  it('lists first words upper-cased, with LF-only lines and stray blanks', () => {
    const parsed = parseCapa(Buffer.from('  stls\nSasl plain login\n\nuidl  \n', 'latin1'));
    expect([...parsed.listed].sort()).toEqual(['SASL', 'STLS', 'UIDL']);
    expect([...parsed.saslMechanisms].sort()).toEqual(['LOGIN', 'PLAIN']);
  });

  it('no SASL line: no mechanisms', () => {
    expect(parseCapa(capa('USER', 'TOP')).saslMechanisms.size).toBe(0);
  });
});
