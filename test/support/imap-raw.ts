import net from 'node:net';

/**
 * A minimal IMAP client over a plain socket, for what imapflow cannot be told to do:
 * APPEND with a literal8 (`~{n}`, RFC 3516 4.4) whatever the bytes are, and reading the
 * raw answer of a command. Synchronizing literals only (no LITERAL+), one command at a
 * time; for tests, never for the product.
 */
export class RawImap {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;
  private tagCount = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    socket.on('error', (error) => {
      this.failure = error;
      this.wake();
    });
    socket.on('close', () => {
      this.failure ??= new Error('IMAP connection closed');
      this.wake();
    });
  }

  /** Connects to 127.0.0.1:`port` and logs in with LOGIN. */
  static async login(port: number, user: string, password: string): Promise<RawImap> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const imap = new RawImap(socket);
    await imap.line();
    await imap.command(`LOGIN ${quote(user)} ${quote(password)}`);
    return imap;
  }

  /** Runs a command without literals; resolves with everything the server answered (tagged line included). */
  async command(text: string): Promise<Buffer> {
    const tag = this.nextTag();
    this.socket.write(`${tag} ${text}\r\n`);
    return this.response(tag);
  }

  /** APPENDs `raw` to `folder` as a literal8; resolves with the new UID (APPENDUID, RFC 4315). */
  async appendLiteral8(folder: string, raw: Buffer): Promise<number> {
    const tag = this.nextTag();
    this.socket.write(`${tag} APPEND ${quote(folder)} ~{${raw.length}}\r\n`);
    const go = await this.line();
    if (!go.startsWith('+')) throw new Error(`APPEND to ${folder}: no continuation: ${go}`);
    this.socket.write(Buffer.concat([raw, Buffer.from('\r\n')]));
    const answer = (await this.response(tag)).toString('latin1');
    const uid = /\[APPENDUID \d+ (\d+)\]/i.exec(answer)?.[1];
    if (uid === undefined) throw new Error(`APPEND to ${folder} gave no APPENDUID: ${answer}`);
    return Number(uid);
  }

  /**
   * Every message of `folder` as `item` gives it (`BINARY.PEEK[]` or `BODY.PEEK[]`), by UID:
   * the bytes of the answer's literal (or literal8) exactly as the server sent them.
   */
  async fetchAll(folder: string, item: 'BINARY.PEEK[]' | 'BODY.PEEK[]'): Promise<Map<number, Buffer>> {
    await this.command(`EXAMINE ${quote(folder)}`);
    const answer = await this.command(`UID FETCH 1:* (UID ${item})`);
    const text = answer.toString('latin1');
    const found = new Map<number, Buffer>();
    // latin1 keeps one character per byte, so string offsets are byte offsets.
    for (const match of text.matchAll(/UID (\d+) (?:BINARY|BODY)\[\] ~?\{(\d+)\}\r\n/g)) {
      const start = (match.index ?? 0) + match[0].length;
      found.set(Number(match[1]), answer.subarray(start, start + Number(match[2])));
    }
    return found;
  }

  async logout(): Promise<void> {
    await this.command('LOGOUT').catch(() => undefined);
    this.socket.destroy();
  }

  private nextTag(): string {
    this.tagCount += 1;
    return `R${this.tagCount}`;
  }

  /** Reads lines (skipping over literals, so literal bytes never pass for a tagged line) until `tag`'s; rejects unless it is OK. */
  private async response(tag: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const line = await this.rawLine();
      parts.push(line);
      const text = line.toString('latin1');
      const literal = /~?\{(\d+)\}\r\n$/.exec(text);
      if (literal) {
        parts.push(await this.take(Number(literal[1])));
        continue;
      }
      if (text.startsWith(`${tag} `)) {
        if (!text.startsWith(`${tag} OK`)) throw new Error(`IMAP: ${text.trim()}`);
        return Buffer.concat(parts);
      }
    }
  }

  private async line(): Promise<string> {
    return (await this.rawLine()).toString('latin1');
  }

  /** One line up to and including CRLF. */
  private async rawLine(): Promise<Buffer> {
    for (;;) {
      const end = this.buffered.indexOf('\r\n');
      if (end >= 0) return this.take(end + 2);
      await this.more();
    }
  }

  private async take(length: number): Promise<Buffer> {
    while (this.buffered.length < length) await this.more();
    const head = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    return head;
  }

  private more(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
