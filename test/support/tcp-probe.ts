import net from 'node:net';

/** Options for {@link tcpExchange}. */
export interface TcpExchangeOptions {
  host?: string;
  /** Written once connected (before any reply is awaited), e.g. `PING\r\n`. */
  send?: string;
  /** Resolve as soon as the received text matches. */
  until: RegExp;
  /** Give up after this long (connect + reply). Default 2000 ms. */
  timeoutMs?: number;
}

/**
 * Connect, optionally send a line, and collect text until `until` matches.
 * Rejects on connection errors, early close or timeout; the socket is always destroyed.
 */
export function tcpExchange(port: number, options: TcpExchangeOptions): Promise<string> {
  const { host = '127.0.0.1', send, until, timeoutMs = 2000 } = options;
  return new Promise((resolve, reject) => {
    let received = '';
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(received);
    };
    const timer = setTimeout(
      () => finish(new Error(`tcpExchange ${host}:${port}: timeout, got ${JSON.stringify(received)}`)),
      timeoutMs,
    );
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      if (send !== undefined) socket.write(send);
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (until.test(received)) finish(null);
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error(`tcpExchange ${host}:${port}: closed, got ${JSON.stringify(received)}`)));
  });
}

/**
 * Retry {@link tcpExchange} until it succeeds, `alive()` turns false, or `deadlineMs` passes.
 * Used to wait for a freshly spawned server to accept and answer.
 */
export async function waitForTcp(
  port: number,
  options: TcpExchangeOptions & {
    deadlineMs: number;
    alive: () => boolean;
    what: string;
    /** Reject a reply (and retry), e.g. Redis's `-LOADING` while it replays the AOF. */
    accept?: (reply: string) => boolean;
  },
): Promise<string> {
  const start = Date.now();
  let lastError: unknown;
  while (Date.now() - start < options.deadlineMs) {
    if (!options.alive()) throw new Error(`${options.what} exited before answering on port ${port}`);
    try {
      const reply = await tcpExchange(port, { ...options, timeoutMs: Math.min(options.timeoutMs ?? 1000, 1000) });
      if (options.accept === undefined || options.accept(reply)) return reply;
      lastError = new Error(`not ready: ${JSON.stringify(reply)}`);
      await new Promise((r) => setTimeout(r, 15));
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 15));
    }
  }
  throw new Error(`${options.what} did not answer on port ${port} within ${options.deadlineMs} ms: ${String(lastError)}`);
}
