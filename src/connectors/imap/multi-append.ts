/**
 * MULTIAPPEND (RFC 3502): many messages in one APPEND command, one round trip instead
 * of one per message. The server stores all of the messages or none of them (RFC 3502
 * 6.3.11), so a refusal means "nothing of this batch was stored" and the caller may
 * retry one by one.
 *
 * imapflow has no MULTIAPPEND; this builds the command from the same attribute shapes
 * its own append uses and sends it with imapflow's command runner. Those are imapflow
 * 2.1 internals (exec, write, commandParts, lib/tools.js), not its public API: the target
 * checks them at connect (multiAppendSupport) and appends one message per command when
 * they are gone, and a contract test fails on the imapflow version that removes them. When the server
 * offers LITERAL+ (RFC 7888), the messages are written by `writeWithBodies` instead of
 * imapflow's compiler, because imapflow
 * - uses non-synchronizing literals only up to 4096 bytes even with LITERAL+, so every
 *   larger message would wait one round trip for the server's "+" (measured: 122 waits
 *   for 1,000 messages at 20 ms), and
 * - copies every literal into the compiled command (a 12 MB message held twice).
 */
import type { ImapFlow } from 'imapflow';

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

const EMPTY = Buffer.alloc(0);

/** imapflow 2.1's command-building helpers (lib/tools.js), loaded and checked by multiAppendSupport(). */
interface ToolsModule {
  encodePath(client: ImapFlow, path: string): string;
  formatDateTime(date: Date): string;
  formatFlag(flag: string): string | false;
}

let tools: Promise<ToolsModule | string> | undefined;

/** The helpers, or why they cannot be had; loaded once. */
function loadTools(): Promise<ToolsModule | string> {
  tools ??= import('imapflow/lib/tools.js').then(
    (module: Record<string, unknown>) => {
      const missing = ['encodePath', 'formatDateTime', 'formatFlag'].filter((name) => typeof module[name] !== 'function');
      return missing.length === 0 ? (module as unknown as ToolsModule) : `imapflow/lib/tools.js lacks ${missing.join(', ')}`;
    },
    (error: unknown) => `imapflow/lib/tools.js cannot be loaded (${(error as Error).message})`,
  );
  return tools;
}

/**
 * Whether this imapflow still has the internals MULTIAPPEND is built on: undefined when it
 * has, else what is missing. The deep import is loaded here, not at the top of the module,
 * so an imapflow without it costs the batch path only, not the whole IMAP connector.
 * Callers check once per connection and append one message per command otherwise.
 */
export async function multiAppendSupport(client: ImapFlow): Promise<string | undefined> {
  const loaded = await loadTools();
  if (typeof loaded === 'string') return loaded;
  const runner = client as unknown as Partial<CommandRunner>;
  const missing = [
    typeof runner.exec === 'function' ? undefined : 'exec()',
    typeof runner.write === 'function' ? undefined : 'write()',
    Array.isArray(runner.commandParts) ? undefined : 'commandParts',
  ].filter((name): name is string => name !== undefined);
  return missing.length === 0 ? undefined : `ImapFlow lacks ${missing.join(', ')}`;
}

async function loadedTools(): Promise<ToolsModule> {
  const loaded = await loadTools();
  if (typeof loaded === 'string') throw new Error(`MULTIAPPEND unavailable: ${loaded}`);
  return loaded;
}

/**
 * Appends `items` to `path` in one command. Returns the new UIDs in order when the
 * server reports them (APPENDUID with a UID set, RFC 4315 3), else an empty list.
 */
export async function multiAppend(client: ImapFlow, path: string, items: readonly BatchItem[]): Promise<number[]> {
  const { encodePath, formatDateTime, formatFlag } = await loadedTools();
  const binary = client.capabilities.has('BINARY');
  const literalPlus = client.capabilities.has('LITERAL+');
  const attributes: unknown[] = [{ type: 'ATOM', value: encodePath(client, path) } satisfies ImapAttribute];
  for (const item of items) {
    const flags = item.flags.map((flag) => formatFlag(flag)).filter((flag): flag is string => Boolean(flag));
    attributes.push(flags.map((flag) => ({ type: 'ATOM', value: flag })));
    attributes.push({ type: 'STRING', value: formatDateTime(item.internalDate) } satisfies ImapAttribute);
    // With LITERAL+ an empty placeholder: writeWithBodies puts the real size and bytes in.
    // NUL bytes are not allowed in a plain literal; literal8 carries them (RFC 3516 4.4).
    // (Dovecot 2.3 takes a NUL in a plain literal and stores 0x80 instead, silently.)
    const value = literalPlus ? EMPTY : item.raw;
    attributes.push({ type: 'LITERAL', value, isLiteral8: binary && item.raw.includes(0) } satisfies ImapAttribute);
  }
  const runner = client as unknown as CommandRunner;
  const restore = literalPlus ? writeWithBodies(runner, items.map((item) => item.raw)) : () => undefined;
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
 * Hooks the connection's next APPEND write. imapflow compiled the command with empty
 * literals, each a non-synchronizing `{0+}\r\n` (or `~{0+}\r\n`) header followed by no
 * bytes, all in one frame. Each header gets its message's real size, and the message
 * bytes are written right after it, as they are (no copy). A frame that does not hold
 * exactly one placeholder per message is refused before anything is written: sending
 * it would store empty messages. Returns the function that undoes the hook.
 */
function writeWithBodies(runner: CommandRunner, bodies: readonly Buffer[]): () => void {
  const write = runner.write;
  const restore = () => {
    runner.write = write;
  };
  runner.write = function hookedWrite(this: CommandRunner, chunk: Buffer | string) {
    // Only our APPEND's frame; anything else (a keepalive) passes untouched.
    if (!Buffer.isBuffer(chunk) || !/^[0-9A-Za-z]+ APPEND /.test(chunk.subarray(0, 64).toString('latin1'))) {
      return write.call(this, chunk);
    }
    restore();
    const text = chunk.toString('latin1');
    // A literal8's "~" stays in the text before the match: "~{n+}", which RFC 7888 allows
    // where the server has both BINARY and LITERAL+ (tested against Dovecot).
    const placeholders = [...text.matchAll(/\{0\+\}\r\n/g)];
    if (this.commandParts.length > 0 || placeholders.length !== bodies.length) {
      throw new Error(`MULTIAPPEND: expected ${bodies.length} literal placeholders in one frame, found ${placeholders.length}`);
    }
    // imapflow's write() ends the command with CRLF only when no parts are pending, copying
    // the frame to do so; keep one pending until the end and send the CRLF on its own.
    this.commandParts = [EMPTY];
    let from = 0;
    placeholders.forEach((placeholder, i) => {
      const body = bodies[i] as Buffer;
      const at = placeholder.index;
      write.call(this, Buffer.concat([chunk.subarray(from, at), Buffer.from(`{${body.length}+}\r\n`, 'latin1')]));
      write.call(this, body);
      from = at + placeholder[0].length;
    });
    write.call(this, chunk.subarray(from));
    this.commandParts = [];
    return write.call(this, EMPTY);
  };
  return restore;
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
