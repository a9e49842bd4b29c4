/**
 * UPS battery runtime under the load trend (model/battery.ts): the projection's numbers, and the
 * battery.runtime pre-alarm fed sample by sample as the service feeds it (runtime point and load
 * point), with its minimum, its hand-over to the runtime's own LO alarm and stale inputs.
 */
import { describe, expect, it } from 'vitest';
import { createBatteryDetector, projectBatteryRuntime, runtimeLowLimit } from '../../gateway/analytics/model/battery.js';
import type { MinutePoint } from '../../gateway/analytics/types.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 1, 9);
const label = { name: 'Runtime remaining', unit: 'min' };

/** one load sample every 5 s over `minutes`, from T0 */
function loadSeries(minutes: number, shape: (m: number) => number): MinutePoint[] {
  const out: MinutePoint[] = [];
  for (let ts = T0; ts <= T0 + minutes * MINUTE; ts += 5_000) out.push({ ts, value: shape((ts - T0) / MINUTE) });
  return out;
}

describe('projectBatteryRuntime', () => {
  it('drains the energy left (runtime × load now) by the trending load', () => {
    // 40 % rising 1 %/min, the UPS says 30 min: 40 T + 0.5 T² = 1 200 → T = −40 + √(1 600 + 2 400) = 23.2
    const p = projectBatteryRuntime({ runtimeMin: 30, load: loadSeries(10, (m) => 30 + m), now: T0 + 10 * MINUTE })!;
    expect(p.loadNow).toBeCloseTo(40, 1);
    expect(p.loadPerMin).toBeCloseTo(1, 2);
    expect(p.projectedMin).toBeCloseTo(-40 + Math.sqrt(4000), 1);
    // a steeper rise, less runtime; the window decides which samples count
    const steep = projectBatteryRuntime({ runtimeMin: 30, load: loadSeries(10, (m) => (m < 7 ? 30 : 30 + 4 * (m - 7))), now: T0 + 10 * MINUTE, windowMin: 3 })!;
    expect(steep.loadPerMin).toBeCloseTo(4, 1);
    expect(steep.projectedMin).toBeLessThan(p.projectedMin);
  });

  it('a flat or falling load keeps the UPS figure; bad runtime or too few samples: null', () => {
    const flat = projectBatteryRuntime({ runtimeMin: 30, load: loadSeries(10, () => 40), now: T0 + 10 * MINUTE })!;
    expect(flat).toEqual({ projectedMin: 30, loadNow: expect.closeTo(40, 9), loadPerMin: 0 });
    const falling = projectBatteryRuntime({ runtimeMin: 30, load: loadSeries(10, (m) => 50 - m), now: T0 + 10 * MINUTE })!;
    expect(falling.projectedMin).toBe(30);
    expect(falling.loadPerMin).toBeCloseTo(-1, 2);
    expect(projectBatteryRuntime({ runtimeMin: 30, load: loadSeries(0.3, () => 40), now: T0 + MINUTE })).toBeNull();
    expect(projectBatteryRuntime({ runtimeMin: -1, load: loadSeries(10, () => 40), now: T0 + 10 * MINUTE })).toBeNull();
  });

  it('the default minimum is the runtime point’s LO limit, else its LOLO', () => {
    expect(runtimeLowLimit([{ level: 'lolo', limit: 5 }, { level: 'lo', limit: 10 }])).toBe(10);
    expect(runtimeLowLimit([{ level: 'lolo', limit: 5 }])).toBe(5);
    expect(runtimeLowLimit([{ level: 'hi', limit: 500 }])).toBeNull();
  });
});

describe('battery.runtime detector', () => {
  /** feeds load samples every 5 s and the runtime every 10 s for `minutes` from `from`; returns the end time */
  function feed(d: ReturnType<typeof createBatteryDetector>, from: number, minutes: number, load: (m: number) => number, runtime: (m: number) => number): number {
    let ts = from;
    for (; ts <= from + minutes * MINUTE; ts += 5_000) {
      const m = (ts - T0) / MINUTE;
      d.observeLoad(ts, load(m));
      if ((ts - from) % 10_000 === 0) d.observe(ts, runtime(m), null);
    }
    return ts - 5_000;
  }

  it('raises while the projection is below the minimum and the UPS figure is not; says both', () => {
    let min: number | null = 10;
    const d = createBatteryDetector({ label, load: 'ups1.output_load', windowMin: 10, minRuntimeMin: () => min });
    // nothing yet
    expect(d.latest()).toBeNull();
    expect(d.finding(T0)).toEqual({ active: false, text: null });
    // a steady 20 % with 14 min: projection = 14, above 10
    let now = feed(d, T0, 10, () => 20, () => 14);
    expect(d.latest()).toMatchObject({ load: 'ups1.output_load', runtimeMin: 14, projectedMin: 14, minRuntimeMin: 10 });
    expect(d.finding(now).active).toBe(false);
    // the load climbs 3 %/min to 50 % (the UPS lowers its own figure a little, to 12 min):
    // 50 T + 1.5 T² = 12 × 50 → T = 9.4 min, under the minimum of 10
    now = feed(d, now + 5_000, 10, (m) => 20 + 3 * (m - 10), () => 12);
    const p = d.latest()!;
    expect(p.loadPerMin).toBeCloseTo(3, 1);
    expect(p.projectedMin).toBeCloseTo((-50 + Math.sqrt(2500 + 2 * 3 * 600)) / 3, 1);
    expect(now - p.at).toBeLessThan(10_000);
    const f = d.finding(now);
    expect(f.active).toBe(true);
    expect(f.text).toBe(`Runtime remaining: about ${Math.floor(p.projectedMin)} min at the rising load, below the 10 min minimum (the UPS says 12 min at the present load)`);
    // no minimum (no LO limit, none configured): the projection only
    min = null;
    now = feed(d, now + 5_000, 0.5, (m) => 20 + 3 * (m - 10), () => 12);
    expect(d.latest()!.minRuntimeMin).toBeNull();
    expect(d.finding(now).active).toBe(false);
  });

  it('hands over once the UPS figure itself is below the minimum (the LO alarm), and goes quiet on stale inputs', () => {
    const d = createBatteryDetector({ label, load: 'ups1.output_load', windowMin: 10, minRuntimeMin: () => 10 });
    // 20 % rising 4 %/min, 12 min: 60 T + 2 T² = 720 → T = 9.2
    let now = feed(d, T0, 10, (m) => 20 + 4 * m, () => 12);
    expect(d.finding(now).active).toBe(true);
    now = feed(d, now + 5_000, 1, (m) => 20 + 4 * m, () => 9);
    expect(d.latest()!.runtimeMin).toBe(9);
    expect(d.finding(now).active).toBe(false);
    // back above, then the UPS stops answering: after 5 minutes without samples nothing is claimed
    now = feed(d, now + 5_000, 1, (m) => 20 + 4 * m, () => 12);
    expect(d.finding(now).active).toBe(true);
    expect(d.finding(now + 6 * MINUTE)).toEqual({ active: false, text: null });
    // a load sample after a long silence: the old runtime figure is not projected from
    d.observeLoad(now + 7 * MINUTE, 80);
    expect(d.latest()).toBeNull();
  });
});
