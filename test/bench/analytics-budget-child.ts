/**
 * The memory child of the analytics budget bench: opens a store for the 10 k-point site, runs the
 * alarm engine over the site's 10 k rules and, when given an analytics.db path, the analytics
 * service for the analysed points with every point's fitted model from that file (as after a
 * restart: the parent fitted them from the points' minute history). Feeds `warmMinutes` of the
 * analysed points alone, then `cycles` poll cycles of every point on a simulated clock, then
 * collects garbage and prints one JSON line: what the parent reads the RSS beside.
 * Args (one JSON): ChildArgs. Run with --expose-gc.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { createStore } from '../../gateway/store/index.js';
import { testStoreOptions } from '../helpers/temp-store.js';
import { analysedValue, appendCycle, type BudgetSiteOptions, budgetSite, CYCLE_MS, cycleSamples, HISTORY_END, siteEngines } from './analytics-budget-site.js';

export interface ChildArgs {
  site: BudgetSiteOptions;
  storeFile: string;
  /** analytics.db of the run; absent: no analytics */
  analyticsFile?: string;
  cycles: number;
  /**
   * simulated minutes before the cycles in which only the analysed points report, every 5 s (the
   * forecast keeps one in two): the detectors' windows fill toward their steady size without feeding
   * every point of the site for that long
   */
  warmMinutes: number;
}

export interface ChildReport {
  heapUsedMB: number;
  rssMB: number;
  /** analysed points with a fitted baseline */
  ready: number;
  refits: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
const site = budgetSite(args.site);
const store = createStore(testStoreOptions(args.storeFile, { commitIntervalMs: 1000, maxBatch: 5000, rollupIntervalMs: 0 }));
let clock = HISTORY_END;
const engines = siteEngines(store, site, () => clock, args.analyticsFile);
engines.alarms.start();
engines.analytics?.start();
const WARM_STEP_MS = 5000;
const warmSteps = Math.round((args.warmMinutes * 60_000) / WARM_STEP_MS);
for (let w = 0; w < warmSteps; w++) {
  clock = HISTORY_END - (warmSteps - w) * WARM_STEP_MS;
  const ts = clock;
  appendCycle(store, site.analysed.map((p) => ({ pointId: site.ids[p]!, ts, value: analysedValue(p, ts), quality: 'good' as const })));
  if (w % 12 === 11) await nextTurn();
}
for (let c = 0; c < args.cycles; c++) {
  clock = HISTORY_END + c * CYCLE_MS;
  // made per cycle and dropped, as a sampler does: a precomputed run would sit in the heap
  appendCycle(store, cycleSamples(site, c, Math.floor(args.cycles / 2)));
  engines.alarms.tick();
  await nextTurn();
}
store.flush();
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
await sleep(200);
gc?.();
await sleep(300);
const health = engines.analytics?.health();
const report: ChildReport = {
  heapUsedMB: process.memoryUsage().heapUsed / 1e6,
  rssMB: process.memoryUsage().rss / 1e6,
  ready: health?.ready ?? 0,
  refits: health?.refits ?? 0,
};
console.log(JSON.stringify(report));
// held until the parent has read the RSS and stops it
process.on('SIGTERM', () => {
  engines.stop();
  store.close();
  process.exit(0);
});
setInterval(() => {}, 60_000);
