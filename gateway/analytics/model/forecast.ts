/**
 * The next minutes of a point from its local trend, and when that trend reaches one of the
 * point's alarm limits: a warning before the limit, not after. The trend is the shape its last
 * minutes follow (trend.ts): a line, a ramp that began a few minutes ago, or a first-order rise
 * levelling off toward a new value (supply air after a compressor trip), which a line would
 * extend too steeply and so warn early (the labelled evaluation: −45 % at 10 minutes out). The
 * fits are cheap enough to remake every 10 s for a thousand points.
 */
import type { BaselineModel, Detector, Finding, Forecast, LimitLine, MinutePoint, PointLabel } from '../types.js';
import { formatLimit } from './format.js';
import { fitTrend, type Trend } from './trend.js';

const MINUTE = 60_000;
/** lo/hi: about a 95 % interval of one step, widening with √steps like a random walk */
const SPREAD_Z = 2;
/** forecasts are remade at most this often (sample time) */
const REMAKE_MS = 10_000;
/** share of the way from the expected value to the band's edge a point must have moved before its crossings pre-alarm */
const DEPARTED = 1;
/** the pre-alarm returns only after no crossing has been forecast for this long */
const HOLD_MS = 60_000;
/**
 * A gap in the samples longer than this share of the window (a sensor out for minutes) starts the
 * window over: a trend fitted across it joins two stretches the sensor never connected (the
 * larger labelled evaluation: a CRAC's sawtooth before and after a 7-minute dropout read as a
 * rise, and pre-alarmed). A point polled once a minute still keeps its 10-minute window.
 */
const GAP_SHARE = 0.25;

export interface ForecastOptions {
  now: number;
  horizonMin: number;
  limits: readonly LimitLine[];
  /** its spread is the floor of the forecast's spread: ten quiet minutes do not make the future certain */
  baseline?: BaselineModel | null;
  /** minutes of samples the trend is fitted to; default 10 */
  windowMin?: number;
}

/**
 * A forecast as the detector keeps it: the fitted trend, its spread and the crossings. The path
 * (four arrays of horizon + 1 numbers) is drawn from it only when asked (the API, the page): held
 * for every point it was about 2 KB a point that nothing read between two remakes.
 */
export interface ForecastPlan {
  at: number;
  trend: Trend;
  spread: number;
  crossings: Forecast['crossings'];
}

/** The mean path one point a minute from now to the horizon with its spread and limit crossings; null with too few samples. */
export function makeForecast(samples: readonly MinutePoint[], options: ForecastOptions): Forecast | null {
  const plan = planForecast(samples, options);
  return plan && drawForecast(plan, options.horizonMin);
}

/** The trend, spread and limit crossings of a forecast, without its path (drawForecast makes that). */
export function planForecast(samples: readonly MinutePoint[], options: ForecastOptions): ForecastPlan | null {
  const { now, horizonMin } = options;
  const trend = fitTrend(samples, now, options.windowMin ?? 10);
  if (!trend) return null;
  const { intercept, residualScale, flat } = trend;
  const plan: ForecastPlan = { at: now, trend, spread: Math.max(residualScale, options.baseline?.scale ?? 0), crossings: [] };
  // a trend smaller than the noise over the window it was fitted on is no trend: no crossing from it
  if (flat) return plan;
  for (const line of options.limits) {
    const upward = line.level === 'hi' || line.level === 'hihi';
    // already crossed now: that is the limit alarm's business, not a forecast
    if (upward ? intercept >= line.limit : intercept <= line.limit) continue;
    // exact on the path, not at minute steps; none when the path heads away or levels off short of it
    const minutes = trend.minutesTo(line.limit);
    if (minutes !== null && minutes <= horizonMin) plan.crossings.push({ level: line.level, limit: line.limit, at: now + minutes * MINUTE });
  }
  plan.crossings.sort((a, b) => a.at - b.at);
  return plan;
}

/** The path of a planned forecast, one point a minute from its time to the horizon, with its widening band. */
export function drawForecast(plan: ForecastPlan, horizonMin: number): Forecast {
  const forecast: Forecast = { at: plan.at, ts: [], mean: [], lo: [], hi: [], crossings: plan.crossings.map((c) => ({ ...c })) };
  for (let i = 0; i <= horizonMin; i++) {
    const mean = plan.trend.at(i);
    const half = SPREAD_Z * plan.spread * Math.sqrt(Math.max(1, i));
    forecast.ts.push(plan.at + i * MINUTE);
    forecast.mean.push(mean);
    forecast.lo.push(mean - half);
    forecast.hi.push(mean + half);
  }
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
function departed(plan: ForecastPlan, crossing: Crossing, baseline: BaselineModel | null): boolean {
  if (!baseline) return true;
  const band = baseline.bandAt(plan.at);
  const now = plan.trend.intercept;
  const upward = crossing.level === 'hi' || crossing.level === 'hihi';
  return upward ? now - band.expected >= DEPARTED * (band.hi - band.expected) : band.expected - now >= DEPARTED * (band.expected - band.lo);
}

/** forecast.limit: active while the latest forecast crosses a limit, with a 60 s hold before it returns. */
export function createForecastDetector(opts: {
  label: PointLabel;
  horizonMin: number;
  limits: () => LimitLine[];
  windowMin?: number;
}): Detector & {
  isActive(now: number): boolean;
  /** the latest forecast with its path (drawn on each call); null: too few samples yet */
  latest(): Forecast | null;
  /** the latest forecast's limit crossings, without drawing its path */
  crossings(): Forecast['crossings'];
} {
  return new ForecastDetector(opts.label, opts.horizonMin, opts.limits, (opts.windowMin ?? 10) * MINUTE);
}

/** A class, not closures: its methods are shared by the 1 000 points' detectors (closures cost ~1 KB a point). */
class ForecastDetector implements Detector {
  // The window's samples in one typed array used as a ring: 16 bytes a sample, where {ts, value}
  // objects took about 56 (boxed doubles); a thousand points keep their windows in about 1 MB.
  private readonly window = new SampleRing();
  private plan: ForecastPlan | null = null;
  private madeAt: number | null = null;
  private nearest: Crossing | null = null;
  /** the nearest credible crossing of the latest forecast */
  private current: Crossing | null = null;
  private crossingSeenAt: number | null = null;

  constructor(
    private readonly label: PointLabel,
    private readonly horizonMin: number,
    private readonly limits: () => LimitLine[],
    private readonly windowMs: number,
  ) {}

  observe(ts: number, value: number, baseline: BaselineModel | null): void {
    const { window, windowMs } = this;
    const last = window.last();
    if (last !== null && ts - last > GAP_SHARE * windowMs) window.dropUpTo(last);
    window.push(ts, value);
    window.dropUpTo(ts - windowMs);
    if (this.madeAt !== null && ts - this.madeAt < REMAKE_MS) return;
    this.madeAt = ts;
    const plan = planForecast(window.toPoints(), { now: ts, horizonMin: this.horizonMin, limits: this.limits(), baseline, windowMin: windowMs / MINUTE });
    this.plan = plan;
    this.current = plan?.crossings.find((c) => departed(plan, c, baseline)) ?? null;
    if (this.current) {
      this.nearest = this.current;
      this.crossingSeenAt = ts;
    }
  }

  finding(now: number): Finding {
    const { nearest, label } = this;
    if (!nearest || !this.isActive(now)) return { active: false, text: null };
    const minutes = (nearest.at - now) / MINUTE;
    const when = minutes < 1 ? 'in under 1 min' : `in about ${Math.round(minutes)} min`;
    return { active: true, text: `${label.name} reaches ${nearest.level.toUpperCase()} ${formatLimit(nearest.limit, label.unit)} ${when}` };
  }

  /** finding(now).active without building its text: peers ask it of each other on every sample */
  isActive(now: number): boolean {
    const held = this.crossingSeenAt !== null && now - this.crossingSeenAt < HOLD_MS;
    return this.nearest !== null && (this.current !== null || held);
  }

  latest(): Forecast | null {
    return this.plan && drawForecast(this.plan, this.horizonMin);
  }

  crossings(): Forecast['crossings'] {
    return this.plan?.crossings ?? [];
  }
}

/**
 * Samples in time order in a growable ring: one Float64Array of (time, value) pairs (a typed
 * array costs ~200 bytes of its own beside its numbers: one, not two, for each of 1 000 points).
 */
class SampleRing {
  /** capacity in samples; pair i is at [2i, 2i + 1] */
  private capacity = 16;
  private pairs = new Float64Array(2 * this.capacity);
  private start = 0;
  private length = 0;

  private at(i: number): number {
    return (this.start + i) % this.capacity;
  }

  push(t: number, v: number): void {
    if (this.length === this.capacity) {
      const grown = new Float64Array(4 * this.capacity);
      for (let i = 0; i < this.length; i++) {
        grown[2 * i] = this.pairs[2 * this.at(i)]!;
        grown[2 * i + 1] = this.pairs[2 * this.at(i) + 1]!;
      }
      this.pairs = grown;
      this.capacity *= 2;
      this.start = 0;
    }
    const i = this.at(this.length);
    this.pairs[2 * i] = t;
    this.pairs[2 * i + 1] = v;
    this.length++;
  }

  /** the newest sample's time; null when empty */
  last(): number | null {
    return this.length > 0 ? this.pairs[2 * this.at(this.length - 1)]! : null;
  }

  /** forgets the samples at or before `t` */
  dropUpTo(t: number): void {
    while (this.length > 0 && this.pairs[2 * this.start]! <= t) {
      this.start = (this.start + 1) % this.capacity;
      this.length--;
    }
  }

  /** the samples as points, for one fit (made every 10 s, then garbage) */
  toPoints(): MinutePoint[] {
    const out: MinutePoint[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = { ts: this.pairs[2 * this.at(i)]!, value: this.pairs[2 * this.at(i) + 1]! };
    return out;
  }
}
