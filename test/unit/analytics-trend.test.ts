/** The trend's shapes: a straight rise stays a line, a ramp that began in the window bends, a first-order rise levels off; the crossing time from the shape chosen. */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/sim-random.js';
import { fitTrend } from '../../gateway/analytics/model/trend.js';
import type { MinutePoint } from '../../gateway/analytics/types.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 1, 10);

/** 5 s samples of shape(minutes since T0) with white noise, up to `minutes` */
function series(minutes: number, shape: (m: number) => number, noise: number, seed: number): MinutePoint[] {
  const rng = createRng(seed);
  const out: MinutePoint[] = [];
  for (let ts = T0; ts <= T0 + minutes * MINUTE; ts += 5000) out.push({ ts, value: shape((ts - T0) / MINUTE) + noise * rng.gauss() });
  return out;
}

/** minutes until `level` from the trend at `now` (minutes since T0), against the truth */
function timeToLimit(samples: MinutePoint[], now: number, level: number) {
  const trend = fitTrend(samples, T0 + now * MINUTE, 10)!;
  return { shape: trend.shape, minutes: trend.minutesTo(level) };
}

describe('fitTrend shapes', () => {
  it('a straight noisy rise stays a line, with the crossing within ±10 % at 10 minutes out', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      // 0.2 °C/min from 20 °C: 25 °C at 25 min, HI 27 10 min later
      const r = timeToLimit(series(25, (m) => 20 + 0.2 * m, 0.15, seed), 25, 27);
      expect(r.shape, `seed ${seed}`).toBe('line');
      expect(Math.abs(r.minutes! - 10)).toBeLessThan(1);
    }
  });

  it('a ramp that began 5 minutes ago is a bend: the flat part is not averaged in (a line through the window would come late)', () => {
    for (const seed of [7, 8, 9, 10]) {
      // flat 20 °C until 20 min, then 0.4 °C/min: 22 °C at 25 min, HI 26 in 10 min
      const r = timeToLimit(series(25, (m) => 20 + 0.4 * Math.max(0, m - 20), 0.05, seed), 25, 26);
      expect(r.shape, `seed ${seed}`).toBe('bend');
      expect(Math.abs(r.minutes! - 10)).toBeLessThan(1);
    }
  });

  it('a first-order rise (a tripped compressor: supply air toward return air, τ 15 min) is an approach; crossing within ±10 % at 10 min out', () => {
    // 18 °C heading for 30 °C from 0 min: 27 °C at τ·ln(12/3) = 20.8 min; judged at 10.8 min
    // (a line through the window's rise would come early: the rise slows)
    const tau = 15;
    const crossing = tau * Math.log(12 / 3);
    for (const seed of [11, 12, 13, 14]) {
      const now = crossing - 10;
      const r = timeToLimit(series(now, (m) => 18 + 12 * (1 - Math.exp(-m / tau)), 0.06, seed), now, 27);
      expect(r.shape, `seed ${seed}`).toBe('approach');
      expect(Math.abs(r.minutes! - 10)).toBeLessThan(1);
    }
  });

  it('an approach that levels off short of the limit never reaches it', () => {
    // heading for 24 °C: HI 27 is never reached, though a line through the rise would cross it soon
    const samples = series(10, (m) => 18 + 6 * (1 - Math.exp(-m / 5)), 0.03, 15);
    const trend = fitTrend(samples, T0 + 10 * MINUTE, 10)!;
    expect(trend.shape).toBe('approach');
    expect(trend.minutesTo(27)).toBeNull();
    expect(trend.at(60)).toBeCloseTo(24, 0);
  });
});
