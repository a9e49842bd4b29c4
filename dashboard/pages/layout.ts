/**
 * The frame of every page: header with navigation, alarm badge, live indicator, language and
 * theme switches, the user's menu; a banner that no new critical alarm can slip past; the page's
 * data for its scripts as JSON (no inline script: the CSP forbids it).
 */
import type { Context } from 'hono';
import { roleAtLeast } from '../../gateway/auth/roles.js';
import type { WebEnv } from '../context.js';
import type { DashboardDeps } from '../deps.js';
import { html, jsonBlock, type Raw } from '../html.js';
import { clientMessages, type MessageKey } from '../i18n/i18n.js';
import { activeAlarms, SEVERITY_ORDER } from '../overview-model.js';
import type { StaticAssets } from '../static-assets.js';

export type NavKey = 'overview' | 'alarms' | 'devices' | 'topology' | 'actions' | 'trends' | 'analytics' | 'system' | 'users' | 'config';

export interface PageKit {
  deps: DashboardDeps;
  assets: StaticAssets;
}

export interface PageView {
  title: string;
  nav: NavKey | null;
  body: Raw;
  /** page scripts (asset names) after the shared app.js */
  scripts?: readonly string[];
  styles?: readonly string[];
  /** data for the page's scripts (read from #gw-data) */
  data?: Record<string, unknown>;
  /** what the live stream of this page asks for besides alarms (query string of /api/v1/live) */
  live?: string | null;
  /** i18n key prefixes the scripts need besides the shared ones */
  messages?: readonly string[];
  status?: 200 | 400 | 403 | 404;
}

const NAV: Array<{ key: NavKey; href: string; label: MessageKey }> = [
  { key: 'overview', href: '/', label: 'nav.overview' },
  { key: 'alarms', href: '/alarms', label: 'nav.alarms' },
  { key: 'devices', href: '/devices', label: 'nav.devices' },
  { key: 'topology', href: '/topology', label: 'nav.topology' },
  { key: 'actions', href: '/actions', label: 'nav.actions' },
  { key: 'trends', href: '/trends', label: 'nav.trends' },
  { key: 'analytics', href: '/analytics', label: 'nav.analytics' },
  { key: 'system', href: '/system', label: 'nav.system' },
  { key: 'users', href: '/users', label: 'nav.users' },
  { key: 'config', href: '/config', label: 'nav.config' },
];

/** Live configuration is there when the gateway mounted its API (a bare dashboard, e.g. in tests, has none). */
export const CONFIG_API_PATH = '/api/v1/config';
export const hasLiveConfig = (deps: DashboardDeps) => (deps.mounts ?? []).some((m) => m.path === CONFIG_API_PATH);

const SHARED_MESSAGES = ['live.', 'alarms.newCritical', 'severity.', 'alarm.state.', 'quality.', 'status.', 'common.'];

export function renderPage(c: Context<WebEnv>, kit: PageKit, view: PageView) {
  const t = c.get('t');
  const lang = c.get('lang');
  const principal = c.get('principal');
  const session = c.get('session');
  const canAdmin = roleAtLeast(principal.role, 'admin');
  // Users and the config are admin pages: others do not see the links (the pages refuse them too).
  const adminOnly = (key: NavKey) => key === 'users' || key === 'config';
  const nav = NAV.filter((n) => (!adminOnly(n.key) || canAdmin) && (n.key !== 'config' || hasLiveConfig(kit.deps))).map(
    (n) => html`<li><a href="${n.href}"${view.nav === n.key ? html` aria-current="page"` : ''}>${t(n.label)}</a></li>`,
  );
  const active = activeAlarms(kit.deps) ?? [];
  const unacked = active.filter((a) => a.state === 'unack' || a.state === 'rtn-unack' || a.state === 'latched');
  const worst = SEVERITY_ORDER.find((s) => unacked.some((a) => a.severity === s)) ?? SEVERITY_ORDER.find((s) => active.some((a) => a.severity === s));
  const here = c.req.path;
  const switchLink = (param: string, value: string, label: string, current: boolean) =>
    html`<a href="${here}?${param}=${value}"${current ? html` aria-current="true"` : ''}>${label}</a>`;
  const theme = c.get('theme');
  // Every page listens for alarm transitions: the badge and the critical banner live in the frame.
  const live = [...new Set([...(view.live ?? '').split('&'), 'alarms=1'].filter(Boolean))].join('&');
  const data = {
    lang,
    user: principal.name,
    role: principal.role,
    live,
    alarmsEnabled: kit.deps.alarms !== undefined,
    messages: clientMessages(lang, [...SHARED_MESSAGES, ...(view.messages ?? [])]),
    ...view.data,
  };
  const scripts = ['app.js', ...(view.scripts ?? [])];
  const page = html`<!doctype html>
<html lang="${lang}" data-theme="${theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${view.title} · ${kit.deps.gatewayId}</title>
<link rel="icon" href="${kit.assets.url('icon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${kit.assets.url('app.css')}">
${(view.styles ?? []).map((s) => html`<link rel="stylesheet" href="${kit.assets.url(s)}">`)}
${session ? html`<meta name="csrf-token" content="${session.csrf}">` : ''}
</head>
<body>
<a class="skip" href="#main">${t('nav.skip')}</a>
<header class="topbar">
  <a class="brand" href="/">${kit.deps.gatewayId}</a>
  <nav aria-label="${t('nav.menu')}"><ul>${nav}</ul></nav>
  <div class="tools">
    <a id="alarm-badge" class="badge${worst ? ` sev-${worst}` : ''}${unacked.length > 0 ? ' blink' : ''}" href="/alarms" data-count="${active.length}"${active.length === 0 ? html` hidden` : ''}>${t('nav.alarms')} <b>${active.length}</b></a>
    <span id="live-status" class="live" role="status" data-state="connecting">${t('live.reconnecting')}</span>
    <details class="menu">
      <summary>${principal.name} <small>${t(`role.${principal.role}` as MessageKey)}</small></summary>
      <div class="menu-body">
        <p class="switch"><span>${t('lang.label')}</span> ${switchLink('lang', 'en', 'English', lang === 'en')} ${switchLink('lang', 'ko', '한국어', lang === 'ko')}</p>
        <p class="switch"><span>${t('theme.label')}</span> ${switchLink('theme', 'auto', t('theme.auto'), theme === 'auto')} ${switchLink('theme', 'light', t('theme.light'), theme === 'light')} ${switchLink('theme', 'dark', t('theme.dark'), theme === 'dark')}</p>
        ${
          session
            ? html`<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${session.csrf}"><button type="submit">${t('user.logout')}</button></form>`
            : ''
        }
      </div>
    </details>
  </div>
</header>
<div id="critical-banner" class="banner" role="alert" hidden><span class="text"></span> <a href="/alarms">${t('nav.alarms')} →</a> <button type="button" class="close" aria-label="×">×</button></div>
<main id="main" tabindex="-1">
<h1>${view.title}</h1>
${view.body}
</main>
${jsonBlock('gw-data', data)}
${scripts.map((s) => html`<script src="${kit.assets.url(s)}" defer></script>`)}
</body>
</html>`;
  return c.html(page.text, view.status ?? 200);
}
