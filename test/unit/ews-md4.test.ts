import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { md4 } from '../support/ews/md4.js';

describe('md4 (test EWS server NTLM)', () => {
  // RFC 1320, appendix A.5 "Test suite".
  const vectors: Array<[string, string]> = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  it.each(vectors)('MD4(%j)', (input, digest) => {
    expect(md4(Buffer.from(input, 'latin1')).toString('hex')).toBe(digest);
  });

  it('gives the NT hash of [MS-NLMP] 4.2.2.1.2 (NTOWFv1 of "Password")', () => {
    expect(md4(Buffer.from('Password', 'utf16le')).toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
  });

  it('agrees with js-md4 (the hash @ewsjs/ntlm-client uses) around the padding boundaries', () => {
    // Lengths 55/56 and 63/64/65 change the number of padded blocks.
    const require = createRequire(import.meta.url);
    const jsMd4 = require('js-md4') as { hex(data: Uint8Array): string };
    for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 1000]) {
      const data = Buffer.alloc(n);
      for (let i = 0; i < n; i += 1) data[i] = (i * 31 + 7) & 0xff;
      expect(md4(data).toString('hex'), `length ${n}`).toBe(jsMd4.hex(data));
    }
  });
});
