/** What the drift check learns of a point's quarter-hour residuals: their offset and spread, never from a drift under way. */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/sim-random.js';
import { createResidualNormal } from '../../gateway/analytics/model/detectors/residual-normal.js';

describe('residual normal', () => {
  it('cold it assumes a whole scale and no offset; reset forgets', () => {
    const normal = createResidualNormal();
    expect([normal.bias, normal.spread]).toEqual([0, 1]);
    for (let i = 0; i < 200; i++) normal.learn(0.3);
    expect(normal.bias).toBeCloseTo(0.3, 1);
    normal.reset();
    expect([normal.bias, normal.spread]).toEqual([0, 1]);
  });

  it('learns the offset and spread of a wandering residual within a day or two', () => {
    const rng = createRng(7);
    const normal = createResidualNormal();
    // AR(1) quarters: 0.9 correlated, spread 0.8 around an offset of 0.4
    let x = 0;
    for (let q = 0; q < 3 * 96; q++) {
      x = 0.9 * x + 0.8 * Math.sqrt(1 - 0.81) * rng.gauss();
      normal.learn(0.4 + x);
    }
    expect(normal.bias).toBeGreaterThan(0.1);
    expect(normal.bias).toBeLessThan(0.7);
    expect(normal.spread).toBeGreaterThan(0.55);
    expect(normal.spread).toBeLessThan(1.1);
  });

  it('white minute noise averages out: the spread falls to its floor of 1/√15 scale', () => {
    const rng = createRng(8);
    const normal = createResidualNormal();
    for (let q = 0; q < 2 * 96; q++) normal.learn(0.1 * rng.gauss());
    expect(normal.spread).toBeCloseTo(1 / Math.sqrt(15), 6);
  });

  it('a quarter beyond two spreads teaches nothing: a drift under way is not learnt as normal', () => {
    const rng = createRng(9);
    const normal = createResidualNormal();
    for (let q = 0; q < 96; q++) normal.learn(0.5 * rng.gauss());
    const before = [normal.bias, normal.spread];
    for (let q = 1; q <= 40; q++) normal.learn(3 + 0.2 * q);
    expect([normal.bias, normal.spread]).toEqual(before);
  });
});
