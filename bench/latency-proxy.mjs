/**
 * A TCP proxy that adds latency: every chunk is forwarded rtt/2 after it arrived, in each
 * direction, in arrival order (one FIFO delay line per direction). No bandwidth limit is
 * imposed; a full socket buffer pauses the sending side (ordinary TCP backpressure).
 *
 * It also counts connections: overall and per IMAP account. The account is sniffed from
 * the client's first bytes (`LOGIN user ...` or `AUTHENTICATE PLAIN`, with or without an
 * initial response), so the per-account peak can be checked against a connection cap.
 *
 * Usable as a module (startLatencyProxy) or standalone:
 *   node bench/latency-proxy.mjs --upstream 143 --rtt 20 [--port 0]
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const SNIFF_LIMIT = 16 * 1024;

/** One direction: chunks leave `delayMs` after they came in, in order. */
class DelayLine {
  constructor(from, to, delayMs, stats) {
    this.from = from;
    this.to = to;
    this.delayMs = delayMs;
    this.stats = stats;
    this.queue = [];
    this.timer = undefined;
    this.ended = false;
    from.on('data', (chunk) => this.push({ due: performance.now() + delayMs, chunk }));
    from.on('end', () => this.push({ due: performance.now() + delayMs, end: true }));
    to.on('drain', () => this.from.resume());
  }

  push(item) {
    this.queue.push(item);
    if (this.timer === undefined) this.arm();
  }

  arm() {
    const head = this.queue[0];
    if (!head) return;
    const wait = Math.max(0, head.due - performance.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  flush() {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0].due <= now + 0.5) {
      const item = this.queue.shift();
      this.stats.lateMsSum += now - item.due;
      this.stats.forwarded += 1;
      if (this.to.destroyed) continue;
      if (item.end) {
        this.to.end();
        continue;
      }
      this.stats.bytes += item.chunk.length;
      if (!this.to.write(item.chunk)) this.from.pause();
    }
    this.arm();
  }
}

/**
 * Counts IMAP command verbs in the client's stream ("UID FETCH", "APPEND", ...), skipping
 * literal payloads ({n} / {n+}), so message bodies are never mistaken for commands.
 */
class CommandCounter {
  /** @param {Map<string, number>} verbs @param {boolean} [server] parse the server's stream (count "+" lines) */
  constructor(verbs, server = false) {
    this.verbs = verbs;
    this.server = server;
    this.partial = '';
    this.skip = 0;
    this.atStart = true;
    this.current = null;
  }

  feed(chunk) {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const nl = chunk.indexOf(10, i);
      if (nl < 0) {
        if (this.partial.length < 8192) this.partial += chunk.toString('latin1', i, Math.min(chunk.length, i + 8192));
        return;
      }
      const line = this.partial + chunk.toString('latin1', i, nl + 1);
      this.partial = '';
      i = nl + 1;
      if (this.atStart && this.server) {
        // Continuation request: the client had to wait for it (synchronizing literal, AUTHENTICATE).
        if (line.startsWith('+')) this.verbs.set('(server "+" continuations)', (this.verbs.get('(server "+" continuations)') ?? 0) + 1);
      } else if (this.atStart) {
        const m = /^[A-Za-z0-9.+_-]+ ([A-Za-z]+)(?: ([A-Za-z]+))?/.exec(line);
        this.current = null;
        if (m) {
          const verb = m[1].toUpperCase() === 'UID' && m[2] ? `UID ${m[2].toUpperCase()}` : m[1].toUpperCase();
          this.verbs.set(verb, (this.verbs.get(verb) ?? 0) + 1);
          this.current = verb;
        }
      }
      const lit = /\{(\d+)\+?\}\r?\n$/.exec(line);
      if (lit) {
        this.skip = Number(lit[1]);
        this.atStart = false;
        // One literal per message: counts messages also when one APPEND carries many (MULTIAPPEND).
        if (this.current === 'APPEND') this.verbs.set('(messages appended)', (this.verbs.get('(messages appended)') ?? 0) + 1);
      } else {
        this.atStart = true;
      }
    }
  }
}

function sniffUser(text) {
  const login = /^\S+ LOGIN (?:"((?:[^"\\]|\\.)*)"|(\S+)) /im.exec(text);
  if (login) return (login[1] ?? login[2]).replace(/\\(.)/g, '$1');
  const auth = /^\S+ AUTHENTICATE PLAIN(?: (\S+))?\r\n(?:(\S+)\r\n)?/im.exec(text);
  const b64 = auth && (auth[1] ?? auth[2]);
  if (b64 && b64 !== '=') {
    const parts = Buffer.from(b64, 'base64').toString('utf8').split('\0');
    return parts[1] || parts[0] || null;
  }
  return null;
}

/**
 * @param {{ upstreamPort: number, upstreamHost?: string, rttMs: number, port?: number }} options
 */
export async function startLatencyProxy(options) {
  const { upstreamPort, upstreamHost = '127.0.0.1', rttMs } = options;
  const oneWay = rttMs / 2;
  const stats = {
    accepted: 0,
    active: 0,
    peak: 0,
    activeByUser: new Map(),
    peakByUser: new Map(),
    /** Since the last resetPeaks(): command verbs, and per connection the number of
     * client "turns" (client sends after the server spoke: round trips, for a client that
     * waits for answers; a pipelining client needs far fewer). */
    window: { verbs: new Map(), connections: [] },
    up: { bytes: 0, forwarded: 0, lateMsSum: 0 },
    down: { bytes: 0, forwarded: 0, lateMsSum: 0 },
  };
  const sockets = new Set();

  const server = net.createServer((client) => {
    stats.accepted += 1;
    stats.active += 1;
    stats.peak = Math.max(stats.peak, stats.active);
    const upstream = net.connect({ port: upstreamPort, host: upstreamHost });
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
    }
    let user = null;
    let sniffed = '';
    const conn = { user: null, turns: 0, lastFromServer: true };
    stats.window.connections.push(conn);
    const counter = new CommandCounter(stats.window.verbs);
    client.on('data', (chunk) => {
      if (conn.lastFromServer) conn.turns += 1;
      conn.lastFromServer = false;
      counter.feed(chunk);
    });
    const serverCounter = new CommandCounter(stats.window.verbs, true);
    upstream.on('data', (chunk) => {
      conn.lastFromServer = true;
      serverCounter.feed(chunk);
    });
    const onSniff = (chunk) => {
      sniffed += chunk.toString('latin1');
      user = sniffUser(sniffed);
      if (user !== null) {
        conn.user = user;
        const n = (stats.activeByUser.get(user) ?? 0) + 1;
        stats.activeByUser.set(user, n);
        stats.peakByUser.set(user, Math.max(stats.peakByUser.get(user) ?? 0, n));
      }
      if (user !== null || sniffed.length > SNIFF_LIMIT) client.off('data', onSniff);
    };
    client.on('data', onSniff);
    new DelayLine(client, upstream, oneWay, stats.up);
    new DelayLine(upstream, client, oneWay, stats.down);

    let closed = 0;
    const onClose = () => {
      closed += 1;
      if (closed === 1) {
        // One side is gone: the other follows once its delay line drained (it got 'end'),
        // or right away on errors.
        stats.active -= 1;
        if (user !== null) stats.activeByUser.set(user, (stats.activeByUser.get(user) ?? 1) - 1);
      }
    };
    const onError = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', onError);
      s.on('close', () => {
        sockets.delete(s);
        onClose();
      });
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = server.address().port;

  return {
    port,
    rttMs,
    stats,
    /** Start a new measurement window: peaks restart from what is open now. */
    resetPeaks() {
      stats.peak = stats.active;
      stats.peakByUser = new Map([...stats.activeByUser].filter(([, n]) => n > 0));
      stats.window = { verbs: new Map(), connections: [] };
    },
    /** Commands and round trips since the last resetPeaks(). */
    windowSummary() {
      const conns = stats.window.connections;
      const byUser = new Map();
      for (const c of conns) {
        const k = c.user ?? '?';
        const e = byUser.get(k) ?? { connections: 0, turns: 0, maxTurns: 0 };
        e.connections += 1;
        e.turns += c.turns;
        e.maxTurns = Math.max(e.maxTurns, c.turns);
        byUser.set(k, e);
      }
      return {
        verbs: Object.fromEntries([...stats.window.verbs].sort((a, b) => b[1] - a[1])),
        connections: conns.length,
        turns: conns.reduce((s, c) => s + c.turns, 0),
        maxTurnsOneConnection: Math.max(0, ...conns.map((c) => c.turns)),
        byUser: Object.fromEntries(byUser),
      };
    },
    /** Mean extra delay beyond rtt/2 that the timers added, per direction (ms). */
    timerSlackMs() {
      const avg = (d) => (d.forwarded ? d.lateMsSum / d.forwarded : 0);
      return { up: avg(stats.up), down: avg(stats.down) };
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// Standalone use.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const proxy = await startLatencyProxy({
    upstreamPort: Number(arg('upstream')),
    upstreamHost: arg('host', '127.0.0.1'),
    rttMs: Number(arg('rtt', '20')),
    port: Number(arg('port', '0')),
  });
  process.stderr.write(`latency proxy on 127.0.0.1:${proxy.port} -> ${arg('host', '127.0.0.1')}:${arg('upstream')} (+${proxy.rttMs} ms RTT)\n`);
  const stop = async () => {
    await proxy.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
