export { armCrashPoint } from './crash-points.js';
export { defaultConnectorFactory, type ConnectorFactory } from './connector-factory.js';
export { enqueueRun, type EnqueuedRun } from './enqueue-run.js';
export { startWorkers, type RunningWorkers, type WorkerOptions } from './run-workers.js';
export type { WorkerContext } from './worker-context.js';
export { ByteBudget } from './byte-budget.js';
export { ConnectionPool } from './connection-pool.js';
export { MAILDROP_FOLDER } from './copy-maildrop.js';
