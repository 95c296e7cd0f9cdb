/**
 * The Prometheus metrics of one process (a registry of its own, Node's default metrics
 * included) and the Telemetry the jobs report to. Every label takes a bounded set of
 * values: protocol, outcome, job name, error class, queue, state. Never an address, a user,
 * a folder or a pair name.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobOutcome, Telemetry, ThrottleSource } from '../jobs/telemetry.js';
import type { FolderResult } from '../state/index.js';
import type { ServedQueues } from './served-queues.js';

const PROTOCOLS = new Set(['imap', 'pop3', 'ews', 'maildir']);
const QUEUE_STATES = ['waiting', 'active', 'delayed'] as const;

/** Anything outside the known set counts as "other", so a label never grows without bound. */
const protocolLabel = (protocol: string): string => (PROTOCOLS.has(protocol) ? protocol : 'other');
const errorClassLabel = (errorClass: string): string => (/^[A-Z_]{1,40}$/.test(errorClass) ? errorClass : 'OTHER');

export interface Metrics {
  readonly registry: Registry;
  readonly telemetry: Telemetry;
}

export function createMetrics(queues: ServedQueues): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const messagesCopied = new Counter({ name: 'mailferry_messages_copied_total', help: 'Messages appended to a target, by source protocol', labelNames: ['protocol'], registers });
  const bytesCopied = new Counter({ name: 'mailferry_bytes_copied_total', help: 'Message bytes appended to a target, by source protocol', labelNames: ['protocol'], registers });
  const processed = new Counter({ name: 'mailferry_messages_processed_total', help: 'Messages handled, counted page by page as pages commit (copied, found already there, or quarantined), by source protocol', labelNames: ['protocol'], registers });
  const quarantined = new Counter({ name: 'mailferry_messages_quarantined_total', help: 'Messages a target refused for good (quarantined), by source protocol', labelNames: ['protocol'], registers });
  const folders = new Counter({ name: 'mailferry_folders_total', help: 'Folder jobs that ended, by source protocol and outcome (done, failed, skipped)', labelNames: ['protocol', 'outcome'], registers });
  const retries = new Counter({ name: 'mailferry_job_retries_total', help: 'Job attempts after the first (a retry after a failure)', labelNames: ['job'], registers });
  const jobErrors = new Counter({ name: 'mailferry_job_errors_total', help: 'Job attempts that ended with an error, by job name and error class', labelNames: ['job', 'error_class'], registers });
  const throttles = new Counter({ name: 'mailferry_throttle_waits_total', help: 'Jobs sent back to the queue to wait: by our connection governor or by the mail server (THROTTLED)', labelNames: ['source'], registers });
  const durations = new Histogram({
    name: 'mailferry_job_duration_seconds', help: 'Duration of one job attempt, by job name and outcome',
    labelNames: ['job', 'outcome'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800], registers,
  });
  const connections = new Gauge({ name: 'mailferry_connections_open', help: 'Mail server connections held by this process\'s pool, by protocol and side', labelNames: ['protocol', 'side'], registers });
  new Gauge({
    name: 'mailferry_queue_jobs', help: 'Jobs in the queues this process serves, by queue and state (read from Redis at scrape time)',
    labelNames: ['queue', 'state'], registers,
    async collect() {
      this.reset();
      await Promise.all(queues.list().map(async (queue) => {
        const counts = await queue.getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }));
    },
  });

  const telemetry: Telemetry = {
    pageDone(messages: number, protocol: string) {
      processed.inc({ protocol: protocolLabel(protocol) }, messages);
    },
    folderDone(result: FolderResult, protocol: string) {
      const labels = { protocol: protocolLabel(protocol) };
      messagesCopied.inc(labels, result.copied);
      bytesCopied.inc(labels, result.bytes);
      quarantined.inc(labels, result.quarantined);
      folders.inc({ ...labels, outcome: result.outcome });
    },
    jobFinished(job: string, outcome: JobOutcome, seconds: number, errorClass?: string) {
      durations.observe({ job, outcome }, seconds);
      if (errorClass !== undefined) jobErrors.inc({ job, error_class: errorClassLabel(errorClass) });
    },
    jobRetried(job: string) {
      retries.inc({ job });
    },
    throttled(source: ThrottleSource) {
      throttles.inc({ source });
    },
    connection(protocol: string, side: 'source' | 'target', delta: 1 | -1) {
      connections.inc({ protocol: protocolLabel(protocol), side }, delta);
    },
  };
  return { registry, telemetry };
}
