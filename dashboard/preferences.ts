/**
 * Language and theme: chosen from the browser (Accept-Language, prefers-color-scheme) and
 * switchable with `?lang=ko` / `?theme=dark` on any page, which stores the choice in a cookie and
 * redirects to the same page without the parameter. They are preferences, not state, so a plain
 * link switches them (the login page works the same way, before any session exists).
 */
import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Theme, WebEnv } from './context.js';
import { isLang, pickLanguage, translator } from './i18n/i18n.js';
import { isLocalPath } from './local-path.js';

export const LANG_COOKIE = 'gw_lang';
export const THEME_COOKIE = 'gw_theme';
const YEAR_S = 365 * 86_400;

const isTheme = (v: unknown): v is Theme => v === 'auto' || v === 'light' || v === 'dark';

export function preferences(secure: boolean): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    const wantLang = c.req.query('lang');
    const wantTheme = c.req.query('theme');
    const page = !c.req.path.startsWith('/api/') && !c.req.path.startsWith('/static/');
    if (page && c.req.method === 'GET' && (isLang(wantLang) || isTheme(wantTheme))) {
      const options = { path: '/', sameSite: 'Lax', secure, maxAge: YEAR_S } as const;
      if (isLang(wantLang)) setCookie(c, LANG_COOKIE, wantLang, options);
      if (isTheme(wantTheme)) setCookie(c, THEME_COOKIE, wantTheme, options);
      const url = new URL(c.req.url);
      url.searchParams.delete('lang');
      url.searchParams.delete('theme');
      // `//host/x?lang=en` has the path `//host/x`: as a Location that is another site.
      const back = `${url.pathname}${url.search}`;
      return c.redirect(isLocalPath(back) ? back : '/', 303);
    }
    const lang = pickLanguage(getCookie(c, LANG_COOKIE), c.req.header('accept-language'));
    const theme = getCookie(c, THEME_COOKIE);
    c.set('lang', lang);
    c.set('t', translator(lang));
    c.set('theme', isTheme(theme) ? theme : 'auto');
    await next();
  };
}
