/**
 * The device page's control card (issue 14): each point with a `write` spec shows its limits to
 * everyone and, to a role that may write it, a control (a number input with the limits and step,
 * or one button per enum/boolean value). device.js does the confirmation step, the POST and the
 * result; the control service checks everything again, so this page only decides what to offer.
 */
import type { LatestValue } from '../../gateway/store/types.js';
import type { PointInfo } from '../../gateway/catalog.js';
import { roleAtLeast } from '../../gateway/auth/roles.js';
import type { Role } from '../../gateway/auth/types.js';
import { html, type Raw } from '../html.js';
import type { MessageKey, Translate } from '../i18n/i18n.js';
import { valueCell } from './overview.js';

type WritablePoint = PointInfo & { write: NonNullable<PointInfo['write']> };

export function writablePoints(points: PointInfo[]): WritablePoint[] {
  return points.filter((p): p is WritablePoint => p.write !== undefined);
}

/** How a value is labelled on its button: booleans as on/off, enum labels and numbers as they are. */
function valueLabel(v: number | boolean | string, t: Translate): string {
  if (typeof v === 'boolean') return v ? t('control.on') : t('control.off');
  return String(v);
}

function limitsText(p: WritablePoint, t: Translate): string {
  const w = p.write;
  const unit = p.unit ? ` ${p.unit}` : '';
  const parts: string[] = [];
  if (w.min !== undefined || w.max !== undefined) parts.push(t('control.range', { min: w.min === undefined ? '…' : `${w.min}${unit}`, max: w.max === undefined ? '…' : `${w.max}${unit}` }));
  if (w.step !== undefined) parts.push(t('control.step', { step: `${w.step}${unit}` }));
  if (w.values) parts.push(t('control.values', { values: w.values.map((v) => valueLabel(v, t)).join(', ') }));
  parts.push(t('control.needsRole', { role: t(`role.${w.role}` as MessageKey) }));
  if (w.confirm) parts.push(t('control.confirmed'));
  return parts.join(' · ');
}

function controlForm(p: WritablePoint, t: Translate): Raw {
  const w = p.write;
  const inputs = w.values
    ? html`<span class="control-buttons">${w.values.map((v) => html`<button type="submit" name="value" value="${JSON.stringify(v)}">${valueLabel(v, t)}</button>`)}</span>`
    : html`<label>${t('control.newValue')} <input type="number" name="value" required inputmode="decimal"${w.min === undefined ? '' : html` min="${w.min}"`}${w.max === undefined ? '' : html` max="${w.max}"`} step="${w.step ?? 'any'}"> ${p.unit ?? ''}</label>
<button type="submit">${t('control.set')}</button>`;
  return html`<form class="control-form" data-control-form novalidate>
${inputs}
<label class="control-comment">${t('control.comment')} <input type="text" name="comment" maxlength="500" autocomplete="off"></label>
</form>
<div class="control-confirm" data-control-confirm hidden>
<p>${t('control.confirmPrompt', { point: p.name })} <span class="change"><span data-old></span> → <strong data-new></strong></span></p>
<button type="button" class="primary" data-confirm>${t('control.confirm')}</button> <button type="button" data-cancel>${t('control.cancel')}</button>
</div>`;
}

export function controlCard(points: PointInfo[], role: Role, latestOf: (id: string) => LatestValue | undefined, t: Translate): Raw {
  const writable = writablePoints(points);
  if (writable.length === 0) return html``;
  const items = writable.map((p) => {
    const allowed = roleAtLeast(role, p.write.role);
    return html`<li class="control" data-control="${p.id}" data-name="${p.name}" data-unit="${p.unit ?? ''}" data-confirm="${p.write.confirm ? '1' : '0'}">
<div class="control-head"><span class="control-name">${p.name} <small class="muted">${p.key}</small></span> ${valueCell(p.id, p.unit, latestOf(p.id), t)}</div>
<p class="muted control-limits" data-control-limits>${limitsText(p, t)}</p>
${allowed ? controlForm(p, t) : html`<p class="muted" data-control-view-only>${t('control.viewOnly')}</p>`}
<p class="control-result" data-control-result role="status" aria-live="polite"></p>
</li>`;
  });
  return html`<section class="card control-card" aria-labelledby="h-control"><h2 id="h-control">${t('control.title')}</h2>
<ul class="controls">${items}</ul>
<h3 id="h-control-history">${t('control.history')}</h3>
<div class="table-wrap"><table class="data control-history" aria-labelledby="h-control-history"><thead><tr><th scope="col">${t('control.col.when')}</th><th scope="col">${t('control.col.who')}</th><th scope="col">${t('control.col.point')}</th><th scope="col">${t('control.col.change')}</th><th scope="col">${t('control.col.result')}</th></tr></thead>
<tbody id="control-history"><tr><td colspan="5" class="muted">${t('control.history.none')}</td></tr></tbody></table></div>
</section>`;
}
