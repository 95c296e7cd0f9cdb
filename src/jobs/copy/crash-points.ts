/**
 * Deterministic crash points for the crash test (mbsync's run-tests.pl `-Tj<N>` idea):
 * with `MAILFERRY_CRASH_AT=<point>:<n>` the process SIGKILLs itself at the n-th time it
 * reaches that point, so a test can kill a migration at every state transition in turn.
 */

/**
 * after-dele: POP3 messages marked deleted, QUIT not yet sent (the server must roll the marks back).
 * after-mirror-delete: a mirror deleted messages on the target, the ledger still lists them.
 */
export type CrashPoint = 'after-intents' | 'after-append' | 'after-commit' | 'after-dele' | 'after-mirror-delete';

let armed: { point: CrashPoint; remaining: number } | undefined;

/** Parses "after-append:3"; the CLI passes the environment variable's value here. */
export function armCrashPoint(spec: string | undefined): void {
  if (!spec) return;
  const match = /^(after-intents|after-append|after-commit|after-dele|after-mirror-delete):(\d+)$/.exec(spec);
  if (!match) throw new Error(`MAILFERRY_CRASH_AT="${spec}": expected <after-intents|after-append|after-commit|after-dele|after-mirror-delete>:<n>`);
  armed = { point: match[1] as CrashPoint, remaining: Number(match[2]) };
}

export function crashPoint(point: CrashPoint): void {
  if (!armed || armed.point !== point) return;
  armed.remaining -= 1;
  if (armed.remaining <= 0) process.kill(process.pid, 'SIGKILL');
}
