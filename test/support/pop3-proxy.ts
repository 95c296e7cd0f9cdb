/**
 * A loopback TCP proxy in front of a POP3 server that can play a worse server than
 * Dovecot: one without UIDL (RFC 1939 makes it optional) or without STLS, or one that
 * drops the connection in the middle of an answer. Lines from the client are read one by one
 * (until STLS, after which the bytes are TLS and pass through untouched).
 */
import net from 'node:net';

export interface Pop3ProxyOptions {
  /** The POP3 server's port on 127.0.0.1. */
  port: number;
  /** Answer a client's UIDL with "-ERR UIDL not supported" itself instead of forwarding it. */
  noUidl?: boolean;
  /** Answer a client's STLS with "-ERR STLS not supported" itself (a server without TLS). */
  noStls?: boolean;
  /** End each connection after this many bytes from the server have been forwarded (a server that dies mid-answer). */
  cutAfterBytes?: number;
}

export interface Pop3Proxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startPop3Proxy(options: Pop3ProxyOptions): Promise<Pop3Proxy> {
  const open = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted += 1;
    const upstream = net.connect(options.port, '127.0.0.1');
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      open.add(a);
      a.on('close', () => {
        open.delete(a);
        b.destroy();
      });
      a.on('error', () => b.destroy());
    }
    relayServer(upstream, client, options.cutAfterBytes);
    relayClient(client, upstream, options);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get accepted() {
      return accepted;
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function relayServer(upstream: net.Socket, client: net.Socket, cutAfterBytes: number | undefined): void {
  let forwarded = 0;
  upstream.on('data', (chunk: Buffer) => {
    if (cutAfterBytes === undefined || forwarded + chunk.length < cutAfterBytes) {
      forwarded += chunk.length;
      client.write(chunk);
      return;
    }
    // The last bytes, then FIN: to the client the server hung up mid-answer.
    client.end(chunk.subarray(0, cutAfterBytes - forwarded));
    forwarded = cutAfterBytes;
    upstream.destroy();
  });
  upstream.on('end', () => client.end());
}

function relayClient(client: net.Socket, upstream: net.Socket, options: Pop3ProxyOptions): void {
  let pending = Buffer.alloc(0);
  let raw = false;
  client.on('data', (chunk: Buffer) => {
    if (raw) {
      upstream.write(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    for (let lf = pending.indexOf(0x0a); lf >= 0 && !raw; lf = pending.indexOf(0x0a)) {
      const line = pending.subarray(0, lf + 1);
      pending = pending.subarray(lf + 1);
      const command = line.toString('latin1').trim().split(' ')[0]?.toUpperCase();
      if ((options.noUidl && command === 'UIDL') || (options.noStls && command === 'STLS')) {
        client.write(`-ERR ${command} not supported\r\n`);
        continue;
      }
      upstream.write(line);
      // After STLS the client speaks TLS: no more lines to read.
      if (command === 'STLS') raw = true;
    }
    if (raw && pending.length > 0) {
      upstream.write(pending);
      pending = Buffer.alloc(0);
    }
  });
  client.on('end', () => upstream.end());
}
