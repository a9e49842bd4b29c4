/**
 * Trend series for the chart and the CSV export. Short ranges use the raw readings; longer ones the
 * per-minute rollups grouped into buckets so a chart never gets more than ~1000 points per series
 * (a 7-day trend reads ~10 k rollup rows per point, not 600 k readings).
 */
import type { PointInfo } from '../gateway/catalog.js';
import type { DashboardDeps } from './deps.js';

export const RAW_MAX_RANGE_MS = 2 * 3_600_000;
export const MAX_BUCKETS = 1000;
export const MAX_TREND_POINTS = 12;
/** Raw readings per series in one answer; beyond it the rollups are used even for short ranges. */
const RAW_LIMIT = 20_000;

const BUCKET_MINUTES = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080];

export interface TrendSeries {
  pointId: string;
  name: string;
  deviceId: string;
  unit: string | null;
  /** no longer in the config: its stored history only */
  retired: boolean;
  ts: number[];
  min: (number | null)[];
  max: (number | null)[];
  avg: (number | null)[];
}

export interface TrendResult {
  from: number;
  to: number;
  /** 0 for raw readings (min = max = avg = the value) */
  bucketMs: number;
  source: 'raw' | 'rollup';
  series: TrendSeries[];
}

/** The smallest listed bucket that keeps the range within MAX_BUCKETS. */
export function bucketFor(rangeMs: number): number {
  const minutes = rangeMs / 60_000 / MAX_BUCKETS;
  return (BUCKET_MINUTES.find((m) => m >= minutes) ?? BUCKET_MINUTES[BUCKET_MINUTES.length - 1]!) * 60_000;
}

function numeric(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

export function trendSeries(deps: Pick<DashboardDeps, 'store'>, points: readonly PointInfo[], from: number, to: number): TrendResult {
  if (to - from <= RAW_MAX_RANGE_MS) {
    const raw = points.map((p) => deps.store.history(p.id, from, to, RAW_LIMIT + 1));
    if (raw.every((rows) => rows.length <= RAW_LIMIT)) {
      return {
        from,
        to,
        bucketMs: 0,
        source: 'raw',
        series: points.map((p, i) => {
          const rows = raw[i]!;
          const values = rows.map((r) => (r.quality === 'bad' ? null : numeric(r.value)));
          return { pointId: p.id, name: p.name, deviceId: p.deviceId, unit: p.unit, retired: p.retired === true, ts: rows.map((r) => r.ts), min: values, max: values, avg: values };
        }),
      };
    }
  }
  const bucketMs = bucketFor(to - from);
  return {
    from,
    to,
    bucketMs,
    source: 'rollup',
    series: points.map((p) => {
      const buckets = deps.store.rollups(p.id, from, to, bucketMs);
      return {
        pointId: p.id,
        name: p.name,
        deviceId: p.deviceId,
        unit: p.unit,
        retired: p.retired === true,
        ts: buckets.map((b) => b.ts),
        min: buckets.map((b) => b.min),
        max: buckets.map((b) => b.max),
        avg: buckets.map((b) => b.avg),
      };
    }),
  };
}

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  // A name starting with = + - @ would run as a formula in a spreadsheet.
  const s = /^[=+\-@\t\r]/.test(String(v)) ? `'${String(v)}` : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per point and time; a BOM so spreadsheet programs read Korean names as UTF-8. */
export function trendCsv(result: TrendResult): string {
  const lines = ['time,point,name,unit,min,max,avg'];
  for (const s of result.series) {
    for (let i = 0; i < s.ts.length; i++) {
      lines.push([new Date(s.ts[i]!).toISOString(), s.pointId, s.name, s.unit, s.min[i], s.max[i], s.avg[i]].map(csvCell).join(','));
    }
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
