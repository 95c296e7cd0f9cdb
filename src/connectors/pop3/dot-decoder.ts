/**
 * Decodes the body of a POP3 multi-line response (RFC 1939 section 3): undoes the
 * byte-stuffing and finds the terminating line "." CRLF, on bytes that arrive split at
 * any point (TCP and TLS chunk boundaries fall anywhere, even inside "\r\n.\r\n").
 *
 * node-pop3 looks for the terminator only at the end of a chunk, never un-stuffs and
 * decodes to a UTF-8 string; this works on Buffers only, so 8-bit mail stays exact.
 * Output is subarrays of the input chunks (no copy); at most two bytes ("." or ".\r" at
 * the start of a line) are held back until the next chunk says what they are.
 *
 * The bytes of the last chunk that follow the terminator are kept in `trailing`: when
 * commands are pipelined (RFC 2449), they are the start of the next answer.
 *
 * A line starts after LF (as in Python's poplib, so a server that sends bare LF line
 * ends is still un-stuffed); the terminator is "." CRLF only, at the start of a line.
 * A line that starts with "." followed by anything but CRLF loses that first "."
 * (RFC 1939: the server stuffs every line that begins with the termination octet).
 */

const DOT = 0x2e;
const CR = 0x0d;
const LF = 0x0a;

export class DotDecoder {
  /** The next byte begins a line (the body begins with one). False while bytes are held. */
  private atLineStart = true;
  /** Bytes at the start of a line not yet decidable: none, "." or ".\r". */
  private held: '' | '.' | '.\r' = '';
  private finished = false;
  private after: Buffer = Buffer.alloc(0);

  /** True once the terminating line was seen; later input is ignored. */
  get done(): boolean {
    return this.finished;
  }

  /** The bytes after the terminator in the chunk that ended the body (a subarray; empty if none). */
  get trailing(): Buffer {
    return this.after;
  }

  /**
   * Decodes one chunk; returns the message bytes it completes, in order (possibly none).
   * Bytes after the terminator are not message bytes: those of this chunk are `trailing`,
   * later chunks are ignored.
   */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (this.finished || chunk.length === 0) return out;
    let position = 0;
    if (this.held !== '') {
      position = this.resolveHeld(chunk, out);
      if (position < 0) return out;
    }
    this.scan(chunk, position, out);
    return out;
  }

  /**
   * Decides the held line start with the first bytes of `chunk`. Returns where scanning
   * of `chunk` continues, or -1 when the chunk is used up (still undecided, or the end).
   */
  private resolveHeld(chunk: Buffer, out: Buffer[]): number {
    if (this.held === '.') {
      if (chunk[0] !== CR) {
        // "." + something else: a stuffed line; the held "." is dropped.
        this.held = '';
        return 0;
      }
      if (chunk.length < 2) {
        this.held = '.\r';
        return -1;
      }
      if (chunk[1] === LF) return this.finish(chunk, 2);
      // ".\r" + not LF: stuffed; the "\r" is message data, still in `chunk` at 0.
      this.held = '';
      return 0;
    }
    // held ".\r"
    if (chunk[0] === LF) return this.finish(chunk, 1);
    this.held = '';
    // A fresh byte, not a shared constant: consumers own the buffers they are given.
    out.push(Buffer.from([CR]));
    return 0;
  }

  /** Copies (as subarrays) `chunk` from `start`, dropping stuffing dots, until the end line. */
  private scan(chunk: Buffer, start: number, out: Buffer[]): void {
    const length = chunk.length;
    let segment = start;
    let position = start;
    while (position < length) {
      if (this.atLineStart) {
        this.atLineStart = false;
        if (chunk[position] === DOT) {
          if (position + 1 >= length) {
            this.emit(chunk, segment, position, out);
            this.held = '.';
            return;
          }
          if (chunk[position + 1] === CR) {
            if (position + 2 >= length) {
              this.emit(chunk, segment, position, out);
              this.held = '.\r';
              return;
            }
            if (chunk[position + 2] === LF) {
              this.emit(chunk, segment, position, out);
              this.finish(chunk, position + 3);
              return;
            }
          }
          // A stuffed line: drop its first ".".
          this.emit(chunk, segment, position, out);
          position += 1;
          segment = position;
          continue;
        }
      }
      const lf = chunk.indexOf(LF, position);
      if (lf < 0) break;
      position = lf + 1;
      this.atLineStart = true;
    }
    this.emit(chunk, segment, length, out);
  }

  private emit(chunk: Buffer, from: number, to: number, out: Buffer[]): void {
    if (to > from) out.push(chunk.subarray(from, to));
  }

  /** The terminator ends at `end` in `chunk`. */
  private finish(chunk: Buffer, end: number): -1 {
    this.finished = true;
    this.held = '';
    this.after = chunk.subarray(end);
    return -1;
  }
}
