/**
 * A point's learned normal: the expected value and band at any wall time, fitted from its
 * 1-minute history. With two weeks of history it learns the hour of the week, with about one week
 * two day profiles (Monday–Friday and Saturday–Sunday: an office load is lighter at the weekend),
 * with two days the hour of the day, and before that only the recent level; so a new point is
 * judged early, and judged better as history grows.
 */
import type { Band, BaselineKind, BaselineModel, FitOptions, MinutePoint, SerializedBaseline, Sensitivity } from '../types.js';
import { median, robustScale } from './robust.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/**
 * The hour-of-week model needs three weeks: each of its 168 hours is a median over the weeks, and
 * a median of two is their mean, which one odd week moves by half (and whose residuals are half
 * their difference, so the spread it learns is too small). With two weeks it made the larger
 * labelled evaluation's drift and peer checks raise ~9 false alarms per 100 point-days where the
 * weekday/weekend profiles of the same fortnight raised none; three weeks outvote one odd week.
 */
const WEEK_MIN_SPAN = 3 * WEEK;
/** hours from the local epoch (1970-01-01 00:00, a Thursday) back to the Monday before it */
const MONDAY_OFFSET_H = 72;
/**
 * Weekday/weekend profiles need about a week: six days of span (a week read back as
 * `trainingDays: 7` ends a few minutes short of seven, and a restart gap at its start shortens it
 * more), with at least one weekend day and three weekdays at least half covered, so each profile
 * has days of its own to learn from.
 */
const DAYTYPE_MIN_SPAN = 6 * DAY;
const DAYTYPE_MIN_WEEKEND_DAYS = 1;
const DAYTYPE_MIN_WEEKDAYS = 3;
/** a local day counts toward that only with half its minutes in the history */
const COVERED_DAY_MINUTES = 12 * 60;

/** band half-width in scales: a wider band for a less sensitive point */
const BAND_K: Record<Sensitivity, number> = { low: 4.5, medium: 3.5, high: 2.5 };
/** a very quiet signal still gets a band of ±0.5 % of its level (a sensor's own accuracy) */
const QUIET_FLOOR = 0.005;
/** the `recent` baseline looks at the last 6 hours: long enough to be stable, short enough to follow a new point */
const RECENT_WINDOW = 6 * HOUR;
/** a bucket gets its own spread only with this many minutes in it; fewer would make a noisy MAD */
const MIN_BUCKET_POINTS = 30;
/**
 * A bucket's spread is never below the overall one: it may only widen the band (an hour that is
 * noisier, e.g. while the load climbs, earns a wider band). An hour's minutes are not independent:
 * a wander of an hour or more makes the 300 minutes of a weekday hour in a week about five draws,
 * and a spread from five draws is often half the true one by luck (the labelled series: bucket
 * spreads 0.26–1.07 around a true 0.63), which gave a razor-thin band at that hour every day.
 */
const MIN_BUCKET_SCALE_RATIO = 1;
/**
 * The last hour's median residual is added to the expected value only when it is within half a
 * scale: small level differences (a setpoint nudged, a seasonal change since the week before) are
 * followed, a larger shift is what the detectors must see, so it is not learned away. Half a
 * scale is the drift CUSUM's allowance: a level followed wrongly (a refit during a fault) cannot
 * by itself add up to a drift alarm once the point is back.
 */
const MAX_LEVEL_SHIFT = 0.5;

interface SeasonalParams {
  medians: number[];
  scales: number[];
  /**
   * per bucket, how far its expected value may be off (profileUncertainties). A plain array like
   * the medians and scales: interpolate() reads all three on every sample, and one typed array
   * among them made its element loads polymorphic. null: a model stored before they were kept
   * (read back unchanged)
   */
  uncertainties: number[] | null;
  level: number;
  scale: number;
  k: number;
  tzOffsetMin: number;
}

interface RecentParams {
  center: number;
  scale: number;
  k: number;
}

/** Fits the baseline for history ending at options.now; null while the point is still training. */
export function fitBaseline(history: readonly MinutePoint[], options: FitOptions): BaselineModel | null {
  const points = history.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.ts));
  if (points.length === 0 || points.length < options.minTrainingMinutes) return null;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    first = Math.min(first, p.ts);
    last = Math.max(last, p.ts);
  }
  // the span a minute series covers: 14 days of minutes run from the first minute to the end of the last
  const span = last - first + MINUTE;
  const k = BAND_K[options.sensitivity];
  const meta = { fittedAt: options.now, trainedMinutes: points.length };
  const tzOffsetMin = options.tzOffsetMin ?? 0;
  if (options.season.includes('week') && span >= WEEK_MIN_SPAN) return seasonalModel('week', fitSeasonal('week', points, last, k, tzOffsetMin), meta);
  if (options.season.includes('week') && span >= DAYTYPE_MIN_SPAN && coversDayTypes(points, tzOffsetMin)) {
    return seasonalModel('daytype', fitSeasonal('daytype', points, last, k, tzOffsetMin), meta);
  }
  if (options.season.includes('day') && span >= 2 * DAY) return seasonalModel('day', fitSeasonal('day', points, last, k, tzOffsetMin), meta);
  const values = points.filter((p) => p.ts > last - RECENT_WINDOW).map((p) => p.value);
  return recentModel({ center: median(values), scale: robustScale(values), k }, meta);
}

/** Rebuilds a fitted baseline from what toJSON() kept (after a restart, without reading history). */
export function restoreBaseline(s: SerializedBaseline): BaselineModel {
  const meta = { fittedAt: s.fittedAt, trainedMinutes: s.trainedMinutes };
  if (s.kind === 'recent') {
    const p = s.params as Partial<RecentParams>;
    if (!isNum(p.center) || !isNum(p.scale) || !isNum(p.k)) throw new Error('restoreBaseline: bad recent params');
    return recentModel({ center: p.center, scale: p.scale, k: p.k }, meta);
  }
  if (s.kind !== 'day' && s.kind !== 'daytype' && s.kind !== 'week') throw new Error(`restoreBaseline: unknown kind ${String(s.kind)}`);
  const p = s.params as Partial<SeasonalParams>;
  const n = bucketCount(s.kind);
  const okArray = (xs: unknown): xs is number[] => Array.isArray(xs) && xs.length === n && xs.every(isNum);
  const stored = (p as { uncertainties?: unknown }).uncertainties;
  if (!okArray(p.medians) || !okArray(p.scales) || !isNum(p.level) || !isNum(p.scale) || !isNum(p.k) || !isNum(p.tzOffsetMin) || (stored !== undefined && !okArray(stored))) {
    throw new Error(`restoreBaseline: bad ${s.kind} params`);
  }
  // a model stored before the uncertainties were kept: none, as it was judged then (the next refit adds them)
  const uncertainties = stored === undefined ? null : Array.from(stored as number[]);
  return seasonalModel(s.kind, { medians: p.medians, scales: p.scales, uncertainties, level: p.level, scale: p.scale, k: p.k, tzOffsetMin: p.tzOffsetMin }, meta);
}

type SeasonalKind = Exclude<BaselineKind, 'recent'>;

/** Whether the history has a weekend day and three weekdays, each with at least half its minutes. */
function coversDayTypes(points: readonly MinutePoint[], tzOffsetMin: number): boolean {
  const minutesByDay = new Map<number, number>();
  for (const p of points) {
    const day = Math.floor(localHour(p.ts, tzOffsetMin) / 24);
    minutesByDay.set(day, (minutesByDay.get(day) ?? 0) + 1);
  }
  let weekend = 0;
  let weekdays = 0;
  for (const [day, minutes] of minutesByDay) {
    if (minutes < COVERED_DAY_MINUTES) continue;
    if (isWeekendDay(day)) weekend++;
    else weekdays++;
  }
  return weekend >= DAYTYPE_MIN_WEEKEND_DAYS && weekdays >= DAYTYPE_MIN_WEEKDAYS;
}

function fitSeasonal(kind: SeasonalKind, points: readonly MinutePoint[], last: number, k: number, tzOffsetMin: number): SeasonalParams {
  const n = bucketCount(kind);
  const votes = dayVotes(kind, points, tzOffsetMin);
  let medians: number[];
  if (kind === 'daytype') {
    medians = dayTypeMedians(votes);
  } else {
    const groups: number[][] = Array.from({ length: n }, () => []);
    for (const p of points) groups[bucketOf(kind, Math.floor(localHour(p.ts, tzOffsetMin)))]!.push(p.value);
    medians = fillGaps(groups.map((g) => (g.length > 0 ? median(g) : Number.NaN)));
  }

  // residuals against the smoothed curve, the same one bandAt() draws, so the spread matches the band
  const residualGroups: number[][] = Array.from({ length: n }, () => []);
  const residuals: number[] = [];
  const lastHour: number[] = [];
  for (const p of points) {
    const hour = localHour(p.ts, tzOffsetMin);
    const r = p.value - interpolate(kind, medians, hour);
    residuals.push(r);
    residualGroups[bucketOf(kind, Math.floor(hour))]!.push(r);
    if (p.ts > last - HOUR) lastHour.push(r);
  }
  const scale = robustScale(residuals);
  // around 0, not around the bucket's own median: a curve that misses a bucket widens its band
  const scales = residualGroups.map((g) =>
    g.length >= MIN_BUCKET_POINTS ? Math.max(1.4826 * median(g.map(Math.abs)), MIN_BUCKET_SCALE_RATIO * scale) : scale,
  );
  const shift = median(lastHour);
  const level = Number.isFinite(shift) && Math.abs(shift) <= MAX_LEVEL_SHIFT * scale ? shift : 0;
  return { medians, scales, uncertainties: profileUncertainties(votes), level, scale, k, tzOffsetMin };
}

/** Per bucket, the median of each local day's minutes in it: one vote a day (an hour of the week: one a week). */
function dayVotes(kind: SeasonalKind, points: readonly MinutePoint[], tzOffsetMin: number): number[][] {
  const byDayHour = new Map<number, number[]>();
  for (const p of points) {
    const hour = Math.floor(localHour(p.ts, tzOffsetMin));
    const list = byDayHour.get(hour);
    if (list) list.push(p.value);
    else byDayHour.set(hour, [p.value]);
  }
  const votes: number[][] = Array.from({ length: bucketCount(kind) }, () => []);
  for (const [hour, values] of byDayHour) votes[bucketOf(kind, hour)]!.push(median(values));
  return votes;
}

/** the variance of the median of m normal draws, in units of one draw's (m 2: their mean) */
function medianVariance(m: number): number {
  return m <= 1 ? 1 : m === 2 ? 0.5 : Math.PI / (2 * m);
}
/** fewer leave-one-out deviations than this say too little about how days differ: no uncertainty claimed */
const MIN_DAY_DEVIATIONS = 12;

/**
 * How far each bucket's expected value may be off, in point units: an hour's value differs from
 * day to day (the wander of an hour or more does not average out within the hour), and a profile
 * hour learned from n days is off by about that day-to-day spread × √(variance of a median of n).
 * The day-to-day spread is pooled over every bucket (one hour's two or five days say little
 * alone): each day's vote against the median of the bucket's other days, scaled to one day. A
 * weekend hour learnt from two days is thus less certain than a weekday hour from five, and the
 * drift check widens its reference by it (drift.ts) rather than trusting a profile of two days as
 * much as one of five (the larger evaluation, seed 17: 4 of 5 false drift alarms at weekends).
 * The weekend's vote from the weekday profile (weekendLike) is not counted as a day: it is a
 * guess of the shape, not an observation of it.
 */
function profileUncertainties(votes: readonly number[][]): number[] {
  const deviations: number[] = [];
  for (const v of votes) {
    if (v.length < 2) continue;
    const scaleToOne = 1 / Math.sqrt(1 + medianVariance(v.length - 1));
    for (let i = 0; i < v.length; i++) deviations.push((v[i]! - median(v.filter((_, j) => j !== i))) * scaleToOne);
  }
  const daySpread = deviations.length >= MIN_DAY_DEVIATIONS ? robustScale(deviations) : 0;
  return votes.map((v) => daySpread * Math.sqrt(medianVariance(v.length)));
}

/**
 * The weekday and weekend profiles, each hour from the medians of whole days, not of pooled
 * minutes: a fault in the training week spoils one day's hour, and a median over days outvotes it.
 * A week holds only one or two weekend days, too few to outvote anything, so the weekend hour
 * also takes a vote from the weekday profile mapped onto the weekend (weekendLike): with two
 * weekend days that disagree, the one that looks like an ordinary weekend wins.
 */
function dayTypeMedians(votes: readonly number[][]): number[] {
  const weekdays = fillGaps(votes.slice(0, 24).map((v) => (v.length > 0 ? median(v) : Number.NaN)));
  const like = weekendLike(weekdays, votes.slice(24));
  const weekend = fillGaps(votes.slice(24).map((v, h) => (v.length > 0 ? median([...v, like.offset + like.gain * weekdays[h]!]) : Number.NaN)));
  return [...weekdays, ...weekend];
}

/** the weekend's cycle as a share of the weekday's: held within these (a weekend never runs a cycle twice the weekday's, nor an inverted one) */
const WEEKEND_GAIN_MIN = 0;
const WEEKEND_GAIN_MAX = 2;

/**
 * The weekend as the weekday profile scaled and shifted (offset + gain × weekday hour), fitted
 * over the 24 hours' weekend day medians by Theil–Sen (the median of the pairwise slopes, then
 * the median intercept): robust to a few hours spoilt by a fault. A lighter weekend is mostly the
 * same daily cycle, smaller: the office load rises less. A shift alone (gain 1) was wrong by
 * hour, too high at the weekend's busy hours and too low at night, and that biased vote picked,
 * of two weekend days, the one on its side (the larger evaluation, seed 17: a UPS load ran 4.8
 * scales under the expected value on a Saturday morning, 3.2 with the scaled vote; two false
 * drift alarms there).
 * Where the weekday profile is nearly flat the gain is a guess, but then it barely matters: the
 * intercept is fitted after it, to the same hours.
 */
function weekendLike(weekdays: readonly number[], weekendVotes: readonly number[][]): { offset: number; gain: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let h = 0; h < 24; h++) {
    const v = weekendVotes[h]!;
    if (v.length === 0) continue;
    xs.push(weekdays[h]!);
    ys.push(median(v));
  }
  if (xs.length === 0) return { offset: 0, gain: 1 };
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const dx = xs[j]! - xs[i]!;
      if (dx !== 0) slopes.push((ys[j]! - ys[i]!) / dx);
    }
  }
  const gain = slopes.length > 0 ? Math.min(WEEKEND_GAIN_MAX, Math.max(WEEKEND_GAIN_MIN, median(slopes))) : 1;
  return { offset: median(ys.map((y, i) => y - gain * xs[i]!)), gain };
}

function seasonalModel(kind: SeasonalKind, p: SeasonalParams, meta: { fittedAt: number; trainedMinutes: number }): BaselineModel {
  return {
    kind,
    ...meta,
    scale: p.scale,
    bandAt(ts) {
      const hour = localHour(ts, p.tzOffsetMin);
      const uncertainty = p.uncertainties ? interpolate(kind, p.uncertainties, hour) : 0;
      return band(interpolate(kind, p.medians, hour) + p.level, interpolate(kind, p.scales, hour), p.k, uncertainty);
    },
    toJSON: () => {
      const { uncertainties, ...rest } = p;
      const params = { ...rest, medians: [...p.medians], scales: [...p.scales], ...(uncertainties && { uncertainties: [...uncertainties] }) };
      return { kind, ...meta, params };
    },
  };
}

function recentModel(p: RecentParams, meta: { fittedAt: number; trainedMinutes: number }): BaselineModel {
  const fixed = band(p.center, p.scale, p.k);
  return {
    kind: 'recent',
    ...meta,
    scale: p.scale,
    bandAt: () => ({ ...fixed }),
    toJSON: () => ({ kind: 'recent' as BaselineKind, ...meta, params: { ...p } }),
  };
}

function band(expected: number, scale: number, k: number, uncertainty = 0): Band {
  const half = Math.max(k * scale, QUIET_FLOOR * Math.abs(expected));
  return { expected, lo: expected - half, hi: expected + half, uncertainty };
}

function bucketCount(kind: BaselineKind): number {
  return kind === 'week' ? 168 : kind === 'daytype' ? 48 : 24;
}

/** Hours (fractional) since the local epoch, 1970-01-01 00:00 local time. */
function localHour(ts: number, tzOffsetMin: number): number {
  return (ts + tzOffsetMin * MINUTE) / HOUR;
}

/** Saturday or Sunday, for a local day number since 1970-01-01 (a Thursday). */
function isWeekendDay(day: number): boolean {
  const mondayFirst = (((day + 3) % 7) + 7) % 7;
  return mondayFirst >= 5;
}

/**
 * The bucket of a whole local hour: its hour of the day; of the week from Monday 00:00; or, for
 * `daytype`, its hour of the day in the weekday profile (0–23) or the weekend one (24–47).
 */
function bucketOf(kind: SeasonalKind, hour: number): number {
  const ofDay = ((hour % 24) + 24) % 24;
  if (kind === 'day') return ofDay;
  if (kind === 'week') return (((hour + MONDAY_OFFSET_H) % 168) + 168) % 168;
  return isWeekendDay(Math.floor(hour / 24)) ? 24 + ofDay : ofDay;
}

/**
 * The value at a local hour, linear between the centres of the hours either side, each from its
 * own bucket, so the expected value glides from one hour to the next instead of jumping on the
 * hour (and from Friday night into the weekend profile across midnight).
 */
function interpolate(kind: SeasonalKind, values: readonly number[], hour: number): number {
  const p = hour - 0.5;
  const h0 = Math.floor(p);
  const f = p - h0;
  const a = values[bucketOf(kind, h0)]!;
  const b = values[bucketOf(kind, h0 + 1)]!;
  return a + (b - a) * f;
}

/** Buckets without history take the line between their nearest filled neighbours (around the period). */
function fillGaps(values: number[]): number[] {
  const n = values.length;
  const filled = values.map((v, i) => ({ v, i })).filter((x) => Number.isFinite(x.v));
  if (filled.length === 0) return values.map(() => 0);
  return values.map((v, i) => {
    if (Number.isFinite(v)) return v;
    let before = filled[filled.length - 1]!;
    let after = filled[0]!;
    for (const x of filled) {
      if (x.i < i) before = x;
      else {
        after = x;
        break;
      }
    }
    const gapBefore = (i - before.i + n) % n;
    const gapAfter = (after.i - i + n) % n;
    const total = gapBefore + gapAfter;
    return total === 0 ? before.v : before.v + ((after.v - before.v) * gapBefore) / total;
  });
}

function isNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
