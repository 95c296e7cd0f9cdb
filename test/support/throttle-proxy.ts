/**
 * A loopback IMAP proxy in front of a real Dovecot that records when every command arrives
 * and can answer chosen commands itself with a "back off" (e.g. `NO [THROTTLED] ...`),
 * the way a provider's rate limiter does, without the server ever seeing them. A test of
 * an account-wide back-off then checks from `requests` that no connection sent anything
 * new to the account while the window was open (see ./arrivals.ts for that question).
 *
 * Both directions are cut into lines and literals by ./imap-framing.ts, so a command is
 * recognised however its bytes are split over TCP reads, and APPEND data (synchronizing
 * `{n}`, LITERAL+ `{n+}`, literal8 `~{n}`/`~{n+}`) is never mistaken for commands. Lines
 * that are not commands (IDLE's `DONE`, AUTHENTICATE's SASL responses, RFC 3501 6.2.2 and
 * RFC 2177) are single words: they are forwarded and not recorded.
 *
 * Plain IMAP only: after a successful STARTTLS or COMPRESS the bytes are TLS or DEFLATE,
 * so the connection is relayed untouched from then on, and nothing more is recorded.
 *
 * Times are `nowMs()` of ./arrivals.ts: epoch milliseconds from
 * `performance.timeOrigin + performance.now()` (monotonic here, comparable with Date.now()).
 */
import net from 'node:net';
import { insertByArrival, nowMs, type Arrival } from './arrivals.js';
import { ImapFramer } from './imap-framing.js';

/** One client command, as the proxy saw it. */
export interface ImapRequestRecord extends Arrival {
  /** 1, 2, ... in the order the proxy accepted the client connections. */
  readonly connection: number;
  readonly tag: string;
  /** The verb upper-cased, with a UID prefix kept: 'LOGIN', 'SELECT', 'UID FETCH', 'APPEND'. */
  readonly command: string;
  /** When the command's first byte reached the proxy. */
  readonly at: number;
  /** When its last byte did (after all its literals); unset while it is still arriving. */
  readonly endAt?: number;
  /** When the tagged answer was passed to the client (the server's, or the proxy's own when throttled). */
  readonly answeredAt?: number;
  /** Answered by the proxy itself (an armed throttleNext): the server never saw it. */
  readonly throttled: boolean;
}

/** One answer the proxy gave in the server's place. */
export interface ImapFaultRecord {
  readonly connection: number;
  readonly tag: string;
  readonly command: string;
  /** When the answer was written to the client. */
  readonly at: number;
  /** The text after the tag, e.g. 'NO [THROTTLED] Too many requests'. */
  readonly answer: string;
}

export interface ThrottleMatch {
  /** A verb as recorded ('APPEND', 'UID FETCH'; case does not matter) or a RegExp tested against it. */
  command: string | RegExp;
  /** How many matching commands to answer (default 1). */
  count?: number;
  /** Only commands on this connection (see ImapRequestRecord.connection); default any. */
  connection?: number;
}

export interface ThrottleProxy {
  readonly port: number;
  /** Client connections accepted so far. */
  readonly accepted: number;
  /** Every command of every connection, sorted by `at`. */
  readonly requests: ReadonlyArray<ImapRequestRecord>;
  /** Every answer given by the proxy, in the order written. */
  readonly faults: ReadonlyArray<ImapFaultRecord>;
  /**
   * The next `count` commands matching `match` are not forwarded; the proxy answers each
   * with `<tag> <answer>` once the whole command has arrived. A command that announces a
   * synchronizing literal is answered straight after that line, before any "+": RFC 3501
   * 7.5 lets a server refuse there, and the client then does not send the literal.
   * Arming again adds to the earlier arms; the first matching arm is used.
   */
  throttleNext(match: ThrottleMatch, answer: string): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };
type RequestRecord = Writable<ImapRequestRecord>;
interface Arm { match: ThrottleMatch; left: number; answer: string }

/** After their tagged OK the stream is no longer IMAP text (RFC 3501 6.2.1, RFC 4978). */
const STREAM_CHANGERS = new Set(['STARTTLS', 'COMPRESS']);

export async function startThrottleProxy(imapPort: number): Promise<ThrottleProxy> {
  const open = new Set<net.Socket>();
  const requests: RequestRecord[] = [];
  const faults: ImapFaultRecord[] = [];
  const arms: Arm[] = [];
  let accepted = 0;

  /** The arm that takes this command, used up by one; undefined to forward it. */
  const takeArm = (command: string, connection: number): Arm | undefined => {
    const arm = arms.find(({ match }) =>
      (match.connection === undefined || match.connection === connection) &&
      (typeof match.command === 'string' ? match.command.toUpperCase() === command : match.command.test(command)));
    if (arm && --arm.left <= 0) arms.splice(arms.indexOf(arm), 1);
    return arm;
  };

  const server = net.createServer((client) => {
    accepted += 1;
    const upstream = net.connect(imapPort, '127.0.0.1');
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      open.add(a);
      a.on('close', () => {
        open.delete(a);
        b.destroy();
      });
      a.on('error', () => b.destroy());
      a.on('end', () => b.end());
    }
    relay(accepted, client, upstream, { requests, faults, takeArm });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() {
      return accepted;
    },
    requests,
    faults,
    throttleNext(match, answer) {
      arms.push({ match, left: match.count ?? 1, answer });
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

interface Shared {
  requests: RequestRecord[];
  faults: ImapFaultRecord[];
  takeArm(command: string, connection: number): Arm | undefined;
}

/** The first words of a line (tag or "*" or "+", then the verb or status); only the head of a long line is decoded. */
const firstWords = (line: Buffer, n: number): string[] => line.subarray(0, 128).toString('latin1').split(/[ \r\n]/, n);

interface Current {
  record: RequestRecord;
  /** The arm answering it, when throttled: its bytes are then dropped, not forwarded. */
  arm: Arm | undefined;
}

function relay(connection: number, client: net.Socket, upstream: net.Socket, shared: Shared): void {
  /** The command whose lines and literals are arriving. */
  let current: Current | undefined;
  /** Tag of a forwarded command that announced a synchronizing literal and waits for "+". */
  let awaitingPlus: string | undefined;
  /** Forwarded commands without a tagged answer yet, by tag. */
  const unanswered = new Map<string, RequestRecord>();
  /** Answers to throttled commands, held while the server is in the middle of a response. */
  const held: Array<() => void> = [];

  const answer = ({ record, arm }: Current & { arm: Arm }) => {
    const write = () => {
      record.answeredAt = nowMs();
      client.write(`${record.tag} ${arm.answer}\r\n`);
      shared.faults.push({ connection, tag: record.tag, command: record.command, at: record.answeredAt, answer: arm.answer });
    };
    // A line put inside a server response that is carrying a literal would corrupt it.
    if (serverFramer.atBoundary) write();
    else held.push(write);
  };

  const startCommand = (line: Buffer, at: number): Current | undefined => {
    const [tag = '', verb = '', next = ''] = firstWords(line, 3);
    if (verb === '') return undefined; // DONE, a SASL response, an empty line: not a command
    const command = verb.toUpperCase() === 'UID' && next !== '' ? `UID ${next.toUpperCase()}` : verb.toUpperCase();
    const record: RequestRecord = { connection, tag, command, at, throttled: false };
    const arm = shared.takeArm(command, connection);
    if (arm) record.throttled = true;
    else unanswered.set(tag, record);
    insertByArrival(shared.requests, record);
    return { record, arm };
  };

  const clientFramer = new ImapFramer((piece) => {
    if (piece.kind !== 'line') {
      if (!current?.arm) upstream.write(piece.bytes);
      return;
    }
    const command = current ?? startCommand(piece.bytes, piece.at);
    if (!command?.arm) upstream.write(piece.bytes);
    if (!command) return;
    current = command;
    const { record, arm } = command;
    if (piece.literal && !(arm && piece.literal.sync)) {
      if (piece.literal.sync) awaitingPlus = record.tag;
      return; // the command goes on after the literal
    }
    // The command is complete, or (throttled, announcing a synchronizing literal) refused
    // here, before the "+" the client waits for: then its literal will not come.
    if (piece.literal) clientFramer.cancelLiteral();
    record.endAt = nowMs();
    current = undefined;
    if (arm) answer({ record, arm });
  });

  const serverLine = (line: Buffer) => {
    const [tag = '', status = ''] = firstWords(line, 2);
    if (tag === '+') {
      awaitingPlus = undefined; // the literal comes now (or this is IDLE's or AUTHENTICATE's "+")
      return;
    }
    const record = unanswered.get(tag);
    if (!record) return; // untagged ("*"), or not ours to track
    unanswered.delete(tag);
    record.answeredAt = nowMs();
    if (awaitingPlus === tag) {
      // Refused before its synchronizing literal (RFC 3501 7.5): the client will not send it.
      awaitingPlus = undefined;
      clientFramer.cancelLiteral();
      record.endAt = record.answeredAt;
      current = undefined;
    }
    if (STREAM_CHANGERS.has(record.command) && status.toUpperCase() === 'OK') {
      clientFramer.passThrough();
      serverFramer.passThrough();
    }
  };

  const serverFramer = new ImapFramer((piece) => {
    client.write(piece.bytes);
    if (piece.kind !== 'line') return;
    if (piece.first) serverLine(piece.bytes);
    if (serverFramer.atBoundary) for (const write of held.splice(0)) write();
  });

  client.on('data', (chunk: Buffer) => clientFramer.push(chunk, nowMs()));
  upstream.on('data', (chunk: Buffer) => serverFramer.push(chunk, nowMs()));
}
