/**
 * The automated actions page: each action with its trigger, steps, limits and state, and its last
 * runs (trigger, each step's outcome). Operators can disable an action for some minutes and
 * enable it again. Drawn by actions.js from the first list sent with the page, refreshed after alarm
 * transitions and every 10 s.
 */
import { Hono } from 'hono';
import { roleAtLeast } from '../../gateway/auth/roles.js';
import type { WebEnv } from '../context.js';
import { html } from '../html.js';
import { type PageKit, renderPage } from './layout.js';

export function actionsPage(kit: PageKit): Hono<WebEnv> {
  const { deps } = kit;
  return new Hono<WebEnv>().get('/', (c) => {
    const t = c.get('t');
    const canAct = roleAtLeast(c.get('principal').role, 'operator');
    if (!deps.actions) {
      return renderPage(c, kit, { title: t('actions.title'), nav: 'actions', body: html`<p class="muted">${t('actions.none')}</p>` });
    }
    const body = html`<div class="actions-page">
${canAct ? '' : html`<p class="muted">${t('actions.viewerNote')}</p>`}
<div id="action-list" class="stack"><p class="muted">${t('trends.loading')}</p></div>
<p id="action-error" class="notice error" role="alert" hidden></p>
</div>`;
    return renderPage(c, kit, {
      title: t('actions.title'),
      nav: 'actions',
      body,
      scripts: ['actions.js'],
      messages: ['actions.'],
      data: { canAct, actions: deps.actions.list() },
    });
  });
}
