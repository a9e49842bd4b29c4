/**
 * Trends: pick points (device by device), a range (1 h / 24 h / 7 d / custom), see min/max/avg,
 * export CSV. The picker is a plain GET form, so it works without script; the chart needs script.
 */
import { Hono } from 'hono';
import type { PointInfo } from '../../gateway/catalog.js';
import type { WebEnv } from '../context.js';
import { html } from '../html.js';
import { lookupPoint, retiredPoints } from '../retired-points.js';
import { MAX_TREND_POINTS } from '../trend-data.js';
import { type PageKit, renderPage } from './layout.js';

const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
type RangeKey = keyof typeof RANGES | 'custom';

const pad = (n: number) => String(n).padStart(2, '0');
/** The value of a datetime-local input, in the gateway's local time. */
function localInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
function parseLocal(text: string | undefined): number | undefined {
  if (!text || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(text)) return undefined;
  const ms = new Date(text).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

export function trendsPage(kit: PageKit): Hono<WebEnv> {
  const { deps } = kit;
  return new Hono<WebEnv>().get('/', (c) => {
    const t = c.get('t');
    const now = (deps.now ?? Date.now)();
    const selected: PointInfo[] = [];
    for (const id of (c.req.queries('points') ?? []).concat(c.req.queries('p') ?? []).flatMap((v) => v.split(','))) {
      const p = lookupPoint(deps, id.trim());
      if (p && !selected.some((s) => s.id === p.id) && selected.length < MAX_TREND_POINTS) selected.push(p);
    }
    const rangeParam = c.req.query('range');
    let range: RangeKey = rangeParam === '1h' || rangeParam === '7d' || rangeParam === 'custom' ? rangeParam : '24h';
    let to = now;
    let from = now - RANGES['24h'];
    if (range === 'custom') {
      const f = parseLocal(c.req.query('from'));
      const tt = parseLocal(c.req.query('to'));
      if (f !== undefined && tt !== undefined && f < tt) [from, to] = [f, tt];
      else range = '24h';
    }
    if (range !== 'custom') from = to - RANGES[range];
    const deviceId = c.req.query('device') ?? selected.find((p) => !p.retired)?.deviceId ?? deps.catalog.devices[0]?.id;
    const device = deviceId ? deps.catalog.device(deviceId) : undefined;
    const selectedIds = new Set(selected.map((p) => p.id));
    const devicePoints = device ? device.pointIds.map((id) => deps.catalog.point(id)!) : [];
    // History of points the config no longer has (a renamed device) stays reachable, marked retired.
    const retired = retiredPoints(deps);
    const check = (p: PointInfo) =>
      html`<label><input type="checkbox" name="p" value="${p.id}"${selectedIds.has(p.id) ? html` checked` : ''}> ${p.name}${p.unit ? html` <small>${p.unit}</small>` : ''}</label>`;
    const pointsQuery = selected.map((p) => p.id).join(',');
    const analysed = new Map((deps.analytics?.status() ?? []).map((s) => [s.point, s.checks]));
    const rangeLinks = (['1h', '24h', '7d'] as const).map(
      (r) => html`<a class="seg" href="/trends?points=${encodeURIComponent(pointsQuery)}&range=${r}${device ? `&device=${encodeURIComponent(device.id)}` : ''}"${range === r ? html` aria-current="true"` : ''}>${t(`trends.${r}`)}</a>`,
    );
    const body = html`<div class="trends">
<form class="card picker" method="get" action="/trends">
  <label for="device">${t('nav.devices')}</label>
  <select id="device" name="device" data-autosubmit>${deps.catalog.devices.map((d) => html`<option value="${d.id}"${d.id === device?.id ? html` selected` : ''}>${d.name}</option>`)}</select>
  <fieldset><legend>${t('trends.points')}</legend>
  <input type="search" id="point-filter" placeholder="${t('trends.filter')}" aria-label="${t('trends.filter')}">
  <div class="checks" id="point-checks">${devicePoints.map(check)}</div>
  ${selected.filter((p) => p.deviceId !== device?.id && !p.retired).map((p) => html`<input type="hidden" name="p" value="${p.id}">`)}
  </fieldset>
  ${retired.length > 0 ? html`<details class="retired"${selected.some((p) => p.retired) ? html` open` : ''}><summary>${t('trends.retired')}</summary><div class="checks">${retired.map(check)}</div></details>` : ''}
  <input type="hidden" name="range" value="${range}">
  <button type="submit" class="primary">${t('trends.show')}</button>
</form>
<section class="card chart-card" aria-labelledby="h-chart">
  <h2 id="h-chart" class="sr-only">${t('trends.title')}</h2>
  <div class="toolbar">
    <span class="segs" role="group" aria-label="${t('trends.range')}">${rangeLinks}</span>
    <form method="get" action="/trends" class="custom">
      <input type="hidden" name="points" value="${pointsQuery}">
      <input type="hidden" name="range" value="custom">
      <label>${t('trends.from')} <input type="datetime-local" name="from" value="${localInput(from)}" required></label>
      <label>${t('trends.to')} <input type="datetime-local" name="to" value="${localInput(to)}" required></label>
      <button type="submit"${range === 'custom' ? html` aria-current="true"` : ''}>${t('trends.custom')}</button>
    </form>
    ${selected.length > 0 ? html`<a class="button" id="csv-link" href="/api/v1/trends.csv?points=${encodeURIComponent(pointsQuery)}&from=${from}&to=${to}" download>${t('trends.csv')}</a>` : ''}
  </div>
  <ul class="chips">${selected.map((p) => html`<li>${deps.catalog.device(p.deviceId)?.name ?? p.deviceId} · ${p.name}${p.retired ? html` <small class="tag">${t('trends.retiredTag')}</small>` : ''}</li>`)}</ul>
  <div id="charts" aria-live="polite">${selected.length === 0 ? html`<p class="muted">${t('trends.noPoints')}</p>` : html`<p class="muted">${t('trends.loading')}</p>`}</div>
</section>
</div>`;
    return renderPage(c, kit, {
      title: t('trends.title'),
      nav: 'trends',
      body,
      scripts: selected.length > 0 ? ['uPlot.iife.min.js', 'trends.js'] : ['trends.js'],
      styles: selected.length > 0 ? ['uPlot.min.css'] : [],
      messages: ['trends.'],
      live: selected.length > 0 && range !== 'custom' ? `points=${encodeURIComponent(pointsQuery)}` : null,
      data: {
        trend: {
          points: selected.map((p) => ({
            id: p.id,
            name: p.name,
            unit: p.unit,
            device: deps.catalog.device(p.deviceId)?.name ?? p.deviceId,
            // issue 16: the chart draws the learned band (and the forecast) behind these points' lines
            analysed: analysed.has(p.id),
            forecast: analysed.get(p.id)?.includes('forecast.limit') === true,
          })),
          from,
          to,
          range,
        },
      },
    });
  });
}
