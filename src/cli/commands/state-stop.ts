/**
 * `mailferry state stop [--state-dir DIR]`: stops the embedded Redis of a state directory
 * now, instead of after its idle time. Its data stays in the directory's AOF; the next
 * command starts it again. Exit 0 whether it was running or not.
 */
import { readEnvironment } from '../../config/index.js';
import { embeddedRedisDir, stopEmbeddedRedis } from '../../state/index.js';
import { EXIT } from '../exit-codes.js';

export async function stateStop(options: { readonly stateDir?: string }): Promise<number> {
  const stateDir = options.stateDir ?? readEnvironment().defaultStateDir;
  const stopped = await stopEmbeddedRedis(stateDir);
  process.stdout.write(stopped ? `stopped the embedded Redis in ${embeddedRedisDir(stateDir)}\n` : `no embedded Redis is running in ${embeddedRedisDir(stateDir)}\n`);
  return EXIT.OK;
}
