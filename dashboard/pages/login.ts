/** The login page: the one page without a session, so it has its own small frame. */
import type { Context } from 'hono';
import type { WebEnv } from '../context.js';
import { html } from '../html.js';
import type { PageKit } from './layout.js';

export interface LoginView {
  csrf: string;
  next: string;
  user?: string;
  /** a message above the form; `error` ones are announced to screen readers */
  notice?: { text: string; error: boolean };
  status?: 200 | 400 | 401 | 403 | 429;
}

export function renderLogin(c: Context<WebEnv>, kit: PageKit, view: LoginView) {
  const t = c.get('t');
  const lang = c.get('lang');
  const here = `/login?next=${encodeURIComponent(view.next)}`;
  const page = html`<!doctype html>
<html lang="${lang}" data-theme="${c.get('theme')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${t('login.title')} · ${kit.deps.gatewayId}</title>
<link rel="icon" href="${kit.assets.url('icon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${kit.assets.url('app.css')}">
</head>
<body class="login-page">
<main id="main" class="login">
  <p class="brand">${t('app.title')} · ${kit.deps.gatewayId}</p>
  <h1>${t('login.title')}</h1>
  ${view.notice ? html`<p class="notice${view.notice.error ? ' error' : ''}" ${view.notice.error ? html`role="alert"` : html`role="status"`}>${view.notice.text}</p>` : ''}
  <form method="post" action="/login" class="stack">
    <input type="hidden" name="_csrf" value="${view.csrf}">
    <input type="hidden" name="next" value="${view.next}">
    <label for="user">${t('login.user')}</label>
    <input id="user" name="user" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="64" value="${view.user ?? ''}"${view.user ? '' : html` autofocus`}>
    <label for="password">${t('login.password')}</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${view.user ? html` autofocus` : ''}>
    <button type="submit" class="primary">${t('login.submit')}</button>
  </form>
  <p class="switch"><span>${t('lang.label')}</span>
    <a href="${here}&lang=en"${lang === 'en' ? html` aria-current="true"` : ''}>English</a>
    <a href="${here}&lang=ko"${lang === 'ko' ? html` aria-current="true"` : ''}>한국어</a></p>
</main>
</body>
</html>`;
  return c.html(page.text, view.status ?? 200);
}
