/** Both connectors of a pair from the pool, connected in parallel (each login is several round trips). */
import type { RunSpec } from '../config/index.js';
import type { AnySource } from '../connectors/types.js';
import type { TargetConnector } from '../connectors/types.js';
import type { ConnectionPool, Leased } from './connection-pool.js';

export async function leaseBoth(pool: ConnectionPool, spec: RunSpec): Promise<[Leased<AnySource>, Leased<TargetConnector>]> {
  const [source, target] = await Promise.allSettled([pool.source(spec.source), pool.target(spec.target)]);
  if (source.status === 'fulfilled' && target.status === 'fulfilled') return [source.value, target.value];
  // One side failed: give the other back and report the failure (the source's first).
  if (source.status === 'fulfilled') await source.value.release(true);
  if (target.status === 'fulfilled') await target.value.release(true);
  throw source.status === 'rejected' ? source.reason : (target as PromiseRejectedResult).reason;
}
