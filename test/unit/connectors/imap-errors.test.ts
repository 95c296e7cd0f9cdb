import { describe, expect, it } from 'vitest';
import { ConnectorError, type ConnectorErrorCode, type ErrorScope, type RetryKind } from '../../../src/connectors/connector-error.js';
import { commandFailed, responseCodeOf, toConnectorError } from '../../../src/connectors/imap/imap-errors.js';

/** An error shaped the way imapflow builds them: a plain Error with properties stuck on. */
function imapError(fields: Record<string, unknown>, message = 'Command failed'): Error {
  return Object.assign(new Error(message), fields);
}

interface Expected {
  readonly code: ConnectorErrorCode;
  readonly scope: ErrorScope;
  readonly retry: RetryKind;
  readonly retryAfterMs?: number;
  readonly message: RegExp;
}

describe('toConnectorError', () => {
  it.each<[string, unknown, ErrorScope | undefined, Expected]>([
    ['authenticationFailed flag (imapflow login failure)',
      imapError({ authenticationFailed: true, responseStatus: 'NO', responseText: 'Invalid credentials' }), 'account',
      { code: 'AUTH_FAILED', scope: 'account', retry: 'never', message: /^op: authentication failed \(Invalid credentials\); check the user name and password$/ }],
    ['serverResponseCode AUTHENTICATIONFAILED',
      imapError({ responseStatus: 'NO', serverResponseCode: 'AUTHENTICATIONFAILED', responseText: 'Authentication failed.' }), 'account',
      { code: 'AUTH_FAILED', scope: 'account', retry: 'never', message: /authentication failed \(\[AUTHENTICATIONFAILED\] Authentication failed\.\)/ }],
    ['lower-case response code is matched case-insensitively',
      imapError({ responseStatus: 'NO', serverResponseCode: 'authenticationfailed' }), 'account',
      { code: 'AUTH_FAILED', scope: 'account', retry: 'never', message: /authentication failed/ }],
    ['serverResponseCode AUTHORIZATIONFAILED',
      imapError({ responseStatus: 'NO', serverResponseCode: 'AUTHORIZATIONFAILED', responseText: 'no' }), 'account',
      { code: 'AUTH_FAILED', scope: 'account', retry: 'never', message: /authentication failed/ }],
    ['tlsFailed flag',
      imapError({ tlsFailed: true }, 'Failed to establish TLS connection'), 'account',
      { code: 'TLS_FAILED', scope: 'account', retry: 'never', message: /^op: TLS failed \(Failed to establish TLS connection\); check the URL scheme, the port and the CA file$/ }],
    ['DEPTH_ZERO_SELF_SIGNED_CERT',
      imapError({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'self-signed certificate'), 'account',
      { code: 'TLS_FAILED', scope: 'account', retry: 'never', message: /TLS failed \(DEPTH_ZERO_SELF_SIGNED_CERT\)/ }],
    ['ERR_SSL_WRONG_VERSION_NUMBER (imaps:// against a STARTTLS port)',
      imapError({ code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), 'account',
      { code: 'TLS_FAILED', scope: 'account', retry: 'never', message: /TLS failed \(ERR_SSL_WRONG_VERSION_NUMBER\)/ }],
    ['ENOTFOUND',
      imapError({ code: 'ENOTFOUND' }, 'getaddrinfo ENOTFOUND imap.invalid'), 'account',
      { code: 'CONNECT_FAILED', scope: 'account', retry: 'now', message: /^op: host not found \(getaddrinfo ENOTFOUND imap\.invalid\)$/ }],
    ['ECONNREFUSED',
      imapError({ code: 'ECONNREFUSED' }, 'connect ECONNREFUSED 127.0.0.1:1'), 'account',
      { code: 'CONNECTION_LOST', scope: 'account', retry: 'now', message: /^op: connection failed \(ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:1\)$/ }],
    ['ECONNRESET in folder scope is still an account problem',
      imapError({ code: 'ECONNRESET' }, 'read ECONNRESET'), 'folder',
      { code: 'CONNECTION_LOST', scope: 'account', retry: 'now', message: /connection failed \(ECONNRESET/ }],
    ['NoConnection while appending',
      { code: 'NoConnection', message: 'not connected' }, 'message',
      { code: 'CONNECTION_LOST', scope: 'account', retry: 'now', message: /connection failed \(NoConnection: not connected\)/ }],
    ['ETHROTTLE with throttleReset',
      imapError({ code: 'ETHROTTLE', throttleReset: 92_415, responseStatus: 'BAD', responseText: 'Request is throttled. Suggested Backoff Time: 92415 milliseconds' }), 'folder',
      { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 92_415, message: /server throttled the connection \(Request is throttled/ }],
    ['ETHROTTLE without throttleReset waits a minute',
      imapError({ code: 'ETHROTTLE' }, 'throttled'), 'folder',
      { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 60_000, message: /throttled/ }],
    ['THROTTLED waits 30 s',
      imapError({ responseStatus: 'NO', serverResponseCode: 'THROTTLED', responseText: 'slow down' }), 'message',
      { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 30_000, message: /\[THROTTLED\] slow down/ }],
    ['UNAVAILABLE waits 30 s',
      imapError({ responseStatus: 'NO', serverResponseCode: 'UNAVAILABLE', responseText: 'try later' }), 'folder',
      { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 30_000, message: /server temporarily unavailable \(\[UNAVAILABLE\] try later\)/ }],
    ['INUSE waits 30 s',
      imapError({ responseStatus: 'NO', serverResponseCode: 'INUSE', responseText: 'mailbox locked' }), 'message',
      { code: 'THROTTLED', scope: 'account', retry: 'later', retryAfterMs: 30_000, message: /temporarily unavailable/ }],
    ['OVERQUOTA, even in message scope',
      imapError({ responseStatus: 'NO', serverResponseCode: 'OVERQUOTA', responseText: 'Quota exceeded (mailbox for user is full)' }), 'message',
      { code: 'OVER_QUOTA', scope: 'account', retry: 'never', message: /^op: target is over quota \(\[OVERQUOTA\] Quota exceeded/ }],
    ['TOOBIG in message scope',
      imapError({ responseStatus: 'NO', serverResponseCode: 'TOOBIG', responseText: 'Message too large' }), 'message',
      { code: 'MESSAGE_TOO_LARGE', scope: 'message', retry: 'never', message: /^op: server refused the message: \[TOOBIG\] Message too large$/ }],
    ['APPENDLIMIT (imapflow client-side check) in message scope',
      imapError({ serverResponseCode: 'APPENDLIMIT' }, 'Message size 999 exceeds APPENDLIMIT'), 'message',
      { code: 'MESSAGE_TOO_LARGE', scope: 'message', retry: 'never', message: /refused the message/ }],
    ['plain NO without a response code in message scope',
      imapError({ responseStatus: 'NO', responseText: 'Message contains invalid header' }), 'message',
      { code: 'MESSAGE_REJECTED', scope: 'message', retry: 'never', message: /^op: server refused the message: Message contains invalid header$/ }],
    ['plain NO whose text mentions the size counts as too large',
      imapError({ responseStatus: 'NO', responseText: 'Mail too big' }), 'message',
      { code: 'MESSAGE_TOO_LARGE', scope: 'message', retry: 'never', message: /Mail too big/ }],
    ['BAD in message scope',
      imapError({ responseStatus: 'BAD', responseText: 'Invalid arguments' }), 'message',
      { code: 'MESSAGE_REJECTED', scope: 'message', retry: 'never', message: /Invalid arguments/ }],
    ['PARSE response code without a status in message scope',
      imapError({ serverResponseCode: 'PARSE', responseText: 'bad MIME' }), 'message',
      { code: 'MESSAGE_REJECTED', scope: 'message', retry: 'never', message: /\[PARSE\] bad MIME/ }],
    ['TOOBIG outside message scope is a folder failure',
      imapError({ responseStatus: 'NO', serverResponseCode: 'TOOBIG', responseText: 'too big' }), 'folder',
      { code: 'FOLDER_FAILED', scope: 'folder', retry: 'now', message: /^op: \[TOOBIG\] too big$/ }],
    ['NONEXISTENT',
      imapError({ responseStatus: 'NO', serverResponseCode: 'NONEXISTENT', responseText: 'Mailbox does not exist: Gone' }), 'folder',
      { code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never', message: /^op: folder does not exist \(\[NONEXISTENT\] Mailbox does not exist: Gone\)$/ }],
    ['mailboxMissing (imapflow SELECT of a folder LIST does not know; Dovecot 2.3 sends no code)',
      imapError({ responseStatus: 'NO', responseText: "Mailbox doesn't exist: No/Such", mailboxMissing: true }), 'folder',
      { code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never', message: /^op: folder does not exist \(Mailbox doesn't exist: No\/Such\)$/ }],
    ['NONEXISTENT with the default scope',
      imapError({ responseStatus: 'NO', serverResponseCode: 'NONEXISTENT' }), undefined,
      { code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never', message: /folder does not exist \(\[NONEXISTENT\] Command failed\)/ }],
    ['plain NO in folder scope',
      imapError({ responseStatus: 'NO', responseText: 'Internal error occurred' }), 'folder',
      { code: 'FOLDER_FAILED', scope: 'folder', retry: 'now', message: /^op: Internal error occurred$/ }],
    ['plain NO in account scope keeps that scope',
      imapError({ responseStatus: 'NO', responseText: 'LIST failed' }), 'account',
      { code: 'FOLDER_FAILED', scope: 'account', retry: 'now', message: /LIST failed/ }],
    ['unknown error object',
      new Error('something odd'), 'folder',
      { code: 'PROTOCOL', scope: 'account', retry: 'now', message: /^op: something odd$/ }],
    ['a thrown string',
      'boom', 'folder',
      { code: 'PROTOCOL', scope: 'account', retry: 'now', message: /^op: boom$/ }],
    ['null',
      null, 'folder',
      { code: 'PROTOCOL', scope: 'account', retry: 'now', message: /^op: null$/ }],
    ['an object without a message',
      {}, 'folder',
      { code: 'PROTOCOL', scope: 'account', retry: 'now', message: /^op: unknown error$/ }],
  ])('%s', (_name, error, scope, expected) => {
    const result = scope === undefined ? toConnectorError(error, 'op') : toConnectorError(error, 'op', scope);
    expect(result).toBeInstanceOf(ConnectorError);
    expect({ code: result.code, scope: result.scope, retry: result.retry }).toEqual({
      code: expected.code, scope: expected.scope, retry: expected.retry,
    });
    expect(result.retryAfterMs).toBe(expected.retryAfterMs);
    expect(result.message).toMatch(expected.message);
    expect(result.name).toBe('ConnectorError');
    expect(result.cause).toBe(error);
  });

  it('passes an existing ConnectorError through unchanged', () => {
    const original = new ConnectorError('already translated', { code: 'OVER_QUOTA', scope: 'account', retry: 'never' });
    expect(toConnectorError(original, 'append', 'message')).toBe(original);
  });

  it("Exchange Online's 'authenticated but not connected' names the cmdlets that open the mailbox to IMAP", () => {
    const mapped = toConnectorError(imapError({ responseText: 'User is authenticated but not connected.', response: 'NO' }), 'select INBOX on outlook.office365.com:993');
    expect(mapped).toMatchObject({ code: 'AUTH_FAILED', scope: 'account', retry: 'never' });
    expect(mapped.message).toMatch(/Set-CASMailbox -Identity MAILBOX -ImapEnabled \$true/);
    expect(mapped.message).toMatch(/Add-MailboxPermission/);
  });

  it('authentication wins over a network code on the same error', () => {
    const result = toConnectorError(imapError({ authenticationFailed: true, code: 'ECONNRESET' }), 'login', 'account');
    expect(result.code).toBe('AUTH_FAILED');
  });

  // BUG (src/connectors/imap/imap-errors.ts:102): in message scope any NO is treated as
  // "this one message is bad" before NONEXISTENT/TRYCREATE is looked at, so appending into a
  // folder that no longer exists (APPEND -> NO [NONEXISTENT] / NO [TRYCREATE]) quarantines every
  // message of the page instead of failing the folder.
  it.each<[string]>([['NONEXISTENT'], ['TRYCREATE']])('NO [%s] while appending is a folder problem, not a bad message', (responseCode) => {
    const result = toConnectorError(
      imapError({ responseStatus: 'NO', serverResponseCode: responseCode, responseText: 'Mailbox does not exist' }), 'append', 'message',
    );
    expect(result.scope).toBe('folder');
  });

  // imapflow answers a failed STORE/EXPUNGE/SEARCH with `false`; whether the connection is
  // still usable tells a refusal from a lost connection.
  it('commandFailed: a refusal on a usable connection is a retryable folder error', () => {
    expect(commandFailed({ usable: true }, 'op')).toMatchObject({ code: 'FOLDER_FAILED', scope: 'folder', retry: 'now' });
  });

  it('commandFailed: on a closed connection it is CONNECTION_LOST', () => {
    expect(commandFailed({ usable: false }, 'op')).toMatchObject({ code: 'CONNECTION_LOST', scope: 'account', retry: 'now' });
  });
});

describe('responseCodeOf', () => {
  it.each<[string, unknown, string | undefined]>([
    ['serverResponseCode, as imapflow sets it for LOGIN or CREATE', { serverResponseCode: 'alreadyexists' }, 'ALREADYEXISTS'],
    // imapflow's FETCH leaves the code in the parsed tagged response only.
    ['the tagged response of a failed FETCH', {
      responseStatus: 'NO',
      response: { tag: 'A', command: 'NO', attributes: [{ type: 'ATOM', value: '', section: [{ type: 'ATOM', value: 'UNKNOWN-CTE' }] }, { type: 'TEXT', value: 'Unknown' }] },
    }, 'UNKNOWN-CTE'],
    ['a refusal without a code', { responseStatus: 'NO', response: { attributes: [{ type: 'TEXT', value: 'Failed' }] } }, undefined],
    ['a response already turned into text', { responseStatus: 'NO', response: 'A NO [PARSE] x' }, undefined],
    ['not an object', 'NO', undefined],
  ])('%s', (_name, error, expected) => {
    expect(responseCodeOf(error)).toBe(expected);
  });
});
