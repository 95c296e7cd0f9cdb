/**
 * The policy every OAuth token provider shares (client credentials, refresh token):
 * - a token is reused until `refreshMarginMs` (5 min) before it expires, or half its
 *   lifetime for a short-lived one, so no login or request leaves with a token about to expire;
 * - `refresh(stale)` replaces a token the server refused;
 * - at most one token request is in flight: concurrent callers await the same promise;
 * - a refused credential (AUTH_FAILED "retry never": revoked secret or refresh token, wrong
 *   client) is remembered for `authFailureHoldMs`, so the connectors of the account do not
 *   each ask again (no retry storm against the token endpoint);
 * - a passing failure (network, 5xx) while the current token is still valid is only logged
 *   and the token stays in use.
 *
 * Subclasses only fetch a token (fetchToken) and map their failures to ConnectorErrors.
 * Neither a secret nor a token is ever logged or put into an error message.
 */
import { ConnectorError, isConnectorError } from '../connector-error.js';

/** pino-compatible. */
export interface OAuthLogger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** Where a connector gets its bearer tokens. */
export interface BearerTokenSource {
  /** A token valid for a while yet. */
  token(): Promise<string>;
  /** A token other than `stale`, which the server refused: fetched now unless another caller already did. */
  refresh(stale: string): Promise<string>;
}

/** Ask for a new token this long before the current one expires. */
export const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;
/** How long a refused credential is answered from memory instead of asking the token service again. */
export const DEFAULT_AUTH_FAILURE_HOLD_MS = 60_000;
/** After a refresh failed for a passing reason, the still-valid token is used this long before asking again. */
const QUIET_AFTER_FAILURE_MS = 5_000;
/** A token is handed out only while it has at least this long (or a quarter of its lifetime) left. */
const MIN_REMAINING_MS = 5_000;

export interface TokenCachePolicy {
  readonly logger?: OAuthLogger;
  /** @defaultValue 5 minutes (at most half of a token's lifetime is used as the margin) */
  readonly refreshMarginMs?: number;
  /** @defaultValue 60 seconds */
  readonly authFailureHoldMs?: number;
}

/** A token as fetched: `started` is when the request left (expiry counts from there). */
export interface FetchedToken {
  readonly token: string;
  readonly expiresAt: number;
  readonly started: number;
}

interface HeldToken {
  readonly token: string;
  readonly expiresAt: number;
  readonly refreshAt: number;
  /** Handed out until this time even when a refresh fails. */
  readonly usableUntil: number;
}

export abstract class CachingTokenProvider implements BearerTokenSource {
  /** Names the app/client and the token service, for messages; never a secret. */
  abstract readonly label: string;
  private current: HeldToken | undefined;
  private inflight: Promise<string> | undefined;
  private refused: { readonly error: ConnectorError; readonly until: number } | undefined;
  private quietUntil = 0;

  constructor(private readonly policy: TokenCachePolicy) {}

  /** Gets a new token; failures are ConnectorErrors (AUTH_FAILED "never" for a refused credential). */
  protected abstract fetchToken(): Promise<FetchedToken>;

  async token(): Promise<string> {
    const now = Date.now();
    const current = this.current;
    if (current && now < current.refreshAt) return current.token;
    // A refresh failed a moment ago for a passing reason: keep using the valid token for now.
    if (current && now < current.usableUntil && now < this.quietUntil) return current.token;
    return this.acquire(undefined);
  }

  async refresh(stale: string): Promise<string> {
    const current = this.current;
    if (current?.token === stale) {
      this.current = undefined;
    } else if (current && Date.now() < current.usableUntil) {
      return current.token; // another caller has replaced it already
    }
    return this.acquire(stale);
  }

  /** Joins the token request in flight, or starts one. */
  private async acquire(stale: string | undefined): Promise<string> {
    if (this.refused && Date.now() < this.refused.until) throw this.refused.error;
    this.inflight ??= this.request().finally(() => {
      this.inflight = undefined;
    });
    try {
      return await this.inflight;
    } catch (error) {
      const current = this.current;
      const passing = isConnectorError(error) && error.retry !== 'never';
      if (passing && current && current.token !== stale && Date.now() < current.usableUntil) return current.token;
      throw error;
    }
  }

  private async request(): Promise<string> {
    const logger = this.policy.logger;
    let fetched: FetchedToken;
    try {
      fetched = await this.fetchToken();
    } catch (error) {
      const mapped = isConnectorError(error)
        ? error
        : new ConnectorError(`OAuth token for ${this.label}: unexpected failure (${error instanceof Error ? error.message : String(error)})`, {
          code: 'PROTOCOL', scope: 'account', retry: 'now', cause: error,
        });
      if (mapped.retry === 'never') {
        this.refused = { error: mapped, until: Date.now() + (this.policy.authFailureHoldMs ?? DEFAULT_AUTH_FAILURE_HOLD_MS) };
        logger?.warn({ oauth: this.label, code: mapped.code }, 'OAuth token request refused');
      } else {
        this.quietUntil = Date.now() + QUIET_AFTER_FAILURE_MS;
        logger?.warn({ oauth: this.label, code: mapped.code, retry: mapped.retry }, 'OAuth token request failed');
      }
      throw mapped;
    }
    const now = Date.now();
    const { token, expiresAt, started } = fetched;
    const lifetime = Math.max(0, expiresAt - started);
    const margin = Math.min(this.policy.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS, lifetime / 2);
    this.current = {
      token,
      expiresAt,
      refreshAt: expiresAt - margin,
      usableUntil: expiresAt - Math.min(MIN_REMAINING_MS, lifetime / 4),
    };
    this.refused = undefined;
    this.quietUntil = 0;
    logger?.debug({ oauth: this.label, expiresInS: Math.round((expiresAt - now) / 1000), ms: now - started }, 'OAuth token obtained');
    return token;
  }
}

/** A Retry-After (delta-seconds or HTTP-date) in ms. */
export function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
