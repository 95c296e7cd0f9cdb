/**
 * Copies a message's chunks into one buffer of the announced size as they arrive, so the
 * message exists once in memory (not also as a list of chunks to concatenate).
 */
export async function collectBytes(stream: AsyncIterable<Buffer>, size: number): Promise<Buffer> {
  let buffer = Buffer.allocUnsafe(Math.max(0, size));
  let length = 0;
  for await (const chunk of stream) {
    if (length + chunk.length > buffer.length) {
      // The server's size was short; grow rather than lose bytes.
      const larger = Buffer.allocUnsafe(Math.max(buffer.length * 2, length + chunk.length));
      buffer.copy(larger, 0, 0, length);
      buffer = larger;
    }
    chunk.copy(buffer, length);
    length += chunk.length;
  }
  return length === buffer.length ? buffer : buffer.subarray(0, length);
}
