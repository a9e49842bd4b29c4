/**
 * GET/POST /login, POST /logout, and the JSON session API for scripts and tests:
 * POST /api/v1/session {user, password} logs in (sets the cookie, returns the CSRF token),
 * GET /api/v1/session says who is logged in, DELETE /api/v1/session logs out.
 */
import { randomBytes } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AuthService, LoginResult } from '../../gateway/auth/types.js';
import type { WebEnv } from '../context.js';
import { jsonError } from '../errors.js';
import { hasControlChars, isLocalPath } from '../local-path.js';
import type { PageKit } from '../pages/layout.js';
import { renderLogin } from '../pages/login.js';
import { clearSessionCookie, LOGIN_CSRF_COOKIE, sessionCookie, setSessionCookie } from './cookies.js';
import { sameOrigin, sameToken } from './csrf.js';

/** Only local paths: `next` must never send a user to another site after login. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000 || !isLocalPath(next)) return '/';
  if (next.startsWith('/login') || next.startsWith('/logout')) return '/';
  return next;
}

/** No link or form of ours carries a control character in `next`: refuse it outright. */
const badNext = (next: unknown) => typeof next === 'string' && hasControlChars(next);
const BAD_NEXT = 'next must be a path on this gateway';

function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // app.request() in tests has no socket
    return 'local';
  }
}

const minutes = (ms: number | undefined) => Math.max(1, Math.ceil((ms ?? 60_000) / 60_000));
const seconds = (ms: number | undefined) => Math.max(1, Math.ceil((ms ?? 1_000) / 1_000));

export function loginRoutes(kit: PageKit, auth: AuthService): Hono<WebEnv> {
  const secure = kit.deps.tls === true;
  const sessionMaxAgeS = (s: { expiresAt: number; createdAt: number }) => (s.expiresAt - s.createdAt) / 1000;

  const loginForm = (c: Context<WebEnv>, view: Omit<Parameters<typeof renderLogin>[2], 'csrf'>) => {
    const csrf = randomBytes(24).toString('base64url');
    setCookie(c, LOGIN_CSRF_COOKIE, csrf, { path: '/login', httpOnly: true, sameSite: 'Strict', secure, maxAge: 3600 });
    return renderLogin(c, kit, { ...view, csrf });
  };

  const failure = (c: Context<WebEnv>, result: Exclude<LoginResult, { ok: true }>) => {
    const t = c.get('t');
    if (result.reason === 'throttled') {
      c.header('Retry-After', String(seconds(result.retryAfterMs)));
      const wait = result.retryAfterMs ?? 0;
      const text = wait < 60_000 ? t('login.throttledSeconds', { seconds: seconds(wait) }) : t('login.throttled', { minutes: minutes(wait) });
      return { text, status: 429 as const };
    }
    return { text: t('login.invalid'), status: 401 as const };
  };

  return new Hono<WebEnv>()
    .get('/login', (c) => {
      const t = c.get('t');
      if (badNext(c.req.query('next'))) return jsonError(c, 400, 'bad-request', BAD_NEXT);
      const next = safeNext(c.req.query('next'));
      const id = sessionCookie(c);
      if (id && auth.session(id)) return c.redirect(next, 303);
      const notice = c.req.query('expired') ? { text: t('login.expired'), error: false } : c.req.query('bye') ? { text: t('login.loggedOut'), error: false } : undefined;
      return loginForm(c, { next, notice });
    })
    .post('/login', async (c) => {
      const t = c.get('t');
      const body = await c.req.parseBody();
      if (badNext(body.next)) return jsonError(c, 400, 'bad-request', BAD_NEXT);
      const next = safeNext(body.next);
      const user = typeof body.user === 'string' ? body.user.trim() : '';
      const password = typeof body.password === 'string' ? body.password : '';
      if (!sameOrigin(c) || !sameToken(typeof body._csrf === 'string' ? body._csrf : undefined, getCookie(c, LOGIN_CSRF_COOKIE))) {
        return loginForm(c, { next, user, notice: { text: t('login.csrf'), error: true }, status: 403 });
      }
      const result = await auth.login(user, password, clientAddress(c));
      if (!result.ok) {
        const { text, status } = failure(c, result);
        return loginForm(c, { next, user, notice: { text, error: true }, status });
      }
      deleteCookie(c, LOGIN_CSRF_COOKIE, { path: '/login', secure });
      setSessionCookie(c, result.session.id, sessionMaxAgeS(result.session), secure);
      return c.redirect(next, 303);
    })
    .post('/logout', (c) => {
      // The auth middleware has checked the session and its CSRF token by now.
      const session = c.get('session');
      if (session) auth.logout(session.id);
      clearSessionCookie(c, secure);
      return c.redirect('/login?bye=1', 303);
    })
    .post('/api/v1/session', async (c) => {
      // A JSON body cannot be sent cross-site without a CORS preflight, which this server never grants.
      if (!(c.req.header('content-type') ?? '').startsWith('application/json') || !sameOrigin(c)) {
        return jsonError(c, 400, 'bad-request', 'send JSON {"user", "password"}');
      }
      const body = (await c.req.json().catch(() => ({}))) as { user?: unknown; password?: unknown };
      if (typeof body.user !== 'string' || typeof body.password !== 'string') {
        return jsonError(c, 400, 'bad-request', 'send JSON {"user", "password"}');
      }
      const result = await auth.login(body.user.trim(), body.password, clientAddress(c));
      if (!result.ok) {
        const { status } = failure(c, result);
        if (result.reason === 'invalid') return jsonError(c, status, 'invalid-credentials', 'wrong user name or password');
        return jsonError(c, status, 'throttled', `too many failed or simultaneous logins; try again in ${seconds(result.retryAfterMs)} s`);
      }
      setSessionCookie(c, result.session.id, sessionMaxAgeS(result.session), secure);
      return c.json({ user: result.session.user, role: result.session.role, csrf: result.session.csrf, expiresAt: result.session.expiresAt });
    })
    .get('/api/v1/session', (c) => {
      const p = c.get('principal');
      const s = c.get('session');
      return c.json({ user: p.name, role: p.role, via: p.via, csrf: s?.csrf ?? null, expiresAt: s?.expiresAt ?? null });
    })
    .delete('/api/v1/session', (c) => {
      const session = c.get('session');
      if (session) auth.logout(session.id);
      clearSessionCookie(c, secure);
      return c.body(null, 204);
    });
}
