/**
 * RETR of many messages with RFC 2449 PIPELINING: several RETR commands written ahead,
 * their answers read strictly in order.
 *
 * Why it exists: one RETR at a time costs a network round trip per message, which over
 * a real network (a POP server 30-80 ms away) is most of the time of a copy: 10,000
 * messages are 5-15 minutes of waiting. A server that lists PIPELINING in CAPA accepts
 * commands before it has answered the earlier ones. This is kept apart from the session
 * (which only offers the `pipelined()` turn and its Pipe) so the window policy is in one
 * small place; without PIPELINING the source reads one message at a time as before.
 *
 * The window: at most PIPELINE_WINDOW commands outstanding; whenever half of them have
 * been answered, the rest of the window is written in one socket write. It is counted in
 * commands, not bytes: the bodies are read as they arrive (so the server's sending is
 * paced by TCP, and a command line is ~10 bytes, so the client never blocks on writing),
 * and memory is bounded by the caller's batch, all of whose bodies are returned anyway.
 */
import type { ConnectorError } from '../connector-error.js';
import { answeredErr, refusedBy } from './pop3-errors.js';
import type { Pipe } from './pop3-session.js';

/** Most RETR commands outstanding at once. */
export const PIPELINE_WINDOW = 32;

/**
 * RETR of each number through `pipe`, in order. A plain -ERR ("no such message") leaves
 * that message out; any other -ERR ([SYS/TEMP], say) stops further commands, lets the
 * ones already written be answered (the session stays in step), then rejects with it.
 * A lost connection rejects at once (the session is dead then).
 */
export async function retrievePipelined(pipe: Pipe, numbers: readonly number[], what: (number: number) => string): Promise<Map<number, Buffer>> {
  const bodies = new Map<number, Buffer>();
  const window: Array<{ number: number; body: Promise<Buffer> }> = [];
  let next = 0;
  let failure: ConnectorError | undefined;
  const topUp = () => {
    const batch = numbers.slice(next, next + PIPELINE_WINDOW - window.length);
    next += batch.length;
    const sent = pipe(batch.map((number) => `RETR ${number}`), (index) => what(batch[index] as number));
    batch.forEach((number, index) => window.push({ number, body: sent[index] as Promise<Buffer> }));
  };
  topUp();
  for (let head = window.shift(); head; head = window.shift()) {
    try {
      bodies.set(head.number, await head.body);
    } catch (error) {
      if (!answeredErr(error, 'RETR')) throw error;
      if (!refusedBy(error, 'RETR')) failure ??= error as ConnectorError;
    }
    if (failure === undefined && next < numbers.length && window.length <= PIPELINE_WINDOW / 2) topUp();
  }
  if (failure) throw failure;
  return bodies;
}
