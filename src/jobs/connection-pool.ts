/**
 * Connected source and target connectors kept for reuse by the jobs of one worker
 * process. Logging in costs several round trips (greeting, CAPABILITY, AUTHENTICATE, ID,
 * NAMESPACE, ENABLE; more with TLS), which dominates small folders on a distant server.
 * A connector that failed is not given back; an idle one the server has since closed
 * reconnects on its next command. The number of connections stays bounded by the jobs
 * running at once (worker concurrency), since each job holds at most one per side.
 */
import type { AccountSpec } from '../config/index.js';
import type { AnySource } from '../connectors/types.js';
import type { TargetConnector } from '../connectors/types.js';
import type { ConnectorFactory } from './connector-factory.js';

export interface Leased<T> {
  readonly connector: T;
  /** Gives the connector back; `healthy: false` closes it instead. */
  release(healthy: boolean): Promise<void>;
}

export class ConnectionPool {
  private readonly idleSources = new Map<string, AnySource[]>();
  private readonly idleTargets = new Map<string, TargetConnector[]>();

  constructor(private readonly factory: ConnectorFactory) {}

  source(account: AccountSpec): Promise<Leased<AnySource>> {
    return this.lease(this.idleSources, account, () => this.factory.source(account));
  }

  target(account: AccountSpec): Promise<Leased<TargetConnector>> {
    return this.lease(this.idleTargets, account, () => this.factory.target(account));
  }

  /** Closes every idle connector (at worker shutdown). */
  async close(): Promise<void> {
    const idle = [...this.idleSources.values(), ...this.idleTargets.values()].flat();
    this.idleSources.clear();
    this.idleTargets.clear();
    await Promise.allSettled(idle.map((connector) => connector.close()));
  }

  private async lease<T extends { connect(): Promise<void>; close(): Promise<void> }>(
    idle: Map<string, T[]>, account: AccountSpec, create: () => Promise<T>,
  ): Promise<Leased<T>> {
    // Everything that decides how the session was opened is part of the key: the whole
    // spec (it holds references to secrets, never secrets themselves).
    const key = JSON.stringify(account);
    const connector = idle.get(key)?.pop() ?? await create();
    try {
      await connector.connect();
    } catch (error) {
      await connector.close();
      throw error;
    }
    return {
      connector,
      release: async (healthy) => {
        if (!healthy) return connector.close();
        const list = idle.get(key) ?? [];
        list.push(connector);
        idle.set(key, list);
      },
    };
  }
}
