/**
 * Progress while a run goes: bars on a TTY (stderr), a log line every few seconds
 * otherwise. Reads the per-folder progress the workers write to Redis once per page.
 */
import cliProgress from 'cli-progress';
import type { Logger } from 'pino';
import type { FolderProgress } from '../state/index.js';

export interface ProgressView {
  update(folders: readonly FolderProgress[]): void;
  stop(): void;
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

  update(folders: readonly FolderProgress[]): void {
    const total = folders.reduce((sum, f) => sum + f.total, 0);
    const done = folders.reduce((sum, f) => sum + f.done, 0);
    const current = folders.find((f) => f.done < f.total)?.sourcePath ?? '';
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

  update(folders: readonly FolderProgress[]): void {
    const now = Date.now();
    if (now - this.lastAt < 5000) return;
    this.lastAt = now;
    const total = folders.reduce((sum, f) => sum + f.total, 0);
    const done = folders.reduce((sum, f) => sum + f.done, 0);
    this.log.info({ done, total, folders: folders.length }, 'progress');
  }

  stop(): void {}
}
