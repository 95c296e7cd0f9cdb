/**
 * MD4 (RFC 1320), needed for the NT hash behind NTLM. Node 17+ links OpenSSL 3, whose
 * default provider has no MD4 (`crypto.createHash('md4')` throws), so it is written out
 * here. Test vectors from RFC 1320 appendix A.5 are in test/unit/ews-md4.test.ts.
 */

const rotl = (x: number, s: number): number => (x << s) | (x >>> (32 - s));

export function md4(input: Uint8Array): Buffer {
  // Padding: 0x80, zeros up to 56 mod 64, then the bit length as a 64-bit little-endian integer.
  const blocks = Math.floor((input.length + 8) / 64) + 1;
  const data = Buffer.alloc(blocks * 64);
  data.set(input);
  data[input.length] = 0x80;
  const bits = input.length * 8;
  data.writeUInt32LE(bits >>> 0, blocks * 64 - 8);
  data.writeUInt32LE(Math.floor(bits / 0x100000000), blocks * 64 - 4);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Array<number>(16);
  for (let offset = 0; offset < data.length; offset += 64) {
    for (let i = 0; i < 16; i += 1) x[i] = data.readInt32LE(offset + i * 4);
    const [aa, bb, cc, dd] = [a, b, c, d];
    const w = (k: number): number => x[k] ?? 0;
    // Round 1: F(X,Y,Z) = XY v not(X) Z
    const f = (p: number, q: number, r: number) => (p & q) | (~p & r);
    for (const k of [0, 4, 8, 12]) {
      a = rotl((a + f(b, c, d) + w(k)) | 0, 3);
      d = rotl((d + f(a, b, c) + w(k + 1)) | 0, 7);
      c = rotl((c + f(d, a, b) + w(k + 2)) | 0, 11);
      b = rotl((b + f(c, d, a) + w(k + 3)) | 0, 19);
    }
    // Round 2: G(X,Y,Z) = XY v XZ v YZ, constant 0x5A827999
    const g = (p: number, q: number, r: number) => (p & q) | (p & r) | (q & r);
    for (const k of [0, 1, 2, 3]) {
      a = rotl((a + g(b, c, d) + w(k) + 0x5a827999) | 0, 3);
      d = rotl((d + g(a, b, c) + w(k + 4) + 0x5a827999) | 0, 5);
      c = rotl((c + g(d, a, b) + w(k + 8) + 0x5a827999) | 0, 9);
      b = rotl((b + g(c, d, a) + w(k + 12) + 0x5a827999) | 0, 13);
    }
    // Round 3: H(X,Y,Z) = X xor Y xor Z, constant 0x6ED9EBA1
    const h = (p: number, q: number, r: number) => p ^ q ^ r;
    for (const k of [0, 2, 1, 3]) {
      a = rotl((a + h(b, c, d) + w(k) + 0x6ed9eba1) | 0, 3);
      d = rotl((d + h(a, b, c) + w(k + 8) + 0x6ed9eba1) | 0, 9);
      c = rotl((c + h(d, a, b) + w(k + 4) + 0x6ed9eba1) | 0, 11);
      b = rotl((b + h(c, d, a) + w(k + 12) + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = Buffer.alloc(16);
  out.writeInt32LE(a, 0);
  out.writeInt32LE(b, 4);
  out.writeInt32LE(c, 8);
  out.writeInt32LE(d, 12);
  return out;
}
