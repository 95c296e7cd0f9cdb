/**
 * MULTIAPPEND (RFC 3502): many messages in one APPEND command, one round trip instead
 * of one per message. With LITERAL+ (RFC 7888) the whole command goes out at once.
 * The server stores all of the messages or none of them (RFC 3502 6.3.11), so a
 * refusal means "nothing of this batch was stored" and the caller may retry one by one.
 *
 * imapflow has no MULTIAPPEND; this builds the command from the same attribute shapes
 * its own append uses and sends it with imapflow's command runner.
 */
import type { ImapFlow } from 'imapflow';
import { encodePath, formatDateTime, formatFlag } from 'imapflow/lib/tools.js';

export interface BatchItem {
  readonly raw: Buffer;
  readonly flags: readonly string[];
  readonly internalDate: Date;
}

interface ImapAttribute {
  readonly type: string;
  readonly value: unknown;
  readonly isLiteral8?: boolean;
}

/** imapflow's internal command runner (present on every ImapFlow; not in its typings). */
interface CommandRunner {
  exec(command: string, attributes: unknown[]): Promise<{ response: { attributes?: Array<{ section?: Array<{ value?: unknown }> }> }; next(): void }>;
}

/**
 * Appends `items` to `path` in one command. Returns the new UIDs in order when the
 * server reports them (APPENDUID with a UID set, RFC 4315 3), else an empty list.
 */
export async function multiAppend(client: ImapFlow, path: string, items: readonly BatchItem[]): Promise<number[]> {
  const binary = client.capabilities.has('BINARY');
  const attributes: unknown[] = [{ type: 'ATOM', value: encodePath(client, path) } satisfies ImapAttribute];
  for (const item of items) {
    const flags = item.flags.map((flag) => formatFlag(flag)).filter((flag): flag is string => Boolean(flag));
    attributes.push(flags.map((flag) => ({ type: 'ATOM', value: flag })));
    attributes.push({ type: 'STRING', value: formatDateTime(item.internalDate) } satisfies ImapAttribute);
    // NUL bytes are not allowed in a plain literal; literal8 carries them (RFC 3516 4.4).
    attributes.push({ type: 'LITERAL', value: item.raw, isLiteral8: binary && item.raw.includes(0) } satisfies ImapAttribute);
  }
  const response = await (client as unknown as CommandRunner).exec('APPEND', attributes);
  try {
    return parseAppendUids(response.response.attributes?.[0]?.section, items.length);
  } finally {
    response.next();
  }
}

/** `[APPENDUID <uidvalidity> <uid-set>]` -> the UIDs in order; [] when absent or not one per message. */
function parseAppendUids(section: Array<{ value?: unknown }> | undefined, count: number): number[] {
  if (!section || String(section[0]?.value ?? '').toUpperCase() !== 'APPENDUID') return [];
  const uids: number[] = [];
  for (const part of String(section[2]?.value ?? '').split(',')) {
    const [from, to] = part.split(':').map(Number);
    if (from === undefined || !Number.isSafeInteger(from) || from < 1) return [];
    const last = to === undefined ? from : to;
    if (!Number.isSafeInteger(last) || last < from || last - from > count) return [];
    for (let uid = from; uid <= last; uid += 1) uids.push(uid);
  }
  return uids.length === count ? uids : [];
}
