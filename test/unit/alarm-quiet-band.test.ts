/**
 * The engine's shortcut for readings that change nothing (a point's quiet band, watched-points.ts)
 * against the engine handing every reading to every alarm: the same random run through real
 * commits — values around the limits, text, NaN and infinities, bad and clock-uncertain samples,
 * delays, latching, ticks, operators' actions, a live rule change — must write the same events,
 * in the same order, with the same records.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { steadyRange } from '../../gateway/alarms/conditions.js';
import type { AlarmRule } from '../../gateway/alarms/types.js';
import type { PointValue, Sample } from '../../core/types.js';
import { alarmRig, discreteRule, limitRule, rateRule, staleRule } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

/** A small deterministic generator (mulberry32), so a failure repeats with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const POINTS = ['d1.a', 'd1.b', 'd1.c', 'd2.a', 'd2.b', 'd2.c', 'd3.a', 'd3.b', 'd3.c', 'd4.a', 'd4.b'];

function rules(): AlarmRule[] {
  return [
    limitRule('a-lim', 'd1.a', { hi: 50, hihi: 60, lo: 10, lolo: 0 }, { deadband: 2 }),
    limitRule('a-delay', 'd1.a', { hi: 55 }, { deadband: 1, onDelayS: 3, offDelayS: 2 }),
    limitRule('b-lim', 'd1.b', { hi: 50 }, { deadband: 0, latch: true }),
    discreteRule('b-eq', 'd1.b', { op: 'equals', value: 7 }),
    discreteRule('c-ne', 'd1.c', { op: 'not-equals', value: 1 }),
    discreteRule('c-text', 'd1.c', { op: 'equals', value: 'FAULT' }),
    discreteRule('d2a-in1', 'd2.a', { op: 'in', values: [3, 'x'] }),
    discreteRule('d2a-in2', 'd2.a', { op: 'in', values: [1, 2] }),
    discreteRule('d2b-bit', 'd2.b', { op: 'bit-set', bit: 1 }),
    discreteRule('d2b-eq', 'd2.b', { op: 'equals', value: 5 }, { onDelayS: 1 }),
    discreteRule('d2c-ne-text', 'd2.c', { op: 'not-equals', value: 'OK' }),
    discreteRule('d2c-eq-bool', 'd2.c', { op: 'equals', value: true }),
    rateRule('d3a-rate', 'd3.a', 20, 5),
    limitRule('d3a-lim', 'd3.a', { lo: 5 }, { deadband: 3 }),
    staleRule('d3b-stale', 'd3.b', 4),
    limitRule('d3b-lim', 'd3.b', { hi: 0 }, { deadband: 0.5 }),
    // alone on their points, so the band is theirs while a delay runs
    limitRule('d3c-delay', 'd3.c', { hi: 30 }, { deadband: 5, onDelayS: 2, offDelayS: 1 }),
    discreteRule('d4a-delay', 'd4.a', { op: 'equals', value: 4 }, { onDelayS: 1, offDelayS: 2 }),
  ];
}

function randomValue(next: () => number): PointValue {
  const r = next();
  if (r < 0.04) return 'FAULT';
  if (r < 0.06) return 'OK';
  if (r < 0.08) return next() < 0.5;
  if (r < 0.09) return null;
  if (r < 0.1) return [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0][Math.floor(next() * 4)]!;
  if (r < 0.35) return Math.floor(next() * 9) - 1; // small integers: the discrete values and bits
  if (r < 0.45) return [50, 48, 60, 58, 10, 12, 0, -2, 55, 54, 5, 8, 0.5][Math.floor(next() * 13)]!; // limits and their deadbands
  return Math.round((next() * 80 - 10) * 10) / 10;
}

function randomQuality(next: () => number): Pick<Sample, 'quality' | 'reason'> {
  const r = next();
  if (r < 0.85) return { quality: 'good' };
  if (r < 0.9) return { quality: 'uncertain', reason: 'clock' };
  if (r < 0.95) return { quality: 'uncertain', reason: 'timeout' };
  return { quality: 'bad', reason: 'timeout' };
}

describe('alarm engine: the quiet band shortcut', () => {
  const temp = createTempStores('gw-alarm-quiet-');
  afterEach(() => temp.cleanup());

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`writes the same events as evaluating every reading (seed ${seed})`, () => {
      const stores = [temp.open(temp.file()), temp.open(temp.file())];
      const fast = alarmRig(stores[0]!, rules());
      const reference = alarmRig(stores[1]!, rules(), { quietBands: false });
      const rigs = [fast, reference];
      const next = random(seed);
      for (let step = 0; step < 1500; step++) {
        const r = next();
        if (r < 0.8) {
          // one commit of a few samples, a point possibly more than once
          const samples: Sample[] = [];
          const n = 1 + Math.floor(next() * 6);
          for (let i = 0; i < n; i++) {
            samples.push({ pointId: POINTS[Math.floor(next() * POINTS.length)]!, ts: fast.clock.now, value: randomValue(next), ...randomQuality(next) });
          }
          for (const store of stores) {
            store.append(samples);
            store.flush();
          }
        } else if (r < 0.87) {
          // time passes between ticks too: a reading may be what finds a delay over
          const ms = Math.floor(next() * 1500);
          for (const rig of rigs) rig.clock.now += ms;
        } else if (r < 0.93) {
          const ms = Math.floor(next() * 2500);
          for (const rig of rigs) rig.advance(ms);
        } else {
          const alarms = fast.engine.list('all');
          const id = alarms[Math.floor(next() * alarms.length)]!.id;
          const kind = Math.floor(next() * 5);
          const actor = { who: 'op', comment: null };
          const results = rigs.map((rig) =>
            kind === 0
              ? rig.engine.ack(id, actor)
              : kind === 1
                ? rig.engine.shelve(id, 0.05, actor)
                : kind === 2
                  ? rig.engine.unshelve(id, actor)
                  : rig.engine.setInService(id, kind === 4, actor),
          );
          expect(results[0]).toEqual(results[1]);
        }
        if (step === 750) {
          // a live change: one limit moved, one rule gone, one added on a watched point, one on a point not watched so far
          const changed = rules().filter((rule) => rule.id !== 'b-eq');
          const moved = changed.findIndex((rule) => rule.id === 'a-lim');
          changed[moved] = limitRule('a-lim', 'd1.a', { hi: 45, lo: 12 }, { deadband: 1 });
          changed.push(limitRule('c-lim', 'd1.c', { lo: 2 }), limitRule('d4b-lim', 'd4.b', { hi: 20, lo: 5 }, { deadband: 1 }));
          for (const rig of rigs) rig.engine.replaceRules(changed);
        }
      }
      const events = rigs.map((rig) => rig.events().map((e) => ({ type: e.type, data: e.data })));
      expect(events[0]!.length).toBeGreaterThan(100);
      expect(events[0]).toEqual(events[1]);
      expect(fast.engine.list('all')).toEqual(reference.engine.list('all'));
    });
  }

  it('settles a reading only where every condition would come out as it was', () => {
    const hi = limitRule('x', 'd.p', { hi: 50 }, { deadband: 2 });
    expect(steadyRange(hi, 'hi', 50, false)).toMatchObject({ lo: -Infinity, hi: 50 });
    expect(steadyRange(hi, 'hi', 50, true)).toMatchObject({ lo: 48, hi: Infinity });
    expect(steadyRange(hi, 'lo', 10, false)).toMatchObject({ lo: 10, hi: Infinity });
    expect(steadyRange(hi, 'lo', 10, true)).toMatchObject({ lo: -Infinity, hi: 12 });
    const eq = discreteRule('y', 'd.p', { op: 'equals', value: 7 });
    expect(steadyRange(eq, null, null, false)).toMatchObject({ lo: -Infinity, hi: Infinity, hole: 7 });
    expect(steadyRange(eq, null, null, true)).toMatchObject({ lo: 7, hi: 7 });
    // a text never equals a number: numbers leave it inactive, and never keep it active
    const text = discreteRule('z', 'd.p', { op: 'equals', value: 'FAULT' });
    expect(steadyRange(text, null, null, false)).toMatchObject({ lo: -Infinity, hi: Infinity });
    expect(steadyRange(text, null, null, true).lo).toBeGreaterThan(steadyRange(text, null, null, true).hi);
    // a rate window must see every sample; two numbers are not one range
    for (const rule of [rateRule('r', 'd.p', 5, 60), discreteRule('i', 'd.p', { op: 'in', values: [1, 2] }), discreteRule('b', 'd.p', { op: 'bit-set', bit: 0 })]) {
      const range = steadyRange(rule, null, null, false);
      expect(range.lo, rule.id).toBeGreaterThan(range.hi);
    }
  });
});
