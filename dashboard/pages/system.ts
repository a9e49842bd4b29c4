/** System: version, uptime, disk and database, drivers, alarms and notifications, sync targets. */
import { Hono } from 'hono';
import type { WebEnv } from '../context.js';
import { formatAge, formatBytes, formatTime, html, type Raw } from '../html.js';
import type { MessageKey } from '../i18n/i18n.js';
import { systemInfo } from '../system-model.js';
import { type PageKit, renderPage } from './layout.js';

export function systemPage(kit: PageKit): Hono<WebEnv> {
  return new Hono<WebEnv>().get('/', (c) => {
    const t = c.get('t');
    const info = systemInfo(kit.deps);
    const row = (key: MessageKey, value: string | Raw) => html`<tr><th scope="row">${t(key)}</th><td>${value}</td></tr>`;
    const disk = info.disk;
    const used = disk ? disk.totalBytes - disk.freeBytes : 0;
    const pct = disk && disk.totalBytes > 0 ? Math.round((used / disk.totalBytes) * 100) : null;
    const alarms = info.alarms;
    const body = html`<div class="cols3">
<section class="card" aria-labelledby="h-gw"><h2 id="h-gw">${t('system.gateway')}</h2><table class="kvtable">
${row('system.gateway', info.gatewayId)}
${row('system.version', info.version)}
${row('system.uptime', formatAge(info.uptimeS * 1000))}
${row('system.started', formatTime(info.startedAt))}
</table></section>
<section class="card" aria-labelledby="h-disk"><h2 id="h-disk">${t('system.disk')}</h2><table class="kvtable">
${row('system.diskUse', disk ? html`<meter min="0" max="100" value="${pct ?? 0}" low="70" high="90" optimum="20">${pct}%</meter><br>${pct}% · ${formatBytes(used)} / ${formatBytes(disk.totalBytes)}` : t('system.unknown'))}
${row('system.dbSize', formatBytes(info.store.databaseBytes))}
${row('system.readings', info.store.readingCount.toLocaleString('en-US'))}
${row('system.lastSeq', String(info.store.lastReadingSeq))}
${row('system.pending', String(info.store.pending))}
${row('system.commitErrors', info.store.lastError ? `${info.store.commitErrors} (${info.store.lastError})` : String(info.store.commitErrors))}
${row('system.dropped', String(info.store.droppedByRetention))}
</table></section>
<section class="card" aria-labelledby="h-drivers"><h2 id="h-drivers">${t('system.drivers')}</h2>
<div class="table-wrap"><table class="data"><thead><tr><th scope="col">${t('system.driver')}</th><th scope="col" class="num">${t('system.devices')}</th><th scope="col" class="num">${t('status.up')}</th><th scope="col" class="num">${t('status.degraded')}</th><th scope="col" class="num">${t('status.down')}</th><th scope="col" class="num">${t('device.errors')}</th></tr></thead>
<tbody>${info.drivers.map((d) => html`<tr><td>${d.driver}</td><td class="num">${d.devices}</td><td class="num">${d.up}</td><td class="num">${d.degraded}</td><td class="num${d.down > 0 ? ' bad' : ''}">${d.down}</td><td class="num">${d.errors}</td></tr>`)}</tbody></table></div></section>
<section class="card" aria-labelledby="h-alarmh"><h2 id="h-alarmh">${t('system.alarmHealth')}</h2>
${
  alarms
    ? html`<table class="kvtable">${row('overview.activeAlarms', `${alarms.active} (${alarms.unacked} ${t('alarm.state.unack')})`)}
${row('alarm.state.shelved', String(alarms.shelved))}
</table>
${alarms.notifications.length > 0 ? html`<table class="data"><thead><tr><th scope="col">${t('system.target')}</th><th scope="col" class="num">sent</th><th scope="col" class="num">failed</th><th scope="col">${t('system.lastError')}</th></tr></thead><tbody>${alarms.notifications.map((n) => html`<tr><td>${n.target}</td><td class="num">${n.sent}</td><td class="num">${n.failed}</td><td>${n.lastError ?? '—'}</td></tr>`)}</tbody></table>` : ''}`
    : html`<p class="muted">${t('overview.alarmsUnavailable')}</p>`
}</section>
<section class="card" aria-labelledby="h-sync"><h2 id="h-sync">${t('system.sync')}</h2><div id="sync-targets" class="muted">${t('system.none')}</div></section>
</div>`;
    return renderPage(c, kit, { title: t('system.title'), nav: 'system', body, scripts: ['system.js'], messages: ['system.'] });
  });
}
