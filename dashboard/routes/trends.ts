/**
 * GET /api/v1/trends?points=a,b&from=&to=  → {from, to, bucketMs, source, series}
 * GET /api/v1/trends.csv?points=a,b&from=&to=  → the same as CSV (a download)
 * from/to are ms since the epoch; default: the last 24 hours.
 */
import { type Context, Hono } from 'hono';
import type { PointInfo } from '../../gateway/catalog.js';
import type { WebEnv } from '../context.js';
import type { DashboardDeps } from '../deps.js';
import { jsonError } from '../errors.js';
import { lookupPoint } from '../retired-points.js';
import { MAX_TREND_POINTS, trendCsv, trendSeries } from '../trend-data.js';

const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 400 * DAY_MS;

type Parsed = { points: PointInfo[]; from: number; to: number } | { error: string; status: 400 | 404 };

export function parseTrendQuery(deps: DashboardDeps, c: Context): Parsed {
  const now = (deps.now ?? Date.now)();
  const ids = (c.req.queries('points') ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) return { error: 'give one or more point ids: points=a,b', status: 400 };
  if (ids.length > MAX_TREND_POINTS) return { error: `at most ${MAX_TREND_POINTS} points at once`, status: 400 };
  const points: PointInfo[] = [];
  for (const id of ids) {
    const p = lookupPoint(deps, id);
    if (!p) return { error: `no point "${id}"`, status: 404 };
    points.push(p);
  }
  const int = (raw: string | undefined, fallback: number) => (raw === undefined || raw === '' ? fallback : /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN);
  const to = int(c.req.query('to'), now);
  const from = int(c.req.query('from'), to - DAY_MS);
  if (Number.isNaN(from) || Number.isNaN(to)) return { error: 'from and to are milliseconds since the epoch (integers)', status: 400 };
  if (from >= to) return { error: 'from must be before to', status: 400 };
  if (to - from > MAX_RANGE_MS) return { error: 'the range is longer than 400 days', status: 400 };
  return { points, from, to };
}

export function trendRoutes(deps: DashboardDeps): Hono<WebEnv> {
  return new Hono<WebEnv>()
    .get('/trends', (c) => {
      const q = parseTrendQuery(deps, c);
      if ('error' in q) return jsonError(c, q.status, q.status === 404 ? 'not-found' : 'bad-request', q.error);
      return c.json(trendSeries(deps, q.points, q.from, q.to));
    })
    .get('/trends.csv', (c) => {
      const q = parseTrendQuery(deps, c);
      if ('error' in q) return jsonError(c, q.status, q.status === 404 ? 'not-found' : 'bad-request', q.error);
      const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace(/[-:]/g, '');
      c.header('Content-Type', 'text/csv; charset=utf-8');
      c.header('Content-Disposition', `attachment; filename="trend-${stamp(q.from)}-${stamp(q.to)}.csv"`);
      return c.body(trendCsv(trendSeries(deps, q.points, q.from, q.to)));
    });
}
