/**
 * The local trend of a point: a straight line through its last minutes of samples, robust to a
 * spike or a dropout in the window. Shared by the forecast and the battery runtime.
 */
import type { MinutePoint } from '../types.js';
import { median, robustScale } from './robust.js';

const MINUTE = 60_000;
const MIN_SAMPLES = 8;
const MIN_SPAN = 3 * MINUTE;
/** Theil–Sen over at most this many time bins (20 s each over 10 min): O(bins²) slopes stays cheap at any sample rate */
const MAX_BINS = 30;
/** the noise around the line from at most this many evenly spread samples: as good an estimate, far less sorting */
const MAX_RESIDUALS = 120;

export interface Trend {
  /** change per minute */
  slope: number;
  /** the fitted value at now */
  intercept: number;
  /** robust spread of the samples around the line */
  residualScale: number;
  /** the change over the window is smaller than the noise: no trend to extrapolate */
  flat: boolean;
}

/** The line through the samples of (now − windowMin, now]; null with fewer than 8 samples or less than 3 minutes of them. */
export function fitTrend(samples: readonly MinutePoint[], now: number, windowMin: number): Trend | null {
  const from = now - windowMin * MINUTE;
  const window = samples.filter((s) => s.ts > from && s.ts <= now && Number.isFinite(s.value));
  if (window.length < MIN_SAMPLES) return null;
  const span = window[window.length - 1]!.ts - window[0]!.ts;
  // at least 3 minutes, or most of a shorter window (a 3-minute window for fast-turning air)
  if (span < Math.min(MIN_SPAN, windowMin * MINUTE * 0.6)) return null;
  const { slope, intercept } = theilSen(window, now);
  const stride = Math.ceil(window.length / MAX_RESIDUALS);
  const residuals: number[] = [];
  for (let i = 0; i < window.length; i += stride) residuals.push(window[i]!.value - (intercept + (slope * (window[i]!.ts - now)) / MINUTE));
  const residualScale = robustScale(residuals);
  return { slope, intercept, residualScale, flat: Math.abs(slope) * (span / MINUTE) < residualScale };
}

/**
 * Theil–Sen line (median of pairwise slopes) through time-bin means: a spike or a dropout in the
 * window barely tilts it, unlike least squares. Slope per minute, intercept at now.
 */
function theilSen(window: readonly MinutePoint[], now: number): { slope: number; intercept: number } {
  const first = window[0]!.ts;
  const span = window[window.length - 1]!.ts - first;
  const bins = Math.min(MAX_BINS, window.length);
  const sums = Array.from({ length: bins }, () => ({ t: 0, v: 0, n: 0 }));
  for (const s of window) {
    const b = sums[Math.min(bins - 1, Math.floor(((s.ts - first) / span) * bins))]!;
    b.t += (s.ts - now) / MINUTE;
    b.v += s.value;
    b.n++;
  }
  const points = sums.filter((b) => b.n > 0).map((b) => ({ t: b.t / b.n, v: b.v / b.n }));
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dt = points[j]!.t - points[i]!.t;
      if (dt > 0) slopes.push((points[j]!.v - points[i]!.v) / dt);
    }
  }
  const slope = slopes.length > 0 ? median(slopes) : 0;
  const intercept = median(points.map((p) => p.v - slope * p.t));
  return { slope, intercept };
}
