/**
 * Switchable failures, the ones a migration must survive against real Exchange:
 * throttling (ErrorServerBusy as an HTTP 500 SOAP fault with BackOffMilliseconds, and
 * IIS's plain HTTP 503), a sync state the server no longer accepts, and per-item
 * CreateItem errors (message too large, quota) inside an otherwise successful batch.
 *
 * The counters only count requests that passed authentication: an NTLM handshake or a
 * rejected password never uses one up.
 */

export interface EwsFaults {
  /** The next `count` requests answer HTTP 500 with a SOAP fault ErrorServerBusy carrying BackOffMilliseconds (the shape in the research doc: faultcode a:ErrorServerBusy, detail/e:ResponseCode, detail/t:MessageXml/t:Value Name="BackOffMilliseconds"). */
  serverBusy(count: number, backOffMs: number): void;
  /** The next `count` requests answer plain HTTP 503, with `Retry-After: retryAfterSeconds` when given. */
  unavailable(count: number, retryAfterSeconds?: number): void;
  /** The next `count` SyncFolderItems calls that carry a SyncState answer ResponseClass="Error" ErrorInvalidSyncStateData. */
  invalidSyncState(count: number): void;
  /** CreateItem: items whose decoded MIME contains `marker` (a Buffer or string) get ResponseClass="Error" with this ResponseCode (e.g. 'ErrorMessageSizeExceeded', 'ErrorQuotaExceeded'), the others in the same batch succeed. */
  rejectCreate(marker: string | Buffer, responseCode: string): void;
  clear(): void;
}

export class FaultState implements EwsFaults {
  private busy = 0;
  private busyBackOffMs = 0;
  private unavailableLeft = 0;
  private retryAfterSeconds: number | undefined;
  private invalidSyncLeft = 0;
  private readonly rejections: Array<{ marker: Buffer; code: string }> = [];

  serverBusy(count: number, backOffMs: number): void {
    this.busy = count;
    this.busyBackOffMs = backOffMs;
  }

  unavailable(count: number, retryAfterSeconds?: number): void {
    this.unavailableLeft = count;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  invalidSyncState(count: number): void {
    this.invalidSyncLeft = count;
  }

  rejectCreate(marker: string | Buffer, responseCode: string): void {
    this.rejections.push({ marker: Buffer.from(marker), code: responseCode });
  }

  clear(): void {
    this.busy = this.unavailableLeft = this.invalidSyncLeft = 0;
    this.rejections.length = 0;
  }

  /** Whole-request faults, consumed in this order: 503 first, then ErrorServerBusy. */
  takeRequestFault(): { kind: 'unavailable'; retryAfterSeconds?: number } | { kind: 'busy'; backOffMs: number } | undefined {
    if (this.unavailableLeft > 0) {
      this.unavailableLeft -= 1;
      return this.retryAfterSeconds === undefined ? { kind: 'unavailable' } : { kind: 'unavailable', retryAfterSeconds: this.retryAfterSeconds };
    }
    if (this.busy > 0) {
      this.busy -= 1;
      return { kind: 'busy', backOffMs: this.busyBackOffMs };
    }
    return undefined;
  }

  takeInvalidSyncState(): boolean {
    if (this.invalidSyncLeft <= 0) return false;
    this.invalidSyncLeft -= 1;
    return true;
  }

  /** The ResponseCode for a created item, or undefined to let it through. */
  createRejection(mime: Buffer): string | undefined {
    return this.rejections.find((r) => mime.includes(r.marker))?.code;
  }
}
