/** The Message-ID of a message file, read from its header only. */
import fs from 'node:fs';

/** Headers longer than this are not searched (a Message-ID sits near the top). */
const HEAD_BYTES = 64 * 1024;

export async function readMessageId(file: string): Promise<string | undefined> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return messageIdOf(buffer.subarray(0, bytesRead).toString('latin1'));
  } finally {
    await handle.close();
  }
}

export function messageIdOf(head: string): string | undefined {
  const end = head.search(/\r?\n\r?\n/);
  const header = (end < 0 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id:[ \t]*(.*)$/im.exec(header);
  const value = match?.[1]?.trim();
  return value ? value : undefined;
}
