/**
 * MULTIAPPEND (RFC 3502): many messages in one APPEND command, one round trip instead
 * of one per message. With LITERAL+ (RFC 7888) the whole command goes out at once.
 * The server stores all of the messages or none of them (RFC 3502 6.3.11), so a
 * refusal means "nothing of this batch was stored" and the caller may retry one by one.
 *
 * imapflow has no MULTIAPPEND; this builds the command from the same attribute shapes
 * its own append uses and sends it with imapflow's command runner.
 *
 * imapflow uses non-synchronizing literals only up to 4096 bytes (the LITERAL- rule,
 * RFC 7888 5) even when the server offers LITERAL+, so every larger message would wait
 * one round trip for the server's "+" (measured: 122 waits for 1,000 messages at 20 ms).
 * With LITERAL+ the command is therefore rewritten to non-synchronizing literals and
 * written in one piece (see `sendInOnePiece`).
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

/** imapflow 2.1 internals used here (present on every ImapFlow; not in its typings). */
interface CommandRunner {
  exec(command: string, attributes: unknown[]): Promise<{ response: { attributes?: Array<{ section?: Array<{ value?: unknown }> }> }; next(): void }>;
  /** Writes one frame; appends CRLF when `commandParts` is empty (the command is complete). */
  write(chunk: Buffer | string): unknown;
  /** The frames of the command in flight still to be sent, each after a "+" continuation. */
  commandParts: Buffer[];
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
  const runner = client as unknown as CommandRunner;
  const restore = client.capabilities.has('LITERAL+') ? sendInOnePiece(runner) : () => undefined;
  let response;
  try {
    response = await runner.exec('APPEND', attributes);
  } finally {
    restore();
  }
  try {
    return parseAppendUids(response.response.attributes?.[0]?.section, items.length);
  } finally {
    response.next();
  }
}

/**
 * Makes the next APPEND go out in one write with non-synchronizing literals (LITERAL+,
 * RFC 7888 3): imapflow splits a command after each synchronizing literal header
 * `{n}\r\n` and sends the next frame when the server answers "+". Every frame but the
 * last ends with exactly such a header (the split point), so it becomes `{n+}\r\n` and
 * all frames are written at once. Returns the function that undoes the hook.
 */
function sendInOnePiece(runner: CommandRunner): () => void {
  const write = runner.write;
  const restore = () => {
    runner.write = write;
  };
  runner.write = function hookedWrite(this: CommandRunner, chunk: Buffer | string) {
    // Only our APPEND's first frame; anything else (a keepalive) passes untouched.
    if (!Buffer.isBuffer(chunk) || !/^[0-9A-Za-z]+ APPEND /.test(chunk.subarray(0, 64).toString('latin1'))) {
      return write.call(this, chunk);
    }
    restore();
    const frames = [chunk, ...this.commandParts];
    // Frame by frame, never concatenated: a 12 MB message is not copied once more here.
    // imapflow's write() ends a command with CRLF when no parts are left, copying the
    // frame to do so; the CRLF goes out on its own instead.
    const pending = [Buffer.alloc(0)];
    frames.forEach((frame, i) => {
      this.commandParts = pending;
      write.call(this, i < frames.length - 1 ? nonSynchronizing(frame) : frame);
    });
    this.commandParts = [];
    return write.call(this, Buffer.alloc(0));
  };
  return restore;
}

/** `...{123}\r\n` -> `...{123+}\r\n` (also for literal8 `~{123}`). */
function nonSynchronizing(frame: Buffer): Buffer {
  const tail = frame.subarray(Math.max(0, frame.length - 24)).toString('latin1');
  const match = /\{(\d+)\}\r\n$/.exec(tail);
  if (!match) return frame;
  const header = Buffer.from(`{${match[1]}+}\r\n`, 'latin1');
  return Buffer.concat([frame.subarray(0, frame.length - match[0].length), header]);
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
