import { describe, expect, it } from 'vitest';
import { Limiter } from '../../../src/connectors/limiter.js';
import { decodeMimeContent, encodeMimeContent } from '../../../src/connectors/ews/mime-content.js';

describe('Limiter', () => {
  it('runs at most `limit` operations at once, in arrival order, and survives failures', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (n: number, fail = false) => limiter.run(async () => {
      running += 1;
      peak = Math.max(peak, running);
      order.push(n);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      if (fail) throw new Error(`task ${n}`);
      return n;
    });
    const results = await Promise.allSettled([task(1), task(2, true), task(3), task(4), task(5, true), task(6)]);
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5, 6]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(limiter.running).toBe(0);
  });

  it('refuses a limit below one', () => {
    expect(() => new Limiter(0)).toThrow(RangeError);
  });
});

describe('MimeContent', () => {
  it('decodes base64 as EWS sends it (line breaks included) to the exact bytes', () => {
    const bytes = Buffer.from([0x53, 0x75, 0x62, 0x6a, 0xff, 0x00, 0x80, 0xe9, 0x0d, 0x0a]);
    const wire = encodeMimeContent(bytes).replace(/(.{4})/g, '$1\r\n');
    expect(decodeMimeContent(wire)?.equals(bytes)).toBe(true);
    expect(decodeMimeContent(encodeMimeContent(bytes))?.equals(bytes)).toBe(true);
  });

  it('refuses missing or non-base64 content instead of decoding garbage', () => {
    expect(decodeMimeContent(undefined)).toBeUndefined();
    expect(decodeMimeContent(null)).toBeUndefined();
    expect(decodeMimeContent('')).toBeUndefined();
    expect(decodeMimeContent('Subject: plain text')).toBeUndefined();
    expect(decodeMimeContent('QQ==QQ==')).toBeUndefined();
  });
});
