/**
 * Progress while a run goes: bars on a TTY (stderr), a log line every few seconds
 * otherwise. Reads the per-folder progress the workers write to Redis once per page.
 */
import cliProgress from 'cli-progress';
import type { Logger } from 'pino';
import type { FolderProgress, RunRecord, RunWaiting } from '../state/index.js';

export interface ProgressView {
  /** `waiting`: what the runs wait for now (see activeWait), shown instead of the current folder. */
  update(folders: readonly FolderProgress[], waiting?: RunWaiting): void;
  stop(): void;
}

/** The latest wait of `runs` whose time has not passed yet; undefined when none waits. */
export function activeWait(runs: ReadonlyArray<Pick<RunRecord, 'waiting'> | null>, now = Date.now()): RunWaiting | undefined {
  const waits = runs.flatMap((run) => (run?.waiting ? parsedWait(run.waiting) : []));
  const active = waits.filter((wait) => Date.parse(wait.until) > now);
  return active.sort((a, b) => Date.parse(b.until) - Date.parse(a.until))[0];
}

/** A run record's `waiting` field; none when it cannot be read (the progress line is no place to fail). */
function parsedWait(text: string): RunWaiting[] {
  try {
    const wait = JSON.parse(text) as Partial<RunWaiting>;
    return typeof wait.reason === 'string' && typeof wait.until === 'string' ? [{ reason: wait.reason, until: wait.until }] : [];
  } catch {
    return [];
  }
}

/** "waiting until 12:34:56: <reason>", the time (24-hour) in the local zone. */
export function describeWait(wait: RunWaiting): string {
  return `waiting until ${new Date(wait.until).toTimeString().slice(0, 8)}: ${wait.reason}`;
}

export function createProgressView(tty: boolean, log: Logger): ProgressView {
  return tty ? new BarView() : new LogView(log);
}

class BarView implements ProgressView {
  private readonly bar = new cliProgress.SingleBar({
    format: ' {bar} {percentage}% | {value}/{total} messages | {folders} folders | {current}',
    hideCursor: true,
    stream: process.stderr,
  }, cliProgress.Presets.shades_classic);
  private started = false;

  update(folders: readonly FolderProgress[], waiting?: RunWaiting): void {
    const total = folders.reduce((sum, f) => sum + f.total, 0);
    const done = folders.reduce((sum, f) => sum + f.done, 0);
    const current = waiting ? describeWait(waiting) : folders.find((f) => f.done < f.total)?.sourcePath ?? '';
    const payload = { folders: folders.length, current };
    if (!this.started) {
      this.bar.start(Math.max(total, 1), done, payload);
      this.started = true;
    } else {
      this.bar.setTotal(Math.max(total, 1));
      this.bar.update(done, payload);
    }
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}

class LogView implements ProgressView {
  private lastAt = 0;

  constructor(private readonly log: Logger) {}

  update(folders: readonly FolderProgress[], waiting?: RunWaiting): void {
    const now = Date.now();
    if (now - this.lastAt < 5000) return;
    this.lastAt = now;
    const total = folders.reduce((sum, f) => sum + f.total, 0);
    const done = folders.reduce((sum, f) => sum + f.done, 0);
    if (waiting) this.log.info({ done, total, folders: folders.length, waitingUntil: waiting.until, reason: waiting.reason }, describeWait(waiting));
    else this.log.info({ done, total, folders: folders.length }, 'progress');
  }

  stop(): void {}
}
