/**
 * A plain server-rendered status page so the demo shows something in a browser. The full
 * facility-manager page (live updates, alarms, trends, login) replaces it in a later release.
 */
import { Hono } from 'hono';
import type { DashboardDeps } from '../deps.js';
import { escapeHtml, formatValue } from '../html.js';
import { deviceView } from '../routes/devices.js';

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b2430}
header{background:#1b2430;color:#fff;padding:12px 20px}h1{font-size:1.2rem;margin:0}
main{padding:16px 20px;display:grid;gap:16px;grid-template-columns:repeat(auto-fill,minmax(340px,1fr))}
section{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 2px #0002}
h2{font-size:1rem;margin:0 0 8px;display:flex;justify-content:space-between}
table{width:100%;border-collapse:collapse;font-size:.9rem}td{padding:3px 0;border-bottom:1px solid #eee}
td.v{text-align:right;font-variant-numeric:tabular-nums}
.up{color:#17803d}.degraded{color:#b26a00}.down{color:#c0262d}.connecting{color:#666}
.q-bad{color:#c0262d}.q-uncertain{color:#b26a00}
@media (prefers-color-scheme:dark){body{background:#11161c;color:#dde3ea}section{background:#1b2430}td{border-color:#2a3440}}
`;

export function overviewPage(deps: DashboardDeps): Hono {
  return new Hono().get('/', (c) => {
    const statuses = new Map(deps.deviceStatus().map((s) => [s.deviceId, s]));
    const sections = deps.catalog.devices.map((device) => {
      const view = deviceView(device, statuses.get(device.id));
      const rows = device.pointIds.map((id) => {
        const info = deps.catalog.point(id)!;
        const latest = deps.store.latestOf(id);
        const quality = latest?.quality ?? 'bad';
        const title = latest?.reason ? ` title="${escapeHtml(latest.reason)}"` : '';
        return `<tr><td>${escapeHtml(info.name)}</td><td class="v q-${quality}"${title}>${escapeHtml(formatValue(latest?.value, info.unit))}</td></tr>`;
      });
      return `<section><h2><span>${escapeHtml(device.name)}</span><span class="${view.status}">${view.status}</span></h2><table>${rows.join('')}</table></section>`;
    });
    return c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="refresh" content="5">
<title>${escapeHtml(deps.gatewayId)} — facility gateway</title><style>${STYLE}</style></head>
<body><header><h1>${escapeHtml(deps.gatewayId)} · ${deps.catalog.devices.length} devices · ${deps.catalog.points.length} points</h1></header>
<main>${sections.join('')}</main></body></html>`);
  });
}
