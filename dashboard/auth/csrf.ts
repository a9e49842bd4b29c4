/**
 * CSRF defences for cookie-authenticated requests that change state. Two layers: the Origin (or
 * Referer) must be this gateway, and the request must echo the session's synchronizer token in an
 * `X-CSRF-Token` header (scripts) or a `_csrf` form field (plain forms). SameSite=Strict cookies
 * already keep other sites out; these hold even for an old browser or a sibling subdomain.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';

export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** False when the browser says the request comes from another origin. */
export function sameOrigin(c: Context): boolean {
  const self = new URL(c.req.url);
  const origin = c.req.header('origin');
  if (origin && origin !== 'null') return origin === self.origin || origin === `${self.protocol}//${c.req.header('host')}`;
  if (origin === 'null') return false;
  const referer = c.req.header('referer');
  if (!referer) return true;
  try {
    const r = new URL(referer);
    return r.origin === self.origin || r.host === c.req.header('host');
  } catch {
    return false;
  }
}

/** The token a request carries: the header, else the `_csrf` field of a form body. */
export async function presentedToken(c: Context): Promise<string | undefined> {
  const header = c.req.header('x-csrf-token');
  if (header) return header;
  const type = c.req.header('content-type') ?? '';
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    const body = await c.req.parseBody();
    const field = body._csrf;
    return typeof field === 'string' ? field : undefined;
  }
  return undefined;
}
