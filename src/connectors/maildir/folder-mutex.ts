/**
 * One writer at a time per folder directory inside this process. Keyed by the absolute
 * directory, so a source and a target on the same Maildir share it. Other processes
 * (Dovecot, another mailferry) are kept out of the shared files by dotlocks instead.
 */
const tails = new Map<string, Promise<unknown>>();

export function serialise<T>(dir: string, task: () => Promise<T>): Promise<T> {
  const previous = tails.get(dir) ?? Promise.resolve();
  const run = previous.then(task, task);
  const tail = run.catch(() => undefined);
  tails.set(dir, tail);
  void tail.then(() => {
    if (tails.get(dir) === tail) tails.delete(dir);
  });
  return run;
}
