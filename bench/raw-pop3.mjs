/**
 * The floor for reading a POP3 box: one plain `net` connection, USER/PASS, UIDL, LIST,
 * then RETR of every message, bodies counted and discarded, QUIT.
 *
 * Without --pipeline each RETR is written only when the previous answer has been read to
 * its terminating ".\r\n": one round trip per message, the fastest a non-pipelining POP3
 * reader can go (which is how mailferry's POP3 source reads from a server without
 * PIPELINING). With --pipeline W it checks CAPA for PIPELINING (RFC 2449) and keeps up to
 * W RETR commands outstanding (as mailferry does, with a window of 32, when the server
 * lists it; the reference of the bench's POP3 latency scenario).
 *
 * Run as a child process so its wall time and peak RSS are measured like the other tools:
 *   MAILFERRY_SOURCE_PASSWORD=... node bench/raw-pop3.mjs --port P --user U [--host H] [--pipeline W]
 * Prints {"messages":N,"bytes":B,"wireBytes":W,"listedBytes":L,"pipeline":W} on stdout;
 * `bytes` are the message bytes (dot-unstuffed), which must equal the corpus's.
 */
import net from 'node:net';
import { pathToFileURL } from 'node:url';

const CRLF = Buffer.from('\r\n');
/** End of a multi-line answer, counting the CRLF that ends the status line or the last body line. */
const TERMINATOR = Buffer.from('\r\n.\r\n');
/** A dot-stuffed body line ("..x" on the wire is ".x"). */
const STUFFED = Buffer.from('\r\n..');

/**
 * Reads POP3 answers off a socket in order: `expect(multiLine)` resolves with the status
 * line (and, for a multi-line answer, once its body is complete: its byte counts).
 * Several answers may be expected at once (pipelining); each chunk is scanned once.
 */
class Pop3Reader {
  constructor(socket) {
    this.socket = socket;
    /** Expected answers, oldest first: { multiLine, resolve, reject }. */
    this.queue = [];
    /** Bytes of a status line not yet complete. */
    this.line = Buffer.alloc(0);
    /** In a body: the last (up to 4) bytes already scanned, to find a terminator split across chunks. */
    this.tail = null;
    this.bodyWire = 0;
    this.bodyStuffed = 0;
    this.dead = null;
    socket.on('data', (chunk) => this.onData(chunk));
    const die = (error) => {
      this.dead ??= error;
      for (const q of this.queue.splice(0)) q.reject(this.dead);
    };
    socket.on('error', die);
    socket.on('close', () => die(new Error('connection closed')));
  }

  expect(multiLine) {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => this.queue.push({ multiLine, resolve, reject, status: null }));
  }

  onData(chunk) {
    let data = chunk;
    while (data.length > 0) {
      const q = this.queue[0];
      if (!q) {
        this.socket.destroy(new Error(`server sent unasked: ${data.subarray(0, 80).toString('latin1')}`));
        return;
      }
      data = this.tail === null ? this.readStatus(q, data) : this.readBody(q, data);
    }
  }

  /** Consumes a status line; returns the rest of `data`. */
  readStatus(q, data) {
    let lineBytes;
    let rest;
    if (this.line.length > 0 && this.line[this.line.length - 1] === 0x0d && data[0] === 0x0a) {
      // The CRLF was split between two chunks.
      lineBytes = this.line.subarray(0, -1);
      rest = data.subarray(1);
    } else {
      const at = data.indexOf(CRLF);
      if (at < 0) {
        this.line = Buffer.concat([this.line, data]);
        return Buffer.alloc(0);
      }
      lineBytes = this.line.length ? Buffer.concat([this.line, data.subarray(0, at)]) : data.subarray(0, at);
      rest = data.subarray(at + 2);
    }
    this.line = Buffer.alloc(0);
    const status = lineBytes.toString('latin1');
    if (!status.startsWith('+OK')) {
      this.queue.shift();
      q.reject(new Error(`server said: ${status}`));
      return rest;
    }
    if (!q.multiLine) {
      this.queue.shift();
      q.resolve({ status });
      return rest;
    }
    q.status = status;
    this.tail = CRLF; // the status line's CRLF: an empty body is just ".\r\n"
    this.bodyWire = 0;
    this.bodyStuffed = 0;
    return rest;
  }

  /** Scans body bytes for the terminator; returns what follows it (the next answer), or nothing. */
  readBody(q, data) {
    const tail = this.tail;
    const b = Buffer.concat([tail, data]);
    const end = b.indexOf(TERMINATOR);
    const limit = end < 0 ? b.length : end;
    // Stuffed dots whose last byte is new data (those wholly within `tail` were counted with the previous chunk).
    for (let p = b.indexOf(STUFFED, Math.max(0, tail.length - 3)); p >= 0 && p < limit; p = b.indexOf(STUFFED, p + 1)) this.bodyStuffed += 1;
    if (end < 0) {
      this.bodyWire += data.length;
      this.tail = Buffer.from(b.subarray(Math.max(0, b.length - 4)));
      return Buffer.alloc(0);
    }
    // Body = up to and including the CRLF before the "."; may be negative when bytes
    // counted with the previous chunk turn out to be part of the terminator.
    this.bodyWire += end + 2 - tail.length;
    this.tail = null;
    this.queue.shift();
    q.resolve({ status: q.status, wire: this.bodyWire, bytes: this.bodyWire - this.bodyStuffed });
    return b.subarray(end + TERMINATOR.length);
  }
}

export async function rawPop3ReadAll({ host = '127.0.0.1', port, user, password, pipeline = 0 }) {
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const reader = new Pop3Reader(socket);
  const send = (line) => socket.write(`${line}\r\n`);
  const single = (line) => {
    const answer = reader.expect(false);
    if (line) send(line);
    return answer;
  };
  const multi = (line) => {
    const answer = reader.expect(true);
    send(line);
    return answer;
  };
  const bodyText = async (line) => {
    // LIST/UIDL/CAPA are small: collect their text.
    const chunks = [];
    const onData = (c) => chunks.push(c);
    socket.on('data', onData);
    try {
      await multi(line);
    } finally {
      socket.off('data', onData);
    }
    const text = Buffer.concat(chunks).toString('latin1');
    const start = text.indexOf('\r\n') + 2;
    return text.slice(start, text.lastIndexOf('\r\n.\r\n') + 2).split('\r\n').filter(Boolean);
  };

  try {
    await single(null); // greeting
    if (pipeline > 0) {
      const capa = await bodyText('CAPA');
      if (!capa.some((l) => l.trim().toUpperCase() === 'PIPELINING')) throw new Error(`the server does not advertise PIPELINING (CAPA: ${capa.join(', ')})`);
    }
    await single(`USER ${user}`);
    await single(`PASS ${password}`);
    const uidl = await bodyText('UIDL');
    const list = await bodyText('LIST');
    const numbers = list.map((l) => Number(l.split(' ')[0]));
    const listedBytes = list.reduce((s, l) => s + Number(l.split(' ')[1]), 0);
    if (uidl.length !== numbers.length) throw new Error(`UIDL lists ${uidl.length} messages, LIST ${numbers.length}`);

    let messages = 0;
    let bytes = 0;
    let wireBytes = 0;
    const tally = (r) => {
      messages += 1;
      bytes += r.bytes;
      wireBytes += r.wire;
    };
    if (pipeline <= 0) {
      for (const n of numbers) tally(await multi(`RETR ${n}`));
    } else {
      // Keep up to `pipeline` RETRs outstanding; top up (one write) when half have been answered.
      let next = 0;
      const pending = [];
      const topUp = () => {
        const lines = [];
        while (next < numbers.length && pending.length < pipeline) {
          pending.push(reader.expect(true));
          lines.push(`RETR ${numbers[next++]}\r\n`);
        }
        if (lines.length) socket.write(lines.join(''));
      };
      topUp();
      while (pending.length > 0) {
        tally(await pending.shift());
        if (pending.length <= pipeline / 2) topUp();
      }
    }
    await single('QUIT');
    return { messages, bytes, wireBytes, listedBytes, pipeline };
  } finally {
    socket.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const result = await rawPop3ReadAll({
    host: arg('host', '127.0.0.1'),
    port: Number(arg('port')),
    user: arg('user'),
    password: process.env.MAILFERRY_SOURCE_PASSWORD ?? '',
    pipeline: Number(arg('pipeline', '0')),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
