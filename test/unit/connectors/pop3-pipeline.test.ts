/**
 * The pipelining window of pop3-pipeline.ts, on a scripted Pipe (the session and the
 * server are exercised in test/integration/pop3-connector.test.ts): how many RETRs go
 * out per write, how many are ever outstanding, and what an -ERR does to the batch.
 */
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/connector-error.js';
import { Pop3ResponseError, toConnectorError } from '../../../src/connectors/pop3/pop3-errors.js';
import { PIPELINE_WINDOW, retrievePipelined } from '../../../src/connectors/pop3/pop3-pipeline.js';
import type { Pipe } from '../../../src/connectors/pop3/pop3-session.js';

type Script = (number: number) => Buffer | Error;

/** A Pipe whose answers settle in order, one per tick, as `script` says; it records each write. */
function scriptedPipe(script: Script): { pipe: Pipe; writes: string[][]; maxOutstanding: () => number } {
  const writes: string[][] = [];
  let outstanding = 0;
  let most = 0;
  let queue = Promise.resolve();
  const pipe: Pipe = (lines, whatOf) => {
    writes.push([...lines]);
    outstanding += lines.length;
    most = Math.max(most, outstanding);
    return lines.map((line, index) => {
      const answer = queue.then(() => new Promise<Buffer>((resolve, reject) => {
        setImmediate(() => {
          outstanding -= 1;
          const result = script(Number(line.split(' ')[1]));
          if (result instanceof Error) reject(toConnectorError(result, whatOf(index)));
          else resolve(result);
        });
      }));
      queue = answer.then(() => undefined, () => undefined);
      answer.catch(() => undefined);
      return answer;
    });
  };
  return { pipe, writes, maxOutstanding: () => most };
}

const numbers = (count: number) => Array.from({ length: count }, (_, i) => i + 1);
const body = (n: number) => Buffer.from(`message ${n}\r\n`);
const what = (n: number) => `fetch message ${n}`;

describe('retrievePipelined', () => {
  it('writes the window at once, then tops it up by half-windows, never more outstanding', async () => {
    const { pipe, writes, maxOutstanding } = scriptedPipe(body);
    const bodies = await retrievePipelined(pipe, numbers(100), what);
    expect([...bodies.keys()]).toEqual(numbers(100));
    expect(bodies.get(57)?.equals(body(57))).toBe(true);
    expect(writes.flat()).toEqual(numbers(100).map((n) => `RETR ${n}`));
    expect(writes[0]).toHaveLength(PIPELINE_WINDOW);
    expect(writes.slice(1, -1).every((w) => w.length === PIPELINE_WINDOW / 2)).toBe(true);
    expect(writes.length).toBe(1 + Math.ceil((100 - PIPELINE_WINDOW) / (PIPELINE_WINDOW / 2)));
    expect(maxOutstanding()).toBeLessThanOrEqual(PIPELINE_WINDOW);
  });

  it('sends a batch smaller than the window in one write', async () => {
    const { pipe, writes } = scriptedPipe(body);
    expect((await retrievePipelined(pipe, [7, 3, 9], what)).size).toBe(3);
    expect(writes).toEqual([['RETR 7', 'RETR 3', 'RETR 9']]);
  });

  it('leaves out a message the server has not ("no such message") and reads on', async () => {
    const { pipe } = scriptedPipe((n) => (n === 5 || n === 40 ? new Pop3ResponseError('RETR', 'no such message') : body(n)));
    const bodies = await retrievePipelined(pipe, numbers(50), what);
    expect([...bodies.keys()]).toEqual(numbers(50).filter((n) => n !== 5 && n !== 40));
  });

  it('on any other -ERR sends no more, lets what was sent be answered, then rejects with it', async () => {
    const answered: number[] = [];
    const { pipe, writes } = scriptedPipe((n) => {
      answered.push(n);
      return n === 3 ? new Pop3ResponseError('RETR', '[SYS/TEMP] try later') : body(n);
    });
    const error = await retrievePipelined(pipe, numbers(100), what).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ code: 'THROTTLED', retry: 'later' });
    expect(writes).toHaveLength(1);
    // Every RETR written was answered and read before the call settled (the session stays in step).
    expect(answered).toEqual(numbers(PIPELINE_WINDOW));
  });

  it('rejects at once when the connection is lost', async () => {
    const { pipe } = scriptedPipe((n) => (n === 10 ? Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) : body(n)));
    await expect(retrievePipelined(pipe, numbers(100), what)).rejects.toMatchObject({ code: 'CONNECTION_LOST', message: /^fetch message 10: connection failed/ });
  });
});
