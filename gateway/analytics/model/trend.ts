/**
 * The local trend of a point: the path its last minutes of samples follow (a line, a bend into a
 * line, or a first-order approach: trend-shapes.ts), robust to a spike or a dropout in the window.
 * Shared by the forecast and the battery runtime.
 */
import type { MinutePoint } from '../types.js';
import { robustScale } from './robust.js';
import { type Bin, fitShape, type ShapeKind } from './trend-shapes.js';

const MINUTE = 60_000;
const MIN_SAMPLES = 8;
const MIN_SPAN = 3 * MINUTE;
/** the window is fitted as at most this many time bins (20 s each over 10 min): the cost stays flat at any sample rate */
const MAX_BINS = 30;
/** the noise around the path from at most this many evenly spread samples: as good an estimate, far less sorting */
const MAX_RESIDUALS = 120;
/** a bin this many robust spreads from what its neighbours say is a spike or a glitch, left out of the fit */
const SPIKE_SPREADS = 5;

export interface Trend {
  /** change per minute now */
  slope: number;
  /** the fitted value at now */
  intercept: number;
  /** robust spread of the samples around the path */
  residualScale: number;
  /** the change over the window is smaller than the noise: no trend to extrapolate */
  flat: boolean;
  /** which shape was fitted */
  shape: ShapeKind;
  /** the fitted value `minutes` from now */
  at(minutes: number): number;
  /** minutes from now until the path reaches `level`, or null if it never does (an approach levels off before it) */
  minutesTo(level: number): number | null;
}

/** The path of the samples of (now − windowMin, now]; null with fewer than 8 samples or less than 3 minutes of them. */
export function fitTrend(samples: readonly MinutePoint[], now: number, windowMin: number): Trend | null {
  const from = now - windowMin * MINUTE;
  const window = samples.filter((s) => s.ts > from && s.ts <= now && Number.isFinite(s.value));
  if (window.length < MIN_SAMPLES) return null;
  const span = window[window.length - 1]!.ts - window[0]!.ts;
  // at least 3 minutes, or most of a shorter window (a 3-minute window for fast-turning air)
  if (span < Math.min(MIN_SPAN, windowMin * MINUTE * 0.6)) return null;
  const shape = fitShape(withoutSpikes(bin(window, now)));
  if (!shape) return null;
  const stride = Math.ceil(window.length / MAX_RESIDUALS);
  const residuals: number[] = [];
  for (let i = 0; i < window.length; i += stride) residuals.push(window[i]!.value - shape.at((window[i]!.ts - now) / MINUTE));
  const residualScale = robustScale(residuals);
  const intercept = shape.at(0);
  return {
    slope: shape.slopeNow,
    intercept,
    residualScale,
    // the fitted movement, from where it starts to now, is within the noise
    flat: Math.abs(intercept - shape.at(shape.from)) < residualScale,
    shape: shape.kind,
    at: (minutes) => shape.at(minutes),
    minutesTo: (level) => shape.minutesTo(level),
  };
}

/** Time-bin means (minutes relative to now), empty bins left out. */
function bin(window: readonly MinutePoint[], now: number): Bin[] {
  const first = window[0]!.ts;
  const span = window[window.length - 1]!.ts - first;
  const count = Math.min(MAX_BINS, window.length);
  const sums = Array.from({ length: count }, () => ({ t: 0, v: 0, n: 0 }));
  for (const s of window) {
    const b = sums[Math.min(count - 1, Math.floor(((s.ts - first) / span) * count))]!;
    b.t += (s.ts - now) / MINUTE;
    b.v += s.value;
    b.n++;
  }
  return sums.filter((b) => b.n > 0).map((b) => ({ t: b.t / b.n, v: b.v / b.n, n: b.n }));
}

/**
 * The bins without spikes: a bin far from what its neighbours on both sides say it should be
 * (their straight interpolation, from the next bins and from the ones after: a spike of two bins
 * stands out against the second pair). A bend or a curve, which its neighbours follow, stays in.
 * The last two bins have no neighbours after them: they are judged against the line through two
 * bins before them, so a new step or ramp is left out for at most two bins (40 s) and a spike is
 * not read as a ramp that began (a pre-alarm on a glitch).
 */
function withoutSpikes(bins: readonly Bin[]): Bin[] {
  const n = bins.length;
  if (n < 5) return [...bins];
  const deviations: number[] = [];
  for (let i = 2; i < n - 2; i++) {
    const [a, b, c, d, e] = [bins[i - 2]!, bins[i - 1]!, bins[i]!, bins[i + 1]!, bins[i + 2]!];
    const near = b.v + ((d.v - b.v) * (c.t - b.t)) / (d.t - b.t);
    const far = a.v + ((e.v - a.v) * (c.t - a.t)) / (e.t - a.t);
    deviations.push(c.v - (near + far) / 2);
  }
  const spread = robustScale(deviations);
  // the last two from the line through two earlier bins: an extrapolation strays about twice as far
  const [a, b] = [bins[n - 5]!, bins[n - 3]!];
  const offLine = (c: Bin) => Math.abs(c.v - (b.v + ((b.v - a.v) * (c.t - b.t)) / (b.t - a.t)));
  return bins.filter((c, i) => (i < 2 ? true : i >= n - 2 ? offLine(c) <= 2 * SPIKE_SPREADS * spread : Math.abs(deviations[i - 2]!) <= SPIKE_SPREADS * spread));
}
