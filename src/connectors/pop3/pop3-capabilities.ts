/**
 * What a server's CAPA answer (RFC 2449) says, parsed from its body. Read once before
 * login (see pop3-login.ts); the session keeps it to know whether it may pipeline.
 */

export interface Pop3Capabilities {
  /** What CAPA listed: its lines' upper-cased first words ("STLS", "UIDL", "SASL", "PIPELINING"). */
  readonly listed: ReadonlySet<string>;
  /** The mechanisms of CAPA's SASL line (RFC 5034), upper-cased. */
  readonly saslMechanisms: ReadonlySet<string>;
  /** Seconds the server wants between two logins of a user (RFC 2449 LOGIN-DELAY), when it says. */
  readonly loginDelaySeconds?: number;
}

/** A CAPA answer's body, as Pop3Capabilities. */
export function parseCapa(body: Buffer): Pop3Capabilities {
  const delay = argumentOf(body, 'LOGIN-DELAY');
  const loginDelaySeconds = delay !== undefined && /^\d{1,6}$/.test(delay) ? Number(delay) : 0;
  return {
    listed: parseCapabilities(body), saslMechanisms: parseSaslMechanisms(body),
    ...(loginDelaySeconds > 0 ? { loginDelaySeconds } : {}),
  };
}

/** The first argument of CAPA's `name` line ("LOGIN-DELAY 60" -> "60"). */
function argumentOf(body: Buffer, name: string): string | undefined {
  const line = body.toString('latin1').split(/\r?\n/).map((text) => text.trim().split(/\s+/)).find((words) => words[0]?.toUpperCase() === name);
  return line?.[1];
}

/** The mechanisms of CAPA's "SASL" line (RFC 5034 section 6), upper-cased; none without one. */
function parseSaslMechanisms(body: Buffer): Set<string> {
  const line = body.toString('latin1').split(/\r?\n/).map((text) => text.trim().split(/\s+/)).find((words) => words[0]?.toUpperCase() === 'SASL');
  return new Set((line ?? []).slice(1).map((word) => word.toUpperCase()));
}

/** CAPA lines -> their upper-cased first words ("STLS", "UIDL", "SASL"). */
function parseCapabilities(body: Buffer): Set<string> {
  return new Set(
    body.toString('latin1').split(/\r?\n/).map((line) => (line.trim().split(/\s+/)[0] ?? '').toUpperCase()).filter(Boolean),
  );
}
