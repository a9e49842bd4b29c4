/**
 * A point window over many more samples than it keeps: the samples out of the window are cut off
 * in batches, and the rate and latest value are those of the samples still in it.
 */
import { describe, expect, it } from 'vitest';
import { createPointWindow } from '../../gateway/incidents/window.js';

describe('point window', () => {
  it('keeps the last keepMs of samples across compactions: rate and latest from those only', () => {
    const w = createPointWindow(60_000);
    // 1 s apart for 10 minutes: value = 2 × seconds for the first 5 minutes, then flat at 600
    for (let s = 0; s <= 600; s++) {
      w.add(s * 1000, s <= 300 ? 2 * s : 600);
      if (s === 120) expect(w.ratePerMin(s * 1000, 60_000)).toBeCloseTo(120); // 2 a second
    }
    expect(w.latest(600_000)).toBe(600);
    expect(w.ratePerMin(600_000, 60_000)).toBe(0);
    // a rate across the step: only the samples of the last minute before 330 s count
    const steps = createPointWindow(60_000);
    for (let s = 0; s <= 330; s++) steps.add(s * 1000, s <= 300 ? 2 * s : 600);
    expect(steps.ratePerMin(330_000, 60_000)).toBeCloseTo(((600 - 540) * 60) / 60);
    // nothing newer than keepMs: no latest value
    expect(w.latest(661_000)).toBeUndefined();
  });
});
