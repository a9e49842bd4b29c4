/**
 * The spike detector's rolling window and the one-sort robust statistics behind it: the same
 * numbers as the plain definition (sort, median, sort the absolute deviations, median), on
 * windows that slide, repeat values and sit on a coarse sensor resolution.
 */
import { describe, expect, it } from 'vitest';
import { robustStats, statsOfSorted } from '../../gateway/analytics/model/robust.js';
import { createRollingWindow } from '../../gateway/analytics/model/rolling-window.js';
import { createRng } from '../../core/sim-random.js';

/** robustStats by its definition: two sorts */
function byDefinition(xs: readonly number[]): { center: number; scale: number } {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = (a: number[]) => (a.length % 2 === 1 ? a[a.length >> 1]! : (a[(a.length >> 1) - 1]! + a[a.length >> 1]!) / 2);
  const center = middle(sorted);
  const deviations = sorted.map((x) => Math.abs(x - center)).sort((a, b) => a - b);
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i++) if (sorted[i]! - sorted[i - 1]! > 0) step = Math.min(step, sorted[i]! - sorted[i - 1]!);
  return { center, scale: Math.max(1.4826 * middle(deviations), 1e-6 * Math.abs(center), (Number.isFinite(step) ? step : 0) / 2, 1e-9) };
}

describe('robust statistics from one sort', () => {
  it('match the two-sort definition exactly, odd and even lengths, repeated and quantised values', () => {
    const rng = createRng(5);
    for (let t = 0; t < 2000; t++) {
      const n = 1 + Math.floor(rng.next() * 41);
      const resolution = t % 2 === 0 ? 0.1 : 1e-6;
      const xs = Array.from({ length: n }, () => Math.round((rng.next() * 8 - 4) / resolution) * resolution);
      expect(robustStats(xs)).toEqual(byDefinition(xs));
    }
  });

  it('statsOfSorted reads only the first n values', () => {
    expect(statsOfSorted(Float64Array.of(1, 2, 3, 100, 100), 3)).toEqual(byDefinition([1, 2, 3]));
    expect(statsOfSorted(new Float64Array(4), 0)).toEqual({ center: Number.NaN, scale: 1e-9 });
  });
});

describe('rolling window', () => {
  it('holds the last `capacity` values and gives exactly their robust statistics as it slides', () => {
    const rng = createRng(9);
    const w = createRollingWindow(30);
    const held: number[] = [];
    for (let i = 0; i < 3000; i++) {
      // a 0.1 °C sensor with a step now and then: many equal values, the median moving
      const v = Math.round((20 + (i > 1500 ? 3 : 0) + rng.gauss() * 0.4) * 10) / 10;
      w.push(v);
      held.push(v);
      if (held.length > 30) held.shift();
      expect(w.size).toBe(held.length);
      expect(w.stats()).toEqual(byDefinition(held));
      expect(w.median()).toBe(byDefinition(held).center);
    }
  });

  it('ignores values that are not finite, and refuses a capacity that is not a positive integer', () => {
    const w = createRollingWindow(3);
    for (const v of [1, Number.NaN, 2, Number.POSITIVE_INFINITY, 3]) w.push(v);
    expect(w.size).toBe(3);
    expect(w.stats()).toEqual(byDefinition([1, 2, 3]));
    expect(createRollingWindow(2).median()).toBeNaN();
    expect(() => createRollingWindow(0)).toThrow(/positive integer/);
    expect(() => createRollingWindow(2.5)).toThrow(/positive integer/);
  });
});
