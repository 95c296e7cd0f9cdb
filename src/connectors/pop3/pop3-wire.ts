/**
 * node-pop3's connection with a sound data path. node-pop3 (a project rule) opens the
 * socket, does implicit TLS, parses status lines and hands multi-line bodies to a
 * Readable; around it this subclass fixes what breaks real mail:
 *
 * - Its 'data' listener takes every TCP chunk for exactly one status line. Here a framer
 *   sits in front of it and hands it one complete "+OK" line at a time, then the body
 *   bytes, then (after the body's terminator) the next answer's line.
 * - Its `_pushStream` finds the "\r\n.\r\n" terminator only at a chunk's end, never
 *   un-stuffs, and its RETR() decodes to UTF-8. `_pushStream` here feeds a DotDecoder
 *   (bytes only), with backpressure: the socket pauses while the body's reader is behind.
 * - Its `command()` trims the line (a password's trailing spaces would go), leaves a
 *   'response' listener behind on every -ERR, never settles when the socket dies, and
 *   allows one command at a time. `send()`/`sendMany()` write the lines as given and
 *   queue one answer per line, matched to the server's answers in order (so several may
 *   be outstanding: RFC 2449 pipelining); -ERR lines are answered here, never by node-pop3.
 *   The session races each answer against the socket's death and a timeout.
 * - It has no STLS: `startTls()` moves the framer onto a TLS socket over the plain one.
 * - It has no SASL (RFC 5034 AUTH): a command sent with `continuation` may be answered by
 *   a "+ BASE64" challenge, which resolves its answer (marked `continuation`) without
 *   reaching node-pop3; the session writes the client's response as the next command.
 *
 * The session decides what may be outstanding at once; this class only keeps the order.
 */
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import Pop3Command from 'node-pop3';
import { DotDecoder } from './dot-decoder.js';
import { Pop3ConnectionError, Pop3ResponseError } from './pop3-errors.js';

const LF = 0x0a;
const CR = 0x0d;
const CRLF = Buffer.from('\r\n');
const PLUS = 0x2b;
const MINUS = 0x2d;
/** RFC 2449 allows 512 octets per response line; anything far beyond is not POP3. */
const MAX_STATUS_LINE = 64 * 1024;
/** How much of a body may wait for its reader before the socket pauses. */
const BODY_HIGH_WATER = 1024 * 1024;

type DataListener = (chunk: Buffer) => void;

/** What the session needs to hear from the wire. */
export interface WireEvents {
  /** A socket now carries the connection (the first one, then the TLS one after STLS): watch it. */
  socket(socket: Socket): void;
  /** Bytes arrived from the server. */
  data(): void;
  /** The socket was paused (true) because the body's reader is behind, or resumed (false). */
  flow(paused: boolean): void;
  /** A status line arrived (for the debug log). */
  status(line: string): void;
  /** A status line arrived that no command waits for (Dovecot says why before it hangs up). */
  unsolicited(line: string): void;
  /** The body of a multi-line answer is complete (its terminator arrived). */
  bodyDone(): void;
  /** A body was destroyed before its terminator arrived: its rest would pass for the next answer. */
  abandoned(): void;
}

export interface WireOptions {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS with these options; undefined for a plaintext start. */
  readonly tls: tls.ConnectionOptions | undefined;
  /** Applied to server text before it is reported or put in an error (masks a password a server echoes). */
  readonly redact: (text: string) => string;
}

/** A positive answer: the text after "+OK", and the decoded body of a multi-line answer. */
export interface Answer {
  readonly text: string;
  readonly body: Readable | undefined;
  /** A SASL challenge ("+ BASE64", `text` the BASE64) rather than "+OK". */
  readonly continuation?: boolean;
}

/** One command line to write, and whether its positive answer has a body. */
export interface Command {
  readonly line: string;
  readonly multiLine: boolean;
  /** STLS: a positive answer ends the plaintext phase. */
  readonly endsPlaintext?: boolean;
  /** SASL (AUTH and the client's responses): a "+ " challenge may answer it instead of "+OK". */
  readonly continuation?: boolean;
  /**
   * The command's name for errors and node-pop3, instead of the line's first word: a SASL
   * response line is a credential, never a name ("AUTH" then).
   */
  readonly name?: string;
}

/** A command written whose status line has not arrived yet. */
interface Pending {
  /** The command's name, for errors ("RETR"): never its arguments. */
  readonly name: string;
  /** What node-pop3 is told the command was (it decides by it whether a body follows); no secret. */
  readonly nodePop3Command: string;
  readonly multiLine: boolean;
  readonly endsPlaintext: boolean;
  readonly continuation: boolean;
  readonly resolve: (answer: Answer) => void;
  readonly reject: (error: Error) => void;
}

/** A SASL challenge line's start: "+" then a space or nothing, unlike "+OK". */
const SASL_CHALLENGE = /^\+(?: |$)/;

/** Commands whose argument node-pop3 needs to see ("LIST 3" has no body, "LIST" has one). */
const NUMBERED = new Set(['RETR', 'TOP', 'LIST', 'UIDL']);

export class Pop3Wire extends Pop3Command {
  private decoder = new DotDecoder();
  /** node-pop3's own 'data' listener, now fed by the framer. */
  private nodePop3Data: DataListener | undefined;
  /** A status line still missing its LF. */
  private partial: Buffer | undefined;
  private lastStatus = '';
  private awaitingGreeting = false;
  /** Commands written whose status line has not arrived, oldest first. */
  private readonly pending: Pending[] = [];
  /** Bytes after the terminator of the body just completed: the next answer, when pipelined. */
  private trailing: Buffer | undefined;
  /** Set by a positive STLS answer: from then on, plaintext from the server is an attack. */
  private plaintextEnded = false;
  private plaintextAfterStls = 0;
  private paused = false;
  /** The connection was ended on purpose (garbage from the server): ignore the rest of the chunk. */
  private aborted = false;
  private readonly sockets: Socket[] = [];
  private readonly completeBodies = new WeakSet<Readable>();

  private readonly redact: (text: string) => string;

  constructor(options: WireOptions, private readonly events: WireEvents) {
    // node-pop3 keeps the password only for its own login (_connect), which is not used.
    // It types tlsOptions as server options but spreads them into tls.connect() last, so
    // client options (servername, ca, rejectUnauthorized) reach the handshake as given.
    super({
      user: '', password: '', host: options.host, port: options.port,
      tls: options.tls !== undefined, tlsOptions: (options.tls ?? {}) as tls.TlsOptions,
    });
    this.redact = options.redact;
  }

  /** Connects and resolves with the greeting, "+OK ..." as sent (it may hold the APOP timestamp). */
  async open(): Promise<string> {
    this.awaitingGreeting = true;
    const connected = super.connect();
    // Awaited below; this keeps an early rejection from counting as unhandled meanwhile.
    connected.catch(() => undefined);
    // node-pop3 created the socket and attached its listeners synchronously; no byte has
    // arrived yet, so its 'data' listener can still be put behind the framer.
    const socket = this._socket as Socket | null;
    if (socket) this.adopt(socket);
    await connected;
    return this.lastStatus;
  }

  /** Bytes the server sent in plaintext after its positive STLS answer (STARTTLS injection, CVE-2011-0411). */
  get injectedBytes(): number {
    return this.plaintextAfterStls;
  }

  /**
   * Writes one command line and resolves with the server's positive answer; -ERR rejects
   * with a Pop3ResponseError. A multi-line answer's body must be read to its end (or the
   * connection destroyed), or the next answer is never reached.
   */
  send(line: string, multiLine: boolean, options: { endsPlaintext?: boolean; continuation?: boolean; name?: string } = {}): Promise<Answer> {
    return this.sendMany([{ line, multiLine, ...options }])[0] as Promise<Answer>;
  }

  /**
   * Writes the lines in one socket write (pipelining, RFC 2449) and returns one answer per
   * line, in order, as `send()` does. Nothing here limits how many may be outstanding.
   */
  sendMany(commands: readonly Command[]): Array<Promise<Answer>> {
    const socket = this._socket as Socket | null;
    if (!socket || socket.destroyed) return commands.map(() => Promise.reject(new Pop3ConnectionError('CLOSED', 'not connected')));
    const answers = commands.map(({ line, multiLine, endsPlaintext = false, continuation = false, name: given }) => new Promise<Answer>((resolve, reject) => {
      const [name = '', argument] = line.split(' ');
      const upper = (given ?? name).toUpperCase();
      const nodePop3Command = given === undefined && NUMBERED.has(upper) && argument !== undefined ? `${upper} ${argument}` : upper;
      this.pending.push({ name: upper, nodePop3Command, multiLine, endsPlaintext, continuation, resolve, reject });
    }));
    socket.write(commands.map(({ line }) => `${line}\r\n`).join(''));
    return answers;
  }

  /** A command was written whose answer has not been received to its end. */
  get busy(): boolean {
    return this.pending.length > 0 || this._stream !== null;
  }

  /** Commands written whose status line has not arrived yet. */
  get awaiting(): number {
    return this.pending.length;
  }

  /** Upgrades the connection after a positive STLS answer (node-pop3 cannot). */
  async startTls(options: tls.ConnectionOptions): Promise<void> {
    const plain = this._socket as Socket | null;
    if (!plain || plain.destroyed) throw new Pop3ConnectionError('CLOSED', 'the server closed the connection before the TLS handshake');
    plain.removeListener('data', this.onData);
    const secure = tls.connect({ ...options, socket: plain });
    this.sockets.push(secure);
    this.events.socket(secure);
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        secure.removeListener('secureConnect', onSecure);
        secure.removeListener('error', done);
        secure.removeListener('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onSecure = () => done();
      const onClose = () => done(new Pop3ConnectionError('CLOSED', 'the server closed the connection during the TLS handshake'));
      secure.once('secureConnect', onSecure);
      secure.once('error', done);
      secure.once('close', onClose);
    });
    this.plaintextEnded = false;
    this._socket = secure;
    secure.on('data', this.onData);
  }

  /** Destroys every socket of the connection (no QUIT); answers still awaited are rejected. */
  destroy(): void {
    for (const socket of this.sockets) socket.destroy();
    for (const waiting of this.pending.splice(0)) waiting.reject(new Pop3ConnectionError('CLOSED', 'the connection was closed'));
  }

  /** `body` (a multi-line answer's stream) was received up to its terminator. */
  isComplete(body: Readable): boolean {
    return this.completeBodies.has(body);
  }

  override _updateStream(): Readable {
    this.decoder = new DotDecoder();
    const stream: Readable = new Readable({
      highWaterMark: BODY_HIGH_WATER,
      read: () => this.setPaused(false),
      // Synchronous with the reader's destroy() (a `break` out of for-await), unlike 'close'.
      destroy: (error, callback) => {
        if (!this.completeBodies.has(stream)) this.events.abandoned();
        callback(error);
      },
    });
    this._stream = stream;
    return stream;
  }

  override _pushStream(buffer: Buffer): void {
    const stream = this._stream;
    if (!stream) return;
    let wantsMore = true;
    for (const piece of this.decoder.push(buffer)) wantsMore = stream.push(piece);
    if (this.decoder.done) {
      this.trailing = this.decoder.trailing;
      this.completeBodies.add(stream);
      // The body is complete: the next answer must be read whatever the reader does.
      this.setPaused(false);
      this._endStream();
      this.events.bodyDone();
    } else if (!wantsMore) {
      this.setPaused(true);
    }
  }

  private adopt(socket: Socket): void {
    this.sockets.push(socket);
    this.events.socket(socket);
    const [listener] = socket.listeners('data') as DataListener[];
    if (!listener) throw new Error('node-pop3 attached no data listener to its socket');
    socket.removeListener('data', listener);
    this.nodePop3Data = listener;
    socket.on('data', this.onData);
  }

  /** Hands node-pop3 one status line at a time, body bytes as they come. */
  private readonly onData = (chunk: Buffer): void => {
    this.events.data();
    let rest = chunk;
    while (rest.length > 0 && !this.aborted) {
      if (this.plaintextEnded) {
        this.plaintextAfterStls += rest.length;
        return;
      }
      if (this._stream) {
        // node-pop3 passes it to _pushStream; what follows the body's terminator is the
        // next answer (pipelined commands) and goes round the loop again.
        this.nodePop3Data?.(rest);
        rest = this.trailing ?? Buffer.alloc(0);
        this.trailing = undefined;
        continue;
      }
      const lf = rest.indexOf(LF);
      if (lf < 0) {
        this.partial = this.partial ? Buffer.concat([this.partial, rest]) : rest;
        if (this.partial.length > MAX_STATUS_LINE) this.abort(new Pop3ConnectionError('BAD_RESPONSE', 'the server sent a status line longer than 64 KiB'));
        return;
      }
      const line = this.partial ? Buffer.concat([this.partial, rest.subarray(0, lf + 1)]) : rest.subarray(0, lf + 1);
      this.partial = undefined;
      rest = rest.subarray(lf + 1);
      this.dispatch(line);
    }
  };

  private dispatch(line: Buffer): void {
    // Kept as sent (the APOP timestamp is read from it); redacted wherever it is shown.
    const text = line.toString('utf8').replace(/\r?\n$/, '');
    const shown = this.redact(text);
    this.events.status(shown);
    if (line[0] !== PLUS && line[0] !== MINUS) {
      // node-pop3 would ignore it and the command would wait for an answer forever.
      this.abort(new Pop3ConnectionError('BAD_RESPONSE', `the server answered something that is not POP3: ${JSON.stringify(shown.slice(0, 80))}`));
      return;
    }
    this.lastStatus = text;
    if (this.awaitingGreeting) {
      this.awaitingGreeting = false;
      // node-pop3 would emit an -ERR greeting as an event and wait for the close.
      if (line[0] === MINUS) {
        this.abort(new Pop3ResponseError('greeting', statusText(shown)));
        return;
      }
      this.toNodePop3(line);
      return;
    }
    const command = this.pending.shift();
    if (!command) {
      this.events.unsolicited(shown);
      return;
    }
    if (line[0] === MINUS) {
      command.reject(new Pop3ResponseError(command.name, statusText(shown)));
      return;
    }
    if (command.continuation && SASL_CHALLENGE.test(text)) {
      // RFC 5034: "+" SP base64 (or a bare "+"); node-pop3 would take it for "+OK".
      command.resolve({ text: text.replace(SASL_CHALLENGE, ''), body: undefined, continuation: true });
      return;
    }
    if (command.endsPlaintext) this.plaintextEnded = true;
    // node-pop3 decides by the command whether a body follows; it keeps no argument but a number.
    this._command = command.nodePop3Command;
    this.toNodePop3(line);
    // node-pop3 knows RETR, TOP and argument-less LIST/UIDL as multi-line, not CAPA.
    const body = command.multiLine ? (this._stream as Readable | null) ?? this._updateStream() : undefined;
    command.resolve({ text: statusText(text), body });
  }

  /** node-pop3 finds the end of the line by CRLF; with a bare LF it would take part of the status line for the body. */
  private toNodePop3(line: Buffer): void {
    this.nodePop3Data?.(line.length >= 2 && line[line.length - 2] === CR ? line : Buffer.concat([line.subarray(0, -1), CRLF]));
  }

  /** Ends the connection with `error` as the socket's error: every waiter learns why. */
  private abort(error: Error): void {
    this.aborted = true;
    this.partial = undefined;
    (this._socket as Socket | null)?.destroy(error);
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    const socket = this._socket as Socket | null;
    if (paused) socket?.pause();
    else socket?.resume();
    this.events.flow(paused);
  }
}

/** "+OK text" -> "text"; "-ERR text" -> "text". */
function statusText(line: string): string {
  return line.replace(/^(\+OK|-ERR)\s?/i, '');
}
