// Who may talk to the server: every request carries the access token (the URL spx ui printed,
// then a cookie; or `Authorization: Bearer`), the Host header names this server (no DNS
// rebinding), and a request that changes anything is a POST from this server's own pages.
import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

export interface AccessOptions {
  token: string;
  /** Host header values accepted (`127.0.0.1:8421`, `localhost:8421`); undefined accepts any (a public bind). */
  hosts?: ReadonlySet<string>;
  cookieName: string;
}

export function problem(c: Context, status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 416 | 500, code: string, message: string, hint?: string): Response {
  return c.json({ error: { code, message, ...(hint ? { hint } : {}) } }, status);
}

function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function accessControl(options: AccessOptions): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host') ?? '';
    if (options.hosts && !options.hosts.has(host.toLowerCase())) return problem(c, 403, 'HOST_REFUSED', `This server does not answer for host "${host.slice(0, 100)}".`, 'Open the URL spx ui printed.');
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return problem(c, 405, 'METHOD_NOT_ALLOWED', `${method} is not used by this server.`);
    const url = new URL(c.req.url);
    const fromQuery = url.searchParams.get('token') ?? undefined;
    const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    const authorised = sameToken(getCookie(c, options.cookieName), options.token) || sameToken(bearer, options.token) || sameToken(fromQuery, options.token);
    if (!authorised) {
      return problem(c, 401, 'UNAUTHORIZED', 'This spx ui server needs its access token.', 'Open the URL spx ui printed (it carries the token), or pass it as `Authorization: Bearer TOKEN`.');
    }
    if (method === 'POST') {
      // A browser sends Origin with every POST: it must be this server's own. Without one, only a
      // client that presented the token itself (not a cookie a browser attached) may write.
      const origin = c.req.header('origin');
      if (origin !== undefined ? origin !== `${url.protocol}//${host}` : !bearer) return problem(c, 403, 'CROSS_ORIGIN', 'Changes are accepted only from the pages of this server.', 'Use the spx ui pages, or send the token as a Bearer header.');
      if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) return problem(c, 415, 'CONTENT_TYPE', 'Send the request body as application/json.');
    }
    if (fromQuery && method === 'GET' && !url.pathname.startsWith('/api/')) {
      // First visit: the token moves into an HttpOnly cookie and out of the address bar.
      setCookie(c, options.cookieName, options.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      url.searchParams.delete('token');
      return c.redirect(`${url.pathname}${url.search}${url.hash}`, 303);
    }
    await next();
    c.header('Cache-Control', c.res.headers.get('Cache-Control') ?? 'no-store');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
  };
}
