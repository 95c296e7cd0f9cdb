/** A test server's request body, or undefined when it is larger than the server takes (it answers 413 then). */
import type http from 'node:http';

export function readBody(request: http.IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => resolve(size <= maxBytes ? Buffer.concat(chunks) : undefined));
    request.on('error', reject);
  });
}
