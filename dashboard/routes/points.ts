import { Hono } from 'hono';
import type { PointInfo } from '../../gateway/catalog.js';
import type { LatestValue } from '../../gateway/store/types.js';
import type { DashboardDeps } from '../deps.js';
import { jsonError } from '../errors.js';
import { freshness } from '../point-freshness.js';
import { lookupPoint, retiredPoints } from '../retired-points.js';

const HOUR_MS = 3_600_000;
const MAX_HISTORY_ITEMS = 100_000;

function pointView(info: PointInfo, latest: LatestValue | undefined, deps?: DashboardDeps, failingSince: number | null = null) {
  // Without deps (retired points: nothing polls them any more) a value is shown as stored.
  const fresh = freshness(latest, deps?.catalog.device(info.deviceId)?.pollIntervalMs, failingSince, (deps?.now ?? Date.now)());
  return {
    id: info.id,
    deviceId: info.deviceId,
    key: info.key,
    name: info.name,
    unit: info.unit,
    value: latest?.value ?? null,
    quality: fresh.quality,
    reason: fresh.reason,
    ts: latest?.ts ?? null,
    stale: fresh.stale,
    retired: info.retired === true,
    /** the write limits (min, max, step, values, role, confirm, ...), null when the point cannot be written */
    write: info.write ?? null,
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
      const { failingSince } = deps.store.stats();
      return c.json(points.map((p) => pointView(p, deps.store.latestOf(p.id), deps, failingSince)));
    })
    // Before /:id; a point id always has a dot, so it is never "retired".
    .get('/retired', (c) => c.json(retiredPoints(deps).map((p) => pointView(p, deps.store.latestOf(p.id)))))
    .get('/:id', (c) => {
      const info = lookupPoint(deps, c.req.param('id'));
      if (!info) return jsonError(c, 404, 'not-found', `no point "${c.req.param('id')}"`);
      return c.json(pointView(info, deps.store.latestOf(info.id), info.retired === true ? undefined : deps, deps.store.stats().failingSince));
    })
    .get('/:id/history', (c) => {
      const info = lookupPoint(deps, c.req.param('id'));
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
        retired: info.retired === true,
        from,
        to,
        items: rows.map((r) => ({ seq: r.seq, ts: r.ts, value: r.value, quality: r.quality, reason: r.reason ?? null })),
        truncated: rows.length === limit,
      });
    });
}
