/**
 * Edge analytics (issue 16) for the page and API clients; every reading role may ask.
 *   GET /api/v1/analytics                          → [AnalyticsPointStatus] (empty when analytics is off)
 *   GET /api/v1/points/:id/baseline?from=&to=      → {pointId, unit, from, to, ts[], expected[], lo[], hi[]}
 *       one entry a minute (thinned beyond ~2000); default the last 24 h; empty arrays while training
 *   GET /api/v1/points/:id/forecast                → {pointId, unit, state, at, ts[], mean[], lo[], hi[], crossings[], battery?}
 *       state `ok`, or `not-enough-data` (too few recent samples: empty arrays, `at` null), or `none`
 *       (a UPS runtime point with a battery projection but no forecast configured: empty arrays);
 *       `battery` only on a UPS runtime point (analytics battery:): {at, load, runtimeMin,
 *       projectedMin, loadNow, loadPerMin, minRuntimeMin}, the runtime under the load's trend, or
 *       null while there are too few load samples
 * A point the catalog does not know, or one without analytics (or without a forecast or battery), is 404.
 * Point ids have dots but never a slash, so `:id` matches them whole (as in routes/points.ts).
 */
import { Hono } from 'hono';
import type { WebEnv } from '../context.js';
import type { DashboardDeps } from '../deps.js';
import { jsonError } from '../errors.js';

const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 400 * DAY_MS;

/** A non-negative integer query parameter, or the fallback when absent; NaN marks bad input. */
function msParam(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  return /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
}

export function analyticsRoutes(deps: DashboardDeps): Hono<WebEnv> {
  const now = deps.now ?? Date.now;
  const { analytics } = deps;
  return new Hono<WebEnv>()
    .get('/analytics', (c) => c.json(analytics?.status() ?? []))
    .get('/points/:id/baseline', (c) => {
      const id = c.req.param('id');
      const info = deps.catalog.point(id);
      if (!info) return jsonError(c, 404, 'not-found', `no point "${id}"`);
      const to = msParam(c.req.query('to'), now());
      const from = msParam(c.req.query('from'), to - DAY_MS);
      if (Number.isNaN(from) || Number.isNaN(to)) return jsonError(c, 400, 'bad-request', 'from and to are milliseconds since the epoch (integers)');
      if (from >= to) return jsonError(c, 400, 'bad-request', 'from must be before to');
      if (to - from > MAX_RANGE_MS) return jsonError(c, 400, 'bad-request', 'the range is longer than 400 days');
      const band = analytics?.baseline(id, from, to);
      if (!band) return jsonError(c, 404, 'not-found', `point "${id}" has no analytics (analytics: in the site file)`);
      return c.json({ pointId: id, unit: info.unit, from, to, ...band });
    })
    .get('/points/:id/forecast', (c) => {
      const id = c.req.param('id');
      const info = deps.catalog.point(id);
      if (!info) return jsonError(c, 404, 'not-found', `no point "${id}"`);
      const forecast = analytics?.forecast(id);
      const battery = analytics?.battery?.(id);
      if (forecast === undefined && battery === undefined) {
        return jsonError(c, 404, 'not-found', `point "${id}" has no forecast (analytics: forecast: in the site file)`);
      }
      // only a UPS runtime point carries `battery`, so other clients see the answer they always did
      const withBattery = battery === undefined ? {} : { battery };
      if (!forecast) {
        const state = forecast === null ? 'not-enough-data' : 'none';
        return c.json({ pointId: id, unit: info.unit, state, at: null, ts: [], mean: [], lo: [], hi: [], crossings: [], ...withBattery });
      }
      const { at, ts, mean, lo, hi, crossings } = forecast;
      return c.json({ pointId: id, unit: info.unit, state: 'ok', at, ts, mean, lo, hi, crossings, ...withBattery });
    });
}
