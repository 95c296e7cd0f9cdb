/**
 * Cuts an IMAP byte stream (either direction) into lines and literal bytes, so a proxy can
 * tell where one command or response ends and the next begins without parsing the rest.
 *
 * IMAP is line based except for literals (RFC 3501 section 4.3): a line that ends in
 * `{n}` CRLF is followed by exactly n bytes of data, after which the same command or
 * response continues with more text (and possibly more literals) up to a CRLF that ends
 * it. The forms that can end a line:
 * - `{n}`: synchronizing. A client sends the bytes only after the server's "+"
 *   continuation; the server may instead answer the command with a tagged NO/BAD, and
 *   then the bytes never come (RFC 3501 section 7.5) - see {@link ImapFramer.cancelLiteral}.
 * - `{n+}`: non-synchronizing (LITERAL+, RFC 7888): the bytes follow at once.
 * - `~{n}`, `~{n+}`: literal8 (BINARY, RFC 3516; `+` per RFC 4466 and 7888): the same,
 *   but the bytes may contain NUL.
 * A `{` cannot end an atom or a quoted string that ends the line (atom-specials include
 * "{" and a quoted string ends in DQUOTE), so a line ending in this pattern always
 * announces a literal.
 */

/** A literal announced at the end of a line. */
export interface LiteralSpec {
  size: number;
  /** `{n}`/`~{n}`: the client waits for the server's "+" before sending the bytes. */
  sync: boolean;
  /** `~{n}`: literal8 (RFC 3516). */
  binary: boolean;
}

export type ImapPiece =
  /**
   * One whole line, CRLF included; `literal` when it ends by announcing one. `first` when
   * it begins a command or response (rather than continuing one after a literal).
   */
  | { kind: 'line'; bytes: Buffer; literal: LiteralSpec | undefined; first: boolean; at: number }
  /** Some (or all) bytes of the literal the previous line announced, as they arrived. */
  | { kind: 'literal'; bytes: Buffer; at: number }
  /** Bytes after {@link ImapFramer.passThrough} (TLS or DEFLATE: no longer IMAP text). */
  | { kind: 'raw'; bytes: Buffer; at: number };

const LITERAL_AT_END = /(~?)\{(\d+)(\+?)\}\r?\n$/;

export function literalAtEnd(line: Buffer): LiteralSpec | undefined {
  // Only the tail can hold the marker; decoding the whole line would be wasted on big ones.
  const match = LITERAL_AT_END.exec(line.subarray(Math.max(0, line.length - 32)).toString('latin1'));
  if (!match) return undefined;
  return { size: Number(match[2]), sync: match[3] !== '+', binary: match[1] === '~' };
}

export class ImapFramer {
  private held: Buffer[] = [];
  /** Arrival time of the first held byte: a line's `at` is when its first byte came. */
  private heldAt = 0;
  private literalLeft = 0;
  private raw = false;
  /**
   * True from a line that announces a literal until the line that ends the command or
   * response: between those, nothing else may be put into the stream.
   */
  private open = false;

  /** `onPiece` runs synchronously for each piece, in stream order, and may call cancelLiteral() or passThrough(). */
  constructor(private readonly onPiece: (piece: ImapPiece) => void) {}

  /** True when the last complete piece ended a command or response (a whole line may be written here). */
  get atBoundary(): boolean {
    return !this.open;
  }

  /** Feed bytes as they arrived at `at`. Lines are held until complete; literal bytes go out as they come. */
  push(chunk: Buffer, at: number): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.raw) {
        this.onPiece({ kind: 'raw', bytes: chunk.subarray(offset), at });
        return;
      }
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, chunk.length - offset);
        this.literalLeft -= take;
        this.onPiece({ kind: 'literal', bytes: chunk.subarray(offset, offset + take), at });
        offset += take;
        continue;
      }
      if (this.held.length === 0) this.heldAt = at;
      const lf = chunk.indexOf(0x0a, offset);
      if (lf < 0) {
        this.held.push(chunk.subarray(offset));
        return;
      }
      const line = Buffer.concat([...this.held, chunk.subarray(offset, lf + 1)]);
      this.held = [];
      offset = lf + 1;
      const literal = literalAtEnd(line);
      const first = !this.open;
      this.literalLeft = literal?.size ?? 0;
      this.open = literal !== undefined;
      this.onPiece({ kind: 'line', bytes: line, literal, first, at: this.heldAt });
    }
  }

  /** The synchronizing literal the last line announced will not be sent: the server refused it with a tagged answer. */
  cancelLiteral(): void {
    this.literalLeft = 0;
    this.open = false;
  }

  /** From now on (including the rest of the current chunk) hand the bytes on untouched. */
  passThrough(): void {
    this.raw = true;
  }
}
