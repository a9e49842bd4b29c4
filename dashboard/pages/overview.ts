/** The site at a glance: alarms by severity, key figures, devices by kind and location, sync. */
import { Hono } from 'hono';
import type { LatestValue } from '../../gateway/store/types.js';
import type { WebEnv } from '../context.js';
import { formatValue, html, type Raw } from '../html.js';
import type { MessageKey, Translate } from '../i18n/i18n.js';
import { buildOverview, type DeviceTile, SEVERITY_ORDER } from '../overview-model.js';
import { type PageKit, renderPage } from './layout.js';

/** A live value cell: app.js updates every element with data-point when a value arrives. */
export function valueCell(id: string, unit: string | null, latest: LatestValue | undefined, t: Translate): Raw {
  const quality = latest?.quality ?? 'none';
  const title = latest?.reason ? `${t(`quality.${quality}` as MessageKey)}: ${latest.reason}` : t(`quality.${quality}` as MessageKey);
  return html`<span class="v q-${quality}" data-point="${id}" data-unit="${unit ?? ''}" title="${title}">${formatValue(latest?.value, unit)}</span>`;
}

/** Whole minutes until `at`, at least 1 (a crossing due now is "in 1 min", never "in 0 min"). */
export function minutesUntil(at: number, now: number): number {
  return Math.max(1, Math.round((at - now) / 60_000));
}

/** "forecast: HI in 12 min" (overview.js keeps it current); an empty, hidden one when none, to fill later. */
function forecastBadge(tileData: DeviceTile, t: Translate, now: number): Raw {
  const f = tileData.forecast;
  const text = f ? t('overview.forecast', { level: f.level.toUpperCase(), minutes: minutesUntil(f.at, now) }) : '';
  return html`<span class="forecast-badge" data-forecast="${tileData.device.id}"${f ? html` title="${f.point}"` : html` hidden`}>${text}</span>`;
}

function tile(kit: PageKit, tileData: DeviceTile, t: Translate, now: number): Raw {
  const { device, health, status, alarmSeverity } = tileData;
  const rows = tileData.points.map((id) => {
    const info = kit.deps.catalog.point(id)!;
    return html`<div class="kv"><span>${info.name}</span>${valueCell(id, info.unit, kit.deps.store.latestOf(id), t)}</div>`;
  });
  const label = health === 'comm-down' ? t('status.commDown') : health === 'alarm' ? t('status.alarm') : health === 'ok' ? t('status.ok') : t('status.connecting');
  return html`<a class="tile h-${health}${alarmSeverity ? ` sev-${alarmSeverity}` : ''}" href="/devices/${encodeURIComponent(device.id)}" data-device="${device.id}" data-health="${health}">
<span class="tile-head"><span class="name">${device.name}</span><span class="chip" data-device-health="${device.id}">${label}</span></span>
${rows}
${status?.state === 'degraded' ? html`<span class="note">${t('status.degraded')}</span>` : ''}
${forecastBadge(tileData, t, now)}
</a>`;
}

export function overviewPage(kit: PageKit): Hono<WebEnv> {
  return new Hono<WebEnv>().get('/', (c) => {
    const t = c.get('t');
    const model = buildOverview(kit.deps);
    const now = (kit.deps.now ?? Date.now)();
    const alarmBlock = model.alarms
      ? html`<div class="sev-counts">${SEVERITY_ORDER.map(
          (s) => html`<a class="sev-count sev-${s}${model.alarms!.counts[s] > 0 ? ' on' : ''}" href="/alarms?severity=${s}" data-sev-count="${s}"><b>${model.alarms!.counts[s]}</b> ${t(`severity.${s}` as MessageKey)}</a>`,
        )}</div>${
          model.alarms.incidents === null
            ? ''
            : html`<p class="incident-count"><a href="/alarms#incidents">${t('overview.incidents')}: <b id="overview-incidents">${model.alarms.incidents}</b></a> · ${t('overview.causes')}: <b id="overview-causes">${model.alarms.total}</b></p>`
        }
<ul class="alarm-list" id="overview-alarms">${
          model.alarms.top.length === 0
            ? html`<li class="empty">${t('overview.noAlarms')}</li>`
            : model.alarms.top.map(
                (a) => html`<li class="sev-${a.severity} st-${a.state}"><span class="sev">${t(`severity.${a.severity}` as MessageKey)}</span> <span class="msg">${a.type === 'system' ? t(`alarms.${a.rule}` as MessageKey) : a.message}</span> <span class="state">${t(`alarm.state.${a.state}` as MessageKey)}</span></li>`,
              )
        }</ul>`
      : html`<p class="muted">${t('overview.alarmsUnavailable')}</p>`;
    const figures = model.figures.map(
      (f) => html`<div class="figure" data-figure="${f.spec.id}" data-aggregate="${f.spec.aggregate}" data-points="${f.pointIds.join(' ')}" data-unit="${f.unit ?? ''}">
<span class="label">${t(f.spec.label)}</span><span class="big">${formatValue(f.value, f.unit)}</span></div>`,
    );
    const groups = model.groups.map(
      (g) => html`<section class="group" aria-labelledby="kind-${g.kind}"><h2 id="kind-${g.kind}">${t(`kind.${g.kind}` as MessageKey)}</h2>
<div class="locations">${g.locations.map(
  (l) => html`<div class="location"><h3>${l.location ?? t('overview.noLocation')}</h3><div class="tiles">${l.tiles.map((x) => tile(kit, x, t, now))}</div></div>`,
)}</div></section>`,
    );
    const counts = model.healthCounts;
    const body = html`<div class="summary">
<section class="card" aria-labelledby="h-alarms"><h2 id="h-alarms"><a href="/alarms">${t('overview.activeAlarms')}</a></h2>${alarmBlock}</section>
<section class="card" aria-labelledby="h-figures"><h2 id="h-figures">${t('overview.keyFigures')}</h2><div class="figures">${figures}</div></section>
<section class="card" aria-labelledby="h-devices"><h2 id="h-devices">${t('overview.devices')}</h2>
<div class="health-counts"><span class="h-ok"><b>${counts.ok}</b> ${t('status.ok')}</span> <span class="h-alarm"><b>${counts.alarm}</b> ${t('status.alarm')}</span> <span class="h-comm-down"><b>${counts['comm-down']}</b> ${t('status.commDown')}</span>${counts.unknown > 0 ? html` <span class="h-unknown"><b>${counts.unknown}</b> ${t('status.connecting')}</span>` : ''}</div>
<h2 class="sub">${t('overview.sync')}</h2><div id="sync-summary" class="muted">${t('overview.syncNone')}</div></section>
</div>
${groups}`;
    return renderPage(c, kit, {
      title: t('overview.title'),
      nav: 'overview',
      body,
      live: 'view=overview',
      scripts: ['overview.js'],
      messages: ['overview.', 'status.', 'kind.', 'alarms.system.'],
      data: { analyticsEnabled: kit.deps.analytics !== undefined },
    });
  });
}
