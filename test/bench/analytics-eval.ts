/**
 * Labelled accuracy evaluation of the edge analytics (issue 16 §6): synthetic but physically
 * shaped series with planted faults (analytics-series.ts) are fed to the detectors the way the
 * gateway service feeds them, and every alarm is scored against the labels, beside a plain
 * static-threshold alarm (the HI/LO limits a site would set) on the same data.
 *
 * How the service is imitated: per point a baseline fitted with fitBaseline on the last 7 days of
 * minute means, refitted every 6 h of simulated time; every 10 s sample to observe() of each
 * detector; every finding checked every 10 s of sample time, raised as an alarm after its on-delay
 * (band 300 s, the others 0, static 10 s) and cleared when the finding returns; a unit with a
 * finding of its own or past a limit is left out of its siblings' peer reference, as the service
 * does. The series' leading days are history only; the detectors start a few hours (warm-up)
 * before scoring begins.
 *
 * Scoring, per fault kind and per detector (and "analytics": all of them together, each check
 * being its own alarm in the engine):
 * - recall: faults with an alarm raised between their start and end + grace (drift 30 min,
 *   spike 2 min, others 10 min); ramps also count "before the limit": raised before the crossing;
 * - delay: raise time − fault start (median, p90), for ramps also the lead before the crossing;
 * - precision: alarms overlapping a fault's span (its end + 2 h settling) / all alarms;
 * - false alarms per 100 point-days: alarms outside every fault span / clean point-days;
 * - ramps: the time-to-limit error of a forecast made 10 min before the value without its sensor
 *   noise crosses HI, relative to those 10 min; also against the ramp's path from the level before
 *   it (the first definition) and, for the record, the first noisy sample over HI;
 * - drift and peer: how long before the static threshold the analytics alarm came.
 * Run alone: `npx tsx test/bench/analytics-eval.ts` (or `npm run eval`): 16 points over 2 scored
 * days, sized to the ~60 s budget, the time to limit on the ramps of 64; `--groups 8 --days 21`
 * gives 224 point-days (a few minutes), `--ttl-groups 64` more ramps, `--seed 17` other series, and
 * `--drift low`, `--forecast-window 20`, `--baseline-days 14`, `--forecast-on-delay 120` try tunings;
 * `--list-false` lists every false alarm (detector, point, local time, length) under the table;
 * `--checks band,drift,peer` runs only those checks (quicker: the forecast is most of the time).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fitBaseline } from '../../gateway/analytics/model/baseline.js';
import { createBandDetector, createDriftDetector, createPeerDetector, createSpikeDetector } from '../../gateway/analytics/model/detectors/index.js';
import { createForecastDetector, makeForecast } from '../../gateway/analytics/model/forecast.js';
import { pastLimit } from '../../gateway/analytics/limits.js';
import type { BaselineModel, Detector, MinutePoint, PointLabel, Sensitivity } from '../../gateway/analytics/types.js';
import {
  FAULT_KINDS,
  type FaultKind,
  generateSeries,
  SAMPLE_S,
  type SeriesOptions,
  type SeriesPoint,
  type SeriesSet,
  TZ_OFFSET_MIN,
} from './analytics-series.js';
import { type BenchRow, formatTable } from './bench-row.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SAMPLE_MS = SAMPLE_S * 1000;

const DETECTORS = ['band', 'spike', 'drift', 'peer', 'forecast'] as const;
type DetectorName = (typeof DETECTORS)[number];
/** every detector, their union ("analytics": any analytics alarm) and the static-threshold baseline */
const COLUMNS = [...DETECTORS, 'analytics', 'static'] as const;
type Column = (typeof COLUMNS)[number];
const TRACKED = [...DETECTORS, 'static'] as const;

const ON_DELAY_MS: Record<(typeof TRACKED)[number], number> = { band: 300_000, spike: 0, drift: 0, peer: 0, forecast: 0, static: 10_000 };
const GRACE_MS: Record<FaultKind, number> = { spike: 2 * MINUTE, step: 10 * MINUTE, drift: 30 * MINUTE, peer: 10 * MINUTE, ramp: 10 * MINUTE };
/** after a fault ends the signal settles (CUSUM sums run down, the EWMA forgets): alarms then are the fault's, not false */
const SETTLE_MS = 2 * HOUR;
const HORIZON_MIN = 60;
/** the forecast's time-to-limit is judged this long before the true crossing */
const TTL_LEAD_MS = 10 * MINUTE;

export interface AnalyticsEvalOptions extends SeriesOptions {
  /** for every detector (default medium) */
  sensitivity?: Sensitivity;
  /** per detector, over `sensitivity` (to try a tuning) */
  sensitivityOf?: Partial<Record<'spike' | 'drift' | 'peer', Sensitivity>>;
  /** the forecast.limit alarm's on-delay (default 0) and the forecast's trend window (default the model's 10 min) */
  forecastOnDelayS?: number;
  forecastWindowMin?: number;
  /** days of minute means a refit reads (default 7, the issue's example) */
  baselineTrainingDays?: number;
  /** hours of simulated time between refits (default 6) */
  refitHours?: number;
  /**
   * groups of series the time-to-limit error is judged on (default 4 × groups): only the ramps'
   * windows are forecast, so four times the ramps cost a few seconds, and the p90 of 8 ramps was
   * the worst of them
   */
  ttlGroups?: number;
  /** list every false alarm (detector, point, local start, length) under the table, to see where they come from */
  listFalse?: boolean;
  /**
   * the checks run (default all): a subset for a quick look at some of them (the forecast is most
   * of the run's time); "analytics" is then their union, and a peer's own findings are of those only
   */
  checks?: DetectorName[];
}

interface Alarm {
  raisedAt: number;
  clearedAt: number;
}

/** An alarm's lifecycle in miniature: raised after the finding has been active for onDelay, cleared when it returns. */
function createAlarmTrack(onDelayMs: number, countFrom: number) {
  let activeSince: number | null = null;
  let open: Alarm | null = null;
  const alarms: Alarm[] = [];
  return {
    alarms,
    update(now: number, active: boolean) {
      if (active) {
        activeSince ??= now;
        if (!open && now - activeSince >= onDelayMs) {
          open = { raisedAt: now, clearedAt: Number.POSITIVE_INFINITY };
          // alarms raised during the warm-up are not scored
          if (now >= countFrom) alarms.push(open);
        }
      } else {
        activeSince = null;
        if (open) open.clearedAt = now;
        open = null;
      }
    },
  };
}
type AlarmTrack = ReturnType<typeof createAlarmTrack>;

interface Unit {
  point: SeriesPoint;
  detectors: Record<DetectorName, Detector>;
  tracks: Record<(typeof TRACKED)[number], AlarmTrack>;
  baseline: BaselineModel | null;
  hi: number;
  lo: number;
  /** the last good sample (the static alarm judges it while the sensor is out, as a limit alarm would) */
  last: number;
}

interface RunResult {
  alarms: Map<string, Record<Column, Alarm[]>>;
  seconds: Record<'fit' | DetectorName, number>;
}

/** Whether a unit may be its peers' reference now: no finding of its own (any check) and inside its limits (see peer.ts). */
function trustworthy(u: Unit, value: number, ts: number, checks: readonly DetectorName[]): boolean {
  if (pastLimit(value, u.point.limits)) return false;
  for (const name of checks) if (u.detectors[name].finding(ts).active) return false;
  return true;
}

/** Feeds a group of four identical units sample by sample, as the service would, and records every alarm. */
type RunOptions = Required<Pick<AnalyticsEvalOptions, 'sensitivity' | 'sensitivityOf' | 'baselineTrainingDays' | 'refitHours' | 'forecastOnDelayS' | 'checks'>> & { forecastWindowMin?: number };

function runGroup(set: SeriesSet, members: SeriesPoint[], opts: RunOptions, out: RunResult): void {
  const latest = new Float64Array(members.length).fill(Number.NaN);
  const units: Unit[] = members.map((point, m) => {
    const label: PointLabel = { name: point.name, unit: point.unit, tzOffsetMin: TZ_OFFSET_MIN };
    // as the service does: a peer with a finding of its own or past a limit is no reference
    const peerValues = (ts: number) => {
      const values: number[] = [];
      for (let j = 0; j < latest.length; j++) if (j !== m && !Number.isNaN(latest[j]!) && trustworthy(units[j]!, latest[j]!, ts, opts.checks)) values.push(latest[j]!);
      return values;
    };
    const sensitivity = (d: 'spike' | 'drift' | 'peer') => opts.sensitivityOf[d] ?? opts.sensitivity;
    const onDelay = { ...ON_DELAY_MS, forecast: opts.forecastOnDelayS * 1000 };
    const tracks = Object.fromEntries(TRACKED.map((c) => [c, createAlarmTrack(onDelay[c], set.scoredFrom)])) as Record<(typeof TRACKED)[number], AlarmTrack>;
    const windowMin = opts.forecastWindowMin;
    return {
      point,
      detectors: {
        band: createBandDetector({ label }),
        spike: createSpikeDetector({ label, sensitivity: sensitivity('spike') }),
        drift: createDriftDetector({ label, sensitivity: sensitivity('drift') }),
        peer: createPeerDetector({ label, sensitivity: sensitivity('peer'), peerValues }),
        forecast: createForecastDetector({ label, horizonMin: HORIZON_MIN, limits: () => point.limits, ...(windowMin !== undefined && { windowMin }) }),
      },
      tracks,
      baseline: null,
      hi: point.limits.find((l) => l.level === 'hi')?.limit ?? Number.POSITIVE_INFINITY,
      lo: point.limits.find((l) => l.level === 'lo')?.limit ?? Number.NEGATIVE_INFINITY,
      last: Number.NaN,
    };
  });
  const refitMs = opts.refitHours * HOUR;
  const trainingMinutes = opts.baselineTrainingDays * 1440;
  const samples = members[0]!.values.length;
  let nextFit = set.detailFrom;
  const clock = { fit: 0, band: 0, spike: 0, drift: 0, peer: 0, forecast: 0 };
  for (let i = 0; i < samples; i++) {
    const ts = set.detailFrom + i * SAMPLE_MS;
    if (ts >= nextFit) {
      const t0 = performance.now();
      for (const u of units) u.baseline = fitBaseline(minuteHistory(set, u.point, ts, trainingMinutes), { season: ['day', 'week'], minTrainingMinutes: 60, sensitivity: opts.sensitivity, now: ts, tzOffsetMin: TZ_OFFSET_MIN });
      clock.fit += performance.now() - t0;
      // on the 6 h marks of the series' clock, as a service's schedule would be
      nextFit = set.start + (Math.floor((ts - set.start) / refitMs) + 1) * refitMs;
    }
    for (let m = 0; m < units.length; m++) latest[m] = members[m]!.values[i]!;
    for (let m = 0; m < units.length; m++) {
      const u = units[m]!;
      const value = latest[m]!;
      if (!Number.isNaN(value)) {
        u.last = value;
        for (const name of opts.checks) {
          const t0 = performance.now();
          u.detectors[name].observe(ts, value, u.baseline);
          clock[name] += performance.now() - t0;
        }
      }
      for (const name of opts.checks) u.tracks[name].update(ts, u.detectors[name].finding(ts).active);
      u.tracks.static.update(ts, u.last > u.hi || u.last < u.lo);
    }
  }
  for (const u of units) {
    const alarms = Object.fromEntries(TRACKED.map((c) => [c, u.tracks[c].alarms])) as Record<Column, Alarm[]>;
    // each check is its own alarm in the engine: "analytics" is all of them together
    alarms.analytics = DETECTORS.flatMap((d) => alarms[d]).sort((a, b) => a.raisedAt - b.raisedAt);
    out.alarms.set(u.point.id, alarms);
  }
  for (const k of Object.keys(clock) as Array<keyof typeof clock>) out.seconds[k] += clock[k] / 1000;
}

/** The point's minute means over [now − minutes, now), as the store's rollups would give a refit. */
function minuteHistory(set: SeriesSet, point: SeriesPoint, now: number, minutes: number): MinutePoint[] {
  const end = Math.floor((now - set.start) / MINUTE);
  const history: MinutePoint[] = [];
  for (let k = Math.max(0, end - minutes); k < end; k++) {
    const value = point.minutes[k]!;
    if (!Number.isNaN(value)) history.push({ ts: set.start + k * MINUTE, value });
  }
  return history;
}

interface KindScore {
  faults: number;
  detected: number;
  delaysMin: number[];
  /** ramps: raised before the crossing, and the lead before it (min) */
  beforeLimit: number;
  leadsMin: number[];
}

const quantile = (xs: readonly number[], q: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
};

/** what a time-to-limit forecast is judged against (see timeToLimitErrors) */
type TtlTruth = 'signal' | 'path';

/**
 * Time-to-limit error of a fresh forecast made 10 min before each ramp's true crossing, relative to
 * those 10 min, against two truths:
 * - `signal`: when the value without its sensor noise crosses HI (the level goes on moving with the
 *   load cycle and the wander while the ramp runs): when the process crosses, what the issue's
 *   "within ±20 % at 10 minutes out" asks about;
 * - `path`: when the ramp's noise-free path from the level before it crosses (the level held still):
 *   the first definition, kept for comparison; on slow ramps the wander alone moves it by ±15 %.
 * The error against the first noisy sample over the limit is kept too (`vsSample`, with `path`).
 */
function timeToLimitErrors(set: SeriesSet, byId: Map<string, SeriesPoint>, windowMin: number | undefined): { shape: string; truth: TtlTruth; error: number; vsSample: number }[] {
  const results: { shape: string; truth: TtlTruth; error: number; vsSample: number }[] = [];
  for (const f of set.faults) {
    if (f.kind !== 'ramp' || f.pathCrossingAt === undefined || f.signalCrossingAt === undefined || f.crossingAt === undefined) continue;
    const point = byId.get(f.point)!;
    for (const [truth, at] of [
      ['signal', f.signalCrossingAt],
      ['path', f.pathCrossingAt],
    ] as const) {
      const now = at - TTL_LEAD_MS;
      const samples: MinutePoint[] = [];
      for (let ts = now - (windowMin ?? 10) * MINUTE; ts <= now; ts += SAMPLE_MS) {
        const value = point.values[Math.round((ts - set.detailFrom) / SAMPLE_MS)]!;
        if (!Number.isNaN(value)) samples.push({ ts, value });
      }
      const forecast = makeForecast(samples, { now, horizonMin: HORIZON_MIN, limits: point.limits, ...(windowMin !== undefined && { windowMin }) });
      const hi = forecast?.crossings.find((c) => c.level === 'hi');
      // no crossing forecast within the horizon: as wrong as a forecast can be
      const error = (crossing: number) => (hi ? Math.abs(hi.at - crossing) / (crossing - now) : Number.POSITIVE_INFINITY);
      results.push({ shape: f.shape ?? 'linear', truth, error: error(at), vsSample: error(f.crossingAt) });
    }
  }
  return results;
}

export interface AnalyticsEvaluation {
  rows: BenchRow[];
  table: string;
}

export function evaluateAnalytics(options: AnalyticsEvalOptions = {}): AnalyticsEvaluation {
  const started = performance.now();
  // 16 points (a group of each kind) over 2 scored days fit the ~60 s budget; see the CLI for more
  const set = generateSeries({ groups: 4, days: 16, ...options });
  const generatedS = (performance.now() - started) / 1000;
  const opts: RunOptions = {
    sensitivity: options.sensitivity ?? 'medium',
    sensitivityOf: options.sensitivityOf ?? {},
    baselineTrainingDays: options.baselineTrainingDays ?? 7,
    refitHours: options.refitHours ?? 6,
    forecastOnDelayS: options.forecastOnDelayS ?? 0,
    checks: options.checks ?? [...DETECTORS],
    ...(options.forecastWindowMin !== undefined && { forecastWindowMin: options.forecastWindowMin }),
  };
  const run: RunResult = { alarms: new Map(), seconds: { fit: 0, band: 0, spike: 0, drift: 0, peer: 0, forecast: 0 } };
  const groups = new Map<number, SeriesPoint[]>();
  for (const p of set.points) groups.set(p.group, [...(groups.get(p.group) ?? []), p]);
  for (const members of groups.values()) runGroup(set, members, opts, run);

  // fault spans per point: a fault and its settling time; the rest of the scored time is clean
  const spans = new Map<string, Array<[number, number]>>();
  for (const f of set.faults) spans.set(f.point, [...(spans.get(f.point) ?? []), [f.start, f.end + SETTLE_MS]]);
  const inFault = (point: string, a: Alarm) => (spans.get(point) ?? []).some(([s, e]) => a.raisedAt < e && a.clearedAt > s);
  let cleanMs = 0;
  for (const p of set.points) {
    let faultMs = 0;
    for (const [s, e] of mergeSpans(spans.get(p.id) ?? [])) faultMs += Math.max(0, Math.min(e, set.end) - Math.max(s, set.scoredFrom));
    cleanMs += set.end - set.scoredFrom - faultMs;
  }
  const cleanPointDays = cleanMs / DAY;

  const scores = new Map<string, KindScore>();
  const score = (kind: FaultKind, col: Column) => {
    const key = `${kind}/${col}`;
    const known = scores.get(key);
    if (known) return known;
    const fresh: KindScore = { faults: 0, detected: 0, delaysMin: [], beforeLimit: 0, leadsMin: [] };
    scores.set(key, fresh);
    return fresh;
  };
  // drift and peer: the analytics alarm vs the static threshold on the same fault
  const versusStatic = { drift: { before: 0, staticNever: 0, leadsMin: [] as number[] }, peer: { before: 0, staticNever: 0, leadsMin: [] as number[] } };
  for (const f of set.faults) {
    const alarms = run.alarms.get(f.point)!;
    const first: Partial<Record<Column, number>> = {};
    for (const col of COLUMNS) {
      const s = score(f.kind, col);
      s.faults++;
      const hit = alarms[col].find((a) => a.raisedAt >= f.start && a.raisedAt <= f.end + GRACE_MS[f.kind]);
      if (!hit) continue;
      first[col] = hit.raisedAt;
      s.detected++;
      s.delaysMin.push((hit.raisedAt - f.start) / MINUTE);
      if (f.crossingAt !== undefined) {
        s.leadsMin.push((f.crossingAt - hit.raisedAt) / MINUTE);
        if (hit.raisedAt <= f.crossingAt) s.beforeLimit++;
      }
    }
    if (f.kind === 'drift' || f.kind === 'peer') {
      const v = versusStatic[f.kind];
      const a = first.analytics;
      const st = first.static;
      if (st === undefined) v.staticNever++;
      if (a !== undefined && (st === undefined || a < st)) v.before++;
      if (a !== undefined && st !== undefined) v.leadsMin.push((st - a) / MINUTE);
    }
  }
  const precision = new Map<Column, { alarms: number; true: number; false: number }>();
  for (const col of COLUMNS) {
    const p = { alarms: 0, true: 0, false: 0 };
    for (const [point, alarms] of run.alarms) {
      for (const a of alarms[col]) {
        p.alarms++;
        if (inFault(point, a)) p.true++;
        else p.false++;
      }
    }
    precision.set(col, p);
  }
  // the first groups of the larger set are the detectors' own series (the seed derives per group)
  const ttlSet = generateSeries({ days: 16, ...options, groups: options.ttlGroups ?? 4 * (options.groups ?? 4) });
  const ttl = timeToLimitErrors(ttlSet, new Map(ttlSet.points.map((p) => [p.id, p])), opts.forecastWindowMin);
  const totalS = (performance.now() - started) / 1000;

  // ---- the table: kinds × columns, then the target rows
  const fmt = (x: number, digits = 2) => (Number.isNaN(x) ? '–' : Number.isFinite(x) ? x.toFixed(digits) : 'never');
  const lines: string[][] = [['fault kind (n)', 'measure', ...COLUMNS]];
  for (const kind of FAULT_KINDS) {
    const n = score(kind, 'static').faults;
    const cell = (f: (s: KindScore) => string) => COLUMNS.map((c) => f(score(kind, c)));
    lines.push([`${kind} (${n})`, 'recall', ...cell((s) => fmt(s.detected / s.faults))]);
    lines.push(['', 'delay median min', ...cell((s) => fmt(quantile(s.delaysMin, 0.5), 1))]);
    lines.push(['', 'delay p90 min', ...cell((s) => fmt(quantile(s.delaysMin, 0.9), 1))]);
    if (kind === 'ramp') {
      lines.push(['', 'before limit', ...cell((s) => fmt(s.beforeLimit / s.faults))]);
      lines.push(['', 'lead median min', ...cell((s) => fmt(quantile(s.leadsMin, 0.5), 1))]);
    }
  }
  lines.push(['all alarms', 'count', ...COLUMNS.map((c) => String(precision.get(c)!.alarms))]);
  lines.push(['', 'precision', ...COLUMNS.map((c) => fmt(precision.get(c)!.true / precision.get(c)!.alarms))]);
  lines.push([`clean (${cleanPointDays.toFixed(0)} pt-days)`, 'false /100 pt-days', ...COLUMNS.map((c) => fmt((precision.get(c)!.false / cleanPointDays) * 100))]);
  // where the false alarms come from: per kind of point, and by local hour and weekday
  const kindOf = new Map(set.points.map((p) => [p.id, p.kind]));
  for (const pointKind of new Set(set.points.map((p) => p.kind))) {
    const counts = COLUMNS.map((c) => {
      let n = 0;
      for (const [point, alarms] of run.alarms) if (kindOf.get(point) === pointKind) n += alarms[c].filter((a) => !inFault(point, a)).length;
      return String(n);
    });
    lines.push(['', `false on ${pointKind}`, ...counts]);
  }
  const weekend = COLUMNS.map((c) => {
    let n = 0;
    for (const [point, alarms] of run.alarms) n += alarms[c].filter((a) => !inFault(point, a) && isWeekend(a.raisedAt)).length;
    return String(n);
  });
  lines.push(['', 'false on weekends', ...weekend]);
  const falseList: string[] = [];
  if (options.listFalse) {
    for (const [point, alarms] of run.alarms) {
      for (const d of TRACKED) {
        for (const a of alarms[d].filter((x) => !inFault(point, x))) {
          const local = new Date(a.raisedAt + TZ_OFFSET_MIN * MINUTE).toISOString().slice(0, 16).replace('T', ' ');
          const length = Number.isFinite(a.clearedAt) ? `${((a.clearedAt - a.raisedAt) / MINUTE).toFixed(0)} min` : 'to the end';
          falseList.push(`false ${d} on ${point} at ${local} local, ${length}`);
        }
      }
    }
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const matrix = lines.map((l) => l.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');

  const any = (kind: FaultKind) => score(kind, 'analytics');
  const falseRate = (precision.get('analytics')!.false / cleanPointDays) * 100;
  const rows: BenchRow[] = [];
  // a short run may lack a kind: no row for it rather than a row of NaN
  for (const kind of (['spike', 'step'] as const).filter((k) => any(k).faults > 0)) {
    const s = any(kind);
    rows.push({ name: `${kind}: recall, any analytics alarm (${s.faults} faults)`, value: s.detected / s.faults, unit: 'ratio', baseline: 'static', ratio: score(kind, 'static').detected / s.faults, target: '>= 0.9', pass: s.detected / s.faults >= 0.9 });
  }
  const ramp = any('ramp');
  if (ramp.faults > 0) {
    rows.push({ name: `ramp: raised before the limit, any analytics alarm (${ramp.faults} faults)`, value: ramp.beforeLimit / ramp.faults, unit: 'ratio', baseline: 'static', ratio: score('ramp', 'static').beforeLimit / ramp.faults, target: '>= 0.9', pass: ramp.beforeLimit / ramp.faults >= 0.9 });
    const leads = score('ramp', 'forecast').leadsMin;
    if (leads.length > 0) rows.push({ name: 'ramp: forecast.limit lead before the limit, median', value: quantile(leads, 0.5), unit: 'min' });
  }
  rows.push({ name: `false alarms in clean time, any analytics alarm (${cleanPointDays.toFixed(0)} point-days)`, value: falseRate, unit: 'per 100 pt-days', baseline: 'static', ratio: (precision.get('static')!.false / cleanPointDays) * 100, target: '<= 1', pass: falseRate <= 1 });
  for (const kind of (['drift', 'peer'] as const).filter((k) => any(k).faults > 0)) {
    const v = versusStatic[kind];
    const n = any(kind).faults;
    rows.push({ name: `${kind}: analytics alarm before static (static never fired on ${v.staticNever}/${n})`, value: v.before / n, unit: 'ratio', target: '>= 0.9', pass: v.before / n >= 0.9 });
    if (v.leadsMin.length > 0) rows.push({ name: `${kind}: analytics lead over static where both fired (${v.leadsMin.length}), median`, value: quantile(v.leadsMin, 0.5), unit: 'min' });
  }
  for (const truth of ['signal', 'path'] as const) {
    const judged = ttl.filter((t) => t.truth === truth);
    for (const shape of judged.length > 0 ? ['all', ...new Set(judged.map((t) => t.shape))] : []) {
      const errors = judged.filter((t) => shape === 'all' || t.shape === shape).map((t) => t.error);
      const p50 = quantile(errors, 0.5);
      const p90 = quantile(errors, 0.9);
      const what = `time-to-limit error at 10 min out (vs the ${truth === 'signal' ? 'noise-free value' : 'ramp path from the level before'})`;
      rows.push({ name: `${what}, ${shape} ramps (${errors.length}), median`, value: p50, unit: 'ratio', target: '<= 0.2', pass: p50 <= 0.2 });
      rows.push({ name: `${what}, ${shape} ramps, p90`, value: p90, unit: 'ratio', target: '<= 0.2', pass: p90 <= 0.2 });
    }
  }
  const withPath = ttl.filter((t) => t.truth === 'path');
  if (withPath.length > 0) {
    rows.push({ name: 'time-to-limit error vs the first sample over the limit, all ramps, median', value: quantile(withPath.map((t) => t.vsSample), 0.5), unit: 'ratio' });
  }
  const pointDays = (set.points.length * (set.end - set.scoredFrom)) / DAY;
  const cost = run.seconds;
  const cpu = `generate ${generatedS.toFixed(1)} s, fits ${cost.fit.toFixed(1)} s, band ${cost.band.toFixed(1)} s, spike ${cost.spike.toFixed(1)} s, drift ${cost.drift.toFixed(1)} s, peer ${cost.peer.toFixed(1)} s, forecast ${cost.forecast.toFixed(1)} s, total ${totalS.toFixed(1)} s`;
  const header = `analytics evaluation: ${set.points.length} points in groups of 4, ${pointDays.toFixed(0)} scored point-days at one sample per ${SAMPLE_S} s (after ${((set.scoredFrom - set.start) / DAY).toFixed(0)} days of history), ${set.faults.length} planted faults, sensitivity ${opts.sensitivity}${Object.entries(opts.sensitivityOf).map(([d, v]) => ` (${d} ${v})`).join('')}, forecast on-delay ${opts.forecastOnDelayS} s${opts.forecastWindowMin ? ` window ${opts.forecastWindowMin} min` : ''}, baseline ${opts.baselineTrainingDays} days refitted every ${opts.refitHours} h${opts.checks.length < DETECTORS.length ? `, checks ${opts.checks.join(', ')} only` : ''}; time to limit on the ramps of ${ttlSet.points.length} points`;
  return { rows, table: [header, '', matrix, '', formatTable(rows), '', cpu, ...(falseList.length > 0 ? ['', ...falseList] : [])].join('\n') };
}

function isWeekend(ts: number): boolean {
  const day = Math.floor((ts + TZ_OFFSET_MIN * MINUTE) / DAY + 4) % 7;
  return day === 0 || day === 6;
}

function mergeSpans(spans: ReadonlyArray<[number, number]>): Array<[number, number]> {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // larger runs and tunings: --groups 10 --days 28 --drift low --forecast-on-delay 300 --forecast-window 20
  const { values } = parseArgs({
    options: {
      groups: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      sensitivity: { type: 'string' },
      spike: { type: 'string' },
      drift: { type: 'string' },
      peer: { type: 'string' },
      'baseline-days': { type: 'string' },
      'forecast-on-delay': { type: 'string' },
      'forecast-window': { type: 'string' },
      'ttl-groups': { type: 'string' },
      'list-false': { type: 'boolean' },
      checks: { type: 'string' },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const level = (v: string | undefined) => v as Sensitivity | undefined;
  const sensitivityOf = Object.fromEntries((['spike', 'drift', 'peer'] as const).filter((d) => values[d]).map((d) => [d, level(values[d])]));
  const options: AnalyticsEvalOptions = { sensitivityOf };
  for (const [key, value] of [
    ['groups', num(values.groups)],
    ['days', num(values.days)],
    ['seed', num(values.seed)],
    ['baselineTrainingDays', num(values['baseline-days'])],
    ['forecastOnDelayS', num(values['forecast-on-delay'])],
    ['forecastWindowMin', num(values['forecast-window'])],
    ['ttlGroups', num(values['ttl-groups'])],
  ] as const) {
    if (value !== undefined) options[key] = value;
  }
  if (values.sensitivity) options.sensitivity = level(values.sensitivity)!;
  if (values['list-false']) options.listFalse = true;
  if (values.checks) options.checks = values.checks.split(',').filter((c): c is DetectorName => (DETECTORS as readonly string[]).includes(c));
  console.log(evaluateAnalytics(options).table);
}
