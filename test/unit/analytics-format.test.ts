/** How a band finding names the season its expectation came from (week, weekday/weekend, day, none). */
import { describe, expect, it } from 'vitest';
import { restoreBaseline } from '../../gateway/analytics/model/baseline.js';
import { createBandDetector } from '../../gateway/analytics/model/detectors/index.js';
import { formatSeasonWhen } from '../../gateway/analytics/model/format.js';
import type { BaselineKind } from '../../gateway/analytics/types.js';

/** Tuesday 2026-12-01 05:00 UTC = 14:00 in Seoul */
const TUESDAY_14_SEOUL = Date.UTC(2026, 11, 1, 5);
/** Saturday 2026-12-05 05:00 UTC = 14:00 in Seoul */
const SATURDAY_14_SEOUL = Date.UTC(2026, 11, 5, 5);
const label = { name: 'Supply air temperature', unit: '°C', tzOffsetMin: 540 };

/** a seasonal baseline of 19.15 ± 0.95 at every hour */
function flat(kind: Exclude<BaselineKind, 'recent'>) {
  const n = kind === 'week' ? 168 : kind === 'daytype' ? 48 : 24;
  return restoreBaseline({ kind, fittedAt: 0, trainedMinutes: 4000, params: { medians: Array(n).fill(19.15), scales: Array(n).fill(0.95 / 3.5), level: 0, scale: 0.95 / 3.5, k: 3.5, tzOffsetMin: 540 } });
}

describe('formatSeasonWhen', () => {
  it('words the time by the season learnt, in the local zone', () => {
    expect(formatSeasonWhen(TUESDAY_14_SEOUL, 'week', label)).toBe('for Tuesday 14:00');
    expect(formatSeasonWhen(TUESDAY_14_SEOUL, 'daytype', label)).toBe('for a weekday at 14:00');
    expect(formatSeasonWhen(SATURDAY_14_SEOUL, 'daytype', label)).toBe('for a weekend day at 14:00');
    expect(formatSeasonWhen(TUESDAY_14_SEOUL, 'day', label)).toBe('at 14:00');
    expect(formatSeasonWhen(TUESDAY_14_SEOUL, 'recent', label)).toBeNull();
    // six hours west of UTC the same instant is still Monday 23:00
    expect(formatSeasonWhen(TUESDAY_14_SEOUL, 'daytype', { ...label, tzOffsetMin: -360 })).toBe('for a weekday at 23:00');
    expect(formatSeasonWhen(Date.UTC(2026, 11, 6, 1, 5), 'week', { ...label, tzOffsetMin: -360 })).toBe('for Saturday 19:05');
  });

  it('the band message names it: expected for a weekday at 14:00, for Tuesday 14:00, at 14:00', () => {
    const text = (kind: Exclude<BaselineKind, 'recent'>, ts: number) => {
      const d = createBandDetector({ label });
      d.observe(ts, 23.94, flat(kind));
      return d.finding(ts).text;
    };
    expect(text('daytype', TUESDAY_14_SEOUL)).toBe('Supply air temperature 23.9 °C, expected 18.2–20.1 °C for a weekday at 14:00');
    expect(text('daytype', SATURDAY_14_SEOUL)).toBe('Supply air temperature 23.9 °C, expected 18.2–20.1 °C for a weekend day at 14:00');
    expect(text('week', TUESDAY_14_SEOUL)).toBe('Supply air temperature 23.9 °C, expected 18.2–20.1 °C for Tuesday 14:00');
    expect(text('day', TUESDAY_14_SEOUL)).toBe('Supply air temperature 23.9 °C, expected 18.2–20.1 °C at 14:00');
  });
});
