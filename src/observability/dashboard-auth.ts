/**
 * The token that opens the dashboard: `Authorization: Bearer TOKEN`, or `?token=TOKEN`
 * once in a browser, which sets an HttpOnly cookie and redirects to the same page
 * without the token in its address. Comparisons take constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const COOKIE = 'mailferry_dashboard';

/** Equal strings, in time independent of where they differ (both are hashed to one length first). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Express middleware admitting requests that carry `token`; 401 without a credential, 403 with a wrong one. */
export function requireToken(token: string, basePath: string) {
  // The cookie holds a value derived from the token, not the token itself.
  const session = createHmac('sha256', token).update('mailferry dashboard session').digest('hex');
  return (req: Request, res: Response, next: NextFunction): void => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
    if (bearer !== undefined) {
      if (sameSecret(bearer, token)) return next();
      return refuse(res, 403);
    }
    const query = req.query['token'];
    if (typeof query === 'string') {
      if (!sameSecret(query, token)) return refuse(res, 403);
      res.cookie(COOKIE, session, { httpOnly: true, sameSite: 'strict', path: basePath });
      res.redirect(303, withoutToken(req.originalUrl));
      return;
    }
    const cookie = cookieValue(req.get('cookie'), COOKIE);
    if (cookie !== undefined) {
      if (sameSecret(cookie, session)) return next();
      return refuse(res, 403);
    }
    res.set('WWW-Authenticate', 'Bearer realm="mailferry dashboard"');
    refuse(res, 401);
  };
}

function refuse(res: Response, status: 401 | 403): void {
  res.status(status).type('text/plain').send(status === 401 ? 'dashboard token required\n' : 'wrong dashboard token\n');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/** The same path and query, minus `token`. */
function withoutToken(originalUrl: string): string {
  const url = new URL(originalUrl, 'http://localhost');
  url.searchParams.delete('token');
  return `${url.pathname}${url.search}`;
}
