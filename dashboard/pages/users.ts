/**
 * User management for admins: add, change role, set a password, clear login delays, remove. Plain forms (each
 * carries the CSRF token); the answer is a redirect back with a message, so a reload never repeats
 * an action.
 */
import { type Context, Hono } from 'hono';
import { isRole, isUserRole } from '../../gateway/auth/roles.js';
import { type ThrottleView, USER_ROLES, type UserRecord } from '../../gateway/auth/types.js';
import type { WebEnv } from '../context.js';
import { formatTime, html, type Raw } from '../html.js';
import type { MessageKey } from '../i18n/i18n.js';
import { type PageKit, renderPage } from './layout.js';

function roleSelect(current: string, t: (k: MessageKey) => string, id: string) {
  return html`<select name="role" id="${id}" aria-label="${t('users.role')}">${USER_ROLES.map((r) => html`<option value="${r}"${r === current ? html` selected` : ''}>${t(`role.${r}` as MessageKey)}</option>`)}</select>`;
}

export function userPages(kit: PageKit): Hono<WebEnv> {
  const users = kit.deps.auth.users;
  const tokens = kit.deps.tokens;
  const now = kit.deps.now ?? Date.now;

  const tokenSection = (c: Context<WebEnv>, token: Raw, created?: { name: string; token: string }) => {
    const t = c.get('t');
    if (!tokens) return html`<section class="card narrow"><h2>${t('users.tokens')}</h2><p class="muted">${t('users.tokensHint')}</p></section>`;
    const rows = tokens.list().map(
      (x) => html`<tr><th scope="row">${x.name}</th><td>${t(`role.${x.role}` as MessageKey)}</td><td><code>${x.hint}…</code></td><td>${x.lastUsedAt ? formatTime(x.lastUsedAt) : t('common.never')}</td>
<td><form method="post" action="/users/tokens/${encodeURIComponent(x.name)}/revoke" class="inline">${token}<button type="submit" class="danger">${t('users.revoke')}</button></form></td></tr>`,
    );
    return html`<section class="card" aria-labelledby="h-tokens"><h2 id="h-tokens">${t('users.tokens')}</h2>
${created ? html`<p class="notice" role="status">${t('users.tokenCreated', { name: created.name })}<br><code id="new-token">${created.token}</code></p>` : ''}
${rows.length > 0 ? html`<div class="table-wrap"><table class="data"><thead><tr><th scope="col">${t('users.name')}</th><th scope="col">${t('users.role')}</th><th scope="col">${t('users.tokenHint')}</th><th scope="col">${t('users.lastUsed')}</th><th scope="col"></th></tr></thead><tbody>${rows}</tbody></table></div>` : ''}
<form method="post" action="/users/tokens" class="inline wrap">${token}
<label>${t('users.name')} <input name="name" required maxlength="64" pattern="[A-Za-z0-9_.\-]+"></label>
<label>${t('users.role')} <select name="role">${(['viewer', 'operator', 'ems', 'admin'] as const).map((r) => html`<option value="${r}">${t(`role.${r}` as MessageKey)}</option>`)}</select></label>
<button type="submit">${t('users.createToken')}</button></form>
<p class="muted">${t('users.tokensHint')}</p></section>`;
  };

  /** Login delays now in force (repeated wrong passwords), so an admin sees an attack and can clear a user. */
  const throttleSection = (c: Context<WebEnv>, views: ThrottleView[]) => {
    const t = c.get('t');
    const rows = views.map(
      (v) => html`<tr><td>${v.user ?? t('users.throttleAnyUser')}</td><td><code>${v.client}</code></td><td>${String(v.failures)}</td><td>${String(v.refused)}</td><td>${t('users.throttleSeconds', { seconds: Math.ceil(v.retryAfterMs / 1000) })}</td></tr>`,
    );
    return html`<section class="card" aria-labelledby="h-throttles"><h2 id="h-throttles">${t('users.throttles')}</h2>
${rows.length > 0 ? html`<div class="table-wrap"><table class="data" id="login-throttles"><thead><tr><th scope="col">${t('users.throttleUser')}</th><th scope="col">${t('users.throttleClient')}</th><th scope="col">${t('users.throttleFailures')}</th><th scope="col">${t('users.throttleRefused')}</th><th scope="col">${t('users.throttleWait')}</th></tr></thead><tbody>${rows}</tbody></table></div>` : html`<p class="muted">${t('users.noThrottles')}</p>`}
<p class="muted">${t('users.throttlesHint')}</p></section>`;
  };

  const show = (c: Context<WebEnv>, notice?: { text: string; error: boolean }, created?: { name: string; token: string }) => {
    const t = c.get('t');
    const csrf = c.get('session')?.csrf ?? '';
    const token = html`<input type="hidden" name="_csrf" value="${csrf}">`;
    const throttles = kit.deps.auth.loginThrottles?.() ?? [];
    const delayed = new Set(throttles.map((v) => v.user));
    const row = (u: UserRecord, i: number) => {
      const base = `/users/${encodeURIComponent(u.name)}`;
      const locked = (u.lockedUntil !== null && u.lockedUntil > now()) || delayed.has(u.name.toLowerCase());
      return html`<tr><th scope="row">${u.name}</th>
<td><form method="post" action="${base}/role" class="inline">${token}${roleSelect(u.role, t, `role-${i}`)} <button type="submit">${t('users.save')}</button></form></td>
<td>${u.lastLoginAt ? formatTime(u.lastLoginAt) : t('common.never')}</td>
<td>${locked ? html`${t('users.locked')} <form method="post" action="${base}/unlock" class="inline">${token}<button type="submit">${t('users.unlock')}</button></form>` : t('common.no')}</td>
<td><form method="post" action="${base}/password" class="inline">${token}<input type="password" name="password" autocomplete="new-password" minlength="10" required aria-label="${t('users.password')} ${u.name}"> <button type="submit">${t('users.setPassword')}</button></form></td>
<td><form method="post" action="${base}/delete" class="inline">${token}<button type="submit" class="danger">${t('users.remove')}</button></form></td></tr>`;
    };
    const body = html`${notice ? html`<p class="notice${notice.error ? ' error' : ''}" role="${notice.error ? 'alert' : 'status'}">${notice.text}</p>` : ''}
<section class="card"><div class="table-wrap"><table class="data"><thead><tr><th scope="col">${t('users.name')}</th><th scope="col">${t('users.role')}</th><th scope="col">${t('users.lastLogin')}</th><th scope="col">${t('users.locked')}</th><th scope="col">${t('users.password')}</th><th scope="col"></th></tr></thead>
<tbody>${users.list().map(row)}</tbody></table></div></section>
<section class="card narrow" aria-labelledby="h-add"><h2 id="h-add">${t('users.add')}</h2>
<form method="post" action="/users" class="stack">${token}
<label for="new-name">${t('users.name')}</label><input id="new-name" name="name" required maxlength="64" autocomplete="off">
<label for="new-role">${t('users.role')}</label>${roleSelect('viewer', t, 'new-role')}
<label for="new-password">${t('users.password')}</label><input id="new-password" name="password" type="password" minlength="10" required autocomplete="new-password">
<button type="submit" class="primary">${t('users.add')}</button></form></section>
${throttleSection(c, throttles)}
${tokenSection(c, token, created)}`;
    return renderPage(c, kit, { title: t('users.title'), nav: 'users', body, status: notice?.error ? 400 : 200 });
  };

  /** Runs an admin action; a refused one (last admin, weak password) is shown, not thrown. */
  const act = async (c: Context<WebEnv>, fn: (form: Record<string, string | File>) => Promise<void> | void) => {
    try {
      await fn(await c.req.parseBody());
    } catch (err) {
      return show(c, { text: err instanceof Error ? err.message : String(err), error: true });
    }
    kit.deps.logger.info('user admin', { by: c.get('principal').name, action: c.req.path });
    return c.redirect('/users?saved=1', 303);
  };
  const str = (v: unknown) => (typeof v === 'string' ? v : '');

  return new Hono<WebEnv>()
    .get('/', (c) => show(c, c.req.query('saved') ? { text: c.get('t')('users.changed'), error: false } : undefined))
    .post('/', (c) =>
      act(c, async (f) => {
        const role = str(f.role);
        if (!isUserRole(role)) throw new Error(`"${role}" is not a role`);
        await users.add(str(f.name).trim(), str(f.password), role);
      }),
    )
    .post('/tokens', async (c) => {
      if (!tokens) return c.redirect('/users', 303);
      const f = await c.req.parseBody();
      const role = str(f.role);
      const name = str(f.name).trim();
      try {
        if (!isRole(role)) throw new Error(`"${role}" is not a role`);
        // Shown once, on this answer only: it is never stored in clear and never redirected through a URL.
        const { token } = tokens.create(name, role);
        kit.deps.logger.info('API token created', { by: c.get('principal').name, name, role });
        return show(c, undefined, { name, token });
      } catch (err) {
        return show(c, { text: err instanceof Error ? err.message : String(err), error: true });
      }
    })
    .post('/tokens/:name/revoke', (c) =>
      act(c, () => {
        if (!tokens?.revoke(c.req.param('name'))) throw new Error(`no token "${c.req.param('name')}"`);
      }),
    )
    .post('/:name/role', (c) =>
      act(c, (f) => {
        const role = str(f.role);
        if (!isUserRole(role)) throw new Error(`"${role}" is not a role`);
        users.setRole(c.req.param('name'), role);
      }),
    )
    .post('/:name/password', (c) => act(c, (f) => users.setPassword(c.req.param('name'), str(f.password))))
    .post('/:name/unlock', (c) => act(c, () => users.unlock(c.req.param('name'))))
    .post('/:name/delete', (c) => act(c, () => users.remove(c.req.param('name'))));
}
