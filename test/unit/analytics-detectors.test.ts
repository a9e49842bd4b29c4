/** Anomaly detectors on deterministic series: clean → nothing; each injected fault → its finding, with its message. */
import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../core/sim-random.js';
import { fitBaseline, restoreBaseline } from '../../gateway/analytics/model/baseline.js';
import {
  createBandDetector,
  createDriftDetector,
  createPeerDetector,
  createSpikeDetector,
} from '../../gateway/analytics/model/detectors/index.js';
import type { BaselineModel, Detector, MinutePoint } from '../../gateway/analytics/types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Tuesday 2026-12-01 00:00 UTC */
const TUESDAY = Date.UTC(2026, 11, 1);
const SIGMA = 0.3;
const STEP = 10_000;
const label = { name: 'Supply air temperature', unit: '°C' };
const daily = (ts: number) => 19 + 1.5 * Math.sin((2 * Math.PI * (ts / HOUR - 9)) / 24);

/** the baseline of 7 days of a daily cycle with minute noise σ, fitted at `at` */
function trainedBaseline(at: number, seed = 1): BaselineModel {
  const rng = createRng(seed);
  const pts: MinutePoint[] = [];
  for (let ts = at - 7 * DAY; ts < at; ts += MINUTE) pts.push({ ts, value: daily(ts) + SIGMA * rng.gauss() });
  return fitBaseline(pts, { season: ['day', 'week'], minTrainingMinutes: 60, sensitivity: 'medium', now: at })!;
}

/**
 * Live samples every 10 s: the shape plus noise that holds within a minute (so minute means have
 * the spread σ the baseline learned) and a little sample jitter.
 */
function* live(from: number, to: number, shape: (ts: number) => number, rng: Rng): Generator<MinutePoint> {
  let minute = -1;
  let noise = 0;
  for (let ts = from; ts < to; ts += STEP) {
    const m = Math.floor(ts / MINUTE);
    if (m !== minute) {
      minute = m;
      noise = SIGMA * rng.gauss();
    }
    yield { ts, value: shape(ts) + noise + 0.05 * SIGMA * rng.gauss() };
  }
}

/** feeds samples, and returns the times the finding was active (checked after every sample) */
function run(d: Detector, samples: Iterable<MinutePoint>, baseline: BaselineModel | null): number[] {
  const active: number[] = [];
  for (const s of samples) {
    d.observe(s.ts, s.value, baseline);
    if (d.finding(s.ts).active) active.push(s.ts);
  }
  return active;
}

/** the longest run of consecutive active checks, in ms */
function longestRun(active: number[]): number {
  let best = 0;
  let start = active[0] ?? 0;
  for (let i = 1; i <= active.length; i++) {
    if (i === active.length || active[i]! - active[i - 1]! > STEP) {
      best = Math.max(best, active[i - 1]! - start + STEP);
      start = active[i] ?? 0;
    }
  }
  return best;
}

const start = TUESDAY + 7 * DAY;
const baseline = trainedBaseline(start);

describe('band detector', () => {
  it('a clean day never stays outside the band for onDelayS (300 s)', () => {
    const active = run(createBandDetector({ label }), live(start, start + DAY, daily, createRng(11)), baseline);
    expect(longestRun(active)).toBeLessThan(300_000);
    expect(active.length).toBeLessThan(0.005 * 8640);
  });

  it('a step of 6σ is outside the band while it lasts; no baseline: inactive', () => {
    const d = createBandDetector({ label });
    const stepAt = start + 2 * HOUR;
    const shape = (ts: number) => daily(ts) + (ts >= stepAt ? 6 * SIGMA : 0);
    const active = run(d, live(start, stepAt + 30 * MINUTE, shape, createRng(12)), baseline);
    expect(active.filter((t) => t >= stepAt).length).toBeGreaterThan(0.95 * 180);
    expect(longestRun(active.filter((t) => t < stepAt))).toBeLessThan(300_000);
    d.observe(stepAt + 31 * MINUTE, 40, null);
    expect(d.finding(stepAt + 31 * MINUTE)).toEqual({ active: false, text: null });
  });

  it('follows a slow wander of 4σ (no 5-minute run outside), but not a step of 6σ on top of it, and never beyond 2 scales', () => {
    // a wander of 4σ over 3 hours (a warm afternoon, a room's load): outside a fixed band for an hour
    const wander = (ts: number) => daily(ts) + 4 * SIGMA * Math.sin(Math.PI * Math.min(1, Math.max(0, ts - start) / (3 * HOUR)));
    const d = createBandDetector({ label });
    const active = run(d, live(start, start + 3 * HOUR, wander, createRng(13)), baseline);
    expect(longestRun(active)).toBeLessThan(300_000);
    expect(Math.abs(d.level)).toBeLessThanOrEqual(2 * baseline.scale + 1e-9);
    // at the wander's top the band had moved up by about its 2-scale cap
    const top = createBandDetector({ label });
    run(top, live(start, start + 90 * MINUTE, wander, createRng(14)), baseline);
    expect(top.level).toBeGreaterThan(1.5 * baseline.scale);
    // a step of 6σ there is outside at once, and the minutes outside teach the level nothing
    const stepAt = start + 90 * MINUTE;
    const levelBefore = top.level;
    const stepped = run(top, live(stepAt, stepAt + 30 * MINUTE, (ts) => wander(ts) + 6 * SIGMA, createRng(15)), baseline);
    expect(stepped.length).toBeGreaterThan(0.95 * 180);
    expect(Math.abs(top.level - levelBefore)).toBeLessThan(0.3 * SIGMA);
    // its message gives the band it was judged against (moved with the level)
    const lastAt = stepAt + 30 * MINUTE - STEP;
    const b = baseline.bandAt(lastAt);
    expect(top.finding(lastAt).text).toContain(`expected ${(b.lo + top.level).toFixed(1)}–${(b.hi + top.level).toFixed(1)} °C`);
  });

  it('says what was seen and what was expected, for when', () => {
    // a day baseline with exactly 19.15 ± 0.95 all day
    const fixed = restoreBaseline({
      kind: 'day',
      fittedAt: 0,
      trainedMinutes: 4000,
      params: { medians: Array(24).fill(19.15), scales: Array(24).fill(0.95 / 3.5), level: 0, scale: 0.95 / 3.5, k: 3.5, tzOffsetMin: 0 },
    });
    const d = createBandDetector({ label: { ...label, tzOffsetMin: 540 } });
    const at = TUESDAY + 5 * HOUR; // 14:00 in Seoul
    d.observe(at, 23.94, fixed);
    expect(d.finding(at)).toEqual({ active: true, text: 'Supply air temperature 23.9 °C, expected 18.2–20.1 °C at 14:00' });
    const recent = restoreBaseline({ kind: 'recent', fittedAt: 0, trainedMinutes: 90, params: { center: 450, scale: 10, k: 3.5 } });
    const kw = createBandDetector({ label: { name: 'UPS load', unit: 'kW' } });
    kw.observe(at, 512.4, recent);
    expect(kw.finding(at).text).toBe('UPS load 512 kW, expected 415–485 kW');
    kw.observe(at + STEP, 470, recent);
    expect(kw.finding(at + STEP)).toEqual({ active: false, text: null });
  });
});

describe('spike detector', () => {
  /** 1 Hz samples with white noise of σ/3: the baseline's spread (σ) is then the floor the z-score uses */
  function* white(from: number, to: number, rng: Rng): Generator<MinutePoint> {
    for (let ts = from; ts < to; ts += 1000) yield { ts, value: daily(ts) + (SIGMA / 3) * rng.gauss() };
  }

  it('a clean day has no spike (10 s samples with minute-held noise, and 1 Hz white noise)', () => {
    expect(run(createSpikeDetector({ label, sensitivity: 'medium' }), live(start, start + DAY, daily, createRng(21)), baseline)).toEqual([]);
    expect(run(createSpikeDetector({ label, sensitivity: 'high' }), white(start, start + 6 * HOUR, createRng(21)), baseline)).toEqual([]);
  });

  it('one sample of +12σ is a spike for 60 s, then gone', () => {
    const d = createSpikeDetector({ label, sensitivity: 'medium' });
    const spikeAt = start + HOUR;
    run(d, white(start, spikeAt, createRng(22)), baseline);
    d.observe(spikeAt, daily(spikeAt) + 12 * baseline.scale, baseline);
    const f = d.finding(spikeAt + 1000);
    expect(f.active).toBe(true);
    expect(f.text).toMatch(/^Supply air temperature spiked to 2\d\.\d °C, expected about 1\d\.\d °C$/);
    const after = run(d, white(spikeAt + 1000, spikeAt + 10 * MINUTE, createRng(23)), baseline);
    expect(after.at(-1)).toBe(spikeAt + 60_000);
    expect(after.length).toBe(60);
    expect(d.finding(spikeAt + 61_000)).toEqual({ active: false, text: null });
  });

  it('the sensitivity sets the threshold: +6σ is a spike only at high, +8σ at medium too', () => {
    const judge = (sensitivity: 'low' | 'medium' | 'high', by: number) => {
      const d = createSpikeDetector({ label, sensitivity });
      run(d, white(start, start + 10 * MINUTE, createRng(24)), baseline);
      const at = start + 10 * MINUTE;
      d.observe(at, daily(at) + by * baseline.scale, baseline);
      return d.finding(at).active;
    };
    expect([judge('low', 6), judge('medium', 6), judge('high', 6)]).toEqual([false, false, true]);
    expect([judge('low', 8), judge('medium', 8), judge('high', 8)]).toEqual([false, true, true]);
  });
});

describe('drift detector', () => {
  it('a clean day never drifts; no baseline: inactive', () => {
    expect(run(createDriftDetector({ label, sensitivity: 'medium' }), live(start, start + DAY, daily, createRng(31)), baseline)).toEqual([]);
    expect(run(createDriftDetector({ label, sensitivity: 'high' }), live(start, start + HOUR, (ts) => daily(ts) + 5, createRng(31)), null)).toEqual([]);
  });

  /**
   * A drift detector that has judged a clean day: it has learnt how far this point's quarter-hour
   * means stray (here, white minute noise: a quarter of a scale). Cold, it assumes a whole scale.
   */
  function warmedDrift(seed: number): Detector {
    const d = createDriftDetector({ label, sensitivity: 'medium' });
    expect(run(d, live(start - DAY, start, daily, createRng(seed)), baseline)).toEqual([]);
    return d;
  }

  it('a step of 2σ, inside the band, is a drift within the hour; it returns within about half an hour after the step ends', () => {
    const d = warmedDrift(30);
    const stepAt = start + 2 * HOUR;
    const endAt = stepAt + 2 * HOUR;
    const shape = (ts: number) => daily(ts) + (ts >= stepAt && ts < endAt ? 2 * SIGMA : 0);
    const rng = createRng(32);
    const active = run(d, live(start, stepAt + 90 * MINUTE, shape, rng), baseline);
    expect(d.finding(stepAt + 90 * MINUTE).text).toMatch(/^Supply air temperature drifting up: \d+\.\d °C, expected \d+\.\d °C$/);
    active.push(...run(d, live(stepAt + 90 * MINUTE, endAt + 2 * HOUR, shape, rng), baseline));
    expect(active[0]).toBeGreaterThan(stepAt);
    // quarter-hour sums: 1.5 a quarter over k, h 6 at medium
    expect(active[0]! - stepAt).toBeLessThan(75 * MINUTE);
    expect(active.at(-1)! - endAt).toBeLessThan(45 * MINUTE);
  });

  it('a step of 5σ down: band and drift both active, drift says down', () => {
    const band = createBandDetector({ label });
    const drift = createDriftDetector({ label, sensitivity: 'medium' });
    const stepAt = start + HOUR;
    const samples = [...live(start, stepAt + 20 * MINUTE, (ts) => daily(ts) - (ts >= stepAt ? 5 * SIGMA : 0), createRng(33))];
    for (const s of samples) {
      band.observe(s.ts, s.value, baseline);
      drift.observe(s.ts, s.value, baseline);
    }
    const now = stepAt + 20 * MINUTE - STEP;
    expect(band.finding(now).active).toBe(true);
    expect(drift.finding(now).active).toBe(true);
    expect(drift.finding(now).text).toContain('drifting down');
  });

  /** minutes from the ramp's start until drift, the first band finding, the band alarm (outside for onDelayS 300 s), and the noise-free exit */
  function ramp(sigmasPerMin: number, seed: number) {
    const band = createBandDetector({ label });
    const drift = warmedDrift(seed + 100);
    const rampAt = start + 3 * HOUR;
    const shape = (ts: number) => daily(ts) + (ts >= rampAt ? (sigmasPerMin * baseline.scale * (ts - rampAt)) / MINUTE : 0);
    let driftAt: number | null = null;
    let bandAt: number | null = null;
    let outsideSince: number | null = null;
    let bandAlarmAt: number | null = null;
    for (const s of live(start, rampAt + 200 * MINUTE, shape, createRng(seed))) {
      band.observe(s.ts, s.value, baseline);
      drift.observe(s.ts, s.value, baseline);
      const outside = band.finding(s.ts).active;
      if (s.ts >= rampAt && bandAt === null && outside) bandAt = s.ts;
      outsideSince = outside ? (outsideSince ?? s.ts) : null;
      if (bandAlarmAt === null && outsideSince !== null && s.ts - outsideSince >= 300_000) bandAlarmAt = s.ts;
      if (driftAt === null && drift.finding(s.ts).active) driftAt = s.ts;
    }
    const min = (t: number | null) => (t === null ? Number.POSITIVE_INFINITY : (t - rampAt) / MINUTE);
    return { drift: min(driftAt), firstOutside: min(bandAt), bandAlarm: min(bandAlarmAt), leavesBand: (baseline.bandAt(rampAt).hi - baseline.bandAt(rampAt).expected) / baseline.scale / sigmasPerMin };
  }

  it('an offset within what the profile does not know (its uncertainty: an hour learnt from few days) is no drift; against a certain profile it is', () => {
    // a flat expected value of 19 °C; the profile's hour is off by up to `uncertainty` (a weekend hour of two days)
    const profile = (uncertainty: number): BaselineModel => ({
      kind: 'daytype',
      fittedAt: start,
      trainedMinutes: 7 * 1440,
      scale: SIGMA,
      bandAt: () => ({ expected: 19, lo: 19 - 3.5 * SIGMA, hi: 19 + 3.5 * SIGMA, uncertainty }),
      toJSON: () => ({ kind: 'daytype', fittedAt: start, trainedMinutes: 7 * 1440, params: {} }),
    });
    const found = (uncertainty: number) => {
      const d = createDriftDetector({ label, sensitivity: 'medium' });
      const rng = createRng(37);
      // a clean day: quarter-hour means of white minute noise stray a quarter of a scale (learnt
      // from a day with the prior of one scale still in it: about 0.37)
      expect(run(d, live(start - DAY, start, () => 19, rng), profile(uncertainty))).toEqual([]);
      // then three hours 1.6 scales above it: over 4 quarter spreads, past the allowance of 3.5
      return run(d, live(start, start + 3 * HOUR, () => 19 + 1.6 * SIGMA, rng), profile(uncertainty)).length;
    };
    expect(found(0)).toBeGreaterThan(0);
    // an hour known only to ±1.5 scales: 1.6 scales off it is about one of its widened spreads
    expect(found(1.5 * SIGMA)).toBe(0);
  });

  it('a slow drift of 0.02σ/min is found while the value is still well inside the band', () => {
    for (const seed of [34, 35, 36]) {
      const r = ramp(0.02, seed);
      expect(r.drift).toBeGreaterThan(0);
      // the noise-free value leaves the medium band (3.5 scales) after 175 minutes
      expect(r.drift).toBeLessThan(r.leavesBand - 30);
      expect(r.drift).toBeLessThan(r.bandAlarm);
    }
  });

  /**
   * A point whose minutes wander around the daily cycle like a room does (an AR(1) of τ 90 min and
   * σ 0.3, with little sensor noise): quarter-hour means stray a whole scale and follow each
   * other, the case that made a CUSUM with k 0.5 alarm every day or two.
   */
  function wandering(from: number, to: number, seed: number, extra: (ts: number) => number = () => 0): MinutePoint[] {
    const rng = createRng(seed);
    const a = Math.exp(-1 / 90);
    let wander = SIGMA * rng.gauss();
    const out: MinutePoint[] = [];
    for (let ts = from; ts < to; ts += STEP) {
      if (ts % MINUTE === 0) wander = a * wander + SIGMA * Math.sqrt(1 - a * a) * rng.gauss();
      out.push({ ts, value: daily(ts) + wander + extra(ts) + 0.1 * SIGMA * rng.gauss() });
    }
    return out;
  }
  function minuteMeans(samples: readonly MinutePoint[]): MinutePoint[] {
    const out: MinutePoint[] = [];
    for (let i = 0; i < samples.length; i += MINUTE / STEP) {
      const minute = samples.slice(i, i + MINUTE / STEP);
      out.push({ ts: minute[0]!.ts, value: minute.reduce((sum, s) => sum + s.value, 0) / minute.length });
    }
    return out;
  }

  it('a slow wander as wide as the band is no drift over ten days; a drift on top of it still is, within hours', () => {
    const fitAt = start + 7 * DAY;
    const wanderBaseline = fitBaseline(minuteMeans(wandering(start, fitAt, 50)), { season: ['day'], minTrainingMinutes: 60, sensitivity: 'medium', now: fitAt })!;
    const d = createDriftDetector({ label, sensitivity: 'medium' });
    expect(run(d, wandering(fitAt, fitAt + 10 * DAY, 51), wanderBaseline)).toEqual([]);
    // 0.05 scales a minute from 2 h in. Here quarter hours stray about 1.4 scales (the wander the
    // hour medians half absorbed in training comes back live), so k 3.5 of those is ~5 scales: such
    // a point's drift is seen about when it leaves the band, not long before (see drift.ts)
    const driftAt = fitAt + 10 * DAY + 2 * HOUR;
    const perMin = 0.05 * wanderBaseline.scale;
    let driftFoundAt = Number.POSITIVE_INFINITY;
    for (const s of wandering(fitAt + 10 * DAY, driftAt + 4 * HOUR, 52, (ts) => (ts >= driftAt ? (perMin * (ts - driftAt)) / MINUTE : 0))) {
      d.observe(s.ts, s.value, wanderBaseline);
      if (d.finding(s.ts).active) driftFoundAt = Math.min(driftFoundAt, s.ts);
    }
    expect(driftFoundAt).toBeGreaterThan(driftAt);
    expect(driftFoundAt - driftAt).toBeLessThan(150 * MINUTE);
  });
});

describe('peer detector', () => {
  /** four identical units sharing the daily cycle, each with its own noise; unit `offset` moves by `by` from `at` */
  function site(offsetUnit: number, by: number, at: number, sensitivity: 'medium' | 'high') {
    const rngs = [0, 1, 2, 3].map((i) => createRng(40 + i));
    const latest = [0, 0, 0, 0];
    const detectors = [0, 1, 2, 3].map((i) =>
      createPeerDetector({
        label: { ...label, name: `CRAC ${i + 1} supply air temperature` },
        sensitivity,
        peerValues: () => latest.filter((_, j) => j !== i),
      }),
    );
    const active: number[][] = [[], [], [], []];
    let minute = -1;
    const noise = [0, 0, 0, 0];
    for (let ts = start; ts < start + 6 * HOUR; ts += STEP) {
      if (Math.floor(ts / MINUTE) !== minute) {
        minute = Math.floor(ts / MINUTE);
        for (let i = 0; i < 4; i++) noise[i] = SIGMA * rngs[i]!.gauss();
      }
      for (let i = 0; i < 4; i++) latest[i] = daily(ts) + noise[i]! + (i === offsetUnit && ts >= at ? by : 0);
      for (let i = 0; i < 4; i++) {
        detectors[i]!.observe(ts, latest[i]!, baseline);
        if (detectors[i]!.finding(ts).active) active[i]!.push(ts);
      }
    }
    return { active, detectors, end: start + 6 * HOUR - STEP };
  }

  it('identical units running normally: no finding', () => {
    const { active } = site(0, 0, start, 'high');
    expect(active.map((a) => a.length)).toEqual([0, 0, 0, 0]);
  });

  it('one of four offset by 4σ: a finding on that one only, within minutes, with its text', () => {
    const at = start + 2 * HOUR;
    const { active, detectors, end } = site(2, 4 * SIGMA, at, 'high');
    expect(active[0]).toEqual([]);
    expect(active[1]).toEqual([]);
    expect(active[3]).toEqual([]);
    expect(active[2]![0]).toBeGreaterThan(at);
    // the EWMA (α 0.3) needs ~7 minutes to reach 90 % of the offset, then 3 consecutive minutes
    expect(active[2]![0]! - at).toBeLessThan(20 * MINUTE);
    expect(active[2]!.at(-1)).toBe(end);
    expect(detectors[2]!.finding(end).text).toMatch(/^CRAC 3 supply air temperature \d+\.\d °C, its peers \d+\.\d °C \(median of 3\)$/);
  });

  it('with two peers reporting, one peer apart does not make the healthy unit look apart; the unit apart is still found', () => {
    // units 0 (healthy), 1 (healthy peer), 2 (a peer 10σ high from 2 h on: the mean of two moves 5σ); the fourth unit is out
    const rng = createRng(60);
    const at = start + 2 * HOUR;
    const value = [0, 0, 0];
    const healthy = createPeerDetector({ label, sensitivity: 'high', peerValues: () => [value[1]!, value[2]!] });
    const apart = createPeerDetector({ label, sensitivity: 'high', peerValues: () => [value[0]!, value[1]!] });
    const found = { healthy: 0, apart: 0 };
    for (let ts = start; ts < start + 4 * HOUR; ts += STEP) {
      for (let i = 0; i < 3; i++) value[i] = daily(ts) + SIGMA * 0.3 * rng.gauss() + (i === 2 && ts >= at ? 10 * SIGMA : 0);
      healthy.observe(ts, value[0]!, baseline);
      apart.observe(ts, value[2]!, baseline);
      if (healthy.finding(ts).active) found.healthy++;
      if (apart.finding(ts).active) found.apart++;
    }
    expect(found.healthy).toBe(0);
    expect(found.apart).toBeGreaterThan(0);
  });

  it('needs two peers with values', () => {
    const d = createPeerDetector({ label, sensitivity: 'high', peerValues: () => [19, Number.NaN] });
    expect(run(d, live(start, start + 2 * HOUR, (ts) => daily(ts) + 5, createRng(49)), baseline)).toEqual([]);
  });
});
