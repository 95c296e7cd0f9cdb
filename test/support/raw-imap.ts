/**
 * A bare IMAP socket for tests that need exact bytes on the wire (a literal8, a command
 * split over several TCP writes, IDLE's DONE), which a client library would not send.
 */
import net from 'node:net';

export interface RawImap {
  /** Write bytes as they are (add the CRLF yourself). */
  write(bytes: string | Buffer): Promise<void>;
  /** Resolves with everything received since the last `until` once it matches `pattern`. */
  until(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

/** Connects to 127.0.0.1:port and waits for the greeting. */
export async function connectRawImap(port: number): Promise<RawImap> {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  let waiter: (() => void) | undefined;
  let failure: Error | undefined;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    waiter?.();
  });
  socket.on('error', (error) => {
    failure = error;
    waiter?.();
  });
  socket.on('close', () => {
    failure ??= new Error('raw IMAP: connection closed');
    waiter?.();
  });
  const raw: RawImap = {
    write: (bytes) => new Promise((resolve, reject) => socket.write(bytes, (error) => (error ? reject(error) : resolve()))),
    until(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`raw IMAP: no ${pattern} in ${JSON.stringify(received)}`)), timeoutMs);
        waiter = () => {
          const match = pattern.exec(received);
          if (!match && !failure) return;
          clearTimeout(timer);
          waiter = undefined;
          if (!match) return reject(failure);
          const text = received.slice(0, match.index + match[0].length);
          received = received.slice(text.length);
          resolve(text);
        };
        waiter();
      });
    },
    close: () => socket.destroy(),
  };
  await raw.until(/^\* OK.*\r\n/m);
  return raw;
}
