/**
 * The analytics service: feeds every committed sample of an analysed point to its detectors,
 * refits baselines from the store's 1-minute rollups in small slices off the hot path (one point
 * per slice, so ingest never waits on a fit), keeps fitted models in analytics.db across restarts,
 * and answers the alarm engine's `analytics` rules with what each detector finds now.
 */
import { isDeepStrictEqual } from 'node:util';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Reading } from '../../core/types.js';
import type { Store } from '../store/types.js';
import { restoreBaseline, fitBaseline } from './model/baseline.js';
import { createBandDetector, createDriftDetector, createPeerDetector, createSpikeDetector } from './model/detectors/index.js';
import { createForecastDetector } from './model/forecast.js';
import { type BatteryDetector, createBatteryDetector, runtimeLowLimit } from './model/battery.js';
import { openModelDb } from './model-db.js';
import { pastLimit } from './limits.js';
import { analyticsAlarmId, checksOf } from './specs.js';
import type {
  AnalyticsCheck,
  AnomalyKind,
  AnalyticsPointStatus,
  AnalyticsService,
  AnalyticsSpec,
  BaselineModel,
  Detector,
  LimitLine,
  PointLabel,
  SerializedBaseline,
} from './types.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** below this much history a baseline is refitted every quarter of its age instead of every refitEveryMs */
const YOUNG_MINUTES = 6 * 60;
/**
 * the forecast keeps one sample per 10 s: 1 000 points at 1 Hz hold their 10 minutes of trend in
 * 61 samples each (1 KB), and 10 s is the spacing its time-to-limit accuracy is measured at (the
 * labelled evaluation's series); 5 s held twice the samples for no better trend
 */
const FORECAST_SPACING_MS = 10_000;
/** a peer's value older than this is not compared */
const PEER_FRESH_MS = 5 * MINUTE_MS;
/** how long a peer's "no analytics check active" holds before it is asked again (trustworthyPeer) */
const PEER_TRUST_RECHECK_MS = MINUTE_MS;
/** the most points of a baseline the API returns (a week at one a minute would be 10 080) */
const MAX_BASELINE_POINTS = 2_000;

export interface AnalyticsServiceOptions {
  specs: readonly AnalyticsSpec[];
  store: Pick<Store, 'onCommit' | 'rollups'>;
  /** analytics.db: fitted models kept across restarts */
  file: string;
  pointInfo(id: string): { name: string; unit: string | null } | undefined;
  /** the point's alarm limits (HI/HIHI above, LO/LOLO below), what forecasts are checked against */
  limitsOf(pointId: string): LimitLine[];
  logger: Logger;
  /** wall clock (sample times are wall times) */
  now?: () => number;
  /** a ready baseline is refitted this often (default 1 h) */
  refitEveryMs?: number;
  /** a point still training tries again this often (default 1 min) */
  trainingRetryMs?: number;
  /** one point is refitted per slice, this often (default 250 ms); 0: only refitAll() */
  sliceMs?: number;
  /** minutes east of UTC for seasons and messages (default: this machine's zone now) */
  tzOffsetMin?: number;
}

export interface AnalyticsHealth {
  points: number;
  training: number;
  ready: number;
  activeFindings: number;
  refits: number;
  refitFailures: number;
  /** total time spent fitting since start */
  refitMs: number;
}

/** What applySpecs changed, by point id. */
export interface AnalyticsSpecChanges {
  /** new points: training, or judging at once from a model analytics.db still held for them */
  added: string[];
  /** points no longer analysed: their detectors are gone and their stored model deleted */
  removed: string[];
  /** points whose spec differs: new detectors, refitted at the next slice */
  changed: string[];
  /** points whose spec is the same: their fitted model and every detector's state kept */
  unchanged: number;
}

export interface AnalyticsEngine extends AnalyticsService {
  start(): void;
  stop(): void;
  /**
   * Takes a new analytics spec list while running (live configuration): unchanged points keep
   * their baseline and detector state, changed ones start over and refit, removed ones stop. The
   * alarm engine's `analytics` rules are the caller's: analyticsAlarmRules(specs) gives the new set,
   * and a removed point's analytics alarms answer no finding (finding() returns null) from now on.
   */
  applySpecs(specs: readonly AnalyticsSpec[]): AnalyticsSpecChanges;
  /** while the finding behind this analytics alarm id is active: its text (what the alarm shows) */
  finding(alarmId: string): string | null;
  /**
   * the analytics alarm ids whose finding may be active now (the alarm engine asks `finding` only
   * for these each tick); the set is reused, valid until the next call
   */
  candidates(): ReadonlySet<string>;
  /** refits every point now */
  refitAll(): void;
  health(): AnalyticsHealth;
}

interface PointState {
  spec: AnalyticsSpec;
  label: PointLabel;
  checks: AnalyticsCheck[];
  baseline: BaselineModel | null;
  trainedMinutes: number;
  lastFitAt: number | null;
  nextFitAt: number;
  /** every check's detector but the forecast's */
  detectors: Detector[];
  /** the check of each of `detectors`, at the same index (two small arrays: a Map per point cost ~300 bytes) */
  detectorChecks: AnalyticsCheck[];
  forecaster: ForecastDetector | null;
  /** when the forecaster last took a sample */
  forecastSampleAt: number;
  /** a UPS runtime point: the runtime under its load's trend */
  battery: BatteryDetector | null;
  last: { ts: number; value: number } | null;
  /** none of this point's analytics checks was active at its sample at `checksJudgedAt` (peer trust) */
  checksQuiet: boolean;
  checksJudgedAt: number;
}

type ForecastDetector = ReturnType<typeof createForecastDetector>;

/** A point the service reads: its analysis, and the battery projections it is the load of. */
interface PointUse {
  state: PointState | undefined;
  loadOf: BatteryDetector[] | undefined;
}

export function createAnalyticsService(options: AnalyticsServiceOptions): AnalyticsEngine {
  const { store, logger } = options;
  const now = options.now ?? Date.now;
  const refitEveryMs = options.refitEveryMs ?? 60 * MINUTE_MS;
  const trainingRetryMs = options.trainingRetryMs ?? MINUTE_MS;
  const tzOffsetMin = options.tzOffsetMin ?? -new Date().getTimezoneOffset();
  const models = openModelDb(options.file);
  const points = new Map<string, PointState>();
  const byAlarm = new Map<string, { state: PointState; check: AnalyticsCheck; detector: Detector | null }>();
  /** candidates(): reused, so a tick allocates nothing for the quiet alarms */
  const maybeActive = new Set<string>();
  /** load point → the battery projections fed by it (the load point need not be analysed itself) */
  const batteryLoads = new Map<string, BatteryDetector[]>();
  /**
   * What the service does with a point, by the store's number for it (decided at its first
   * reading, again after a spec change): every commit brings all 10 k points of a site, a tenth
   * of them analysed, and a Map lookup by id string for each was a third of the listener's time.
   */
  let byNumber: (PointUse | null | undefined)[] = [];
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const counters = { refits: 0, refitFailures: 0, refitMs: 0 };

  /** bumped by applySpecs: a peer's state may have been replaced or removed */
  let generation = 0;
  const peerValues = (peers: readonly string[]) => {
    // the peers' states, looked up on first use (every state exists by then) and again after a
    // spec change, not per sample
    let states: (PointState | undefined)[] | null = null;
    let lookedUpIn = -1;
    return (ts: number) => {
      if (states === null || lookedUpIn !== generation) {
        states = peers.map((p) => points.get(p));
        lookedUpIn = generation;
      }
      const values: number[] = [];
      for (const peer of states) {
        const last = peer?.last;
        if (last && Math.abs(ts - last.ts) <= PEER_FRESH_MS && trustworthyPeer(peer, last)) values.push(last.value);
      }
      return values;
    };
  };
  /**
   * A peer with a fault of its own is no reference for its siblings (model/detectors/peer.ts): its
   * value past one of its alarm limits (checked on every sample: a few comparisons), or one of its
   * analytics checks active. The checks are asked at most once a minute of the peer's own time:
   * asking all of them on every sample of every sibling doubled analytics' time per commit, and a
   * finding takes minutes to matter to the peer check, which judges minute means over minutes.
   */
  function trustworthyPeer(peer: PointState, last: { ts: number; value: number }): boolean {
    if (pastLimit(last.value, options.limitsOf(peer.spec.point))) return false;
    const age = last.ts - peer.checksJudgedAt;
    if (!(age >= 0 && age < PEER_TRUST_RECHECK_MS)) {
      peer.checksJudgedAt = last.ts;
      peer.checksQuiet = !anyActive(peer, last.ts);
    }
    return peer.checksQuiet;
  }

  function anyActive(state: PointState, at: number): boolean {
    for (const d of state.detectors) if (activeNow(d, at)) return true;
    return state.forecaster !== null && activeNow(state.forecaster, at);
  }

  function detectorFor(check: `anomaly.${AnomalyKind}`, spec: AnalyticsSpec, label: PointLabel): Detector {
    const sensitivity = spec.anomaly?.sensitivity ?? 'medium';
    switch (check) {
      case 'anomaly.band':
        return createBandDetector({ label });
      case 'anomaly.spike':
        return createSpikeDetector({ label, sensitivity });
      case 'anomaly.drift':
        return createDriftDetector({ label, sensitivity });
      case 'anomaly.peer':
        return createPeerDetector({ label, sensitivity, peerValues: peerValues(spec.peers) });
    }
  }

  /** A point's state: its model restored from analytics.db when there is one, its detectors fresh. */
  function createPointState(spec: AnalyticsSpec, saved: SerializedBaseline | undefined, firstFitAt: number): PointState {
    const info = options.pointInfo(spec.point);
    const label: PointLabel = { name: info?.name ?? spec.point, unit: info?.unit ?? null, tzOffsetMin };
    let baseline: BaselineModel | null = null;
    if (saved) {
      try {
        baseline = restoreBaseline(saved);
      } catch (err) {
        logger.warn('a stored analytics model is unreadable; refitting it', { point: spec.point, err: errorMessage(err) });
      }
    }
    return {
      spec,
      label,
      checks: checksOf(spec),
      baseline,
      trainedMinutes: baseline?.trainedMinutes ?? 0,
      lastFitAt: baseline?.fittedAt ?? null,
      // a restored model is refitted when due; the others at once, spread over the slices
      nextFitAt: baseline ? Math.max(baseline.fittedAt + refitEveryMs, firstFitAt) : firstFitAt,
      detectors: (spec.anomaly?.kinds ?? []).map((k) => detectorFor(`anomaly.${k}`, spec, label)),
      detectorChecks: (spec.anomaly?.kinds ?? []).map((k) => `anomaly.${k}` as const),
      forecaster: spec.forecast
        ? createForecastDetector({ label, horizonMin: spec.forecast.horizonMin, limits: () => options.limitsOf(spec.point), windowMin: spec.forecast.windowMin })
        : null,
      forecastSampleAt: Number.NEGATIVE_INFINITY,
      battery: spec.battery
        ? createBatteryDetector({
            label,
            load: spec.battery.load,
            windowMin: spec.battery.windowMin,
            minRuntimeMin: () => spec.battery?.minRuntimeMin ?? runtimeLowLimit(options.limitsOf(spec.point)),
          })
        : null,
      last: null,
      checksQuiet: false,
      checksJudgedAt: Number.NaN,
    };
  }

  /** byAlarm and batteryLoads from the points held: at start and after every spec change */
  function index(): void {
    byAlarm.clear();
    batteryLoads.clear();
    byNumber = [];
    for (const state of points.values()) {
      const { spec } = state;
      if (spec.battery && state.battery) batteryLoads.set(spec.battery.load, [...(batteryLoads.get(spec.battery.load) ?? []), state.battery]);
      for (const check of state.checks) byAlarm.set(analyticsAlarmId(spec.point, check), { state, check, detector: detectorOf(state, check) });
    }
  }

  {
    const stored = models.load();
    const startedAt = now();
    let stagger = 0;
    for (const spec of options.specs) points.set(spec.point, createPointState(spec, stored.get(spec.point), startedAt + stagger++));
    index();
  }

  function useOf(pointId: string): PointUse | null {
    const state = points.get(pointId);
    const loadOf = batteryLoads.get(pointId);
    return state || loadOf ? { state, loadOf } : null;
  }

  function observe(readings: readonly Reading[], numbers: Int32Array | undefined): void {
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      const n = numbers?.[i] ?? -1;
      let use = n >= 0 ? byNumber[n] : useOf(r.pointId);
      if (use === undefined) {
        use = useOf(r.pointId);
        byNumber[n] = use;
      }
      if (use === null || r.quality !== 'good' || typeof r.value !== 'number' || !Number.isFinite(r.value)) continue;
      const { state, loadOf } = use;
      if (loadOf) for (const b of loadOf) b.observeLoad(r.ts, r.value);
      if (!state) continue;
      // updated in place: one object per point, not one per sample
      if (state.last) {
        state.last.ts = r.ts;
        state.last.value = r.value;
      } else state.last = { ts: r.ts, value: r.value };
      state.battery?.observe(r.ts, r.value, null);
      for (let d = 0; d < state.detectors.length; d++) state.detectors[d]!.observe(r.ts, r.value, state.baseline);
      if (state.forecaster && r.ts - state.forecastSampleAt >= FORECAST_SPACING_MS) {
        state.forecastSampleAt = r.ts;
        state.forecaster.observe(r.ts, r.value, state.baseline);
      }
    }
  }

  function refit(state: PointState): void {
    const at = now();
    const t0 = performance.now();
    try {
      const { spec } = state;
      const history = store
        .rollups(spec.point, at - spec.baseline.trainingDays * DAY_MS, at, MINUTE_MS)
        .filter((b) => b.count > 0 && Number.isFinite(b.avg))
        .map((b) => ({ ts: b.ts, value: b.avg }));
      state.trainedMinutes = history.length;
      const fitted = fitBaseline(history, {
        season: spec.baseline.season,
        minTrainingMinutes: spec.baseline.minTrainingMinutes,
        sensitivity: spec.anomaly?.sensitivity ?? 'medium',
        now: at,
        tzOffsetMin,
      });
      if (fitted) {
        const first = state.baseline === null;
        state.baseline = fitted;
        state.lastFitAt = at;
        models.save(spec.point, fitted.toJSON());
        if (first) logger.info('analytics baseline ready', { point: spec.point, kind: fitted.kind, minutes: history.length });
      }
      // A young baseline (a few hours of history) is refitted sooner: it grows fast and learnt little.
      const young = history.length < YOUNG_MINUTES;
      state.nextFitAt = at + (!fitted ? trainingRetryMs : young ? Math.max(trainingRetryMs, (history.length * MINUTE_MS) / 4) : refitEveryMs);
      counters.refits++;
    } catch (err) {
      counters.refitFailures++;
      state.nextFitAt = at + trainingRetryMs;
      logger.warn('analytics refit failed', { point: state.spec.point, err: errorMessage(err) });
    } finally {
      counters.refitMs += performance.now() - t0;
    }
  }

  /** One slice: the point most overdue, if any. */
  function slice(): void {
    const at = now();
    let due: PointState | undefined;
    for (const s of points.values()) if (s.nextFitAt <= at && (!due || s.nextFitAt < due.nextFitAt)) due = s;
    if (due) refit(due);
  }

  function detectorOf(state: PointState, check: AnalyticsCheck): Detector | null {
    if (check === 'battery.runtime') return state.battery;
    if (check === 'forecast.limit') return state.forecaster;
    const i = state.detectorChecks.indexOf(check);
    return i >= 0 ? state.detectors[i]! : null;
  }

  function activeChecks(state: PointState, at: number): AnalyticsCheck[] {
    return state.checks.filter((c) => detectorOf(state, c)?.finding(at).active === true);
  }

  function applySpecs(specs: readonly AnalyticsSpec[]): AnalyticsSpecChanges {
    if (stopped) throw new Error('applySpecs: the analytics service has been stopped');
    const changes: AnalyticsSpecChanges = { added: [], removed: [], changed: [], unchanged: 0 };
    const wanted = new Map(specs.map((spec) => [spec.point, spec]));
    for (const point of [...points.keys()]) {
      if (wanted.has(point)) continue;
      points.delete(point);
      // a point analysed again later starts from its history, not from this old model
      models.remove(point);
      changes.removed.push(point);
    }
    const at = now();
    let stagger = 0;
    // an added point's model may still be in analytics.db (analysed in an earlier run, dropped from
    // the config while the gateway was stopped): used as at start, refitted when due
    const stored = specs.some((spec) => !points.has(spec.point)) ? models.load() : new Map<string, SerializedBaseline>();
    for (const spec of specs) {
      const held = points.get(spec.point);
      if (held && isDeepStrictEqual(held.spec, spec)) {
        // the name or unit may have changed with the devices: detectors read the label object itself
        const info = options.pointInfo(spec.point);
        held.label.name = info?.name ?? spec.point;
        held.label.unit = info?.unit ?? null;
        changes.unchanged++;
        continue;
      }
      if (held) {
        // a changed spec may learn differently (season, training days, sensitivity): fitted again
        models.remove(spec.point);
        points.set(spec.point, createPointState(spec, undefined, at + stagger++));
        changes.changed.push(spec.point);
      } else {
        points.set(spec.point, createPointState(spec, stored.get(spec.point), at + stagger++));
        changes.added.push(spec.point);
      }
    }
    generation++;
    index();
    if (unsubscribe === undefined && timer === undefined && started && points.size > 0) listen();
    return changes;
  }

  let started = false;
  /** stop() closed analytics.db: the service is done */
  let stopped = false;
  /** the commit listener and the refit slices (start() with no point to analyse waits for one) */
  function listen(): void {
    unsubscribe = store.onCommit((batch) => {
      try {
        if (batch.readings.length > 0) observe(batch.readings, batch.pointIds);
      } catch (err) {
        logger.error('analytics update failed', { err: errorMessage(err) });
      }
    });
    const every = options.sliceMs ?? 250;
    if (every > 0) {
      timer = setInterval(slice, every);
      timer.unref();
    }
  }

  return {
    applySpecs,
    start() {
      started = true;
      if (unsubscribe || points.size === 0) return;
      listen();
    },
    stop() {
      started = false;
      stopped = true;
      unsubscribe?.();
      unsubscribe = undefined;
      if (timer) clearInterval(timer);
      timer = undefined;
      models.close();
    },
    refitAll() {
      for (const s of points.values()) refit(s);
    },
    candidates() {
      const at = now();
      maybeActive.clear();
      for (const [alarmId, { detector }] of byAlarm) if (detector && activeNow(detector, at)) maybeActive.add(alarmId);
      return maybeActive;
    },
    finding(alarmId) {
      const hit = byAlarm.get(alarmId);
      if (!hit) return null;
      const f = detectorOf(hit.state, hit.check)?.finding(now());
      return f?.active ? (f.text ?? hit.check) : null;
    },
    status() {
      const at = now();
      return [...points.values()].map((s): AnalyticsPointStatus => {
        const crossing = s.forecaster?.crossings().find((c) => c.at > at);
        return {
          point: s.spec.point,
          name: s.label.name,
          unit: s.label.unit,
          state: s.baseline ? 'ready' : 'training',
          trainedMinutes: s.trainedMinutes,
          minTrainingMinutes: s.spec.baseline.minTrainingMinutes,
          baselineKind: s.baseline?.kind ?? null,
          lastFitAt: s.lastFitAt,
          nextFitAt: s.nextFitAt,
          checks: [...s.checks],
          active: activeChecks(s, at),
          nextCrossing: crossing ?? null,
          ...(s.battery && { battery: s.battery.latest() }),
        };
      });
    },
    baseline(pointId, from, to) {
      const state = points.get(pointId);
      if (!state) return undefined;
      const out = { ts: [] as number[], expected: [] as number[], lo: [] as number[], hi: [] as number[] };
      if (!state.baseline || !(to >= from)) return out;
      const start = Math.ceil(from / MINUTE_MS) * MINUTE_MS;
      const step = Math.max(1, Math.ceil((to - start) / MINUTE_MS / MAX_BASELINE_POINTS)) * MINUTE_MS;
      for (let ts = start; ts <= to; ts += step) {
        const band = state.baseline.bandAt(ts);
        out.ts.push(ts);
        out.expected.push(band.expected);
        out.lo.push(band.lo);
        out.hi.push(band.hi);
      }
      return out;
    },
    forecast(pointId) {
      const state = points.get(pointId);
      if (!state?.forecaster) return undefined;
      return state.forecaster.latest();
    },
    battery(pointId) {
      const state = points.get(pointId);
      if (!state?.battery) return undefined;
      return state.battery.latest();
    },
    health() {
      const at = now();
      let training = 0;
      let activeFindings = 0;
      for (const s of points.values()) {
        if (!s.baseline) training++;
        activeFindings += activeChecks(s, at).length;
      }
      return { points: points.size, training, ready: points.size - training, activeFindings, ...counters, refitMs: Math.round(counters.refitMs) };
    },
  };
}

/**
 * finding(at).active, by the detector's own cheap isActive when it has one (band, spike, peer: no
 * finding object, no text), so candidates() stays a fraction of a millisecond for 1 000 points.
 */
function activeNow(detector: Detector & { isActive?: (now: number) => boolean }, at: number): boolean {
  return detector.isActive ? detector.isActive(at) : detector.finding(at).active;
}
