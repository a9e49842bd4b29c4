/** Baselines: the season chosen by history length, seasonal shape and time zone, level shift, restore. */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/sim-random.js';
import { fitBaseline, restoreBaseline } from '../../gateway/analytics/model/baseline.js';
import { median, robustScale, robustZ } from '../../gateway/analytics/model/robust.js';
import type { FitOptions, MinutePoint } from '../../gateway/analytics/types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Tuesday 2026-12-01 00:00 UTC */
const TUESDAY = Date.UTC(2026, 11, 1);
const SIGMA = 0.3;

/** a daily cycle peaking at 15:00 local (tzOffsetMin east of UTC) */
const daily =
  (tzOffsetMin = 0) =>
  (ts: number) =>
    19 + 1.5 * Math.sin((2 * Math.PI * ((ts + tzOffsetMin * MINUTE) / HOUR - 9)) / 24);

function history(days: number, end: number, shape: (ts: number) => number, seed = 1): MinutePoint[] {
  const rng = createRng(seed);
  const out: MinutePoint[] = [];
  for (let ts = end - days * DAY; ts < end; ts += MINUTE) out.push({ ts, value: shape(ts) + SIGMA * rng.gauss() });
  return out;
}

const opts = (over: Partial<FitOptions> = {}): FitOptions => ({
  season: ['day', 'week'],
  minTrainingMinutes: 60,
  sensitivity: 'medium',
  now: TUESDAY + 14 * DAY,
  ...over,
});

describe('robust statistics', () => {
  it('median, 1.4826 × MAD ≈ σ of normal noise, and z', () => {
    const rng = createRng(7);
    const xs = Array.from({ length: 5000 }, () => 10 + 2 * rng.gauss());
    expect(median([3, 1, 2])).toBe(2);
    expect(Number.isNaN(median([]))).toBe(true);
    expect(robustScale(xs)).toBeGreaterThan(1.9);
    expect(robustScale(xs)).toBeLessThan(2.1);
    expect(robustZ(16, 10, 2)).toBe(3);
  });

  it('never returns 0: a flat series floors at its level, a quantised one at half its step', () => {
    expect(robustScale([20, 20, 20, 20])).toBeCloseTo(20e-6, 10);
    expect(robustScale([0, 0, 0])).toBe(1e-9);
    // MAD of mostly-equal values is 0; the 0.5 resolution gives 0.25
    expect(robustScale([5, 5, 5, 5, 5, 5.5])).toBe(0.25);
  });
});

describe('fitBaseline', () => {
  const end = TUESDAY + 20 * DAY;
  it('is null while training (fewer minutes than minTrainingMinutes)', () => {
    expect(fitBaseline(history(30 / 1440, end, daily()), opts({ now: end }))).toBeNull();
    expect(fitBaseline([], opts({ now: end }))).toBeNull();
    expect(fitBaseline(history(61 / 1440, end, daily()), opts({ now: end }))?.kind).toBe('recent');
  });

  it('chooses the season by history length and the configured seasons', () => {
    const kind = (days: number, season: FitOptions['season']) => fitBaseline(history(days, end, daily()), opts({ now: end, season }))?.kind;
    expect(kind(0.125, ['day', 'week'])).toBe('recent');
    expect(kind(1.9, ['day', 'week'])).toBe('recent');
    expect(kind(2, ['day', 'week'])).toBe('day');
    expect(kind(5.9, ['day', 'week'])).toBe('day');
    // about a week (the trainingDays: 7 reads a few minutes short of 7 days): weekday and weekend profiles
    expect(kind(6, ['day', 'week'])).toBe('daytype');
    expect(kind(7 - 3 / 1440, ['day', 'week'])).toBe('daytype');
    expect(kind(13.9, ['day', 'week'])).toBe('daytype');
    // hour of the week from three weeks: a median of two weeks is their mean, moved by one odd week
    expect(kind(14, ['day', 'week'])).toBe('daytype');
    expect(kind(20.9, ['day', 'week'])).toBe('daytype');
    expect(kind(21, ['day', 'week'])).toBe('week');
    expect(kind(10, ['week'])).toBe('daytype');
    expect(kind(15, ['day'])).toBe('day');
    expect(kind(15, [])).toBe('recent');
    expect(kind(3, ['week'])).toBe('recent');
  });

  it('daytype needs a weekend day and three weekdays with most of their minutes', () => {
    // end is a Monday 00:00: the 7 days before run Monday..Sunday
    const kindOf = (pts: MinutePoint[]) => fitBaseline(pts, opts({ now: end }))?.kind;
    const week = history(7, end, daily());
    const dow = (ts: number) => (Math.floor(ts / DAY) + 3) % 7; // Monday 0
    // the weekend lost to an outage: no weekend profile to learn, so the day profile
    expect(kindOf(week.filter((p) => dow(p.ts) < 5))).toBe('day');
    // a weekend with only a few hours of each day is not a covered day either
    expect(kindOf(week.filter((p) => dow(p.ts) < 5 || p.ts % DAY < 11 * HOUR))).toBe('day');
    // only two weekdays left (Monday and Friday) beside the weekend
    expect(kindOf(week.filter((p) => dow(p.ts) === 0 || dow(p.ts) >= 4))).toBe('day');
    expect(kindOf(week.filter((p) => dow(p.ts) === 0 || dow(p.ts) >= 3))).toBe('daytype');
    // in the site's zone: in Seoul (UTC+9) the last local day of this history is a Monday
    expect(fitBaseline(week, opts({ now: end, tzOffsetMin: 540 }))?.kind).toBe('daytype');
  });

  it('daytype: a fault on one training day is outvoted, on a weekday and on the one weekend day it spoils', () => {
    const shape = (ts: number) => {
      const weekend = (Math.floor(ts / DAY) + 3) % 7 >= 5;
      return (weekend ? -2 : 0) + daily()(ts);
    };
    const pts = history(7, end, shape);
    // a stuck damper: +4 °C from 10:00 to 16:00 on the Saturday and on the Wednesday of the training week
    const saturday = end - 2 * DAY;
    const wednesday = end - 5 * DAY;
    const faulty = pts.map((p) =>
      (p.ts >= saturday + 10 * HOUR && p.ts < saturday + 16 * HOUR) || (p.ts >= wednesday + 10 * HOUR && p.ts < wednesday + 16 * HOUR)
        ? { ts: p.ts, value: p.value + 4 }
        : p,
    );
    const m = fitBaseline(faulty, opts({ now: end }))!;
    expect(m.kind).toBe('daytype');
    for (const ts of [end + 5 * DAY + 13 * HOUR, end + 2 * DAY + 13 * HOUR]) {
      expect(Math.abs(m.bandAt(ts).expected - shape(ts))).toBeLessThan(0.3);
    }
  });

  it('daytype: a weekday and a weekend profile from one week, in local time, gliding into the weekend', () => {
    // office hours: weekdays 19 + the daily cycle, weekends 16 + a third of it, in Seoul time
    const tz = 540;
    const office = (ts: number) => {
      const local = ts + tz * MINUTE;
      const weekend = (Math.floor(local / DAY) + 3) % 7 >= 5;
      const cycle = daily(tz)(ts) - 19;
      return weekend ? 16 + cycle / 3 : 19 + cycle;
    };
    const pts = history(7, end, office);
    const m = fitBaseline(pts, opts({ now: end, tzOffsetMin: tz }))!;
    expect(m.kind).toBe('daytype');
    // the next week, every 20 minutes, except the hour either side of the weekend's edges (where it glides)
    const edge = (ts: number) => {
      const h = ((((ts + tz * MINUTE) % DAY) + DAY) % DAY) / HOUR;
      return h < 1 || h > 23;
    };
    let worst = 0;
    for (let ts = end; ts < end + 7 * DAY; ts += 20 * MINUTE) if (!edge(ts)) worst = Math.max(worst, Math.abs(m.bandAt(ts).expected - office(ts)));
    expect(worst).toBeLessThan(0.2);
    // its spread is the noise's; the day profile expects a weekday on Saturday and widens for it
    expect(m.scale).toBeLessThan(0.34);
    const day = fitBaseline(pts, opts({ now: end, season: ['day'], tzOffsetMin: tz }))!;
    expect(day.scale).toBeGreaterThan(1.5 * m.scale);
    const saturdayNoon = end + 5 * DAY + 3 * HOUR; // 12:00 in Seoul
    expect(Math.abs(day.bandAt(saturdayNoon).expected - office(saturdayNoon))).toBeGreaterThan(2);
    expect(Math.abs(m.bandAt(saturdayNoon).expected - office(saturdayNoon))).toBeLessThan(0.2);
    // Friday 23:59 → Saturday 00:01 local: half-way between the two profiles' midnight values, no jump
    const saturday = end + 5 * DAY - tz * MINUTE; // end is a Monday 00:00 UTC
    const jump = Math.abs(m.bandAt(saturday - MINUTE).expected - m.bandAt(saturday + MINUTE).expected);
    expect(jump).toBeLessThan(0.1);
    expect(m.bandAt(saturday).expected).toBeGreaterThan(16.2);
    expect(m.bandAt(saturday).expected).toBeLessThan(18.8);
  });

  it('daytype: of two weekend days that disagree, the one like the weekday cycle scaled to the weekend wins; a weekend hour is less certain', () => {
    // weekends run a third of the weekday cycle around 16 °C; in the training week the Saturday
    // ran 0.5 °C warm all day and the Sunday 0.5 °C cool (a weather wander)
    const weekendDay = (ts: number) => ((Math.floor(ts / DAY) + 3) % 7 === 5 ? 'sat' : (Math.floor(ts / DAY) + 3) % 7 === 6 ? 'sun' : null);
    const office = (ts: number) => {
      const cycle = daily()(ts) - 19;
      return weekendDay(ts) ? 16 + cycle / 3 : 19 + cycle;
    };
    const odd = (ts: number) => office(ts) + (weekendDay(ts) === 'sat' ? 0.5 : weekendDay(ts) === 'sun' ? -0.5 : 0);
    const m = fitBaseline(history(7, end, odd, 9), opts({ now: end }))!;
    expect(m.kind).toBe('daytype');
    // the next weekend, every 20 minutes but the hour either side of its edges (end is a Monday 00:00 UTC)
    let worst = 0;
    for (let ts = end + 5 * DAY + HOUR; ts < end + 7 * DAY - HOUR; ts += 20 * MINUTE) worst = Math.max(worst, Math.abs(m.bandAt(ts).expected - office(ts)));
    // the weekday profile merely shifted to the weekend is 1 °C too warm at 15:00 and picks the warm Saturday there
    expect(worst).toBeLessThan(0.25);
    // an hour from two weekend days is known less well than one from five weekdays: √(0.5 / (π/10)) ≈ 1.26 ×
    const saturday15 = end + 5 * DAY + 15 * HOUR;
    const wednesday15 = end + 2 * DAY + 15 * HOUR;
    const weekendU = m.bandAt(saturday15).uncertainty!;
    const weekdayU = m.bandAt(wednesday15).uncertainty!;
    expect(weekdayU).toBeGreaterThan(0);
    expect(weekendU / weekdayU).toBeGreaterThan(1.2);
    expect(weekendU / weekdayU).toBeLessThan(1.35);
  });

  it('recent: a flat band from the median and spread of the last 6 hours', () => {
    // a level of 25 a day ago and 19 in the last 6 h: only the recent level counts
    const pts = history(1, end, (ts) => (ts >= end - 6 * HOUR ? 19 : 25));
    const m = fitBaseline(pts, opts({ now: end }))!;
    expect(m.kind).toBe('recent');
    const b = m.bandAt(end + 3 * HOUR);
    expect(b.expected).toBeCloseTo(19, 1);
    expect(m.scale).toBeGreaterThan(0.25);
    expect(m.scale).toBeLessThan(0.35);
    expect(b.hi - b.expected).toBeCloseTo(3.5 * m.scale, 9);
    expect(m.bandAt(end + 11 * HOUR)).toEqual(b);
  });

  it('day: follows the daily cycle, glides across the hour, learns σ; local time by tzOffsetMin', () => {
    for (const tz of [0, 540]) {
      const m = fitBaseline(history(7, end, daily(tz)), opts({ now: end, season: ['day'], tzOffsetMin: tz }))!;
      expect(m.kind).toBe('day');
      for (let h = 0; h < 24; h += 1.25) {
        const ts = end + h * HOUR;
        expect(Math.abs(m.bandAt(ts).expected - daily(tz)(ts))).toBeLessThan(0.12);
      }
      expect(m.scale).toBeGreaterThan(0.27);
      expect(m.scale).toBeLessThan(0.34);
    }
    const m = fitBaseline(history(7, end, daily()), opts({ now: end, season: ['day'] }))!;
    const at14 = end + 14 * HOUR;
    expect(Math.abs(m.bandAt(at14 - 1000).expected - m.bandAt(at14 + 1000).expected)).toBeLessThan(0.005);
    expect(Math.abs(m.bandAt(at14 - 1000).hi - m.bandAt(at14 + 1000).hi)).toBeLessThan(0.005);
  });

  it('band width by sensitivity, never below 0.5 % of the level', () => {
    const pts = history(3, end, daily());
    const half = (s: FitOptions['sensitivity']) => {
      const b = fitBaseline(pts, opts({ now: end, sensitivity: s }))!.bandAt(end + HOUR);
      return b.hi - b.expected;
    };
    expect(half('low') / half('high')).toBeCloseTo(4.5 / 2.5, 1);
    expect(half('medium') / half('high')).toBeCloseTo(3.5 / 2.5, 1);
    const flat = fitBaseline(history(1, end, () => 400).map((p) => ({ ts: p.ts, value: 400 })), opts({ now: end }))!;
    const b = flat.bandAt(end);
    expect(flat.scale).toBeGreaterThan(0);
    expect(b.hi - b.expected).toBeCloseTo(2, 9);
  });

  it('week: learns a weekend apart from weekdays', () => {
    // weekdays 19, weekends 16 (UTC)
    const weekend = (ts: number) => {
      const dow = (Math.floor(ts / DAY) + 3) % 7; // Monday 0
      return dow >= 5 ? 16 : 19;
    };
    const pts = history(21, end, weekend);
    const week = fitBaseline(pts, opts({ now: end }))!;
    expect(week.kind).toBe('week');
    const saturdayNoon = TUESDAY + 25 * DAY + 12 * HOUR; // 2026-12-26 is a Saturday
    const tuesdayNoon = TUESDAY + 21 * DAY + 12 * HOUR;
    expect(week.bandAt(saturdayNoon).expected).toBeCloseTo(16, 0);
    expect(week.bandAt(tuesdayNoon).expected).toBeCloseTo(19, 0);
    // the day model cannot tell the days apart: its spread swallows the weekend
    const day = fitBaseline(pts, opts({ now: end, season: ['day'] }))!;
    expect(day.scale).toBeGreaterThan(week.scale);
  });

  it('follows a small recent level shift, but does not learn a large one away', () => {
    const base = history(3, end, daily(), 3);
    const shifted = (by: number) => base.map((p) => (p.ts >= end - HOUR ? { ts: p.ts, value: p.value + by } : p));
    const plain = fitBaseline(base, opts({ now: end }))!;
    // σ 0.3: 0.1 is a third of a scale (followed), 3 is ten scales (not: it is what the detectors must see)
    const small = fitBaseline(shifted(0.1), opts({ now: end }))!;
    const large = fitBaseline(shifted(3), opts({ now: end }))!;
    const t = end + 10 * MINUTE;
    // followed within the noise of a 60-minute median (σ/√60 · 1.25 ≈ 0.05)
    expect(small.bandAt(t).expected - plain.bandAt(t).expected).toBeGreaterThan(0.04);
    expect(small.bandAt(t).expected - plain.bandAt(t).expected).toBeLessThan(0.16);
    // only the bucket medians move a little (a third of that hour's minutes are shifted); the level is not followed
    expect(Math.abs(large.bandAt(t).expected - plain.bandAt(t).expected)).toBeLessThan(0.3);
    expect(large.toJSON().params['level']).toBe(0);
  });

  it('restoreBaseline(toJSON()) gives the same bands, through JSON, for each kind', () => {
    for (const days of [0.2, 3, 8, 15]) {
      const m = fitBaseline(history(days, end, daily(), 5), opts({ now: end, tzOffsetMin: 540 }))!;
      const back = restoreBaseline(JSON.parse(JSON.stringify(m.toJSON())));
      expect(back.kind).toBe(m.kind);
      expect(back.scale).toBe(m.scale);
      expect(back.fittedAt).toBe(end);
      expect(back.trainedMinutes).toBe(m.trainedMinutes);
      for (let ts = end; ts < end + 8 * DAY; ts += 37 * MINUTE) expect(back.bandAt(ts)).toEqual(m.bandAt(ts));
    }
    expect(() => restoreBaseline({ kind: 'day', fittedAt: 0, trainedMinutes: 1, params: { medians: [1] } })).toThrow(/bad day/);
    // a daytype row has two profiles: 24 medians are a broken row, refitted by the service
    expect(() => restoreBaseline({ kind: 'daytype', fittedAt: 0, trainedMinutes: 1, params: { medians: Array(24).fill(1), scales: Array(24).fill(1), level: 0, scale: 1, k: 3.5, tzOffsetMin: 0 } })).toThrow(/bad daytype/);
    expect(() => restoreBaseline({ kind: 'month' as 'day', fittedAt: 0, trainedMinutes: 1, params: {} })).toThrow(/unknown kind month/);
  });

  it('reads a week model stored before the weekday/weekend profiles existed, unchanged', () => {
    // an analytics.db row as the earlier release wrote it: hour-of-week medians from Monday 00:00 local
    const medians = Array.from({ length: 168 }, (_, h) => (h >= 120 ? 16 : 19) + (h % 24) / 100);
    const stored = { kind: 'week' as const, fittedAt: end, trainedMinutes: 20_160, params: { medians, scales: Array(168).fill(0.3), level: 0, scale: 0.3, k: 3.5, tzOffsetMin: 0 } };
    const m = restoreBaseline(JSON.parse(JSON.stringify(stored)));
    expect(m.kind).toBe('week');
    // Saturday 2026-12-26 12:30 UTC: bucket 5 × 24 + 12 exactly at its centre
    expect(m.bandAt(Date.UTC(2026, 11, 26, 12, 30)).expected).toBeCloseTo(16.12, 9);
    // Tuesday 2026-12-22 03:30: bucket 27
    expect(m.bandAt(Date.UTC(2026, 11, 22, 3, 30)).expected).toBeCloseTo(19.03, 9);
    expect(m.toJSON()).toEqual(stored);
  });
});
