/** Forecasts: the local trend, exact limit crossings, the time-to-limit pre-alarm and its hold; UPS runtime under the load trend. */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/sim-random.js';
import { batteryRuntimeMin } from '../../gateway/analytics/model/battery.js';
import { restoreBaseline } from '../../gateway/analytics/model/baseline.js';
import { createForecastDetector, makeForecast } from '../../gateway/analytics/model/forecast.js';
import type { LimitLine, MinutePoint } from '../../gateway/analytics/types.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 1, 10);
const LIMITS: LimitLine[] = [
  { level: 'hihi', limit: 30 },
  { level: 'hi', limit: 27 },
  { level: 'lo', limit: 15 },
  { level: 'lolo', limit: 12 },
];
const label = { name: 'Supply air temperature', unit: '°C' };

/** 1 Hz samples of shape(minutes since T0) with white noise */
function series(minutes: number, shape: (m: number) => number, noise = 0.1, seed = 1): MinutePoint[] {
  const rng = createRng(seed);
  const out: MinutePoint[] = [];
  for (let ts = T0; ts < T0 + minutes * MINUTE; ts += 1000) out.push({ ts, value: shape((ts - T0) / MINUTE) + noise * rng.gauss() });
  return out;
}

describe('makeForecast', () => {
  it('a ramp to a limit: crossing time within ±10 % at 10 minutes out, later limits later, none downward', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      // 20 °C rising 0.2 °C/min: 25 °C at 25 min, so HI 27 is 10 min out and HIHI 30 is 25 min out
      const samples = series(25, (m) => 20 + 0.2 * m, 0.15, seed);
      const now = T0 + 25 * MINUTE;
      const f = makeForecast(samples, { now, horizonMin: 60, limits: LIMITS })!;
      expect(f.crossings.map((c) => c.level)).toEqual(['hi', 'hihi']);
      const hi = f.crossings[0]!;
      expect(Math.abs(hi.at - (now + 10 * MINUTE))).toBeLessThanOrEqual(MINUTE);
      expect(Math.abs(f.crossings[1]!.at - (now + 25 * MINUTE))).toBeLessThanOrEqual(2.5 * MINUTE);
      // one point a minute from now to the horizon, widening
      expect(f.ts.length).toBe(61);
      expect(f.ts[0]).toBe(now);
      expect(f.ts[60]).toBe(now + 60 * MINUTE);
      expect(f.mean[10]).toBeCloseTo(27, 0);
      expect(f.hi[30]! - f.mean[30]!).toBeGreaterThan(f.hi[1]! - f.mean[1]!);
      expect(f.lo[5]).toBeLessThan(f.mean[5]!);
    }
  });

  it('crossings are exact on the line, not at minute steps', () => {
    const samples = series(10, (m) => 20 + 0.3 * m, 0);
    const now = T0 + 10 * MINUTE - 1000;
    const f = makeForecast(samples, { now, horizonMin: 60, limits: [{ level: 'hi', limit: 25.05 }] })!;
    // value at now ≈ 22.995; (25.05 − 22.995) / 0.3 = 6.85 min
    const expected = now + ((25.05 - (20 + (0.3 * (now - T0)) / MINUTE)) / 0.3) * MINUTE;
    expect(Math.abs(f.crossings[0]!.at - expected)).toBeLessThan(1000);
  });

  it('a falling trend crosses LO then LOLO; a limit already crossed is left out; beyond the horizon is none', () => {
    const samples = series(11, (m) => 18 - 0.25 * m, 0.05);
    const now = T0 + 11 * MINUTE; // ≈ 15.25 °C
    const f = makeForecast(samples, { now, horizonMin: 30, limits: [...LIMITS, { level: 'hi', limit: 16 }, { level: 'lo', limit: 16 }] })!;
    // LO 15 in 1 min, LOLO 12 in 13 min; LO 16 is already crossed: left out; HI 16 is above and the trend falls
    expect(f.crossings.map((c) => `${c.level} ${c.limit}`)).toEqual(['lo 15', 'lolo 12']);
    const short = makeForecast(samples, { now, horizonMin: 10, limits: [{ level: 'lolo', limit: 12 }] })!;
    expect(short.crossings).toEqual([]);
  });

  it('a flat noisy series has no crossing even with a limit close by', () => {
    for (const seed of [6, 7, 8]) {
      const f = makeForecast(series(15, () => 26, 0.3, seed), { now: T0 + 15 * MINUTE, horizonMin: 60, limits: LIMITS })!;
      expect(f.crossings).toEqual([]);
    }
  });

  it('a spike in the window barely tilts the trend', () => {
    const samples = series(10, () => 20, 0.05).map((s, i) => (i > 540 && i < 560 ? { ts: s.ts, value: 40 } : s));
    const f = makeForecast(samples, { now: T0 + 10 * MINUTE, horizonMin: 60, limits: LIMITS })!;
    expect(f.crossings).toEqual([]);
    expect(Math.abs(f.mean[60]! - 20)).toBeLessThan(0.5);
  });

  it('null with fewer than 8 samples or less than 3 minutes of them', () => {
    const now = T0 + 10 * MINUTE;
    const sparse = [0, 1, 2, 3, 4, 5, 6].map((m) => ({ ts: T0 + (3 + m) * MINUTE, value: 20 + m }));
    expect(makeForecast(sparse, { now, horizonMin: 60, limits: LIMITS })).toBeNull();
    expect(makeForecast(series(2.9, () => 20).map((s) => ({ ts: s.ts + 7 * MINUTE, value: s.value })), { now, horizonMin: 60, limits: LIMITS })).toBeNull();
    // older than the window counts for nothing
    expect(makeForecast(series(5, () => 20), { now: T0 + 20 * MINUTE, horizonMin: 60, limits: LIMITS })).toBeNull();
    expect(makeForecast([...sparse, { ts: now, value: 27 }], { now, horizonMin: 60, limits: LIMITS })).not.toBeNull();
  });

  it('the baseline spread floors the forecast spread', () => {
    const samples = series(10, (m) => 20 + 0.1 * m, 0.01);
    const opts = { now: T0 + 10 * MINUTE, horizonMin: 10, limits: LIMITS };
    const bare = makeForecast(samples, opts)!;
    const withBaseline = makeForecast(samples, { ...opts, baseline: { scale: 0.5 } as never })!;
    expect(bare.hi[1]! - bare.mean[1]!).toBeLessThan(0.05);
    expect(withBaseline.hi[1]! - withBaseline.mean[1]!).toBeCloseTo(1, 6);
  });
});

describe('forecast detector', () => {
  it('warns "reaches HI 27 °C in about N min" while the ramp goes on, returns 60 s after no crossing is forecast', () => {
    const d = createForecastDetector({ label, horizonMin: 60, limits: () => LIMITS });
    // 20 °C rising 0.2 °C/min for 23 min (24.6 °C: HI in 12 min), then back at 20
    const samples = series(40, (m) => (m < 23 ? 20 + 0.2 * m : 20), 0.1);
    let firstActive: number | null = null;
    let lastCrossingForecast: number | null = null;
    let lastActive: number | null = null;
    for (const s of samples) {
      d.observe(s.ts, s.value, null);
      if ((d.latest()?.crossings.length ?? 0) > 0) lastCrossingForecast = s.ts;
      const f = d.finding(s.ts);
      if (f.active) {
        firstActive ??= s.ts;
        lastActive = s.ts;
      }
      if (s.ts === T0 + 23 * MINUTE - 1000) expect(f).toEqual({ active: true, text: 'Supply air temperature reaches HI 27 °C in about 12 min' });
      if (s.ts === T0 + 20 * MINUTE) expect(f.text).toBe('Supply air temperature reaches HI 27 °C in about 15 min');
    }
    // a trend is seen after 3 minutes of samples, with the HI crossing within the 60 min horizon
    expect(firstActive).not.toBeNull();
    expect(firstActive! - T0).toBeLessThan(4 * MINUTE);
    expect(lastCrossingForecast).not.toBeNull();
    expect(lastCrossingForecast!).toBeGreaterThan(T0 + 23 * MINUTE);
    expect(lastActive! - lastCrossingForecast!).toBeGreaterThanOrEqual(50_000);
    expect(lastActive! - lastCrossingForecast!).toBeLessThan(60_000);
    expect(d.finding(T0 + 40 * MINUTE)).toEqual({ active: false, text: null });
  });

  it('with a baseline: no pre-alarm while the point is inside its band, though its local trend crosses', () => {
    // normal 18 ± 1 (scale 2/7 at k 3.5); a compressor-like rise of 0.3 °C/min from 17.5 would reach HI 27 in ~30 min
    const baseline = restoreBaseline({ kind: 'recent', fittedAt: T0, trainedMinutes: 600, params: { center: 18, scale: 2 / 7, k: 3.5 } });
    const d = createForecastDetector({ label, horizonMin: 60, limits: () => LIMITS });
    // 4.5 min in: 18.85 °C, still inside the band (≤ 19)
    const samples = series(4.5, (m) => 17.5 + 0.3 * m, 0.02);
    for (const s of samples) d.observe(s.ts, s.value, baseline);
    const at = samples.at(-1)!.ts;
    expect(d.latest()!.crossings.map((c) => c.level)).toEqual(['hi', 'hihi']);
    expect(d.finding(at).active).toBe(false);
    // the same rise going on: out of the band at 5 min, and at 10 min (20.5 °C) HI is ~22 min away
    for (const s of series(10, (m) => 17.5 + 0.3 * m, 0.02).filter((s) => s.ts > at)) d.observe(s.ts, s.value, baseline);
    expect(d.finding(T0 + 10 * MINUTE).text).toMatch(/^Supply air temperature reaches HI 27 °C in about 2\d min$/);
  });

  it('"in under 1 min" when the crossing is near; remade at most every 10 s; no limits: no finding', () => {
    const d = createForecastDetector({ label: { name: 'Room', unit: '°C' }, horizonMin: 30, limits: () => [{ level: 'hihi', limit: 32.5 }] });
    const samples = series(10, (m) => 30 + 0.25 * m, 0.02);
    for (const s of samples) d.observe(s.ts, s.value, null);
    const now = samples.at(-1)!.ts;
    const made = d.latest()!.at;
    expect(now - made).toBeLessThan(10_000);
    expect(d.finding(now).text).toBe('Room reaches HIHI 32.5 °C in under 1 min');
    const none = createForecastDetector({ label, horizonMin: 30, limits: () => [] });
    for (const s of samples) none.observe(s.ts, s.value, null);
    expect(none.finding(now)).toEqual({ active: false, text: null });
    expect(none.latest()?.crossings).toEqual([]);
  });
});

describe('forecast detector after a sensor gap', () => {
  it('a gap of more than a quarter of the window starts the trend over: no trend across it, one again after 3 minutes', () => {
    // 8 minutes of a flat 20 °C, the sensor out for 4 minutes, back at 24 °C (a 4 °C jump the
    // sensor never showed happening: read across the gap it is a steep rise toward HI 27)
    const d = createForecastDetector({ label, horizonMin: 60, limits: () => LIMITS });
    const before = series(8, () => 20, 0.02);
    for (const s of before) d.observe(s.ts, s.value, null);
    expect(d.latest()!.crossings).toEqual([]);
    const after = series(16, () => 24, 0.02, 2).filter((s) => s.ts >= T0 + 12 * MINUTE);
    let sawCrossing = false;
    for (const s of after) {
      d.observe(s.ts, s.value, null);
      if ((d.latest()?.crossings.length ?? 0) > 0 || d.finding(s.ts).active) sawCrossing = true;
      // too few minutes after the gap for a trend: none, rather than one across the gap
      if (s.ts === T0 + 13 * MINUTE) expect(d.latest()).toBeNull();
    }
    expect(sawCrossing).toBe(false);
    // three minutes after the gap: a (flat) trend of the new samples
    expect(d.latest()).not.toBeNull();
    expect(d.latest()!.mean[0]).toBeCloseTo(24, 1);
  });
});

describe('batteryRuntimeMin', () => {
  const now = T0 + 10 * MINUTE;
  it('a rising load shortens the UPS runtime: 10 kW + 0.5 kW/min on 20 min empties in ~14.6 min', () => {
    const load = series(10, (m) => 5 + 0.5 * m, 0.05);
    // L0 = 10, E = 200 kW·min: 10 T + 0.25 T² = 200 → T = (−10 + √300) / 0.5
    const expected = (-10 + Math.sqrt(300)) / 0.5;
    expect(batteryRuntimeMin({ runtimeMin: 20, load, now })).toBeCloseTo(expected, 0);
  });

  it('a flat or falling load keeps the UPS estimate; too few samples: null', () => {
    expect(batteryRuntimeMin({ runtimeMin: 20, load: series(10, () => 10, 0.2), now })).toBe(20);
    expect(batteryRuntimeMin({ runtimeMin: 20, load: series(10, (m) => 15 - 0.5 * m, 0.05), now })).toBe(20);
    expect(batteryRuntimeMin({ runtimeMin: 20, load: series(2, () => 10), now: T0 + 2 * MINUTE })).toBeNull();
    expect(batteryRuntimeMin({ runtimeMin: Number.NaN, load: series(10, () => 10), now })).toBeNull();
  });
});
