import { Hono } from 'hono';
import type { PointInfo } from '../../gateway/catalog.js';
import type { LatestValue } from '../../gateway/store/types.js';
import type { DashboardDeps } from '../deps.js';
import { jsonError } from '../errors.js';

const HOUR_MS = 3_600_000;
const MAX_HISTORY_ITEMS = 100_000;

function pointView(info: PointInfo, latest: LatestValue | undefined) {
  return {
    id: info.id,
    deviceId: info.deviceId,
    key: info.key,
    name: info.name,
    unit: info.unit,
    value: latest?.value ?? null,
    quality: latest?.quality ?? null,
    reason: latest?.reason ?? null,
    ts: latest?.ts ?? null,
  };
}

/** A non-negative integer query parameter, or the fallback when absent; NaN marks bad input. */
function intParam(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  return /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
}

export function pointRoutes(deps: DashboardDeps): Hono {
  const now = deps.now ?? Date.now;
  return new Hono()
    .get('/', (c) => {
      const deviceId = c.req.query('device');
      const points = deviceId ? deps.catalog.points.filter((p) => p.deviceId === deviceId) : deps.catalog.points;
      return c.json(points.map((p) => pointView(p, deps.store.latestOf(p.id))));
    })
    .get('/:id', (c) => {
      const info = deps.catalog.point(c.req.param('id'));
      if (!info) return jsonError(c, 404, 'not-found', `no point "${c.req.param('id')}"`);
      return c.json(pointView(info, deps.store.latestOf(info.id)));
    })
    .get('/:id/history', (c) => {
      const info = deps.catalog.point(c.req.param('id'));
      if (!info) return jsonError(c, 404, 'not-found', `no point "${c.req.param('id')}"`);
      const to = intParam(c.req.query('to'), now());
      const from = intParam(c.req.query('from'), to - HOUR_MS);
      const limit = intParam(c.req.query('limit'), 10_000);
      if (Number.isNaN(from) || Number.isNaN(to)) {
        return jsonError(c, 400, 'bad-request', 'from and to are milliseconds since the epoch (integers)');
      }
      if (from > to) return jsonError(c, 400, 'bad-request', 'from is after to');
      if (Number.isNaN(limit) || limit < 1 || limit > MAX_HISTORY_ITEMS) {
        return jsonError(c, 400, 'bad-request', `limit is an integer from 1 to ${MAX_HISTORY_ITEMS}`);
      }
      const rows = deps.store.history(info.id, from, to, limit);
      return c.json({
        pointId: info.id,
        unit: info.unit,
        from,
        to,
        items: rows.map((r) => ({ seq: r.seq, ts: r.ts, value: r.value, quality: r.quality, reason: r.reason ?? null })),
        truncated: rows.length === limit,
      });
    });
}
