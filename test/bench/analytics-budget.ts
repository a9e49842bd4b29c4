/**
 * The analytics budget (issue 16 §7): 1 000 analysed points on the 10 k-point site, against the
 * same site without analytics in the same run.
 * - ingest: store + alarm engine (10 k rules) without, then with the analytics service (all four
 *   anomaly kinds, peers in groups of four, a forecast against each point's HI/HIHI limit rule),
 *   fitted models restored so the detectors judge every sample; the two alternate `runs` times and
 *   the medians are compared (by wall time, and by this process's CPU time, which other work on
 *   the machine moves less). Target: ratio >= 0.9 (unchanged within noise).
 * - refit: ms per point with `historyDays` of minute history per analysed point, and the amortised
 *   CPU at the service's hourly refit. Target < 5 % of a core.
 * - memory: a child holding the store and the alarm engine, without and with the service (every
 *   point's fitted model loaded from analytics.db, minutes of samples fed), run with the gateway's
 *   node flags. Target: < 30 MB more RSS. The model is plain JS (no WASM).
 * Time is simulated (one poll cycle = 1 s). Run alone: `npx tsx test/bench/analytics-budget.ts`;
 * flags for a quicker look at one part: `--runs 1 --cycles 20` (ingest), `--memory-runs 3`,
 * `--memory-cycles`, `--memory-warm-minutes`, `--history-days`.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Store } from '../../gateway/store/types.js';
import { gatewayNodeFlags } from '../helpers/node-flags.js';
import { createTempStores } from '../helpers/temp-store.js';
import type { ChildArgs, ChildReport } from './analytics-budget-child.js';
import {
  appendCycle,
  type BudgetSite,
  type BudgetSiteOptions,
  budgetSite,
  CYCLE_MS,
  cycleSamples,
  HISTORY_END,
  siteEngines,
  writeMinuteHistory,
} from './analytics-budget-site.js';
import { type BenchRow, printTable } from './bench-row.js';
import { createChildGroup } from './child-group.js';
import { packageRoot } from './gateway-processes.js';
import { memoryOf } from './proc-stats.js';

/** the service's default refit period: what the amortised share is taken over */
const REFIT_PERIOD_MS = 3_600_000;
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface AnalyticsBudgetOptions {
  /** devices of the site (default 100) */
  devices?: number;
  /** points per device (default 100) */
  pointsPerDevice?: number;
  /** one point in this many is analysed (default 10: 1 000 of 10 k) */
  analyseEvery?: number;
  /** days of minute history per analysed point (default 7, the default trainingDays) */
  historyDays?: number;
  /** poll cycles of every point per ingest run (default 60) */
  cycles?: number;
  /** runs of each ingest configuration, alternating (default 5: on a busy 2-core machine 3 medians moved by ±0.1) */
  runs?: number;
  /** poll cycles fed to each memory child (default 180: 3 simulated minutes) */
  memoryCycles?: number;
  /**
   * simulated minutes of the analysed points alone (every 5 s) fed to each memory child before
   * the cycles (default 90: every window is full by then, the peer check's day of deviations
   * partly: it holds one minute in four, 360 floats a point at most)
   */
  memoryWarmMinutes?: number;
  /** memory children of each configuration, alternating (default 1) */
  memoryRuns?: number;
}

interface IngestRun {
  samplesPerSecond: number;
  /** the same per second of this process's CPU time: less moved by other work on the machine */
  samplesPerCpuSecond: number;
  /** time in the analytics service's commit listener, per commit */
  listenerMsPerCommit: number;
  analyticsAlarmsRaised: number;
  alarmEvents: number;
}

/** One ingest run on a fresh store: the alarm engine always, the analytics service when given its models. */
async function ingest(store: Store, site: BudgetSite, cycles: number, models?: string): Promise<IngestRun> {
  let clock = HISTORY_END;
  const engines = siteEngines(store, site, () => clock, models);
  engines.alarms.start();
  let enteredAt = 0;
  let listenerMs = 0;
  let commits = 0;
  let alarmEvents = 0;
  let analyticsAlarmsRaised = 0;
  // The bus calls listeners in subscription order: these two bracket the analytics listener.
  store.onCommit(() => {
    enteredAt = performance.now();
  });
  engines.analytics?.start();
  store.onCommit((b) => {
    listenerMs += performance.now() - enteredAt;
    commits++;
    for (const e of b.events) {
      if (!e.type.startsWith('alarm.')) continue;
      alarmEvents++;
      if (e.type === 'alarm.raised' && /\.(anomaly|forecast)-/.test(String(e.data.alarmId ?? ''))) analyticsAlarmsRaised++;
    }
  });
  const samples = Array.from({ length: cycles }, (_, c) => cycleSamples(site, c, Math.floor(cycles / 3)));
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  for (let c = 0; c < cycles; c++) {
    clock = HISTORY_END + c * CYCLE_MS;
    appendCycle(store, samples[c]!);
    // the engine's 1 s timer on the simulated clock: analytics alarms follow their findings there
    engines.alarms.tick();
    // one poll cycle of every point, then the event loop turns, as under the sampler
    await nextTurn();
  }
  store.flush();
  await nextTurn();
  store.flush();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  engines.stop();
  return { samplesPerSecond: (cycles * site.points) / seconds, samplesPerCpuSecond: (cycles * site.points) / cpuSeconds, listenerMsPerCommit: listenerMs / Math.max(1, commits), analyticsAlarmsRaised, alarmEvents };
}

interface RefitPass {
  msPerPoint: number[];
  ready: number;
  kinds: Set<string>;
  trainedMinutes: number;
}

/**
 * refitAll over the history store, each point timed: a refit starts with its rollup read, so a
 * point's time runs from its read to the next point's (the last one's to the end of the pass).
 * One pass: a second one measured the same (the history is read from disk either way).
 */
function refitPass(store: Store, site: BudgetSite, modelsFile: string): RefitPass {
  const starts: number[] = [];
  const timed: Store = {
    ...store,
    rollups: (...a) => {
      starts.push(performance.now());
      return store.rollups(...a);
    },
  };
  const engines = siteEngines(timed, site, () => HISTORY_END, modelsFile, 0);
  try {
    engines.analytics!.refitAll();
    const end = performance.now();
    const status = engines.analytics!.status();
    return {
      msPerPoint: starts.map((t, j) => (starts[j + 1] ?? end) - t),
      ready: status.filter((s) => s.state === 'ready').length,
      kinds: new Set(status.map((s) => s.baselineKind ?? 'none')),
      trainedMinutes: median(status.map((s) => s.trainedMinutes)),
    };
  } finally {
    engines.stop();
  }
}

async function memoryChild(args: ChildArgs): Promise<{ rssMB: number; report: ChildReport }> {
  const children = createChildGroup();
  try {
    const script = join(packageRoot(), 'test', 'bench', 'analytics-budget-child.ts');
    // with the gateway's own node flags (its 1 MiB young generation), so the RSS is the product's
    const flags = [...gatewayNodeFlags(), '--expose-gc', '--import', 'tsx'];
    const child = children.start('analytics memory child', process.execPath, [...flags, script, JSON.stringify(args)], { cwd: packageRoot() });
    const report = await child.waitFor((line) => (line.startsWith('{') ? (JSON.parse(line) as ChildReport) : undefined), 300_000);
    return { rssMB: memoryOf(child.pid).rssMB, report };
  } finally {
    await children.dispose();
  }
}

export async function benchAnalyticsBudget(opts: AnalyticsBudgetOptions = {}): Promise<BenchRow[]> {
  const siteOptions: BudgetSiteOptions = { devices: opts.devices ?? 100, pointsPerDevice: opts.pointsPerDevice ?? 100, analyseEvery: opts.analyseEvery ?? 10 };
  const site = budgetSite(siteOptions);
  const historyDays = opts.historyDays ?? 7;
  const cycles = opts.cycles ?? 60;
  const runs = opts.runs ?? 5;
  const memoryCycles = opts.memoryCycles ?? 180;
  const memoryRuns = opts.memoryRuns ?? 1;
  const warmMinutes = opts.memoryWarmMinutes ?? 90;
  const storeDefaults = { commitIntervalMs: 1000, maxBatch: 5000, rollupIntervalMs: 0 };
  const kept = createTempStores('analytics-budget-', storeDefaults);
  const perRun = createTempStores('analytics-budget-run-', storeDefaults);
  try {
    // History of the analysed points, then two refit passes over it (the first also writes the
    // models every ingest run restores).
    const historyFile = kept.file();
    const h0 = performance.now();
    const historyRows = writeMinuteHistory(historyFile, (f) => kept.open(f), site, historyDays);
    const historyS = (performance.now() - h0) / 1000;
    const modelsFile = join(kept.dir(), 'analytics.db');
    const historyStore = kept.open(historyFile);
    const fit = refitPass(historyStore, site, modelsFile);
    historyStore.close();
    if (fit.ready !== site.analysed.length) throw new Error(`only ${fit.ready} of ${site.analysed.length} points fitted`);

    const without: IngestRun[] = [];
    const withAnalytics: IngestRun[] = [];
    for (let r = 0; r < runs; r++) {
      // the previous runs' stores are closed and removed first, so disk and memory start alike
      perRun.cleanup();
      without.push(await ingest(perRun.open(perRun.file()), site, cycles));
      const models = join(perRun.dir(), 'analytics.db');
      copyFileSync(modelsFile, models);
      withAnalytics.push(await ingest(perRun.open(perRun.file()), site, cycles, models));
    }
    perRun.cleanup();

    // Memory: each child on a fresh store; the analytics child starts from the fitted models (as
    // after a restart), so it holds every point's baseline without reading the history again.
    const memory = { without: [] as { rssMB: number; report: ChildReport }[], with: [] as { rssMB: number; report: ChildReport }[] };
    for (let r = 0; r < memoryRuns; r++) {
      for (const withIt of [false, true]) {
        const dir = perRun.dir();
        const args: ChildArgs = { site: siteOptions, storeFile: join(dir, 'gateway.db'), cycles: memoryCycles, warmMinutes };
        if (withIt) {
          args.analyticsFile = join(dir, 'analytics.db');
          copyFileSync(modelsFile, args.analyticsFile);
        }
        (withIt ? memory.with : memory.without).push(await memoryChild(args));
        perRun.cleanup();
      }
    }
    const fittedInChild = Math.min(...memory.with.map((m) => m.report.ready));
    if (fittedInChild !== site.analysed.length) throw new Error(`the memory child fitted ${fittedInChild} of ${site.analysed.length} points`);

    const n = site.analysed.length;
    const points = site.points.toLocaleString('en-US');
    const base = median(without.map((r) => r.samplesPerSecond));
    const withRate = median(withAnalytics.map((r) => r.samplesPerSecond));
    const ratio = withRate / base;
    const msPerPoint = median(fit.msPerPoint);
    const corePercent = ((msPerPoint * n) / REFIT_PERIOD_MS) * 100;
    const rssWithout = median(memory.without.map((m) => m.rssMB));
    const rssWith = median(memory.with.map((m) => m.rssMB));
    const heapWithout = median(memory.without.map((m) => m.report.heapUsedMB));
    const heapWith = median(memory.with.map((m) => m.report.heapUsedMB));
    const kinds = [...fit.kinds].join('/');
    const samples = (cycles * site.points).toLocaleString('en-US');
    return [
      { name: `store ingest + alarm engine, no analytics (${samples} samples, ${points} points, median of ${runs})`, value: base, unit: 'samples/s' },
      {
        name: `store ingest + alarm engine + analytics on ${n} points (band, spike, drift, peer in 4s, forecast vs HI/HIHI)`,
        value: withRate,
        unit: 'samples/s',
        baseline: 'no analytics',
        ratio,
        target: 'ratio >= 0.9 (unchanged within noise)',
        pass: ratio >= 0.9,
      },
      {
        name: 'same ingest by CPU time: samples per CPU-second, with analytics (median of the runs)',
        value: median(withAnalytics.map((r) => r.samplesPerCpuSecond)),
        unit: 'samples/s',
        baseline: 'no analytics',
        ratio: median(withAnalytics.map((r) => r.samplesPerCpuSecond)) / median(without.map((r) => r.samplesPerCpuSecond)),
      },
      { name: 'analytics in the commit listener, per commit (median run)', value: median(withAnalytics.map((r) => r.listenerMsPerCommit)), unit: 'ms' },
      { name: 'analytics alarms raised during that run (steps on 1 in 50 points)', value: withAnalytics[withAnalytics.length - 1]!.analyticsAlarmsRaised, unit: 'alarms' },
      {
        name: `minute history written: ${historyDays} d x ${n} points, straight into rollups_1m (${historyRows.toLocaleString('en-US')} rows)`,
        value: historyS,
        unit: 's',
      },
      { name: `refit, median per point (of ${n}; ${kinds} baseline from ${fit.trainedMinutes.toLocaleString('en-US')} minutes each)`, value: msPerPoint, unit: 'ms' },
      {
        name: `refit CPU amortised: ${n} points x ${msPerPoint.toFixed(1)} ms every ${REFIT_PERIOD_MS / 60_000} min`,
        value: corePercent,
        unit: '% of a core',
        target: '< 5 %',
        pass: corePercent < 5,
      },
      { name: `RSS, child with store + alarm engine (${warmMinutes} min of the ${n} points every 5 s, then ${memoryCycles} s of all), no analytics`, value: rssWithout, unit: 'MB' },
      {
        name: `RSS, same + analytics on ${n} points, all fitted (models from analytics.db; plain JS, no WASM)`,
        value: rssWith,
        unit: 'MB',
        baseline: 'no analytics',
        ratio: rssWith / rssWithout,
      },
      { name: 'extra RSS of analytics', value: rssWith - rssWithout, unit: 'MB', target: '< 30 MB', pass: rssWith - rssWithout < 30 },
      { name: 'extra heapUsed of analytics (after gc)', value: heapWith - heapWithout, unit: 'MB' },
    ];
  } finally {
    perRun.cleanup();
    kept.cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      cycles: { type: 'string' },
      'memory-runs': { type: 'string' },
      'memory-cycles': { type: 'string' },
      'memory-warm-minutes': { type: 'string' },
      'history-days': { type: 'string' },
    },
  });
  const options: AnalyticsBudgetOptions = {};
  for (const [key, flag] of [
    ['runs', 'runs'],
    ['cycles', 'cycles'],
    ['memoryRuns', 'memory-runs'],
    ['memoryCycles', 'memory-cycles'],
    ['memoryWarmMinutes', 'memory-warm-minutes'],
    ['historyDays', 'history-days'],
  ] as const) {
    const value = values[flag];
    if (value !== undefined) options[key] = Number(value);
  }
  printTable(await benchAnalyticsBudget(options));
}
