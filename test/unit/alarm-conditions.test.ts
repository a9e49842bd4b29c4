/** Alarm conditions (deadband edges, discrete matches, rate windows), messages and chatter counting. */
import { describe, expect, it } from 'vitest';
import { createChatterTracker } from '../../gateway/alarms/chatter.js';
import { createCondition, createRateWindow, discreteCondition, rateCondition } from '../../gateway/alarms/conditions.js';
import { formatValue, renderMessage } from '../../gateway/alarms/message.js';
import type { DiscreteMatch, LimitLevel } from '../../gateway/alarms/types.js';
import type { PointValue } from '../../core/types.js';
import { limitRule, rateRule } from '../helpers/alarm-fixtures.js';

describe('limit condition with deadband', () => {
  const cases: Array<[LimitLevel, number, number, PointValue, boolean, boolean | undefined]> = [
    // level, limit, deadband, value, was active, → active
    ['hi', 27, 0.5, 26.9, false, false],
    ['hi', 27, 0.5, 27, false, false], // at the limit is not above it
    ['hi', 27, 0.5, 27.01, false, true],
    ['hi', 27, 0.5, 26.8, true, true], // inside the deadband: stays active
    ['hi', 27, 0.5, 26.5, true, true], // exactly limit − deadband: not yet back past it
    ['hi', 27, 0.5, 26.49, true, false],
    ['hihi', 30, 0, 30, true, true], // no deadband: back below the limit clears
    ['hihi', 30, 0, 29.99, true, false],
    ['lo', 18, 1, 18, false, false],
    ['lo', 18, 1, 17.9, false, true],
    ['lo', 18, 1, 19, true, true],
    ['lo', 18, 1, 19.01, true, false],
    ['lolo', 15, 0.5, 14, false, true],
    ['hi', 27, 0.5, null, true, undefined], // no value: keep the condition
    ['hi', 27, 0.5, 'n/a', false, undefined],
    ['hi', 27, 0.5, Number.NaN, false, undefined],
  ];
  it.each(cases)('%s %d ± %d: value %s (was active %s) → %s', (level, limit, deadband, value, was, expected) => {
    const rule = limitRule('r', 'd.p', { [level]: limit }, { deadband });
    expect(createCondition(rule, level, limit)(value, 0, was)).toBe(expected);
  });
});

describe('discrete condition', () => {
  const cases: Array<[string, DiscreteMatch, PointValue, boolean | undefined]> = [
    ['equals true', { op: 'equals', value: true }, true, true],
    ['equals true, false', { op: 'equals', value: true }, false, false],
    ['equals is strict (1 is not true)', { op: 'equals', value: true }, 1, false],
    ['not-equals an enum label', { op: 'not-equals', value: 'online' }, 'battery', true],
    ['not-equals, equal', { op: 'not-equals', value: 'online' }, 'online', false],
    ['bit 3 set', { op: 'bit-set', bit: 3 }, 0b1000, true],
    ['bit 3 clear', { op: 'bit-set', bit: 3 }, 0b0111, false],
    ['bit 15 of a uint16', { op: 'bit-set', bit: 15 }, 0x8000, true],
    ['bit of a text', { op: 'bit-set', bit: 1 }, 'x', undefined],
    ['bit 0 of a boolean', { op: 'bit-set', bit: 0 }, true, true],
    ['in a set of labels', { op: 'in', values: ['fault', 'off'] }, 'fault', true],
    ['not in the set', { op: 'in', values: ['fault', 'off'] }, 'cooling', false],
  ];
  it.each(cases)('%s', (_, match, value, expected) => {
    expect(discreteCondition(match, value)).toBe(expected);
  });
});

describe('rate of change', () => {
  it('gives no rate until a full window of samples exists', () => {
    const w = createRateWindow(60_000);
    expect(w.add(0, 20)).toBeUndefined();
    expect(w.add(30_000, 25)).toBeUndefined();
    expect(w.add(60_000, 26)).toBeCloseTo(6); // 6 units in one minute
  });

  it('compares with the sample one window ago, not the first ever', () => {
    const w = createRateWindow(60_000);
    for (let t = 0; t <= 120_000; t += 10_000) w.add(t, t < 100_000 ? 20 : 20 + (t - 90_000) / 10_000);
    // at 120 s: value 23, at 60 s: 20 → 3/min
    expect(w.add(130_000, 24)).toBeCloseTo(4);
  });

  it('a rate alarm’s condition reads the window through its rule', () => {
    const rise = createCondition(rateRule('r', 'd.p', 2, 60, { direction: 'rise' }), null, null);
    expect(rise(20, 0, false)).toBeUndefined();
    expect(rise(21, 60_000, false)).toBe(false); // 1/min
    expect(rise(24, 120_000, false)).toBe(true); // 3/min
    expect(rise('x', 130_000, true)).toBeUndefined();
  });

  it('ignores a sample that is not newer', () => {
    const w = createRateWindow(1000);
    w.add(0, 1);
    expect(w.add(0, 100)).toBeUndefined();
    expect(w.add(1000, 2)).toBeCloseTo(60);
  });

  it.each([
    [5, 2, 'rise', true],
    [-5, 2, 'rise', false],
    [-5, 2, 'fall', true],
    [-5, 2, 'both', true],
    [1, 2, 'both', false],
    [undefined, 2, 'both', undefined],
  ] as const)('rate %s vs %s/min %s → %s', (rate, perMinute, direction, expected) => {
    expect(rateCondition(rate, perMinute, direction)).toBe(expected);
  });
});

describe('messages', () => {
  const ctx = { id: 'crac1-supply.hi', value: 27.400000000000002, unit: '°C', name: 'Supply air', point: 'crac1.supply_temp', device: 'crac1', deviceName: 'CRAC-1', severity: 'major', level: 'hi' as const, limit: 27 };
  it.each([
    ['Supply air {value}{unit}', 'Supply air 27.4°C'],
    ['{name} above {level} {limit}{unit} ({severity})', 'Supply air above HI 27°C (major)'],
    ['{device}/{point} {id}', 'crac1/crac1.supply_temp crac1-supply.hi'],
    ['{deviceName}: supply air', 'CRAC-1: supply air'],
    ['{unknown} stays', '{unknown} stays'],
  ])('%s', (template, expected) => {
    expect(renderMessage(template, ctx)).toBe(expected);
  });
  it('formats values for people', () => {
    expect([formatValue(null), formatValue(true), formatValue(1 / 3), formatValue('battery')]).toEqual(['–', 'true', '0.33', 'battery']);
  });
});

describe('chatter', () => {
  it('flags more than N raises a minute and settles with hysteresis, a minute later at the earliest', () => {
    const c = createChatterTracker(5);
    const flagged = [0, 1, 2, 3, 4, 5].map((i) => c.raised(i * 1000));
    expect(flagged).toEqual([false, false, false, false, false, true]);
    expect(c.chattering).toBe(true);
    expect(c.settled(30_000)).toBe(false); // 6 in the last minute
    for (const t of [20_000, 40_000, 60_000]) expect(c.raised(t)).toBe(false); // already flagged
    expect(c.settled(64_000)).toBe(false); // less than a minute since it was flagged
    expect(c.settled(65_000)).toBe(false); // 3 in the last minute: above half of 5
    expect(c.settled(80_500)).toBe(true); // 2 left
    expect(c.chattering).toBe(false);
  });

  it('a restored flag holds for a minute after the restart', () => {
    const c = createChatterTracker(5, 1000);
    expect(c.chattering).toBe(true);
    expect(c.settled(30_000)).toBe(false);
    expect(c.settled(61_000)).toBe(true);
  });
});
