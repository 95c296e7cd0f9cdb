/**
 * What the jobs report about their work, for metrics. The jobs call this interface and
 * know nothing of how it is counted (src/observability implements it with prom-client).
 * Arguments are bounded values only: a protocol, an outcome, a job name, an error class;
 * never an address, a user name, a folder or a pair name.
 */
import { isConnectorError } from '../connectors/connector-error.js';
import { ConfigError } from '../config/index.js';
import { isMappingError } from '../mapping/index.js';
import { GovernorTimeoutError, LeaseHeldError, type FolderResult } from '../state/index.js';
import { InterruptedError } from './queue/interrupted-error.js';

/** The account kind of a source or target: imap, pop3, ews, maildir. */
export type Protocol = string;

/** How one attempt of a job ended. */
export type JobOutcome = 'completed' | 'delayed' | 'retry' | 'failed';

/** Who asked a job to wait: our own connection governor, or the mail server. */
export type ThrottleSource = 'governor' | 'server';

export interface Telemetry {
  /** A page of a folder was committed: `messages` more handled (copied, found already there, or quarantined). */
  pageDone(messages: number, protocol: Protocol): void;
  /** A folder job ended with a result (done, skipped, or failed for good). */
  folderDone(result: FolderResult, protocol: Protocol): void;
  /** One attempt of a job ended. */
  jobFinished(job: string, outcome: JobOutcome, seconds: number, errorClass?: string): void;
  /** A job started again after a failed attempt (BullMQ attempt > 1). */
  jobRetried(job: string): void;
  /** A job went back to the queue because it was throttled. */
  throttled(source: ThrottleSource): void;
  /** A connection of the pool was opened (+1) or closed (-1). */
  connection(protocol: Protocol, side: 'source' | 'target', delta: 1 | -1): void;
}

/** A bounded name for an error: a connector error's code, else its family. */
export function errorClassOf(error: unknown): string {
  if (isConnectorError(error)) return error.code;
  if (error instanceof InterruptedError) return 'INTERRUPTED';
  if (error instanceof LeaseHeldError) return 'LEASE_HELD';
  if (error instanceof ConfigError) return 'CONFIG';
  if (isMappingError(error)) return 'MAPPING';
  return 'OTHER';
}

/** The throttle a failure stands for, if it is one. */
export function throttleOf(error: unknown): ThrottleSource | undefined {
  if (!isConnectorError(error) || error.code !== 'THROTTLED') return undefined;
  return error.cause instanceof GovernorTimeoutError ? 'governor' : 'server';
}
