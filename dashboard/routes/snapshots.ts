/**
 * Event snapshots (gateway/snapshots/): the latest snapshot of an alarm or an incident.
 *   GET /api/v1/alarms/:id/snapshot                → {from, to, raisedAt, series, alarms, ...}
 *   GET /api/v1/alarms/:id/snapshot?format=csv     → a CSV download: ts_iso,point,name,unit,value
 *   GET /api/v1/alarms/:id/snapshot?format=json    → the JSON as a download
 * and the same under /api/v1/incidents/:id/snapshot. Readable by every role, `ems` tokens included
 * (the pull route a `snapshot.created` event points to).
 */
import { Hono } from 'hono';
import type { Snapshot, SnapshotKind, SnapshotService } from '../../gateway/snapshots/types.js';
import { jsonError } from '../errors.js';
import { csvCell } from '../trend-data.js';

/** One row per time and point, in time order; a BOM so spreadsheet programs read Korean names as UTF-8. */
export function snapshotCsv(snap: Snapshot): string {
  const rows: [number, number, string][] = [];
  snap.series.forEach((s, si) => {
    for (let i = 0; i < s.ts.length; i++) rows.push([s.ts[i]!, si, '']);
  });
  rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const at = snap.series.map(() => 0);
  const lines = ['ts_iso,point,name,unit,value'];
  for (const [ts, si] of rows) {
    const s = snap.series[si]!;
    const i = at[si]!++;
    lines.push([new Date(ts).toISOString(), s.pointId, s.name, s.unit, s.value[i]].map(csvCell).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** A file name from an id: the id's safe characters only. */
function fileName(kind: SnapshotKind, id: string, raisedAt: number, ext: string): string {
  const stamp = new Date(raisedAt).toISOString().slice(0, 16).replace(/[-:]/g, '');
  return `snapshot-${kind}-${id.replace(/[^A-Za-z0-9_.-]/g, '_')}-${stamp}.${ext}`;
}

export function snapshotRoutes(snapshots: SnapshotService, kind: SnapshotKind): Hono {
  return new Hono().get('/:id/snapshot', (c) => {
    const id = c.req.param('id');
    const format = c.req.query('format');
    if (format !== undefined && format !== 'csv' && format !== 'json') return jsonError(c, 400, 'bad-request', 'format is csv or json');
    const snap = snapshots.latest(kind, id);
    if (!snap) return jsonError(c, 404, 'not-found', `no snapshot of ${kind} "${id}"`);
    if (format === 'csv') {
      c.header('Content-Type', 'text/csv; charset=utf-8');
      c.header('Content-Disposition', `attachment; filename="${fileName(kind, id, snap.raisedAt, 'csv')}"`);
      return c.body(snapshotCsv(snap));
    }
    if (format === 'json') c.header('Content-Disposition', `attachment; filename="${fileName(kind, id, snap.raisedAt, 'json')}"`);
    return c.json(snap);
  });
}
