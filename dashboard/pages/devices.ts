/** The device list and one device's page: every point live with unit, quality and age; comm statistics; its alarms. */
import { Hono } from 'hono';
import type { DeviceStatus } from '../../core/device-status.js';
import type { DeviceInfo } from '../../gateway/catalog.js';
import type { WebEnv } from '../context.js';
import { formatAge, formatTime, html } from '../html.js';
import type { MessageKey, Translate } from '../i18n/i18n.js';
import { compareAlarms, deviceOfAlarm } from '../overview-model.js';
import { controlCard, writablePoints } from './device-control.js';
import { type PageKit, renderPage } from './layout.js';
import { valueCell } from './overview.js';

function commRows(status: DeviceStatus | undefined, pollIntervalMs: number, t: Translate) {
  const s = status;
  const row = (key: MessageKey, field: string, value: string) => html`<tr><th scope="row">${t(key)}</th><td data-status-field="${field}">${value}</td></tr>`;
  return html`<table class="kvtable">
${row('device.state', 'state', t(`status.${s?.state ?? 'connecting'}` as MessageKey))}
${row('device.lastSuccess', 'lastSuccess', formatTime(s?.lastSuccess ?? null))}
${row('device.polls', 'polls', String(s?.polls ?? 0))}
${row('device.errors', 'errorCount', String(s?.errorCount ?? 0))}
${row('device.lastError', 'lastError', s?.lastError ?? '—')}
${row('device.overruns', 'overruns', String(s?.overruns ?? 0))}
${row('device.lastPollMs', 'lastPollMs', s?.lastPollMs == null ? '—' : `${s.lastPollMs} ms`)}
${row('device.retryAt', 'retryAt', formatTime(s?.retryAt ?? null))}
${row('device.pollInterval', 'pollIntervalMs', `${pollIntervalMs} ms`)}
</table>`;
}

/** What the equipment is: its driver, and the profile with the vendor and model it was written for. */
function equipmentRows(device: DeviceInfo, t: Translate) {
  const row = (key: MessageKey, field: string, value: string) => html`<tr><th scope="row">${t(key)}</th><td data-equipment="${field}">${value}</td></tr>`;
  return html`<table class="kvtable">
${row('device.driver', 'driver', device.driver)}
${row('device.profile', 'profile', device.profile ?? '—')}
${row('device.vendor', 'vendor', device.vendor ?? '—')}
${row('device.model', 'model', device.model ?? '—')}
</table>`;
}

export function devicePages(kit: PageKit): Hono<WebEnv> {
  const { deps } = kit;
  const now = deps.now ?? Date.now;
  return new Hono<WebEnv>()
    .get('/', (c) => {
      const t = c.get('t');
      const statuses = new Map(deps.deviceStatus().map((s) => [s.deviceId, s]));
      const rows = deps.catalog.devices.map((d) => {
        const s = statuses.get(d.id);
        const state = s?.state ?? 'connecting';
        return html`<tr><td><a href="/devices/${encodeURIComponent(d.id)}">${d.name}</a></td><td>${t(`kind.${d.kind}` as MessageKey)}</td><td>${d.location ?? '—'}</td>
<td><span class="chip st-${state}" data-device-state="${d.id}">${t(`status.${state}` as MessageKey)}</span></td><td class="num">${d.pointIds.length}</td><td class="num">${s?.errorCount ?? 0}</td><td>${d.driver}</td></tr>`;
      });
      const body = html`<div class="table-wrap"><table class="data"><thead><tr><th scope="col">${t('devices.col.name')}</th><th scope="col">${t('devices.col.kind')}</th><th scope="col">${t('device.location')}</th><th scope="col">${t('device.state')}</th><th scope="col" class="num">${t('device.points')}</th><th scope="col" class="num">${t('device.errors')}</th><th scope="col">${t('device.driver')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
      return renderPage(c, kit, { title: t('devices.title'), nav: 'devices', body, live: 'status=states' });
    })
    .get('/:id', (c) => {
      const t = c.get('t');
      const device = deps.catalog.device(c.req.param('id'));
      if (!device) {
        return renderPage(c, kit, { title: t('device.notFound'), nav: 'devices', body: html`<p><a href="/devices">${t('devices.title')}</a></p>`, status: 404 });
      }
      const status = deps.deviceStatus().find((s) => s.deviceId === device.id);
      const at = now();
      const points = device.pointIds.map((id) => {
        const info = deps.catalog.point(id)!;
        const latest = deps.store.latestOf(id);
        const q = latest?.quality ?? 'none';
        return html`<tr><th scope="row">${info.name} <small class="muted">${info.key}</small></th>
<td class="num">${valueCell(id, info.unit, latest, t)}</td>
<td><span class="q q-${q}" data-quality="${id}">${t(`quality.${q}` as MessageKey)}${latest?.reason ? ` (${latest.reason})` : ''}</span></td>
<td class="num"><span data-age="${id}" data-ts="${latest?.ts ?? ''}">${latest ? formatAge(at - latest.ts) : t('age.never')}</span></td>
<td><a href="/trends?points=${encodeURIComponent(id)}">${t('device.col.trend')}</a></td></tr>`;
      });
      const alarms = (deps.alarms?.list('all') ?? []).filter((a) => deviceOfAlarm(a) === device.id).sort(compareAlarms);
      const alarmRows = alarms.map(
        (a) => html`<tr class="sev-${a.severity} st-${a.state}"><td><span class="sev">${t(`severity.${a.severity}` as MessageKey)}</span></td><td>${a.message}</td><td>${t(`alarm.state.${a.state}` as MessageKey)}</td><td>${formatTime(a.raisedAt)}</td></tr>`,
      );
      const pointInfos = device.pointIds.map((id) => deps.catalog.point(id)!);
      const control = controlCard(pointInfos, c.get('principal').role, (id) => deps.store.latestOf(id), t);
      const body = html`<p class="meta">${t(`kind.${device.kind}` as MessageKey)} · ${device.location ?? t('overview.noLocation')} · ${device.driver}${device.profile ? ` · ${device.profile}` : ''}</p>
${control}
<div class="cols">
<section class="card wide" aria-labelledby="h-points"><h2 id="h-points">${t('device.points')}</h2>
<div class="table-wrap"><table class="data points"><thead><tr><th scope="col">${t('device.col.point')}</th><th scope="col" class="num">${t('device.col.value')}</th><th scope="col">${t('device.col.quality')}</th><th scope="col" class="num">${t('device.col.age')}</th><th scope="col">${t('device.col.trend')}</th></tr></thead>
<tbody>${points}</tbody></table></div></section>
<div class="side">
<section class="card" aria-labelledby="h-equipment"><h2 id="h-equipment">${t('device.equipment')}</h2>${equipmentRows(device, t)}</section>
<section class="card" aria-labelledby="h-comm"><h2 id="h-comm">${t('device.comm')}</h2><div id="comm" data-device-id="${device.id}">${commRows(status, device.pollIntervalMs, t)}</div></section>
<section class="card" aria-labelledby="h-dev-alarms"><h2 id="h-dev-alarms">${t('device.alarms')}</h2>
${deps.alarms ? (alarmRows.length > 0 ? html`<table class="data"><tbody>${alarmRows}</tbody></table>` : html`<p class="muted">${t('overview.noAlarms')}</p>`) : html`<p class="muted">${t('overview.alarmsUnavailable')}</p>`}
</section>
</div>
</div>`;
      return renderPage(c, kit, {
        title: device.name,
        nav: 'devices',
        body,
        live: `device=${encodeURIComponent(device.id)}&alarms=1`,
        scripts: ['device.js'],
        messages: ['device.', 'status.', 'control.', 'role.'],
        // the control history reads the events stream backwards from here (device.js)
        data: { deviceId: device.id, ...(writablePoints(pointInfos).length > 0 && { lastEventSeq: deps.store.stats().lastEventSeq }) },
      });
    });
}
