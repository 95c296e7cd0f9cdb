/**
 * A loopback TCP proxy in front of a POP3 server that can play a worse server than
 * Dovecot: one without UIDL or CAPA (RFC 1939 has neither), without STLS or without
 * PIPELINING, one that has lost a message, or one that drops the connection (or goes
 * silent) in the middle of an answer. Lines from the client are read one by one (until
 * STLS, after which the bytes are TLS and pass through untouched); it records which
 * commands each TCP read from the client carried, which shows whether they were pipelined.
 */
import net from 'node:net';

export interface Pop3ProxyOptions {
  /** The POP3 server's port on 127.0.0.1. */
  port: number;
  /** Answer a client's UIDL with "-ERR UIDL not supported" itself instead of forwarding it. */
  noUidl?: boolean;
  /** Answer a client's STLS with "-ERR STLS not supported" itself (a server without TLS). */
  noStls?: boolean;
  /** Answer a client's CAPA with "-ERR CAPA not supported" itself (an RFC 1939 server). */
  noCapa?: boolean;
  /** Remove PIPELINING from the server's CAPA answer (a server that does not pipeline). */
  noPipelining?: boolean;
  /** Remove UTF8 (RFC 6856) from the server's CAPA answer (a client that never enables it). */
  noUtf8?: boolean;
  /**
   * Forward "RETR n" for these numbers as a RETR of a number the server does not have, so
   * the server itself answers "-ERR no such message" in its place (in order, pipelined or not).
   */
  missing?: readonly number[];
  /** End each connection after this many bytes from the server have been forwarded (a server that dies mid-answer). */
  cutAfterBytes?: number;
  /** Forward nothing more from the server after this many bytes, keeping the connection open (a server gone silent). */
  stallAfterBytes?: number;
}

export interface Pop3Proxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /**
   * Per TCP read from a client (all connections, in order): the names of the complete
   * command lines it carried ("RETR", "LIST", ...). Arguments are never kept (passwords).
   */
  readonly reads: readonly (readonly string[])[];
  close(): Promise<void>;
}

/** A RETR of this is answered "-ERR" by any server (RFC 1939 message numbers are small). */
const NO_SUCH_MESSAGE = 999_999;

export async function startPop3Proxy(options: Pop3ProxyOptions): Promise<Pop3Proxy> {
  const open = new Set<net.Socket>();
  const reads: string[][] = [];
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
    const capa = { pending: 0 };
    relayServer(upstream, client, options, capa);
    relayClient(client, upstream, options, capa, reads);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get accepted() {
      return accepted;
    },
    reads,
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function relayServer(upstream: net.Socket, client: net.Socket, options: Pop3ProxyOptions, capa: { pending: number }): void {
  let forwarded = 0;
  const limit = options.cutAfterBytes ?? options.stallAfterBytes;
  const forward = (chunk: Buffer) => {
    if (limit === undefined || forwarded + chunk.length < limit) {
      forwarded += chunk.length;
      client.write(chunk);
      return;
    }
    if (forwarded >= limit) return;
    const last = chunk.subarray(0, limit - forwarded);
    forwarded = limit;
    if (options.stallAfterBytes !== undefined) {
      // Nothing more, and no FIN: to the client the server went silent mid-answer.
      client.write(last);
      return;
    }
    // The last bytes, then FIN: to the client the server hung up mid-answer.
    client.end(last);
    upstream.destroy();
  };
  // A CAPA answer being held back until it is complete, to take PIPELINING or UTF8 out of it.
  let held = Buffer.alloc(0);
  const removed = [...(options.noPipelining ? ['PIPELINING'] : []), ...(options.noUtf8 ? ['UTF8'] : [])];
  upstream.on('data', (chunk: Buffer) => {
    if (removed.length === 0 || capa.pending === 0) {
      forward(chunk);
      return;
    }
    held = Buffer.concat([held, chunk]);
    const end = held[0] === 0x2d ? held.indexOf('\r\n') + 2 : held.indexOf('\r\n.\r\n') + 5;
    if (end < 2) return;
    capa.pending -= 1;
    const answer = held.subarray(0, end).toString('latin1').replace(new RegExp(`^(${removed.join('|')})(?: [^\\r\\n]*)?\\r\\n`, 'gim'), '');
    forward(Buffer.concat([Buffer.from(answer, 'latin1'), held.subarray(end)]));
    held = Buffer.alloc(0);
  });
  upstream.on('end', () => client.end());
}

function relayClient(client: net.Socket, upstream: net.Socket, options: Pop3ProxyOptions, capa: { pending: number }, reads: string[][]): void {
  let pending = Buffer.alloc(0);
  let raw = false;
  client.on('data', (chunk: Buffer) => {
    if (raw) {
      upstream.write(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    const commands: string[] = [];
    const out: Buffer[] = [];
    for (let lf = pending.indexOf(0x0a); lf >= 0 && !raw; lf = pending.indexOf(0x0a)) {
      let line = pending.subarray(0, lf + 1);
      pending = pending.subarray(lf + 1);
      const [command = '', argument] = line.toString('latin1').trim().split(' ').map((word, i) => (i === 0 ? word.toUpperCase() : word));
      commands.push(command);
      if ((options.noUidl && command === 'UIDL') || (options.noStls && command === 'STLS') || (options.noCapa && command === 'CAPA')) {
        client.write(`-ERR ${command} not supported\r\n`);
        continue;
      }
      if (command === 'CAPA') capa.pending += 1;
      if (command === 'RETR' && options.missing?.includes(Number(argument))) line = Buffer.from(`RETR ${NO_SUCH_MESSAGE}\r\n`);
      out.push(line);
      // After STLS the client speaks TLS: no more lines to read.
      if (command === 'STLS') raw = true;
    }
    if (raw && pending.length > 0) {
      out.push(pending);
      pending = Buffer.alloc(0);
    }
    // One write per read, so the server sees the commands as the client sent them.
    if (out.length > 0) upstream.write(Buffer.concat(out));
    if (commands.length > 0) reads.push(commands);
  });
  client.on('end', () => upstream.end());
}
