/**
 * Labelled synthetic series for the analytics evaluation (issue 16 §6): physically shaped signals
 * at one sample every 10 s, in groups of four identical units (so peers can be compared), with
 * faults of every kind planted at known times and the rest left clean (for false alarms).
 *
 * Shapes, per group of four units sharing one load profile (daily cycle, a lighter weekend, a slow
 * common wander like weather) and each with its own offset, noise and compressor phase:
 * - CRAC supply air: setpoint + compressor cycling sawtooth (slow rise while off, fast fall while
 *   on, 10–20 min period, shorter under load) + a little load effect + noise;
 * - rack inlet temperature: daily load cycle, weekend dip, slow wander, noise;
 * - PDU current and UPS load: daily cycle, weekend dip, wander, noise.
 * Sensors drop out now and then (gaps of a few minutes: no samples at all).
 *
 * Faults are added on top of the clean signal after it is generated, sized in σ of the point: the
 * robust spread of its minute means around their hour-of-day medians over the training days, i.e.
 * the spread a learned band is made of. The seed fixes everything, so a run repeats exactly.
 */
import { medianAbsoluteDeviation, median as ssMedian } from 'simple-statistics';
import { createRng, deriveSeed, type Rng } from '../../core/sim-random.js';
import type { LimitLine } from '../../gateway/analytics/types.js';

export const SAMPLE_S = 10;
const SAMPLE_MS = SAMPLE_S * 1000;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Korea, as the gateway's default pages; local time shapes the load cycle and the seasons */
export const TZ_OFFSET_MIN = 540;
/** Monday 2026-01-05 00:00 local time, so day 0 is a weekday */
export const SERIES_T0 = Date.UTC(2026, 0, 5) - TZ_OFFSET_MIN * MINUTE_MS;

export type PointKind = 'crac-supply' | 'rack-inlet' | 'pdu-current' | 'ups-load';
export type FaultKind = 'spike' | 'step' | 'drift' | 'peer' | 'ramp';
export const FAULT_KINDS: readonly FaultKind[] = ['spike', 'step', 'drift', 'peer', 'ramp'];

export interface SeriesPoint {
  id: string;
  name: string;
  unit: string;
  kind: PointKind;
  /** index of its group of four identical units */
  group: number;
  /** the alarm limits a site would set (the forecast's limits and the static-threshold baseline) */
  limits: LimitLine[];
  /** the point's σ (see the file comment), in its unit */
  sigma: number;
  /** one value per SAMPLE_S from SeriesSet.detailFrom; NaN while the sensor is out */
  values: Float32Array;
  /** one mean per minute from SeriesSet.start (what the store's rollups hold); NaN: no samples that minute */
  minutes: Float32Array;
  /** each of `values` without its sensor noise (load cycle, wander, compressor cycling): when a ramp really reaches a limit */
  clean: Float32Array;
  /** CRAC supply air: the compressor cycling's part of each value in `values`, so a compressor trip can stop it */
  cycle?: Float32Array;
}

export interface FaultLabel {
  kind: FaultKind;
  point: string;
  start: number;
  /** when the signal is back to normal */
  end: number;
  /** size in σ: spike height, step or peer offset, drift rate per minute; for ramps the rate per minute at the start */
  sizeSigma: number;
  /** ramps: the first sample at or above the HI limit (when a limit alarm would see it) */
  crossingAt?: number;
  /** ramps: when the ramp's noise-free path (the level before it + the ramp) reaches HI */
  pathCrossingAt?: number;
  /**
   * ramps: when the value without its sensor noise (the level before it as it goes on moving with
   * load and wander, + the ramp) reaches HI: when the process, not one noisy reading, crosses
   */
  signalCrossingAt?: number;
  /** ramps: its shape; peer divergence: at once or over 30–120 min */
  shape?: 'linear' | 'first-order' | 'sudden' | 'gradual';
}

export interface SeriesSet {
  start: number;
  /** where the 10 s samples begin (a few hours before scoredFrom, to warm the detectors up); before it only minute means exist */
  detailFrom: number;
  /** the first scored time: everything before is training history */
  scoredFrom: number;
  end: number;
  points: SeriesPoint[];
  faults: FaultLabel[];
  /** sensor dropouts, for the record: [start, end) in ms */
  dropouts: Array<{ point: string; start: number; end: number }>;
}

export interface SeriesOptions {
  seed?: number;
  /** groups of four identical units (default 10: 40 points); kinds rotate over the groups */
  groups?: number;
  /** days per point (default 28) */
  days?: number;
  /** leading days that are only history (default 14) */
  trainingDays?: number;
  /** hours of 10 s samples before scoredFrom, fed to the detectors but not scored (default 3: the peer
   * detector needs 30 min of deviations, the spike and forecast windows minutes) */
  warmupHours?: number;
}

const KINDS: readonly PointKind[] = ['crac-supply', 'rack-inlet', 'pdu-current', 'ups-load'];

interface KindShape {
  name: string;
  unit: string;
  limits: LimitLine[];
  /** the unit's own signal without wander and noise after dtMs more, at load 0..1 */
  base(rng: Rng, unit: UnitState, load: number, dtMs: number): number;
}

interface UnitState {
  offset: number;
  /** the compressor cycle's part of the latest value (0 for kinds without one) */
  cycle: number;
  /** compressor cycle phase 0..1 and the current cycle's period in minutes */
  phase: number;
  periodMin: number;
}

const SHAPES: Record<PointKind, KindShape> = {
  'crac-supply': {
    name: 'Supply air temperature',
    unit: '°C',
    limits: [
      { level: 'hi', limit: 27 },
      { level: 'lo', limit: 12 },
    ],
    base(rng, u, load, dtMs) {
      // The compressor runs when supply air has risen to the top of its differential and stops at
      // the bottom: a slow rise (70 % of the cycle) and a faster fall; cycles shorten under load.
      u.phase += dtMs / (u.periodMin * MINUTE_MS);
      if (u.phase >= 1) {
        u.phase -= 1;
        u.periodMin = (18 - 6 * load) * rng.between(0.85, 1.15);
      }
      const saw = u.phase < 0.7 ? u.phase / 0.7 : 1 - (u.phase - 0.7) / 0.3;
      u.cycle = 0.9 * (saw - 0.5);
      return 18 + u.offset + 0.3 * load + u.cycle;
    },
  },
  'rack-inlet': {
    name: 'Rack inlet temperature',
    unit: '°C',
    limits: [
      { level: 'hihi', limit: 32 },
      { level: 'hi', limit: 27 },
      { level: 'lo', limit: 15 },
    ],
    base: (_rng, u, load) => 21.5 + u.offset + 2 * load,
  },
  'pdu-current': {
    name: 'PDU current',
    unit: 'A',
    // 80 % of a 32 A breaker
    limits: [{ level: 'hi', limit: 25.6 }],
    base: (_rng, u, load) => 9 + u.offset + 5 * load,
  },
  'ups-load': {
    name: 'UPS load',
    unit: '%',
    limits: [
      { level: 'hihi', limit: 90 },
      { level: 'hi', limit: 80 },
    ],
    base: (_rng, u, load) => 42 + u.offset + 14 * load,
  },
};

/**
 * Per-sample noise σ, the spread of unit offsets, and the σ of the slow wander shared by the group
 * (room, weather, IT load moving around; the unit's own wander is a third of it), in the point's unit.
 */
const SPREAD: Record<PointKind, { noise: number; offset: number; wander: number }> = {
  'crac-supply': { noise: 0.06, offset: 0.3, wander: 0.06 },
  'rack-inlet': { noise: 0.08, offset: 0.6, wander: 0.12 },
  'pdu-current': { noise: 0.12, offset: 0.8, wander: 0.2 },
  'ups-load': { noise: 0.25, offset: 2, wander: 0.6 },
};
/** the wander's time constant: it moves over an hour or two, not from minute to minute */
const WANDER_TAU_MIN = 90;

/** A slow wander stepped once a minute: an AR(1) (discrete Ornstein–Uhlenbeck) process with stationary σ `sigma`. */
function createSlowWander(rng: Rng, sigma: number): () => number {
  const a = Math.exp(-1 / WANDER_TAU_MIN);
  const kick = sigma * Math.sqrt(1 - a * a);
  let x = sigma * rng.gauss();
  return () => {
    x = a * x + kick * rng.gauss();
    return x;
  };
}

/** Office-hours IT load 0..1 at local time: low at night, high around 14:00, weekends lighter. */
function loadAt(ts: number): number {
  const local = ts + TZ_OFFSET_MIN * MINUTE_MS;
  const hour = (local % DAY_MS) / HOUR_MS;
  const weekday = Math.floor(local / DAY_MS + 4) % 7; // 1970-01-01 was a Thursday: 0 = Sunday
  const daily = 0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 2)) / 24);
  return weekday === 0 || weekday === 6 ? 0.15 + 0.6 * daily : 0.15 + 0.85 * daily;
}

export function generateSeries(opts: SeriesOptions = {}): SeriesSet {
  const seed = opts.seed ?? 16;
  const groups = opts.groups ?? 10;
  const days = opts.days ?? 28;
  const trainingDays = opts.trainingDays ?? 14;
  const warmupHours = Math.min(trainingDays * 24, opts.warmupHours ?? 3);
  const start = SERIES_T0;
  const end = start + days * DAY_MS;
  const scoredFrom = start + trainingDays * DAY_MS;
  const detailFrom = scoredFrom - warmupHours * HOUR_MS;
  const span = { start, detailFrom, scoredFrom, end };
  const minuteCount = days * 1440;
  const detailMinute = (trainingDays * 24 - warmupHours) * 60;
  const perMinute = MINUTE_MS / SAMPLE_MS;
  const loads = new Float32Array(minuteCount);
  for (let k = 0; k < minuteCount; k++) loads[k] = loadAt(start + k * MINUTE_MS + MINUTE_MS / 2);
  const points: SeriesPoint[] = [];
  const faults: FaultLabel[] = [];
  const dropouts: SeriesSet['dropouts'] = [];

  for (let g = 0; g < groups; g++) {
    const kind = KINDS[g % KINDS.length]!;
    const shape = SHAPES[kind];
    const spread = SPREAD[kind];
    const groupRng = createRng(deriveSeed(seed, `group${g}`));
    // weather and room: one slow wander shared by the four units (common mode, not a peer difference)
    const common = createSlowWander(groupRng, spread.wander);
    const commonTrack = new Float32Array(minuteCount);
    for (let k = 0; k < minuteCount; k++) commonTrack[k] = common();
    const members: SeriesPoint[] = [];
    for (let m = 0; m < 4; m++) {
      const id = `${kind.split('-')[0]}${g * 4 + m + 1}.${kind === 'crac-supply' ? 'supply_temp' : kind.split('-')[1]!}`;
      const rng = createRng(deriveSeed(seed, id));
      const unit: UnitState = { offset: rng.between(-spread.offset, spread.offset) / 2, cycle: 0, phase: rng.next(), periodMin: rng.between(12, 18) };
      const noise = spread.noise * rng.between(0.8, 1.2);
      const wander = createSlowWander(rng, spread.wander / 3);
      const minutes = new Float32Array(minuteCount);
      const values = new Float32Array((minuteCount - detailMinute) * perMinute);
      const clean = new Float32Array(values.length);
      const cycle = kind === 'crac-supply' ? new Float32Array(values.length) : undefined;
      // Training history is made a minute at a time (a minute mean: noise shrinks by √6); from the
      // warm-up on, every 10 s sample. Wander moves once a minute: it is slow by nature.
      for (let k = 0; k < minuteCount; k++) {
        const slow = wander() + commonTrack[k]!;
        const load = loads[k]!;
        if (k < detailMinute) minutes[k] = shape.base(rng, unit, load, MINUTE_MS) + slow + (noise / Math.sqrt(perMinute)) * rng.gauss();
        else {
          for (let j = 0; j < perMinute; j++) {
            const i = (k - detailMinute) * perMinute + j;
            clean[i] = shape.base(rng, unit, load, SAMPLE_MS) + slow;
            values[i] = clean[i]! + noise * rng.gauss();
            if (cycle) cycle[i] = unit.cycle;
          }
        }
      }
      const point: SeriesPoint = { id, name: shape.name, unit: shape.unit, kind, group: g, limits: shape.limits, sigma: 0, values, minutes, clean, ...(cycle && { cycle }) };
      rollUp(point, detailMinute);
      point.sigma = sigmaOf(point, start, scoredFrom);
      members.push(point);
    }
    const groupFaults = plantFaults(members, groupRng, span);
    faults.push(...groupFaults);
    for (const point of members) {
      dropouts.push(...dropOut(point, createRng(deriveSeed(seed, `${point.id}/dropouts`)), span, detailMinute, groupFaults));
      rollUp(point, detailMinute);
    }
    points.push(...members);
  }
  return { start, detailFrom, scoredFrom, end, points, faults, dropouts };
}

/** Minute means of the 10 s samples (from minute `from` on), as the store's 1-minute rollups. */
function rollUp(point: SeriesPoint, from: number): void {
  const perMinute = MINUTE_MS / SAMPLE_MS;
  for (let k = from; k < point.minutes.length; k++) {
    let sum = 0;
    let count = 0;
    for (let j = 0; j < perMinute; j++) {
      const v = point.values[(k - from) * perMinute + j]!;
      if (!Number.isNaN(v)) {
        sum += v;
        count++;
      }
    }
    point.minutes[k] = count ? sum / count : Number.NaN;
  }
}

/** Robust spread of the point's minute means around their hour-of-day medians over the training days. */
function sigmaOf(point: SeriesPoint, start: number, until: number): number {
  const count = Math.floor((until - start) / MINUTE_MS);
  const byHour: number[][] = Array.from({ length: 24 }, () => []);
  const hours: number[] = [];
  for (let k = 0; k < count; k++) {
    const hour = Math.floor(((start + k * MINUTE_MS + TZ_OFFSET_MIN * MINUTE_MS) % DAY_MS) / HOUR_MS);
    hours.push(hour);
    byHour[hour]!.push(point.minutes[k]!);
  }
  const centre = byHour.map((xs) => ssMedian(xs));
  return 1.4826 * medianAbsoluteDeviation(hours.map((hour, k) => point.minutes[k]! - centre[hour]!));
}

/** 10 s sample index from detailFrom, and back */
const indexOf = (from: number, ts: number) => Math.round((ts - from) / SAMPLE_MS);
const timeOf = (from: number, i: number) => from + i * SAMPLE_MS;

interface Span {
  start: number;
  detailFrom: number;
  scoredFrom: number;
  end: number;
}

/**
 * Faults for one group, in the scored days only. The long ones (step, ramp, drift, peer
 * divergence) come one at a time in the group, 3–6 h apart, taking the units in turn and each unit
 * every kind over four rounds: in a real room two of four identical units rarely fail at once,
 * and while two did, "its peers" would no longer be a fair reference. Spikes come every 8–16 h on
 * every unit, away from its own long faults.
 */
function plantFaults(members: SeriesPoint[], rng: Rng, span: Span): FaultLabel[] {
  const faults: FaultLabel[] = [];
  const long: FaultKind[] = ['step', 'ramp', 'drift', 'peer'];
  let t = span.scoredFrom + rng.between(1, 4) * HOUR_MS;
  for (let r = 0; t < span.end - 3 * HOUR_MS; r++) {
    const kind = long[(r + Math.floor(r / members.length)) % long.length]!;
    const fault = plant(members[r % members.length]!, kind, rng, span.detailFrom, t);
    faults.push(fault);
    t = fault.end + rng.between(3, 6) * HOUR_MS;
  }
  for (const point of members) {
    const own = faults.filter((f) => f.point === point.id);
    for (let t = span.scoredFrom + rng.between(1, 12) * HOUR_MS; t < span.end - 2 * HOUR_MS; t += rng.between(8, 16) * HOUR_MS) {
      if (own.some((f) => t > f.start - 30 * MINUTE_MS && t < f.end + 2 * HOUR_MS)) continue;
      faults.push(plant(point, 'spike', rng, span.detailFrom, t));
    }
  }
  // a fault still going at the end stays labelled: its signal is in the data either way
  return faults;
}

function plant(point: SeriesPoint, kind: FaultKind, rng: Rng, start: number, near: number): FaultLabel {
  const v = point.values;
  const s = point.sigma;
  const i0 = indexOf(start, near);
  // on the sample grid, so "detected at the fault's first sample" is a delay of 0, not −5 s
  const at = timeOf(start, i0);
  const sign = rng.next() < 0.5 ? -1 : 1;
  const add = (from: number, to: number, f: (k: number) => number) => {
    for (let i = from; i < Math.min(to, v.length); i++) v[i] = v[i]! + f(i - from);
  };
  switch (kind) {
    case 'spike': {
      // one or two samples: a glitch or a door opened on the sensor
      const size = rng.between(10, 15);
      const samples = rng.next() < 0.5 ? 1 : 2;
      add(i0, i0 + samples, () => sign * size * s);
      return { kind, point: point.id, start: at, end: timeOf(start, i0 + samples - 1), sizeSigma: size * sign };
    }
    case 'step': {
      // a sustained shift: a valve stuck, a fan stage lost, a load moved onto this feed
      const size = rng.between(3, 5);
      const length = Math.round(rng.between(30, 240) * 6);
      add(i0, i0 + length, () => sign * size * s);
      return { kind, point: point.id, start: at, end: timeOf(start, i0 + length), sizeSigma: size * sign };
    }
    case 'drift': {
      // slow degradation (a fouling coil, a failing fan bearing): always upward, as faults heat
      const perMin = rng.between(0.02, 0.1);
      const length = Math.round(rng.between(3, 8) * 360);
      add(i0, i0 + length, (k) => (perMin * s * k) / 6);
      return { kind, point: point.id, start: at, end: timeOf(start, i0 + length), sizeSigma: perMin };
    }
    case 'peer': {
      // one unit of four departs from its siblings: at once, or over 30–120 min
      const size = rng.between(3, 5);
      const gradual = rng.next() < 0.5;
      const rise = gradual ? Math.round(rng.between(30, 120) * 6) : 1;
      const length = Math.round(rng.between(3, 8) * 360);
      add(i0, i0 + length, (k) => sign * size * s * Math.min(1, (k + 1) / rise));
      return { kind, point: point.id, start: at, end: timeOf(start, i0 + length), sizeSigma: size * sign, shape: gradual ? 'gradual' : 'sudden' };
    }
    case 'ramp': {
      // to the HI limit: a CRAC's compressor trips and supply air climbs toward return air (first
      // order, τ 8–20 min); elsewhere a steady rise (a hot spot spreading, load moved over)
      const hi = point.limits.find((l) => l.level === 'hi')!.limit;
      const base = v[i0]!;
      const gap = hi - base;
      const firstOrder = point.kind === 'crac-supply';
      const tauMin = rng.between(8, 20);
      const target = gap * 1.3;
      const perMin = firstOrder ? target / tauMin : (gap / rng.between(15, 50)) * 1;
      const path = (k: number) => (firstOrder ? target * (1 - Math.exp(-k / 6 / tauMin)) : (perMin * k) / 6);
      // a tripped compressor no longer cycles: its sawtooth stops until the fault is fixed (a rise
      // toward return air with the cycling still on top would be two states of the unit at once)
      const tripped = firstOrder && point.cycle ? point.cycle : null;
      const untilFixed = (k: number) => (tripped ? v[i0 + k]! - tripped[i0 + k]! : v[i0 + k]!);
      // past the limit the rise goes on for 15 min, then the fault is fixed and the value comes back
      let cross = -1;
      for (let k = 0; cross < 0 && k < 6 * 600; k++) if (untilFixed(k) + path(k) >= hi) cross = k;
      const level = ssMedian(Array.from(v.subarray(Math.max(0, i0 - 60), i0)).filter((x) => !Number.isNaN(x)));
      let pathCross = 0;
      while (level + path(pathCross) < hi && pathCross < 6 * 600) pathCross++;
      const cleanBefore = (k: number) => point.clean[i0 + k]! - (tripped ? tripped[i0 + k]! : 0);
      let signalCross = 0;
      while (cleanBefore(signalCross) + path(signalCross) < hi && signalCross < 6 * 600) signalCross++;
      const length = cross + 90;
      if (tripped) add(i0, i0 + length, (k) => -tripped[i0 + k]!);
      add(i0, i0 + length, path);
      return {
        kind,
        point: point.id,
        start: at,
        end: timeOf(start, i0 + length),
        sizeSigma: perMin / s,
        crossingAt: timeOf(start, i0 + cross),
        pathCrossingAt: timeOf(start, i0 + pathCross),
        signalCrossingAt: timeOf(start, i0 + signalCross),
        shape: firstOrder ? 'first-order' : 'linear',
      };
    }
  }
}

/** A few sensor dropouts a week, 1–10 min each, kept clear of fault windows so labels stay exact. */
function dropOut(point: SeriesPoint, rng: Rng, span: Span, detailMinute: number, faults: FaultLabel[]): SeriesSet['dropouts'] {
  const own = faults.filter((f) => f.point === point.id);
  const gaps: SeriesSet['dropouts'] = [];
  const length = span.end - span.start;
  const count = Math.round((length * 3) / (7 * DAY_MS));
  for (let c = 0; c < count; c++) {
    const t0 = span.start + Math.floor((rng.next() * length) / SAMPLE_MS) * SAMPLE_MS;
    const t1 = Math.min(span.end, t0 + Math.round(rng.between(1, 10) * 6) * SAMPLE_MS);
    if (t0 < span.detailFrom && t1 > span.detailFrom) continue;
    if (own.some((f) => t1 > f.start - 15 * MINUTE_MS && t0 < f.end + 15 * MINUTE_MS)) continue;
    if (t0 >= span.detailFrom) point.values.fill(Number.NaN, indexOf(span.detailFrom, t0), indexOf(span.detailFrom, t1));
    else point.minutes.fill(Number.NaN, Math.floor((t0 - span.start) / MINUTE_MS), Math.min(detailMinute, Math.ceil((t1 - span.start) / MINUTE_MS)));
    gaps.push({ point: point.id, start: t0, end: t1 });
  }
  return gaps;
}
