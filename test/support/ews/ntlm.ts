/**
 * NTLM server side ([MS-NLMP]): read the NEGOTIATE (type 1) message, build the CHALLENGE
 * (type 2) and verify the NTLMv2 response in the AUTHENTICATE (type 3) message.
 *
 * Only NTLMv2 is accepted (like a domain at LmCompatibilityLevel 5): an NTLMv1 response
 * (24 bytes) is refused. @ewsjs/ntlm-client sends NTLMv2 when the challenge carries
 * NEGOTIATE_EXTENDED_SESSIONSECURITY ("NTLM2_KEY" in its source) and target info, so the
 * challenge always does.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { md4 } from './md4.js';

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export const FLAG = {
  unicode: 0x00000001,
  oem: 0x00000002,
  requestTarget: 0x00000004,
  ntlm: 0x00000200,
  alwaysSign: 0x00008000,
  targetTypeDomain: 0x00010000,
  extendedSessionSecurity: 0x00080000,
  targetInfo: 0x00800000,
  version: 0x02000000,
  key128: 0x20000000,
  key56: 0x80000000,
} as const;

/** The message type of a token, or undefined when it is not NTLMSSP. */
export function messageType(token: Buffer): number | undefined {
  if (token.length < 12 || !token.subarray(0, 8).equals(SIGNATURE)) return undefined;
  return token.readUInt32LE(8);
}

/** NEGOTIATE: only the flags matter (which string encoding the client can read). */
export function parseNegotiate(token: Buffer): { flags: number } {
  return { flags: token.length >= 16 ? token.readUInt32LE(12) : 0 };
}

/** AV_PAIR list ([MS-NLMP] 2.2.2.1), UTF-16LE values, terminated by MsvAvEOL. */
function targetInfo(netbiosDomain: string, netbiosComputer: string, dnsDomain: string, dnsComputer: string): Buffer {
  const pair = (id: number, value: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(id, 0);
    head.writeUInt16LE(value.length, 2);
    return Buffer.concat([head, value]);
  };
  const u = (s: string) => Buffer.from(s, 'utf16le');
  const now = Buffer.alloc(8);
  now.writeBigUInt64LE((BigInt(Date.now()) + 11644473600000n) * 10000n); // FILETIME
  return Buffer.concat([
    pair(2, u(netbiosDomain)),
    pair(1, u(netbiosComputer)),
    pair(4, u(dnsDomain)),
    pair(3, u(dnsComputer)),
    pair(7, now),
    pair(0, Buffer.alloc(0)),
  ]);
}

export interface Challenge {
  token: Buffer;
  serverChallenge: Buffer;
  /** Whether strings in the AUTHENTICATE message are UTF-16LE (else OEM). */
  unicode: boolean;
}

/**
 * CHALLENGE message. The string encoding follows the client's NEGOTIATE flags: Unicode if
 * it offered it, OEM otherwise (@ewsjs/ntlm-client offers only OEM).
 */
export function buildChallenge(negotiateFlags: number, serverChallenge: Buffer, domain = 'MAILFERRY'): Challenge {
  const unicode = (negotiateFlags & FLAG.unicode) !== 0;
  let flags =
    (unicode ? FLAG.unicode : FLAG.oem) |
    FLAG.requestTarget |
    FLAG.ntlm |
    FLAG.alwaysSign |
    FLAG.targetTypeDomain |
    FLAG.extendedSessionSecurity |
    FLAG.targetInfo |
    FLAG.version;
  flags |= negotiateFlags & (FLAG.key128 | FLAG.key56);
  const targetName = Buffer.from(domain, unicode ? 'utf16le' : 'latin1');
  const info = targetInfo(domain, 'EWS', 'mailferry.test', 'ews.mailferry.test');
  const header = Buffer.alloc(56);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(targetName.length, 12);
  header.writeUInt16LE(targetName.length, 14);
  header.writeUInt32LE(56, 16);
  header.writeUInt32LE(flags >>> 0, 20);
  serverChallenge.copy(header, 24);
  header.writeUInt16LE(info.length, 40);
  header.writeUInt16LE(info.length, 42);
  header.writeUInt32LE(56 + targetName.length, 44);
  // Version: Windows 10.0 build 17763, NTLM revision 15.
  Buffer.from([10, 0, 0x63, 0x45, 0, 0, 0, 15]).copy(header, 48);
  return { token: Buffer.concat([header, targetName, info]), serverChallenge, unicode };
}

export interface Authenticate {
  ntResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
}

/** AUTHENTICATE message; undefined when a security buffer points outside the token. */
export function parseAuthenticate(token: Buffer, unicode: boolean): Authenticate | undefined {
  if (token.length < 52 || messageType(token) !== 3) return undefined;
  const field = (offset: number): Buffer | undefined => {
    const length = token.readUInt16LE(offset);
    const start = token.readUInt32LE(offset + 4);
    return start + length <= token.length ? token.subarray(start, start + length) : undefined;
  };
  const [nt, domain, user, workstation] = [field(20), field(28), field(36), field(44)];
  if (!nt || !domain || !user || !workstation) return undefined;
  const decode = (b: Buffer) => b.toString(unicode ? 'utf16le' : 'latin1');
  return { ntResponse: Buffer.from(nt), domain: decode(domain), user: decode(user), workstation: decode(workstation) };
}

/** NTOWFv2 = HMAC-MD5(MD4(UTF-16LE(password)), UTF-16LE(Uppercase(user) + domain)). */
export function ntowfv2(password: string, user: string, domain: string): Buffer {
  return createHmac('md5', md4(Buffer.from(password, 'utf16le')))
    .update(Buffer.from(user.toUpperCase() + domain, 'utf16le'))
    .digest();
}

/**
 * NTLMv2: the response is NTProofStr (16 bytes) followed by the client's blob, and
 * NTProofStr = HMAC-MD5(NTOWFv2, ServerChallenge + blob).
 */
export function verifyNtlmV2(ntResponse: Buffer, responseKeyNT: Buffer, serverChallenge: Buffer): boolean {
  if (ntResponse.length <= 24) return false; // 24 bytes would be NTLMv1
  const proof = ntResponse.subarray(0, 16);
  const blob = ntResponse.subarray(16);
  const expected = createHmac('md5', responseKeyNT).update(Buffer.concat([serverChallenge, blob])).digest();
  return timingSafeEqual(proof, expected);
}
