/**
 * How many connections and logins the governor allows, and what a caller asks it for.
 * Limits travel with each claim rather than living in the governor, so one account can
 * have its own cap (a `maxConnections` override) while sharing its server's.
 */

export interface GovernorLimits {
  /** Connections held at once on one server, every account and worker process together. */
  readonly connectionsPerServer: number;
  /** Connections held at once for one account, every worker process together. */
  readonly connectionsPerAccount: number;
  /** Logins (new connections) to one server per login window (a minute by default). */
  readonly loginsPerMinutePerServer: number;
}

/**
 * Gmail allows 15 simultaneous IMAP connections per account and Microsoft 365 about 20
 * per mailbox, and the account's own mail clients (phone, desktop) need some of those: 5
 * leaves them room. Both providers also rate-limit logins, and a burst of refused logins
 * can lock an account for a while, hence the per-server login rate.
 */
export const DEFAULT_GOVERNOR_LIMITS: GovernorLimits = {
  connectionsPerServer: 50,
  connectionsPerAccount: 5,
  loginsPerMinutePerServer: 120,
};

/** The limits with an account's own connection cap, when it has one. */
export function withAccountCap(limits: GovernorLimits, maxConnections: number | undefined): GovernorLimits {
  return maxConnections === undefined ? limits : { ...limits, connectionsPerAccount: maxConnections };
}

/**
 * One connection to ask for. `server` and `account` are opaque keys chosen by the caller
 * (e.g. `imap|host|port` and the account's identity); the governor stores only hashes.
 */
export interface Claim {
  readonly server: string;
  readonly account: string;
  readonly limits: GovernorLimits;
}

/** Which count blocked a claim: connections on its server or account, or its server's login rate. */
export type GovernorLimitName = 'server' | 'account' | 'logins';

export interface GovernorBlock {
  readonly limit: GovernorLimitName;
  readonly claim: Claim;
  /** For the login rate: when the oldest login in the window leaves it. */
  readonly retryInMs?: number;
}

/** Throws RangeError for a limit that is not a positive integer (0 would block forever). */
export function checkLimits(limits: GovernorLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`governor limit ${name} must be a positive integer, got ${value}`);
  }
}
