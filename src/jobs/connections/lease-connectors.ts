/** Both connectors of a pair from the pool: governor slots taken together, logins in parallel. */
import type { RunSpec } from '../../config/index.js';
import type { AnySource } from '../../connectors/types.js';
import type { TargetConnector } from '../../connectors/types.js';
import type { ConnectionPool, Leased } from './connection-pool.js';

export function leaseBoth(pool: ConnectionPool, spec: RunSpec): Promise<[Leased<AnySource>, Leased<TargetConnector>]> {
  return pool.leasePair(spec.source, spec.target);
}
