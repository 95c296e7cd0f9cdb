/**
 * Every command of an IMAP connection goes through the account's gate (AccountGate): none
 * is sent while the account's back-off window is open, and a server's "back off" heard on
 * this connection opens it for every connection to the account.
 *
 * imapflow sends every command, its own included (CAPABILITY, NOOP, the retries of a
 * throttled FETCH), through the instance's `exec`, so the gate wraps that one method.
 * `exec` is an imapflow 2.1 internal (as MULTIAPPEND's use of it is); without it, the
 * session asks the gate before each operation instead (see ImapSession.imap()).
 *
 * A Microsoft 365 "Suggested Backoff Time" is seen earlier than its command's failure:
 * imapflow holds the connection for the suggested time before it rejects, and only says
 * so in its log ("Throttling detected"), which `gatedLogger` listens to.
 */
import type { ImapFlow } from 'imapflow';
import type { AccountGate } from '../types.js';
import { backOffOf } from './imap-errors.js';
import type { ImapLogger } from './imap-options.js';

type Exec = (...args: unknown[]) => Promise<unknown>;

/** Wraps the client's `exec`; false when this imapflow has none (then the caller gates each operation). */
export function gateClient(client: ImapFlow, gate: AccountGate): boolean {
  const runner = client as unknown as { exec?: Exec };
  const exec = runner.exec;
  if (typeof exec !== 'function') return false;
  runner.exec = async function gatedExec(this: unknown, ...args: unknown[]): Promise<unknown> {
    await gate.beforeRequest();
    try {
      return await exec.apply(this, args);
    } catch (error) {
      const wait = backOffOf(error);
      if (wait !== undefined) gate.backOff(wait);
      throw error;
    }
  };
  return true;
}

/** imapflow's logger: `logger` itself (or nothing), plus an ear for imapflow's throttle notice. */
export function gatedLogger(logger: ImapLogger | false | undefined, gate: AccountGate): ImapLogger {
  const quiet = () => undefined;
  const inner = logger || undefined;
  return {
    debug: inner ? inner.debug.bind(inner) : quiet,
    info: inner ? inner.info.bind(inner) : quiet,
    error: inner ? inner.error.bind(inner) : quiet,
    warn(obj: unknown, msg?: string) {
      const entry = obj as { msg?: unknown; throttleDelay?: unknown } | undefined;
      if (entry?.msg === 'Throttling detected' && typeof entry.throttleDelay === 'number') gate.backOff(entry.throttleDelay);
      inner?.warn(obj, msg);
    },
  };
}
