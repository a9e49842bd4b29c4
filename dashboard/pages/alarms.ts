/**
 * The alarm console. The list is drawn by alarms.js from the alarm API and kept current by the
 * live stream (no reload); acknowledge and shelve ask for a comment. The server sends the first
 * list with the page, so it shows at once.
 */
import { Hono } from 'hono';
import { roleAtLeast } from '../../gateway/auth/roles.js';
import { SEVERITIES } from '../../gateway/alarms/types.js';
import type { WebEnv } from '../context.js';
import { html } from '../html.js';
import type { MessageKey } from '../i18n/i18n.js';
import { incidentView } from '../routes/incidents.js';
import { type PageKit, renderPage } from './layout.js';

const STATES = ['unack', 'acked', 'rtn-unack', 'latched', 'shelved', 'out-of-service'] as const;

export function alarmsPage(kit: PageKit): Hono<WebEnv> {
  const { deps } = kit;
  return new Hono<WebEnv>().get('/', (c) => {
    const t = c.get('t');
    const canAct = roleAtLeast(c.get('principal').role, 'operator');
    const severity = c.req.query('severity') ?? '';
    if (!deps.alarms) {
      return renderPage(c, kit, { title: t('alarms.title'), nav: 'alarms', body: html`<p class="muted">${t('alarms.unavailable')}</p>` });
    }
    const devices = deps.catalog.devices;
    const body = html`<div class="alarm-console">
<div class="toolbar">
  <span class="segs" role="tablist" aria-label="${t('alarms.title')}">
    <button type="button" role="tab" id="tab-active" aria-selected="true" aria-controls="panel-active">${t('alarms.active')}</button>
    <button type="button" role="tab" id="tab-history" aria-selected="false" aria-controls="panel-history">${t('alarms.history')}</button>
  </span>
  <label>${t('alarms.filterSeverity')} <select id="f-severity"><option value="">${t('alarms.any')}</option>${SEVERITIES.map((s) => html`<option value="${s}"${s === severity ? html` selected` : ''}>${t(`severity.${s}` as MessageKey)}</option>`)}</select></label>
  <label>${t('alarms.filterState')} <select id="f-state"><option value="">${t('alarms.any')}</option>${STATES.map((s) => html`<option value="${s}">${t(`alarm.state.${s}` as MessageKey)}</option>`)}</select></label>
  <label>${t('alarms.col.device')} <select id="f-device"><option value="">${t('alarms.any')}</option>${devices.map((d) => html`<option value="${d.id}">${d.name}</option>`)}</select></label>
  <label>${t('alarms.filterText')} <input type="search" id="f-text"></label>
  <label class="check"><input type="checkbox" id="sound"> ${t('alarms.sound')}</label>
</div>
${canAct ? '' : html`<p class="muted">${t('alarms.viewerNote')}</p>`}
${deps.incidents ? html`<section id="incidents" class="incidents" aria-labelledby="incidents-title"><h2 id="incidents-title">${t('incidents.title')}</h2><div id="incident-list"></div></section>` : ''}
<div id="panel-active" role="tabpanel" aria-labelledby="tab-active">
<div class="table-wrap"><table class="data alarms"><thead><tr>
<th scope="col">${t('alarms.col.severity')}</th><th scope="col">${t('alarms.col.time')}</th><th scope="col">${t('alarms.col.alarm')}</th><th scope="col">${t('alarms.col.device')}</th><th scope="col" class="num">${t('alarms.col.value')}</th><th scope="col">${t('alarms.col.state')}</th><th scope="col">${t('alarms.col.actions')}</th>
</tr></thead><tbody id="alarm-rows"><tr><td colspan="7" class="muted">${t('trends.loading')}</td></tr></tbody></table></div>
</div>
<div id="panel-history" role="tabpanel" aria-labelledby="tab-history" hidden>
<div class="table-wrap"><table class="data"><thead><tr>
<th scope="col">${t('alarms.col.time')}</th><th scope="col">${t('alarms.col.event')}</th><th scope="col">${t('alarms.col.severity')}</th><th scope="col">${t('alarms.col.alarm')}</th><th scope="col">${t('alarms.col.who')}</th><th scope="col">${t('alarms.comment')}</th>
</tr></thead><tbody id="history-rows"></tbody></table></div>
</div>
<dialog id="action-dialog" aria-labelledby="dialog-title">
<form method="dialog" class="stack">
  <h2 id="dialog-title"></h2>
  <p id="dialog-alarm" class="muted"></p>
  <label id="minutes-label" for="dialog-minutes">${t('alarms.minutes')}</label>
  <input id="dialog-minutes" type="number" min="1" step="1" value="60">
  <label for="dialog-comment">${t('alarms.comment')}</label>
  <textarea id="dialog-comment" rows="3" maxlength="500"></textarea>
  <p id="dialog-error" class="notice error" role="alert" hidden></p>
  <div class="buttons"><button value="cancel" formnovalidate>${t('alarms.cancel')}</button><button id="dialog-confirm" value="confirm" class="primary">${t('alarms.confirm')}</button></div>
</form>
</dialog>
</div>`;
    return renderPage(c, kit, {
      title: t('alarms.title'),
      nav: 'alarms',
      body,
      live: 'alarms=1',
      scripts: deps.incidents ? ['alarms.js', 'incidents.js'] : ['alarms.js'],
      messages: ['alarms.', 'alarm.state.', 'severity.', 'incidents.'],
      data: {
        canAct,
        // with `causeId` like GET /api/v1/alarms, so symptoms are marked before the first reload
        alarms: deps.alarms.list('all').map((a) => ({ ...a, causeId: deps.incidents?.causeOf(a.id) ?? null })),
        incidents: deps.incidents ? deps.incidents.list().map((i) => incidentView(i, deps.incidents!.symptoms(), deps.alarms)) : [],
        devices: Object.fromEntries(devices.map((d) => [d.id, d.name])),
        lastEventSeq: deps.store.stats().lastEventSeq,
        snapshotSeverities: deps.snapshots?.severities ?? [],
      },
    });
  });
}
