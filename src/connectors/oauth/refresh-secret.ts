/**
 * The account's secret for the refresh token flow, as text: JSON
 * `{"refresh_token": "...", "client_secret": "..."}` (client_secret left out for a public
 * client), or the bare refresh token. Read at start (parseRefreshSecret) and rewritten with
 * a rotated refresh token (withRefreshToken) in the same format, so the file an operator
 * wrote stays the file they recognise. Errors never quote the secret.
 */

/** What the account's secret holds for the refresh token flow. */
export interface RefreshSecret {
  readonly refreshToken: string;
  readonly clientSecret?: string;
}

export function parseRefreshSecret(secret: string): RefreshSecret {
  const text = secret.trim();
  if (text.startsWith('{')) {
    const record = parseJsonSecret(text);
    const refreshToken = record['refresh_token'];
    const clientSecret = record['client_secret'];
    const unknown = Object.keys(record).filter((key) => key !== 'refresh_token' && key !== 'client_secret');
    if (unknown.length > 0) throw new Error(`the secret has unknown keys (${unknown.join(', ')}); expected refresh_token and client_secret`);
    if (typeof refreshToken !== 'string' || refreshToken.trim() === '') throw new Error('the secret has no "refresh_token" (a non-empty string)');
    if (clientSecret !== undefined && typeof clientSecret !== 'string') throw new Error('"client_secret" in the secret must be a string');
    return { refreshToken: refreshToken.trim(), ...(clientSecret ? { clientSecret } : {}) };
  }
  if (text === '' || /\s/.test(text)) throw new Error('the secret should be the refresh token (one word) or JSON {"refresh_token": "...", "client_secret": "..."}');
  return { refreshToken: text };
}

/**
 * `secret` with its refresh token replaced by `refreshToken`, everything else as it was: a
 * bare token stays bare with the same surrounding whitespace (the trailing newline of
 * `echo token > file`); JSON keeps client_secret, the key order, the spacing and
 * indentation. Throws (without quoting the secret) when `secret` is not a refresh secret.
 */
export function withRefreshToken(secret: string, refreshToken: string): string {
  parseRefreshSecret(secret); // only a valid secret is rewritten
  if (refreshToken === '' || /\s/.test(refreshToken)) throw new Error('the new refresh token is empty or contains white space');
  const body = secret.trim();
  const start = secret.indexOf(body);
  const [before, after] = [secret.slice(0, start), secret.slice(start + body.length)];
  if (!body.startsWith('{')) return `${before}${refreshToken}${after}`;
  return `${before}${jsonWithRefreshToken(body, refreshToken)}${after}`;
}

/**
 * Replaces the value of "refresh_token" in the JSON text where it stands, so nothing else
 * moves. The edit is checked by parsing it; a text it cannot be made in exactly (a key
 * written with escapes, a duplicate key) is written anew, keys in their order, with the
 * indentation of the original.
 */
function jsonWithRefreshToken(json: string, refreshToken: string): string {
  const record = parseJsonSecret(json);
  const wanted = { ...record, refresh_token: refreshToken };
  const edited = json.replace(/("refresh_token"\s*:\s*)"(?:[^"\\]|\\.)*"/, (_, key: string) => `${key}${JSON.stringify(refreshToken)}`);
  if (sameRecord(parseJsonSecret(edited), wanted)) return edited;
  const indent = /^\{\r?\n([ \t]+)"/.exec(json)?.[1];
  return JSON.stringify(wanted, null, indent);
}

function parseJsonSecret(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('the secret looks like JSON but does not parse; expected {"refresh_token": "...", "client_secret": "..."}');
  }
  return (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
}

function sameRecord(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key, i) => Object.keys(b)[i] === key && a[key] === b[key]);
}
