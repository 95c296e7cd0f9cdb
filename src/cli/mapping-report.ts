/**
 * `--mapping-report FILE`: where every POP3 message went, for the user to keep (a POP3
 * UIDL is the only name the old mailbox gave a message). Tab-separated, one line per
 * message: UIDL (or content key), target folder, target UID (0 = server did not say),
 * INTERNALDATE.
 */
import { writeFile } from 'node:fs/promises';
import { pairIdOf, type RunSpec } from '../config/index.js';
import { MAILDROP_FOLDER } from '../jobs/index.js';
import { KeyedFolderState, type RedisConnection, type StateKeys } from '../state/index.js';

export async function writeMappingReport(file: string, specs: readonly RunSpec[], redis: RedisConnection, keys: StateKeys): Promise<number> {
  const lines = ['# pair\tuidl\ttarget_folder\ttarget_uid\tinternal_date'];
  for (const spec of specs.filter((s) => s.source.kind === 'pop3')) {
    const state = new KeyedFolderState(redis, keys, pairIdOf(spec), MAILDROP_FOLDER, 'maildrop');
    const folder = (await state.cursor())?.target.path ?? '';
    const copies = [...(await state.allCopies())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, copy] of copies) lines.push([spec.pairName, key, folder, String(copy.targetUid), copy.date.toISOString()].join('\t'));
  }
  await writeFile(file, `${lines.join('\n')}\n`);
  return lines.length - 1;
}
