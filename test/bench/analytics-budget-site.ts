/**
 * The site of the analytics budget bench (issue 16 §7), shared by the bench and its memory child:
 * 10 k points with the alarm engine's 10 k rules, every tenth point analysed (all four anomaly
 * kinds, peers in groups of four, a forecast against the point's HI/HIHI limits), the analysed
 * points' minute history written straight into the store's rollup table, and the samples of one
 * simulated poll cycle.
 */
import Database from 'better-sqlite3';
import { silentLogger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';
import { type AlarmEngine, createAlarmEngine } from '../../gateway/alarms/engine.js';
import type { AlarmRule } from '../../gateway/alarms/types.js';
import { type AnalyticsEngine, analyticsAlarmRules, createAnalyticsService, limitLinesByPoint } from '../../gateway/analytics/index.js';
import type { AnalyticsSpec } from '../../gateway/analytics/types.js';
import type { Store } from '../../gateway/store/types.js';
import { commLossRule, discreteRule, limitRule, NAMES, rateRule, staleRule } from '../helpers/alarm-fixtures.js';

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;
export const CYCLE_MS = 1000;
/** the end of the written history: the simulated "now" when the bench starts (on a minute) */
export const HISTORY_END = 1_700_000_000_000 - (1_700_000_000_000 % MINUTE_MS);
const APPEND_SIZE = 100;

export interface BudgetSiteOptions {
  devices: number;
  pointsPerDevice: number;
  /** one point in this many is analysed (10: 1 000 of 10 k) */
  analyseEvery: number;
}

export interface BudgetSite extends BudgetSiteOptions {
  points: number;
  ids: string[];
  /** indexes of the analysed points */
  analysed: number[];
  isAnalysed(p: number): boolean;
  rules: AlarmRule[];
  specs: AnalyticsSpec[];
}

const pointId = (pointsPerDevice: number, p: number) => `dev${Math.floor(p / pointsPerDevice)}.p${p % pointsPerDevice}`;

/** A supply-air-like signal: 22 °C with a ±3 °C daily cycle (its phase differs per point) and ±0.3 °C of noise. */
export function analysedValue(p: number, ts: number): number {
  const h = Math.sin(p * 12.9898 + ts * 7.8233e-5) * 43758.5453;
  const noise = (h - Math.floor(h) - 0.5) * 0.6;
  return 22 + 3 * Math.sin((2 * Math.PI * ts) / DAY_MS + (p % 24) / 4) + noise;
}

export function budgetSite(o: BudgetSiteOptions): BudgetSite {
  const points = o.devices * o.pointsPerDevice;
  const ids = Array.from({ length: points }, (_, p) => pointId(o.pointsPerDevice, p));
  const isAnalysed = (p: number) => p % o.analyseEvery === 0;
  const analysed = ids.map((_, p) => p).filter(isAnalysed);
  // The alarm engine's rule mix of alarms-engine.ts; an analysed point has a limit rule with HI/HIHI
  // above its normal range, which its forecast is checked against.
  const rules: AlarmRule[] = [];
  for (let d = 0; d < o.devices; d++) rules.push(commLossRule(`dev${d}.comm`, `dev${d}`, 30));
  for (let p = 0; p < points - o.devices; p++) {
    const id = ids[p]!;
    const kind = p % 10;
    if (isAnalysed(p)) rules.push(limitRule(`${id}-lim`, id, { hi: 30, hihi: 35 }, { deadband: 0.5 }));
    else if (kind < 5) rules.push(limitRule(`${id}-lim`, id, { hi: 90, hihi: 99 }, { deadband: 1, onDelayS: kind === 0 ? 5 : 0 }));
    else if (kind < 8) rules.push(discreteRule(`${id}-eq`, id, { op: 'equals', value: 0 }));
    else if (kind < 9) rules.push(rateRule(`${id}-rate`, id, 500, 60));
    else rules.push(staleRule(`${id}-stale`, id, 600));
  }
  // Peers in groups of four consecutive analysed points (four identical CRACs): each has three.
  const specs: AnalyticsSpec[] = analysed.map((p, i) => {
    const group = Math.floor(i / 4) * 4;
    const peers = analysed.slice(group, group + 4).filter((q) => q !== p);
    return {
      point: ids[p]!,
      baseline: { season: ['day', 'week'], trainingDays: 7, minTrainingMinutes: 60 },
      anomaly: { sensitivity: 'medium', severity: 'minor', onDelayS: 30, kinds: peers.length >= 2 ? ['band', 'spike', 'drift', 'peer'] : ['band', 'spike', 'drift'] },
      forecast: { horizonMin: 60, windowMin: 10, severity: 'warning' },
      peers: peers.map((q) => ids[q]!),
    };
  });
  return { ...o, points, ids, analysed, isAnalysed, rules, specs };
}

/**
 * `days` of minute history of every analysed point, ending at HISTORY_END, written straight into
 * the rollup table (`rollups_1m`, what a refit reads through store.rollups) by point and minute:
 * ~1 M rows/s where store.append + rollUp of the same minutes takes ~23 s per 1 000 point-days.
 * The store must be closed; the points are registered first through the store itself.
 */
export function writeMinuteHistory(file: string, openStore: (file: string) => Store, site: BudgetSite, days: number): number {
  const store = openStore(file);
  // One reading per point, a minute before the history, so every point has its id in `points`.
  store.append(site.ids.map((pointId) => ({ pointId, ts: HISTORY_END - days * DAY_MS - MINUTE_MS, value: 0, quality: 'good' as const })));
  store.flush();
  store.rollUp();
  store.close();
  const db = new Database(file);
  try {
    const idOf = new Map((db.prepare('SELECT id, name FROM points').all() as { id: number; name: string }[]).map((r) => [r.name, r.id]));
    const insert = db.prepare('INSERT INTO rollups_1m (point, minute, n, vmin, vmax, vsum) VALUES (?, ?, ?, ?, ?, ?)');
    const first = (HISTORY_END - days * DAY_MS) / MINUTE_MS;
    const last = HISTORY_END / MINUTE_MS;
    let rows = 0;
    db.transaction(() => {
      // by point id, then minute: the (point, minute) key only appends
      const byId = site.analysed.map((p) => [idOf.get(site.ids[p]!)!, p] as const).sort((a, b) => a[0] - b[0]);
      for (const [id, p] of byId) {
        for (let m = first; m < last; m++) {
          // six 10 s samples a minute; the minute's mean is the signal at its start
          const avg = analysedValue(p, m * MINUTE_MS);
          insert.run(id, m, 6, avg - 0.3, avg + 0.3, avg * 6);
          rows++;
        }
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    return rows;
  } finally {
    db.close();
  }
}

/**
 * The samples of poll cycle `c` (at HISTORY_END + c s): analysed points follow their signal, and
 * one in 50 of them steps up 6 °C from cycle `stepAt` (band, spike and peer findings that raise
 * through the alarm engine); the others as in alarms-engine.ts (about 1 in 1000 crosses a limit).
 */
export function cycleSamples(site: BudgetSite, c: number, stepAt: number): Sample[] {
  const ts = HISTORY_END + c * CYCLE_MS;
  const out: Sample[] = new Array(site.points);
  for (let p = 0; p < site.points; p++) {
    let value: number;
    if (site.isAnalysed(p)) value = analysedValue(p, ts) + (c >= stepAt && (p / site.analyseEvery) % 50 === 7 ? 6 : 0);
    else {
      const h = (p * 7919 + c * 104_729) % 1000;
      value = h === 0 ? 100 : h === 1 ? 0 : 10 + (h % 70);
    }
    out[p] = { pointId: site.ids[p]!, ts, value, quality: 'good' };
  }
  return out;
}

export function appendCycle(store: Store, samples: readonly Sample[]): void {
  for (let i = 0; i < samples.length; i += APPEND_SIZE) store.append(samples.slice(i, i + APPEND_SIZE));
}

export interface SiteEngines {
  alarms: AlarmEngine;
  analytics?: AnalyticsEngine;
  stop(): void;
}

/**
 * The alarm engine over the site's rules and, with `analyticsFile`, the analytics service (its
 * rules added to the engine's). Both on the simulated clock `now`. Not started.
 */
export function siteEngines(store: Store, site: BudgetSite, now: () => number, analyticsFile?: string, sliceMs?: number): SiteEngines {
  let analytics: AnalyticsEngine | undefined;
  const alarms = createAlarmEngine({
    rules: analyticsFile ? [...site.rules, ...analyticsAlarmRules(site.specs)] : site.rules,
    settings: { chatterPerMinute: 5, floodPer10Min: 10, maxShelveMinutes: 1440 },
    store,
    names: NAMES,
    deviceState: () => 'up',
    logger: silentLogger,
    now,
    tickMs: 0,
    ...(analyticsFile && { analytics: { finding: (id: string) => analytics?.finding(id) ?? null, candidates: () => analytics?.candidates() ?? new Set<string>() } }),
  });
  if (analyticsFile) {
    analytics = createAnalyticsService({
      specs: site.specs,
      store,
      file: analyticsFile,
      pointInfo: (id) => ({ name: id, unit: '°C' }),
      limitsOf: limitLinesByPoint(site.rules),
      logger: silentLogger,
      now,
      tzOffsetMin: 0,
      ...(sliceMs !== undefined && { sliceMs }),
    });
  }
  return {
    alarms,
    ...(analytics && { analytics }),
    stop() {
      alarms.stop();
      analytics?.stop();
    },
  };
}
