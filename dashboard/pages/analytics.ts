/**
 * The analytics page (issue 16): every analysed point with its training state, the kind of its
 * baseline, the last fit, its checks, what they find now and the next forecast limit crossing,
 * each linked to its trend (where the band and forecast are drawn). Drawn by analytics.js from the
 * list sent with the page and refreshed every 15 s; viewers and up.
 */
import { Hono } from 'hono';
import type { WebEnv } from '../context.js';
import { html } from '../html.js';
import { type PageKit, renderPage } from './layout.js';

export function analyticsPage(kit: PageKit): Hono<WebEnv> {
  const { deps } = kit;
  return new Hono<WebEnv>().get('/', (c) => {
    const t = c.get('t');
    const list = deps.analytics?.status() ?? [];
    if (list.length === 0) {
      return renderPage(c, kit, { title: t('analytics.title'), nav: 'analytics', body: html`<p class="muted">${t('analytics.none')}</p>` });
    }
    const heads = ['point', 'state', 'lastFit', 'checks', 'active', 'next'].map((k) => html`<th scope="col">${t(`analytics.col.${k}` as 'analytics.col.point')}</th>`);
    const body = html`<p class="muted">${t('analytics.intro')}</p>
<section class="card">
<div class="table-wrap"><table class="data" id="analytics-table">
<thead><tr>${heads}</tr></thead>
<tbody id="analytics-rows"><tr><td colspan="6" class="muted">${t('trends.loading')}</td></tr></tbody>
</table></div>
</section>`;
    return renderPage(c, kit, {
      title: t('analytics.title'),
      nav: 'analytics',
      body,
      scripts: ['analytics.js'],
      messages: ['analytics.'],
      data: { analytics: list },
    });
  });
}
