import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../src/jobs/copy/byte-budget.js';
import { readAhead } from '../../../src/jobs/copy/fetch-batches.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ByteBudget', () => {
  it('grants while bytes fit and makes the rest wait, first come first served', async () => {
    const budget = new ByteBudget(10);
    const order: string[] = [];
    const a = await budget.acquire(6);
    const waitingB = budget.acquire(6).then((release) => { order.push('b'); return release; });
    const waitingC = budget.acquire(1).then((release) => { order.push('c'); return release; });
    await tick();
    // c would fit, but b came first: no starvation of the larger request.
    expect(order).toEqual([]);
    a();
    const b = await waitingB;
    const c = await waitingC;
    expect(order).toEqual(['b', 'c']);
    b();
    c();
  });

  it('lets a request larger than the budget through alone, once everything else is back', async () => {
    const budget = new ByteBudget(10);
    const small = await budget.acquire(3);
    let granted = false;
    const big = budget.acquire(50).then((release) => { granted = true; return release; });
    await tick();
    expect(granted).toBe(false);
    small();
    (await big)();
    expect(granted).toBe(true);
  });

  it('ignores a second release', async () => {
    const budget = new ByteBudget(10);
    const release = await budget.acquire(10);
    release();
    release();
    const again = await budget.acquire(10);
    let third = false;
    void budget.acquire(1).then(() => { third = true; });
    await tick();
    expect(third).toBe(false);
    again();
  });
});

describe('readAhead', () => {
  it('starts the next item before the current one is consumed', async () => {
    const started: number[] = [];
    async function* numbers() {
      for (let i = 1; i <= 3; i += 1) {
        started.push(i);
        yield i;
      }
    }
    const seen: Array<[number, number[]]> = [];
    for await (const n of readAhead(numbers(), () => undefined)) seen.push([n, [...started]]);
    expect(seen).toEqual([[1, [1, 2]], [2, [1, 2, 3]], [3, [1, 2, 3]]]);
  });

  it('hands the item fetched ahead to abandon when the consumer stops early', async () => {
    const abandoned: number[] = [];
    async function* numbers() {
      yield 1;
      yield 2;
      yield 3;
    }
    for await (const n of readAhead(numbers(), (n) => abandoned.push(n))) {
      if (n === 1) break;
    }
    await tick();
    expect(abandoned).toEqual([2]);
  });
});

describe('readAhead with a failing prefetch', () => {
  it('reports the failure when it is reached, not as an unhandled rejection meanwhile', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      async function* failing() {
        yield 1;
        throw new Error('connection lost');
      }
      const seen: number[] = [];
      const consume = async () => {
        for await (const n of readAhead(failing(), () => undefined)) {
          seen.push(n);
          // The consumer is busy while the prefetch fails.
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      await expect(consume()).rejects.toThrow('connection lost');
      expect(seen).toEqual([1]);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
