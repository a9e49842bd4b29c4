/**
 * The snapshot of an alarm or incident (/snapshots/alarm/<id>, /snapshots/incident/<id>): the
 * related points' readings around the raise on a uPlot chart in the trend page's style, the raise
 * moment marked, the transitions of the window, CSV and JSON export. The data comes with the page
 * (no second request), snapshot.js draws it.
 */
import { Hono } from 'hono';
import type { SnapshotKind } from '../../gateway/snapshots/types.js';
import type { WebEnv } from '../context.js';
import { html } from '../html.js';
import { type PageKit, renderPage } from './layout.js';

export function snapshotPage(kit: PageKit): Hono<WebEnv> {
  const { deps } = kit;
  return new Hono<WebEnv>().get('/:kind/:id', (c) => {
    const t = c.get('t');
    const kind = c.req.param('kind');
    const id = c.req.param('id');
    if (kind !== 'alarm' && kind !== 'incident') return c.notFound();
    const snap = deps.snapshots?.latest(kind as SnapshotKind, id);
    const api = `/api/v1/${kind === 'alarm' ? 'alarms' : 'incidents'}/${encodeURIComponent(id)}/snapshot`;
    const back = html`<p><a href="/alarms">${t('snapshot.back')}</a></p>`;
    if (!snap) {
      return renderPage(c, kit, {
        title: t('snapshot.title'),
        nav: 'alarms',
        status: 404,
        body: html`<h1>${t('snapshot.of', { subject: id })}</h1><p class="muted" id="snapshot-none">${t('snapshot.none')}</p>${back}`,
      });
    }
    const body = html`<div class="snapshot">
<h1>${t('snapshot.of', { subject: id })}</h1>
<section class="card chart-card" aria-labelledby="h-chart">
  <h2 id="h-chart" class="sr-only">${t('snapshot.title')}</h2>
  <div class="toolbar">
    <span id="snapshot-meta" class="muted" data-raised-at="${snap.raisedAt}" data-from="${snap.from}" data-to="${snap.to}"></span>
    <a class="button" id="csv-link" href="${api}?format=csv" download>${t('snapshot.csv')}</a>
    <a class="button" id="json-link" href="${api}?format=json" download>${t('snapshot.json')}</a>
  </div>
  <div id="charts" aria-live="polite"><p class="muted">${t('snapshot.loading')}</p></div>
</section>
<section class="card" aria-labelledby="h-transitions">
  <h2 id="h-transitions">${t('snapshot.transitions')}</h2>
  <div class="table-wrap"><table class="data"><thead><tr>
  <th scope="col">${t('snapshot.col.time')}</th><th scope="col">${t('snapshot.col.event')}</th><th scope="col">${t('snapshot.col.alarm')}</th>
  </tr></thead><tbody id="snapshot-transitions"></tbody></table></div>
</section>
${back}
</div>`;
    return renderPage(c, kit, {
      title: t('snapshot.title'),
      nav: 'alarms',
      body,
      scripts: ['uPlot.iife.min.js', 'snapshot.js'],
      styles: ['uPlot.min.css'],
      messages: ['snapshot.'],
      data: { snapshot: snap },
    });
  });
}
