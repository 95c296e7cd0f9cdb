/**
 * The login phase of a POP3 session: the account's checks and its OAuth token before
 * connecting, then greeting, CAPA, STLS when required, and USER/PASS, APOP or SASL
 * XOAUTH2. It speaks through a Pop3LoginChannel, the few session operations a login
 * needs; the session (pop3-session.ts) owns the connection, its timers and its death.
 * The secrets a login sends are masked here too, in logs and in echoed status lines.
 */
import { createHash } from 'node:crypto';
import { ConnectorError, isConnectorError } from '../connector-error.js';
import { parseCapa, type Pop3Capabilities } from './pop3-capabilities.js';
import { answeredErr, oauthRefused, Pop3ConnectionError, responseCodeOf, stlsNotOffered, toConnectorError, xoauth2NotOffered } from './pop3-errors.js';
import type { Pop3AccountOptions } from './pop3-options.js';
import type { Answer } from './pop3-wire.js';

/** The RFC 1939 APOP timestamp: a msg-id, "<" process.clock "@" host ">". */
const APOP_TIMESTAMP = /<[^<>\s]+@[^<>\s]+>/;
/**
 * RFC 2449 limits a command line to 255 octets, AUTH with its initial response included
 * (RFC 5034 section 4); a longer one (any real OAuth token) goes after an empty challenge.
 */
const MAX_COMMAND_LINE = 255;

/** How a login command is written: STLS's and SASL's options, and the line as logged instead of masked. */
export interface LoginExchangeOptions {
  readonly endsPlaintext?: boolean;
  readonly continuation?: boolean;
  readonly name?: string;
  readonly logAs?: string;
}

/** What the login needs from its session; every failure is a ConnectorError that says `what`. */
export interface Pop3LoginChannel {
  /** "user@host:port", for messages and logs; never includes the secret. */
  readonly label: string;
  readonly account: Pop3AccountOptions;
  /** The OAuth token of this login (auth 'xoauth2'). */
  readonly accessToken: string | undefined;
  /** Connects; resolves with the server's greeting (where APOP finds its timestamp). */
  connect(what: string): Promise<string>;
  /** Writes one single-line command (or SASL line) and waits for its answer. */
  exchange(line: string, what: string, options?: LoginExchangeOptions): Promise<Answer>;
  /** Writes a multi-line command and resolves with its body, read whole. */
  collect(line: string, what: string): Promise<Buffer>;
  /** STLS and the TLS handshake on the same socket; the caller has checked that CAPA lists STLS. */
  startTls(what: string): Promise<void>;
}

/**
 * Checks the account, gets its OAuth token (auth 'xoauth2') and runs `attempt`, one
 * connection and login; with a token the server refuses, once more with a fresh one.
 * Throws a ConnectorError.
 */
export async function openWithCredentials<Session>(
  account: Pop3AccountOptions,
  attempt: (accessToken: string | undefined) => Promise<Session>,
): Promise<Session> {
  const what = `login to ${account.user}@${account.host}:${account.port}`;
  // A line break would end the command line and start another one (command injection).
  if (account.auth !== 'xoauth2' && /[\r\n]/.test(account.password)) {
    throw new ConnectorError(`${what}: the password contains a line break (CR or LF), which POP3 cannot send`, {
      code: 'AUTH_FAILED', scope: 'account', retry: 'never',
    });
  }
  if (/[\r\n]/.test(account.user) || account.user === '') {
    throw new ConnectorError(`${what}: the user name is empty or contains a line break, which POP3 cannot send`, {
      code: 'AUTH_FAILED', scope: 'account', retry: 'never',
    });
  }
  if (account.auth !== 'xoauth2') return attempt(undefined);
  const tokens = account.tokens;
  if (tokens === undefined) {
    throw new ConnectorError(`${what}: auth xoauth2 needs a token provider`, { code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
  }
  // A token per login (the provider reuses it until shortly before it expires), so a
  // reconnect never offers an expired one.
  const token = await oauthToken(what, () => tokens.token());
  try {
    return await attempt(token);
  } catch (error) {
    // Only the server's -ERR to AUTH: not a missing XOAUTH2, nor the token service's refusal.
    if (!isConnectorError(error) || error.code !== 'AUTH_FAILED' || !answeredErr(error, 'AUTH')) throw error;
    // Refused although the provider thought it valid (revoked at the server, expired
    // early, clock skew): one fresh token, one more try, on a new connection.
    account.logger?.debug({ account: `${account.user}@${account.host}:${account.port}` }, 'the server refused the OAuth token; trying once with a fresh one');
    return attempt(await oauthToken(what, () => tokens.refresh(token)));
  }
}

/**
 * Greeting, CAPA, STLS when the account asks for it, and login. Resolves with what CAPA
 * listed (undefined without CAPA); the caller ends the connection when it throws.
 */
export async function logIn(channel: Pop3LoginChannel): Promise<Pop3Capabilities | undefined> {
  const { label, account } = channel;
  const greeting = await channel.connect(`connect to ${label}`);
  const starttls = account.tls === 'starttls';
  let capabilities = await readCapabilities(channel, starttls ? `start TLS (STLS) with ${label}` : `connect to ${label}`);
  if (starttls) {
    await startTls(channel, capabilities);
    // RFC 2595 4: what CAPA said before TLS is forgotten; servers often list SASL
    // mechanisms only over TLS. Asked again only for OAuth, which needs the SASL line.
    if (channel.accessToken !== undefined) capabilities = (await readCapabilities(channel, `connect to ${label}`)) ?? capabilities;
  }
  // Past a required STLS, the connection is encrypted too.
  const tlsActive = account.tls === 'implicit' || starttls;
  await enableUtf8(channel, capabilities);
  try {
    await authenticate(channel, greeting, capabilities, tlsActive);
  } catch (error) {
    throw withLoginDelay(error, capabilities);
  }
  return capabilities;
}

/**
 * RFC 6856 UTF8, where CAPA lists it, before login (it is valid only then). Courier's
 * POP3 server otherwise hands out every message with 8-bit headers as a "Cannot display
 * Unicode content" notice in its place. A refusal leaves the session as it was.
 */
async function enableUtf8(channel: Pop3LoginChannel, capabilities: Pop3Capabilities | undefined): Promise<void> {
  if (!capabilities?.listed.has('UTF8')) return;
  try {
    await channel.exchange('UTF8', `enable UTF8 (RFC 6856) on ${channel.label}`);
  } catch (error) {
    if (!answeredErr(error, 'UTF8')) throw error;
    channel.account.logger?.warn({ account: channel.label, err: error }, 'the server lists UTF8 in CAPA but refused it; messages with 8-bit headers are checked against their listed size');
  }
}

/** A refused login with [LOGIN-DELAY] waits as long as CAPA's LOGIN-DELAY says, where it does. */
function withLoginDelay(error: unknown, capabilities: Pop3Capabilities | undefined): unknown {
  const seconds = capabilities?.loginDelaySeconds;
  if (seconds === undefined || !isConnectorError(error) || responseCodeOf(error) !== 'LOGIN-DELAY') return error;
  return new ConnectorError(error.message, { code: error.code, scope: error.scope, retry: error.retry, retryAfterMs: seconds * 1000, cause: error.cause });
}

/**
 * CAPA, once per session, before login (RFC 2449). It decides STLS and PIPELINING and
 * is not asked again after STLS: a PIPELINING forged in plaintext costs no more than a
 * server that stalls on pipelined commands would (the timeout).
 */
async function readCapabilities(channel: Pop3LoginChannel, what: string): Promise<Pop3Capabilities | undefined> {
  try {
    return parseCapa(await channel.collect('CAPA', what));
  } catch (error) {
    // RFC 1939 servers have no CAPA (and so neither STLS nor PIPELINING): any -ERR means that.
    if (!answeredErr(error, 'CAPA')) throw error;
    return undefined;
  }
}

/** RFC 2595: STLS only when CAPA lists it, and never a plaintext fallback. */
async function startTls(channel: Pop3LoginChannel, capabilities: Pop3Capabilities | undefined): Promise<void> {
  const what = `start TLS (STLS) with ${channel.label}`;
  // A server without CAPA (RFC 1939 only) cannot have STLS either.
  if (!capabilities) throw stlsNotOffered(what, 'it has no CAPA command');
  if (!capabilities.listed.has('STLS')) throw stlsNotOffered(what);
  await channel.startTls(what);
}

/** USER/PASS, APOP or SASL XOAUTH2, as `auth` says (see Pop3Auth). */
async function authenticate(
  channel: Pop3LoginChannel, greeting: string, capabilities: Pop3Capabilities | undefined, tlsActive: boolean,
): Promise<void> {
  const { user, password, auth = 'auto' } = channel.account;
  const what = `login to ${channel.label}`;
  if (auth === 'xoauth2') {
    await authenticateXoauth2(channel, capabilities, what);
    return;
  }
  const timestamp = APOP_TIMESTAMP.exec(greeting)?.[0];
  const apop = auth === 'apop' || (auth === 'auto' && !tlsActive && timestamp !== undefined);
  if (apop) {
    if (timestamp === undefined) {
      throw new ConnectorError(`${what}: the server does not offer APOP (its greeting has no <timestamp>); use ?auth=user`, {
        code: 'AUTH_FAILED', scope: 'account', retry: 'never',
      });
    }
    const digest = createHash('md5').update(`${timestamp}${password}`, 'utf8').digest('hex');
    try {
      await channel.exchange(`APOP ${user} ${digest}`, what);
      return;
    } catch (error) {
      if (auth !== 'auto' || !isConnectorError(error) || error.code !== 'AUTH_FAILED' || !answeredErr(error, 'APOP')) throw error;
      await afterRefusedApop(channel, capabilities, what, error);
      return;
    }
  }
  await userPass(channel, what);
}

async function userPass(channel: Pop3LoginChannel, what: string): Promise<void> {
  await channel.exchange(`USER ${channel.account.user}`, what);
  await channel.exchange(`PASS ${channel.account.password}`, what);
}

/**
 * APOP chosen by `auto` and refused. Servers offer an APOP timestamp without keeping APOP
 * secrets (GNU Mailutils' pop3d does by default), so the refusal need not mean a wrong
 * password: USER/PASS after STLS where the server offers it (the password still never
 * crosses in the clear), else an error that says what to set.
 */
async function afterRefusedApop(channel: Pop3LoginChannel, capabilities: Pop3Capabilities | undefined, what: string, refusal: ConnectorError): Promise<void> {
  if (!capabilities?.listed.has('STLS')) throw apopRefused(what, refusal, 'it offers no STLS to protect a USER/PASS login');
  channel.account.logger?.info({ account: channel.label }, 'the server refused APOP; logging in with USER/PASS after STLS');
  try {
    await channel.startTls(`start TLS (STLS) with ${channel.label}`);
  } catch (error) {
    throw apopRefused(what, refusal, `STLS to protect a USER/PASS login failed (${(error as Error).message})`);
  }
  await userPass(channel, what);
}

function apopRefused(what: string, refusal: ConnectorError, andThen: string): ConnectorError {
  const said = refusal.cause instanceof Error ? refusal.cause.message : refusal.message;
  return new ConnectorError(
    `${what}: the server refused APOP (${said}); it may keep no APOP secret for this user, and ${andThen}. ` +
      'Set ?auth=user in the account URL to log in with USER/PASS (the password then crosses the network in the clear ' +
      'unless the URL is pop3s://), or check the user name and password',
    { code: 'AUTH_FAILED', scope: 'account', retry: 'never', cause: refusal },
  );
}

/**
 * RFC 5034 AUTH with the XOAUTH2 mechanism (only where CAPA's SASL line lists it): the
 * initial response in the AUTH line when it fits in 255 octets, else after the server's
 * empty challenge. A refusal may come as a "+ BASE64" challenge holding the error as
 * JSON, which the client answers with an empty line and the server with -ERR.
 */
async function authenticateXoauth2(channel: Pop3LoginChannel, capabilities: Pop3Capabilities | undefined, what: string): Promise<void> {
  if (!capabilities) throw xoauth2NotOffered(what, 'it has no CAPA command');
  const mechanisms = capabilities.saslMechanisms;
  if (!mechanisms.has('XOAUTH2')) {
    throw xoauth2NotOffered(what, mechanisms.size === 0 ? 'CAPA lists no SASL mechanisms' : `CAPA lists SASL ${[...mechanisms].join(' ')}`);
  }
  const response = Buffer.from(`user=${channel.account.user}\x01auth=Bearer ${channel.accessToken ?? ''}\x01\x01`, 'utf8').toString('base64');
  const sasl = { continuation: true, name: 'AUTH' } as const;
  let status: string | undefined;
  try {
    let answer: Answer;
    if (`AUTH XOAUTH2 ${response}`.length + 2 <= MAX_COMMAND_LINE) {
      answer = await channel.exchange(`AUTH XOAUTH2 ${response}`, what, { ...sasl, logAs: 'AUTH XOAUTH2 ****' });
    } else {
      answer = await channel.exchange('AUTH XOAUTH2', what, sasl);
      if (!answer.continuation) throw toConnectorError(new Pop3ConnectionError('BAD_RESPONSE', 'the server answered AUTH XOAUTH2 with +OK before the token was sent'), what);
      answer = await channel.exchange(response, what, { ...sasl, logAs: '****' });
    }
    if (answer.continuation) {
      // The error challenge: {"status":"401","schemes":"bearer","scope":"..."}. An empty
      // line ends the exchange; the server's -ERR then rejects it below.
      status = errorStatus(answer.text);
      await channel.exchange('', what, { name: 'AUTH', logAs: '' });
      throw toConnectorError(new Pop3ConnectionError('BAD_RESPONSE', 'the server accepted an OAuth login it had refused'), what);
    }
  } catch (error) {
    throw oauthRefused(error, what, status);
  }
}

/** The command line as logged: PASS, APOP and AUTH arguments masked. */
export function maskedForLog(line: string): string {
  if (/^PASS /i.test(line)) return 'PASS ****';
  const auth = /^(AUTH \S+) /i.exec(line);
  if (auth) return `${auth[1]} ****`;
  const apop = /^(APOP \S+) /i.exec(line);
  return apop ? `${apop[1]} ****` : line;
}

/** Masks the password (or the OAuth token) should a server echo it in a status line. */
export function redactSecrets(text: string, account: Pop3AccountOptions, accessToken: string | undefined): string {
  let shown = text;
  for (const secret of [account.password, accessToken]) {
    if (secret !== undefined && secret !== '') shown = shown.split(secret).join('****');
  }
  return shown;
}

/** A token from the provider; its failure (already saying what to fix) gets this login's prefix. */
async function oauthToken(what: string, get: () => Promise<string>): Promise<string> {
  try {
    return await get();
  } catch (error) {
    if (!isConnectorError(error)) throw toConnectorError(error, what);
    throw new ConnectorError(`${what}: ${error.message}`, {
      code: error.code, scope: error.scope, retry: error.retry, cause: error,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    });
  }
}

/** The "status" of a base64 XOAUTH2 error challenge ({"status":"401",...}), if it has one. */
function errorStatus(challenge: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(challenge, 'base64').toString('utf8')) as unknown;
    const status = typeof parsed === 'object' && parsed !== null ? (parsed as { status?: unknown }).status : undefined;
    return typeof status === 'string' || typeof status === 'number' ? String(status).slice(0, 40) : undefined;
  } catch {
    return undefined;
  }
}
