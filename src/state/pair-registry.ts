/**
 * Pairs registered in Redis by a daemon, `mirror` or `enqueue`, so that any worker can
 * start their runs (a schedule tick, a watcher's trigger, the run after this one) from
 * nothing but the pair id. The spec holds references to secrets, never secrets: each
 * worker resolves them in its own environment.
 */
import type { Redis } from 'ioredis';
import { pairIdOf, type PairService, type RunSpec } from '../config/index.js';
import type { StateKeys } from './keys.js';

export interface RegisteredPair {
  readonly pairId: string;
  readonly spec: RunSpec;
  /** Queue its runs' jobs go to. */
  readonly queue: string;
  readonly service: PairService;
}

export class PairRegistry {
  constructor(private readonly redis: Redis, private readonly keys: StateKeys) {}

  async register(spec: RunSpec, queue: string, service: PairService): Promise<RegisteredPair> {
    const pairId = pairIdOf(spec);
    await this.redis.multi()
      .hset(this.keys.pairSpec(pairId), { spec: JSON.stringify(spec), queue, service: JSON.stringify(service) })
      .hset(this.keys.pairs(), pairId, spec.pairName)
      .exec();
    return { pairId, spec, queue, service };
  }

  async get(pairId: string): Promise<RegisteredPair | null> {
    const f = await this.redis.hgetall(this.keys.pairSpec(pairId));
    if (f.spec === undefined || f.queue === undefined) return null;
    return { pairId, spec: JSON.parse(f.spec) as RunSpec, queue: f.queue, service: JSON.parse(f.service ?? '{"watch":[]}') as PairService };
  }

  async all(): Promise<RegisteredPair[]> {
    const ids = Object.keys(await this.redis.hgetall(this.keys.pairs()));
    const pairs = await Promise.all(ids.map((id) => this.get(id)));
    return pairs.filter((p): p is RegisteredPair => p !== null).sort((a, b) => a.spec.pairName.localeCompare(b.spec.pairName));
  }
}
