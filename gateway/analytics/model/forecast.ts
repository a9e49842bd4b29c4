/**
 * The next minutes of a point from its local trend, and when that trend reaches one of the
 * point's alarm limits: a warning before the limit, not after. The trend is the shape its last
 * minutes follow (trend.ts): a line, a ramp that began a few minutes ago, or a first-order rise
 * levelling off toward a new value (supply air after a compressor trip), which a line would
 * extend too steeply and so warn early (the labelled evaluation: −45 % at 10 minutes out). The
 * fits are cheap enough to remake every 10 s for a thousand points.
 */
import type { BaselineModel, Detector, Forecast, LimitLine, MinutePoint, PointLabel } from '../types.js';
import { formatLimit } from './format.js';
import { fitTrend } from './trend.js';

const MINUTE = 60_000;
/** lo/hi: about a 95 % interval of one step, widening with √steps like a random walk */
const SPREAD_Z = 2;
/** forecasts are remade at most this often (sample time) */
const REMAKE_MS = 10_000;
/** share of the way from the expected value to the band's edge a point must have moved before its crossings pre-alarm */
const DEPARTED = 1;
/** the pre-alarm returns only after no crossing has been forecast for this long */
const HOLD_MS = 60_000;

export interface ForecastOptions {
  now: number;
  horizonMin: number;
  limits: readonly LimitLine[];
  /** its spread is the floor of the forecast's spread: ten quiet minutes do not make the future certain */
  baseline?: BaselineModel | null;
  /** minutes of samples the trend is fitted to; default 10 */
  windowMin?: number;
}

/** The mean path one point a minute from now to the horizon with its spread and limit crossings; null with too few samples. */
export function makeForecast(samples: readonly MinutePoint[], options: ForecastOptions): Forecast | null {
  const { now, horizonMin } = options;
  const trend = fitTrend(samples, now, options.windowMin ?? 10);
  if (!trend) return null;
  const { intercept, residualScale, flat } = trend;
  const spread = Math.max(residualScale, options.baseline?.scale ?? 0);

  const forecast: Forecast = { at: now, ts: [], mean: [], lo: [], hi: [], crossings: [] };
  for (let i = 0; i <= horizonMin; i++) {
    const mean = trend.at(i);
    const half = SPREAD_Z * spread * Math.sqrt(Math.max(1, i));
    forecast.ts.push(now + i * MINUTE);
    forecast.mean.push(mean);
    forecast.lo.push(mean - half);
    forecast.hi.push(mean + half);
  }
  // a trend smaller than the noise over the window it was fitted on is no trend: no crossing from it
  if (flat) return forecast;
  for (const line of options.limits) {
    const upward = line.level === 'hi' || line.level === 'hihi';
    // already crossed now: that is the limit alarm's business, not a forecast
    if (upward ? intercept >= line.limit : intercept <= line.limit) continue;
    // exact on the path, not at minute steps; none when the path heads away or levels off short of it
    const minutes = trend.minutesTo(line.limit);
    if (minutes !== null && minutes <= horizonMin) forecast.crossings.push({ level: line.level, limit: line.limit, at: now + minutes * MINUTE });
  }
  forecast.crossings.sort((a, b) => a.at - b.at);
  return forecast;
}

type Crossing = Forecast['crossings'][number];

/**
 * Whether a forecast crossing is worth a pre-alarm: with a baseline, only once the point's fitted
 * value has left its normal band toward the limit. A compressor's sawtooth or a daily rise is a
 * steep local trend that would cross a limit if extrapolated, but it stays inside the band; a real
 * run-away leaves its normal first (the labelled evaluation: half-way to the band's edge still
 * gave a pre-alarm every few compressor cycles). Costs a few minutes of lead. No baseline: no gate.
 */
function departed(forecast: Forecast, crossing: Crossing, baseline: BaselineModel | null): boolean {
  if (!baseline) return true;
  const band = baseline.bandAt(forecast.at);
  const now = forecast.mean[0]!;
  const upward = crossing.level === 'hi' || crossing.level === 'hihi';
  return upward ? now - band.expected >= DEPARTED * (band.hi - band.expected) : band.expected - now >= DEPARTED * (band.expected - band.lo);
}

/** forecast.limit: active while the latest forecast crosses a limit, with a 60 s hold before it returns. */
export function createForecastDetector(opts: {
  label: PointLabel;
  horizonMin: number;
  limits: () => LimitLine[];
  windowMin?: number;
}): Detector & { latest(): Forecast | null } {
  const { label, horizonMin } = opts;
  const windowMs = (opts.windowMin ?? 10) * MINUTE;
  // The window's samples in two typed arrays used as a ring: 16 bytes a sample, where {ts, value}
  // objects took about 56 (boxed doubles); a thousand points keep their windows in a few MB.
  const window = createSampleRing();
  let latest: Forecast | null = null;
  let madeAt: number | null = null;
  let nearest: Crossing | null = null;
  /** the nearest credible crossing of the latest forecast */
  let current: Crossing | null = null;
  let crossingSeenAt: number | null = null;

  return {
    observe(ts, value, baseline) {
      window.push(ts, value);
      window.dropUpTo(ts - windowMs);
      if (madeAt !== null && ts - madeAt < REMAKE_MS) return;
      madeAt = ts;
      latest = makeForecast(window.toPoints(), { now: ts, horizonMin, limits: opts.limits(), baseline, windowMin: windowMs / MINUTE });
      const forecast = latest;
      current = forecast?.crossings.find((c) => departed(forecast, c, baseline)) ?? null;
      if (current) {
        nearest = current;
        crossingSeenAt = ts;
      }
    },
    finding(now) {
      const crossingNow = current !== null;
      const held = crossingSeenAt !== null && now - crossingSeenAt < HOLD_MS;
      if (!nearest || !(crossingNow || held)) return { active: false, text: null };
      const minutes = (nearest.at - now) / MINUTE;
      const when = minutes < 1 ? 'in under 1 min' : `in about ${Math.round(minutes)} min`;
      return { active: true, text: `${label.name} reaches ${nearest.level.toUpperCase()} ${formatLimit(nearest.limit, label.unit)} ${when}` };
    },
    latest: () => latest,
  };
}

/** Samples in time order in a growable ring of two Float64Arrays. */
function createSampleRing() {
  let ts = new Float64Array(64);
  let values = new Float64Array(64);
  let start = 0;
  let length = 0;
  const at = (i: number) => (start + i) % ts.length;
  return {
    push(t: number, v: number): void {
      if (length === ts.length) {
        const grownTs = new Float64Array(ts.length * 2);
        const grownValues = new Float64Array(ts.length * 2);
        for (let i = 0; i < length; i++) {
          grownTs[i] = ts[at(i)]!;
          grownValues[i] = values[at(i)]!;
        }
        ts = grownTs;
        values = grownValues;
        start = 0;
      }
      const i = at(length);
      ts[i] = t;
      values[i] = v;
      length++;
    },
    /** forgets the samples at or before `t` */
    dropUpTo(t: number): void {
      while (length > 0 && ts[start]! <= t) {
        start = (start + 1) % ts.length;
        length--;
      }
    },
    /** the samples as points, for one fit (made every 10 s, then garbage) */
    toPoints(): MinutePoint[] {
      const out: MinutePoint[] = new Array(length);
      for (let i = 0; i < length; i++) out[i] = { ts: ts[at(i)]!, value: values[at(i)]! };
      return out;
    },
  };
}
