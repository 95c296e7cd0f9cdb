/**
 * One POP3 session: greeting, CAPA, STLS when required, login (see pop3-login.ts), then
 * commands strictly one at a time until QUIT or a drop; only `pipelined()` may have
 * several RETRs outstanding, within one turn, when CAPA listed PIPELINING (see
 * pop3-pipeline.ts).
 *
 * node-pop3 settles nothing when the socket closes or goes silent under a command, and
 * emits 'error' for an -ERR nobody waits for (an unhandled 'error' event would crash the
 * process). So here every command races the connection's death and an inactivity timer;
 * a permanent 'error' listener is attached; and the first failure ends the whole
 * session, because after a lost or garbled answer no later byte can be trusted.
 *
 * Commands are serialised on a promise chain. A streamed body (RETR) holds the chain
 * until all of it has arrived: the next command is written only then. A body abandoned
 * half-way ends the connection (its rest would be read as the next answer); so does a
 * pipelined turn that ends with answers still unread.
 */
import { isIP, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type tls from 'node:tls';
import type { Pop3Capabilities } from './pop3-capabilities.js';
import { Pop3ConnectionError, Pop3ResponseError, tlsFailed, toConnectorError } from './pop3-errors.js';
import {
  logIn, maskedForLog, openWithCredentials, redactSecrets, type LoginExchangeOptions, type Pop3LoginChannel,
} from './pop3-login.js';
import type { Pop3AccountOptions } from './pop3-options.js';
import { Pop3Wire, type Answer } from './pop3-wire.js';

/**
 * Within a `pipelined()` turn: writes the multi-line commands in one socket write and
 * returns, per line and in order, its body read whole; an -ERR rejects that line's
 * promise only (a ConnectorError whose cause is the Pop3ResponseError), a lost connection
 * every promise still open.
 */
export type Pipe = (lines: readonly string[], whatOf: (index: number) => string) => Array<Promise<Buffer>>;

const DEFAULT_TIMEOUT_MS = 60_000;

export class Pop3Session {
  /** "user@host:port", for messages and logs; never includes the secret. */
  readonly label: string;
  private readonly wire: Pop3Wire;
  private readonly timeoutMs: number;
  /** Why the connection ended; set once, by the first failure or by `destroy()`. */
  private deathCause: unknown;
  private readonly death: Promise<never>;
  private rejectDeath: (cause: unknown) => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  /** What waits for the server now (the timer runs only then). */
  private waitingFor: string | undefined;
  /** The body's reader is behind and the socket paused: the server is not the one late. */
  private paused = false;
  private chain: Promise<void> = Promise.resolve();
  /** Commands queued or in flight (a streamed body counts until it is received). */
  private inFlight = 0;
  /** Called when the body in flight has been received to its end. */
  private bodyReceived: (() => void) | undefined;
  /** The multi-line body being received, destroyed with the cause if the connection dies. */
  private body: { stream: Readable; what: string } | undefined;
  /** The last line the server sent unasked, usually why it is about to hang up. */
  private farewell: string | undefined;
  /** What CAPA listed, read once before login; undefined without CAPA. */
  private capabilities: Pop3Capabilities | undefined;

  /** `accessToken`: the OAuth token of this login (auth 'xoauth2'), masked like the password. */
  private constructor(private readonly account: Pop3AccountOptions, private readonly accessToken?: string) {
    this.label = `${account.user}@${account.host}:${account.port}`;
    this.timeoutMs = account.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.death = new Promise<never>((_, reject) => {
      this.rejectDeath = reject;
    });
    // Only raced against; a death nobody is waiting for is not an unhandled rejection.
    this.death.catch(() => undefined);
    this.wire = new Pop3Wire(
      {
        host: account.host,
        port: account.port,
        tls: account.tls === 'implicit' ? this.tlsOptions() : undefined,
        redact: (text) => redactSecrets(text, account, accessToken),
      },
      {
        socket: (socket) => this.watch(socket),
        data: () => this.timer?.refresh(),
        flow: (paused) => {
          this.paused = paused;
          this.restartTimer();
        },
        status: (line) => this.account.logger?.debug({ account: this.label, response: line }, 'pop3 response'),
        unsolicited: (line) => {
          this.farewell = line;
          this.account.logger?.warn({ account: this.label, response: line }, 'pop3 server spoke unasked');
        },
        abandoned: () => this.fail(new Pop3ConnectionError('CLOSED', 'a message was not read to its end, so the connection was dropped')),
        bodyDone: () => {
          // Pipelined answers may still be on their way: then the server is still owed them.
          if (this.wire.awaiting === 0) this.disarm();
          const received = this.bodyReceived;
          this.bodyReceived = undefined;
          received?.();
        },
      },
    );
    // node-pop3 emits 'error' for an -ERR no command waits for and for socket errors
    // during a body; the socket listeners (watch) handle both, and without a listener
    // EventEmitter would throw the event at the process.
    this.wire.on('error', () => undefined);
  }

  /**
   * Connects, upgrades with STLS when the account asks for it, and logs in. Throws a
   * ConnectorError; nothing is left open then.
   */
  static open(account: Pop3AccountOptions): Promise<Pop3Session> {
    return openWithCredentials(account, (accessToken) => Pop3Session.attempt(account, accessToken));
  }

  /** One connection and login; nothing is left open when it fails. */
  private static async attempt(account: Pop3AccountOptions, accessToken: string | undefined): Promise<Pop3Session> {
    const session = new Pop3Session(account, accessToken);
    try {
      session.capabilities = await logIn(session.loginChannel());
    } catch (error) {
      session.destroy();
      throw error;
    }
    return session;
  }

  /** False once the connection failed, timed out, was closed by the server or by us. */
  get alive(): boolean {
    return this.deathCause === undefined;
  }

  /** No command is queued or waiting for the server (so QUIT would be answered at once). */
  get idle(): boolean {
    return this.inFlight === 0;
  }

  /** The server listed PIPELINING in CAPA (RFC 2449 section 6.6): `pipelined()` may send ahead. */
  get pipelining(): boolean {
    return this.capabilities?.listed.has('PIPELINING') === true;
  }

  /** A single-line command; resolves with the text after "+OK". */
  command(line: string, what: string): Promise<string> {
    return this.serialised(async () => (await this.exchange(line, false, what)).text);
  }

  /** A multi-line command whose body is read whole (CAPA, LIST, UIDL, a small RETR). */
  collect(line: string, what: string): Promise<Buffer> {
    return this.serialised(async () => readAll(await this.receive(line, what)));
  }

  /**
   * A multi-line command whose body is handed over as it arrives. The next command is
   * sent once the whole body has arrived, which needs the reader to keep reading (the
   * socket pauses while more than 1 MiB waits); destroying the body half-way ends the
   * connection.
   */
  stream(line: string, what: string): Promise<Readable> {
    return this.serialised(
      () => this.receive(line, what),
      (body) => new Promise<void>((resolve) => {
        if (body.closed || this.wire.isComplete(body)) {
          resolve();
          return;
        }
        this.bodyReceived = resolve;
        body.once('close', () => resolve());
      }),
    );
  }

  /**
   * One turn of the chain in which `run` may have several multi-line commands outstanding
   * through the Pipe it is given (only when `pipelining`; the caller decides how many).
   * No other command is written until the turn ends; a turn that ends with answers still
   * owed ends the connection, as they would be read as the next command's.
   */
  pipelined<T>(what: string, run: (pipe: Pipe) => Promise<T>): Promise<T> {
    return this.serialised(async () => {
      if (this.deathCause !== undefined) throw toConnectorError(this.deathCause, what);
      try {
        return await run((lines, whatOf) => this.pipe(what, lines, whatOf));
      } finally {
        if (this.wire.busy) this.fail(new Pop3ConnectionError('CLOSED', 'pipelined answers were left unread, so the connection was dropped'));
        this.disarm();
      }
    });
  }

  /**
   * QUIT: the server ends the session and removes the messages marked deleted (RFC 1939
   * section 6). The connection is closed afterwards in any case. `timeoutMs` bounds the
   * whole wait, a command still in flight included.
   */
  async quit(what: string, timeoutMs = this.timeoutMs): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Pop3ConnectionError('TIMEOUT', `no answer to QUIT within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.command('QUIT', what), expired]);
    } catch (error) {
      throw toConnectorError(error, what);
    } finally {
      clearTimeout(timer);
      this.destroy();
    }
  }

  /** Drops the connection without QUIT: the server rolls back every DELE of this session. */
  destroy(): void {
    this.fail(new Pop3ConnectionError('CLOSED', 'the session was closed'));
  }

  /** The operations the login phase (pop3-login.ts) needs, and no other of this session's internals. */
  private loginChannel(): Pop3LoginChannel {
    return {
      label: this.label,
      account: this.account,
      accessToken: this.accessToken,
      connect: (what) => this.guarded(what, () => this.wire.open()),
      exchange: (line, what, options) => this.exchange(line, false, what, options),
      collect: async (line, what) => readAll(await this.receive(line, what)),
      startTls: (what) => this.startTls(what),
    };
  }

  /** STLS, then TLS on the same socket; the login has checked that CAPA lists STLS (RFC 2595). */
  private async startTls(what: string): Promise<void> {
    await this.exchange('STLS', false, what, { endsPlaintext: true });
    if (this.wire.injectedBytes > 0) {
      throw tlsFailed(what, 'the server sent plaintext after agreeing to STLS, which an attacker may have injected');
    }
    await this.guarded(what, () => this.wire.startTls(this.tlsOptions()));
  }

  /** Runs `task` after every earlier command (and streamed body) is done. */
  private serialised<T>(task: () => Promise<T>, holdUntil?: (value: T) => Promise<void>): Promise<T> {
    this.inFlight += 1;
    const run = this.chain.then(task);
    this.chain = run
      .then((value) => (holdUntil ? holdUntil(value) : undefined))
      .catch(() => undefined)
      .finally(() => {
        this.inFlight -= 1;
      });
    return run;
  }

  /** Sends a multi-line command and watches its body until it is complete. */
  private async receive(line: string, what: string): Promise<Readable> {
    return this.watchBody((await this.exchange(line, true, what)).body as Readable, what);
  }

  /** Writes `lines` at once (see Pipe); the timer runs until the last answer has arrived. */
  private pipe(turn: string, lines: readonly string[], whatOf: (index: number) => string): Array<Promise<Buffer>> {
    if (lines.length === 0) return [];
    for (const line of lines) this.account.logger?.debug({ account: this.label, command: maskedForLog(line) }, 'pop3 command');
    if (this.deathCause !== undefined) return lines.map((_, index) => handled(Promise.reject(toConnectorError(this.deathCause, whatOf(index)))));
    this.arm(turn);
    return this.wire.sendMany(lines.map((line) => ({ line, multiLine: true }))).map((answer, index) => {
      const what = whatOf(index);
      return handled(this.raced(what, answer).then((received) => readAll(this.watchBody(received.body as Readable, what))));
    });
  }

  /** Tracks a multi-line answer's body, so that the connection's death reaches its reader. */
  private watchBody(stream: Readable, what: string): Readable {
    // A reader that has not started yet must not turn the connection's death into an
    // uncaught 'error' event; readers still see the error (for-await rejects with it).
    stream.on('error', () => undefined);
    this.body = { stream, what };
    stream.once('close', () => {
      if (this.body?.stream === stream) this.body = undefined;
    });
    // The connection may have died between the answer and now.
    if (this.deathCause !== undefined) stream.destroy(toConnectorError(this.deathCause, what));
    return stream;
  }

  /** Writes one command and waits for its status line. A multi-line body keeps the timer running. */
  private exchange(line: string, multiLine: boolean, what: string, options: LoginExchangeOptions = {}): Promise<Answer> {
    const { logAs, ...send } = options;
    this.account.logger?.debug({ account: this.label, command: logAs ?? maskedForLog(line) }, 'pop3 command');
    return this.guarded(what, () => this.wire.send(line, multiLine, send), multiLine);
  }

  /** Races `run` against the connection's death and the inactivity timer; errors become ConnectorErrors. */
  private async guarded<T>(what: string, run: () => Promise<T>, keepTimer = false): Promise<T> {
    if (this.deathCause !== undefined) throw toConnectorError(this.deathCause, what);
    this.arm(what);
    let success = false;
    try {
      const value = await this.raced(what, handled(run()));
      success = true;
      return value;
    } finally {
      if (!(success && keepTimer)) this.disarm();
    }
  }

  /** `work` or the connection's death, whichever comes first; errors become ConnectorErrors. */
  private async raced<T>(what: string, work: Promise<T>): Promise<T> {
    try {
      return await Promise.race([work, this.death]);
    } catch (error) {
      // An -ERR is this command's own answer; anything else is best told by why the
      // connection died (node-pop3 reports a bare "close" for an ECONNRESET, say).
      throw toConnectorError(error instanceof Pop3ResponseError ? error : this.deathCause ?? error, what);
    }
  }

  private arm(what: string): void {
    this.waitingFor = what;
    this.restartTimer();
  }

  private disarm(): void {
    this.waitingFor = undefined;
    this.restartTimer();
  }

  private restartTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waitingFor === undefined || this.paused || this.deathCause !== undefined) return;
    this.timer = setTimeout(() => {
      const silence = this.timeoutMs >= 1000 ? `${Math.round(this.timeoutMs / 1000)} s` : `${this.timeoutMs} ms`;
      this.fail(new Pop3ConnectionError('TIMEOUT', `the server sent nothing for ${silence}`));
    }, this.timeoutMs);
  }

  private watch(socket: Socket): void {
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => {
      const why = this.farewell === undefined ? '' : ` (${this.farewell})`;
      this.fail(new Pop3ConnectionError('CLOSED', `the server closed the connection${why}`));
    });
  }

  /** Ends the session for good: every waiter, the body in flight and later commands learn `cause`. */
  private fail(cause: unknown): void {
    if (this.deathCause !== undefined) return;
    this.deathCause = cause;
    this.waitingFor = undefined;
    this.restartTimer();
    this.rejectDeath(cause);
    // Let commands queued behind a streamed body run, and fail at once.
    const received = this.bodyReceived;
    this.bodyReceived = undefined;
    received?.();
    const body = this.body;
    this.body = undefined;
    if (body && !body.stream.destroyed) body.stream.destroy(toConnectorError(cause, body.what));
    this.wire.destroy();
  }

  private tlsOptions(): tls.ConnectionOptions {
    const { host, ca } = this.account;
    return {
      host,
      // SNI carries host names only (RFC 6066); the certificate is checked against `host` either way.
      servername: isIP(host) === 0 ? host : '',
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(ca === undefined ? {} : { ca }),
    };
  }
}

/** `promise`, marked handled: its rejection is awaited later, or never needed. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
