/**
 * Every route but the public ones needs a browser session (cookie) or an API token
 * (`Authorization: Bearer`). Then the role table (policy.ts) decides, and state-changing requests
 * on a session must pass the CSRF checks. Who is asking ends up in `c.get('principal')`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AuthService, Principal } from '../../gateway/auth/types.js';
import { roleAtLeast } from '../../gateway/auth/roles.js';
import type { WebEnv } from '../context.js';
import { jsonError } from '../errors.js';
import { sessionCookie } from './cookies.js';
import { presentedToken, sameOrigin, sameToken } from './csrf.js';
import { isPublic, isSafeMethod, requiredRole, wantsHtml } from './policy.js';

function unauthenticated(c: Context<WebEnv>, why: 'none' | 'expired' | 'bad-token') {
  if (wantsHtml(c.req.path, c.req.header('accept')) && isSafeMethod(c.req.method)) {
    const next = `${c.req.path}${new URL(c.req.url).search}`;
    const params = new URLSearchParams({ next });
    if (why === 'expired') params.set('expired', '1');
    return c.redirect(`/login?${params}`, 303);
  }
  c.header('WWW-Authenticate', why === 'bad-token' ? 'Bearer error="invalid_token"' : 'Bearer');
  const message = why === 'bad-token' ? 'the API token is not valid' : 'log in or send an API token (Authorization: Bearer)';
  return jsonError(c, 401, 'unauthenticated', message);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerOf(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
}

export function authenticate(auth: AuthService): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    if (isPublic(c.req.method, c.req.path)) {
      // Anyone may ask for health, but only a logged-in caller gets more than the public view:
      // a valid credential is noted, a missing or stale one leaves the request anonymous.
      if (c.req.path === '/api/v1/health') {
        const authorization = c.req.header('authorization');
        if (authorization !== undefined) {
          const bearer = bearerOf(authorization);
          const who = bearer ? await auth.verifyBearer(bearer) : undefined;
          if (!who) return unauthenticated(c, 'bad-token');
          c.set('principal', who);
        } else {
          const id = sessionCookie(c);
          const session = id ? auth.session(id) : undefined;
          if (session) c.set('principal', { name: session.user, role: session.role, via: 'session' });
        }
      }
      return next();
    }
    let principal: Principal | undefined;
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
      // An explicit credential that fails is an error, never a fallback to the cookie.
      const bearer = bearerOf(authorization);
      principal = bearer ? await auth.verifyBearer(bearer) : undefined;
      if (!principal) return unauthenticated(c, 'bad-token');
    } else {
      const id = sessionCookie(c);
      const session = id ? auth.session(id) : undefined;
      if (!session) return unauthenticated(c, id ? 'expired' : 'none');
      principal = { name: session.user, role: session.role, via: 'session' };
      c.set('session', session);
      if (!isSafeMethod(c.req.method)) {
        if (!sameOrigin(c) || !sameToken(await presentedToken(c), session.csrf)) {
          return jsonError(c, 403, 'csrf', 'missing or wrong CSRF token; reload the page and try again');
        }
      }
    }
    c.set('principal', principal);
    const needed = requiredRole(c.req.method, c.req.path);
    if (needed && !roleAtLeast(principal.role, needed)) {
      return jsonError(c, 403, 'forbidden', `this needs the ${needed} role; ${principal.name} is ${principal.role}`);
    }
    return next();
  };
}
