/**
 * A Lua script that is sent to Redis once per connection and then run by its SHA:
 * ioredis's defineCommand uses EVALSHA and falls back to EVAL only when the server does
 * not know the script (after a restart or SCRIPT FLUSH). A page commit then costs the
 * page's data on the wire, not the script's text as well.
 */
import type { Redis } from 'ioredis';

type Argument = string | number;

export class Script {
  private static readonly defined = new WeakMap<Redis, Set<string>>();

  /** @param name - unique among our scripts; becomes a method of the connection. */
  constructor(private readonly name: string, readonly lua: string) {}

  run(redis: Redis, keys: readonly string[], args: readonly Argument[] = []): Promise<unknown> {
    let names = Script.defined.get(redis);
    if (names === undefined) Script.defined.set(redis, (names = new Set()));
    const command = `mailferry_${this.name}`;
    // Without numberOfKeys the key count is the first argument, so one script serves any number of keys.
    if (!names.has(command)) {
      redis.defineCommand(command, { lua: this.lua });
      names.add(command);
    }
    const call = (redis as unknown as Record<string, (...a: Argument[]) => Promise<unknown>>)[command] as (...a: Argument[]) => Promise<unknown>;
    return call.call(redis, keys.length, ...keys, ...args);
  }
}
