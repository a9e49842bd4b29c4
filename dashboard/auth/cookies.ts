import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

export const SESSION_COOKIE = 'gw_session';
/** Login-form CSRF (double submit): there is no session yet to hold a token. */
export const LOGIN_CSRF_COOKIE = 'gw_login_csrf';

export function sessionCookie(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

/** HttpOnly (scripts never see it), SameSite=Strict (never sent by another site), Secure under TLS. */
export function setSessionCookie(c: Context, id: string, maxAgeS: number, secure: boolean): void {
  setCookie(c, SESSION_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'Strict', secure, maxAge: Math.max(1, Math.floor(maxAgeS)) });
}

export function clearSessionCookie(c: Context, secure: boolean): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure });
}
