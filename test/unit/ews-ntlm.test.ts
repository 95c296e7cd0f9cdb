import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { buildChallenge, FLAG, messageType, ntowfv2, parseAuthenticate, parseNegotiate, verifyNtlmV2 } from '../support/ews/ntlm.js';

/** @ewsjs/ntlm-client: what ews-javascript-api's XhrApi.useNtlmAuthentication uses (CommonJS, untyped). */
interface NtlmClient {
  createType1Message(workstation: string, domain: string): string;
  decodeType2Message(header: string): unknown;
  createType3Message(type2: unknown, user: string, password: string, workstation: string, domain: string): string;
}
const client = createRequire(import.meta.url)('@ewsjs/ntlm-client') as NtlmClient;
const token = (header: string) => Buffer.from(header.replace(/^NTLM /, ''), 'base64');

describe('NTLM (test EWS server)', () => {
  it('computes NTOWFv2 and NTProofStr like [MS-NLMP] 4.2.4', () => {
    const key = ntowfv2('Password', 'User', 'Domain');
    expect(key.toString('hex')).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
    const avPairs = Buffer.from('02000c0044006f006d00610069006e0001000c005300650072007600650072000000' + '0000', 'hex');
    const temp = Buffer.concat([Buffer.from('0101000000000000', 'hex'), Buffer.alloc(8), Buffer.alloc(8, 0xaa), Buffer.alloc(4), avPairs, Buffer.alloc(4)]);
    const proof = Buffer.from('68cd0ab851e51c96aabc927bebef6a1c', 'hex');
    const challenge = Buffer.from('0123456789abcdef', 'hex');
    expect(verifyNtlmV2(Buffer.concat([proof, temp]), key, challenge)).toBe(true);
    expect(verifyNtlmV2(Buffer.concat([proof, temp]), key, Buffer.from('0123456789abcdee', 'hex'))).toBe(false);
  });

  it('completes a handshake with @ewsjs/ntlm-client and rejects a wrong password', () => {
    const type1 = token(client.createType1Message('.', ''));
    expect(messageType(type1)).toBe(1);
    const negotiate = parseNegotiate(type1);
    // The client offers OEM strings only, so the challenge answers in OEM.
    expect(negotiate.flags & FLAG.unicode).toBe(0);
    const challenge = buildChallenge(negotiate.flags, Buffer.from('1122334455667788', 'hex'));
    expect(challenge.unicode).toBe(false);
    const type2 = client.decodeType2Message(`NTLM ${challenge.token.toString('base64')}`) as { version: number; targetName: string };
    expect(type2).toMatchObject({ version: 2, targetName: 'MAILFERRY' });

    const type3 = token(client.createType3Message(type2, 'alice@example.com', 's3cret', '.', ''));
    const message = parseAuthenticate(type3, challenge.unicode);
    expect(message).toMatchObject({ user: 'alice@example.com', domain: '', workstation: '.' });
    expect(verifyNtlmV2(message!.ntResponse, ntowfv2('s3cret', message!.user, message!.domain), challenge.serverChallenge)).toBe(true);
    expect(verifyNtlmV2(message!.ntResponse, ntowfv2('other', message!.user, message!.domain), challenge.serverChallenge)).toBe(false);

    // DOMAIN\user: the client hashes with the domain it sends, and so does the server.
    const withDomain = parseAuthenticate(token(client.createType3Message(type2, 'alice', 's3cret', 'WS', 'EXAMPLE')), false);
    expect(withDomain).toMatchObject({ user: 'alice', domain: 'EXAMPLE' });
    expect(verifyNtlmV2(withDomain!.ntResponse, ntowfv2('s3cret', 'alice', 'EXAMPLE'), challenge.serverChallenge)).toBe(true);
  });

  it('answers in Unicode when the client offers it, and refuses NTLMv1-sized responses', () => {
    expect(buildChallenge(FLAG.unicode | FLAG.oem, Buffer.alloc(8)).unicode).toBe(true);
    expect(verifyNtlmV2(Buffer.alloc(24), Buffer.alloc(16), Buffer.alloc(8))).toBe(false);
    expect(parseAuthenticate(Buffer.from('NTLMSSP\0\x03\0\0\0', 'latin1'), false)).toBeUndefined();
  });
});
