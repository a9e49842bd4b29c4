/**
 * Incident evaluation under load (issue 15 §7): store ingest over the 10 k-point site with the
 * alarm engine and its 10 k rules attached, without and then with the incident engine (500 rules
 * of every condition kind, a topology of 4 feeds → 10 UPS → 90 devices in 9 zones, so symptom
 * grouping works too). Target: ingest with incidents at least 0.9 of ingest without. The two
 * configurations run alternately three times each and the medians are compared, so a burst of
 * machine noise in one run does not decide the ratio. Time is simulated (one poll cycle = 1 s) so
 * windows and rates behave as they would over minutes of polling.
 * Run alone: `npx tsx test/bench/incident-eval.ts`.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';
import { type AlarmEngine, createAlarmEngine } from '../../gateway/alarms/engine.js';
import type { AlarmRule } from '../../gateway/alarms/types.js';
import { type IncidentRule, incidentListSchema } from '../../gateway/incidents/config-schema.js';
import { createIncidentEngine, type IncidentEngine } from '../../gateway/incidents/engine.js';
import type { Store } from '../../gateway/store/types.js';
import { buildTopology, type TopologyEntry } from '../../gateway/topology/build.js';
import type { Topology } from '../../gateway/topology/types.js';
import { commLossRule, discreteRule, limitRule, NAMES, rateRule, staleRule } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { type BenchRow, printTable } from './bench-row.js';

const APPEND_SIZE = 100;
const T0 = 1_700_000_000_000;
const CYCLE_MS = 1000;
const FEEDS = ['feed-a', 'feed-b', 'feed-c', 'feed-d'];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface IncidentBenchOptions {
  /** devices of the site (default 100; the first tenth are the UPS) */
  devices?: number;
  /** points per device (default 100) */
  pointsPerDevice?: number;
  /** poll cycles of every point per run (default 60) */
  cycles?: number;
  /** runs of each configuration, alternating (default 3) */
  runs?: number;
  /** incident rules (default 500) */
  incidentRules?: number;
}

interface Site {
  devices: number;
  pointsPerDevice: number;
  points: number;
  ups: number;
  zones: number;
  pointId(p: number): string;
}

function siteOf(devices: number, pointsPerDevice: number): Site {
  const ups = Math.max(1, Math.floor(devices / 10));
  return {
    devices,
    pointsPerDevice,
    points: devices * pointsPerDevice,
    ups,
    zones: Math.max(1, Math.ceil((devices - ups) / 10)),
    pointId: (p) => `dev${Math.floor(p / pointsPerDevice)}.p${p % pointsPerDevice}`,
  };
}

/** Alarm rules as in alarms-engine.ts: one comm-loss per device, then limits, discrete, rate and stale over the points. */
function alarmRules(site: Site): AlarmRule[] {
  const rules: AlarmRule[] = [];
  for (let d = 0; d < site.devices; d++) rules.push(commLossRule(`dev${d}.comm`, `dev${d}`, 30));
  for (let p = 0; p < site.points - site.devices; p++) {
    const id = site.pointId(p);
    const kind = p % 10;
    if (kind < 5) rules.push(limitRule(`${id}-lim`, id, { hi: 90, hihi: 99 }, { deadband: 1, onDelayS: kind === 0 ? 5 : 0 }));
    else if (kind < 8) rules.push(discreteRule(`${id}-eq`, id, { op: 'equals', value: 0 }));
    else if (kind < 9) rules.push(rateRule(`${id}-rate`, id, 500, 60));
    else rules.push(staleRule(`${id}-stale`, id, 600));
  }
  return rules;
}

/** The first tenth of the devices are UPS fed by the feeds in turn; every other device is fed by a UPS and sits in a zone of ten. */
function siteTopology(site: Site): Topology {
  const entries: TopologyEntry[] = FEEDS.map((id) => ({ id, kind: 'feed' as const, name: id }));
  const zoneMembers: string[][] = Array.from({ length: site.zones }, () => []);
  for (let d = 0; d < site.devices; d++) {
    if (d < site.ups) entries.push({ device: `dev${d}`, fedBy: [FEEDS[d % FEEDS.length]!] });
    else {
      entries.push({ device: `dev${d}`, fedBy: [`dev${d % site.ups}`] });
      zoneMembers[Math.floor((d - site.ups) / 10)]!.push(`dev${d}`);
    }
  }
  for (const [z, contains] of zoneMembers.entries()) entries.push({ id: `zone-${z}`, kind: 'zone', name: `Zone ${z}`, contains });
  const devices = Array.from({ length: site.devices }, (_, d) => `dev${d}`);
  const { topology, problems } = buildTopology(entries, devices);
  if (!topology) throw new Error(`bench topology: ${problems.map((p) => p.message).join('; ')}`);
  return topology;
}

/**
 * A site's worth of incident rules, each kind of condition in turn: limit alarms per device
 * (wildcards, min), hot points per device (point limit, wildcard, min), critical alarms
 * downstream of a UPS or a feed, discrete alarms in a zone, rising points in a zone (rate),
 * `all` of a critical alarm and a point limit on one device, severities over device groups,
 * one point's rise, low points with `lo`.
 */
function incidentRules(site: Site, count: number): IncidentRule[] {
  // Rule i uses template i % 10 with parameters from k = i / 10, so rules of one kind differ.
  const dev = (k: number) => `dev${k % site.devices}`;
  const templates: ((i: number, k: number) => unknown)[] = [
    (i, k) => ({ id: `r${i}-limits`, message: '{count} limit alarms on {devices}', when: { any: [{ alarm: `${dev(k)}.*-lim.*` }], min: 3, withinS: 120 } }),
    (i, k) => ({ id: `r${i}-hot`, severity: 'minor', when: { any: [{ point: `${dev(k + 50)}.p*`, hi: 95 }], min: 3, withinS: 30 } }),
    (i, k) => ({ id: `r${i}-ups-down`, severity: 'critical', when: { any: [{ alarm: '*', downstreamOf: `dev${k % site.ups}`, severity: ['critical'] }], min: 3, withinS: 20 + k } }),
    (i, k) => ({ id: `r${i}-zone-eq`, when: { any: [{ alarm: '*-eq', zone: `zone-${k % site.zones}` }], min: 6 + k, withinS: 30 } }),
    (i, k) => ({ id: `r${i}-zone-rise`, severity: 'warning', when: { any: [{ point: `*.p${k % site.pointsPerDevice}`, zone: `zone-${k % site.zones}`, risePerMin: 50 }], min: 3 } }),
    (i, k) => ({ id: `r${i}-crit-hot`, when: { all: [{ alarm: `${dev(k)}.*`, severity: ['critical'] }, { point: `${dev(k)}.p${(k * 3) % site.pointsPerDevice}`, hi: 70 }], withinS: 120 } }),
    (i, k) => ({ id: `r${i}-group`, when: { any: [{ alarm: '*.hi*', device: `dev${k % 10}*`, severity: ['major', 'critical'] }], min: 20 + k, withinS: 30 } }),
    (i, k) => ({ id: `r${i}-feed`, severity: 'critical', when: { any: [{ alarm: '*', downstreamOf: FEEDS[k % FEEDS.length]! }], min: 40 + k, withinS: 30 } }),
    (i, k) => ({ id: `r${i}-rise`, severity: 'warning', when: { any: [{ point: `${dev(k + 20)}.p${(k * 7) % site.pointsPerDevice}`, risePerMin: 30 }], withinS: 90 } }),
    (i, k) => ({ id: `r${i}-low`, when: { any: [{ point: `${dev(k + 30)}.p*`, lo: 5 }, { alarm: `${dev(k + 30)}.*-eq` }], min: 3, withinS: 120 } }),
  ];
  return incidentListSchema.parse(Array.from({ length: count }, (_, i) => templates[i % templates.length]!(i, Math.floor(i / templates.length))));
}

/** Values mostly in the normal band; about 1 sample in 1000 crosses a limit, 1 in 1000 hits the discrete value (as alarms-engine.ts). */
function makeSamples(site: Site, count: number): Sample[][] {
  const ids = Array.from({ length: site.points }, (_, p) => site.pointId(p));
  const cycles: Sample[][] = [];
  for (let c = 0; c < count; c++) {
    const cycle: Sample[] = new Array(site.points);
    for (let p = 0; p < site.points; p++) {
      const h = (p * 7919 + c * 104_729) % 1000;
      const value = h === 0 ? 100 : h === 1 ? 0 : 10 + (h % 70);
      cycle[p] = { pointId: ids[p]!, ts: T0 + c * CYCLE_MS, value, quality: 'good' };
    }
    cycles.push(cycle);
  }
  return cycles;
}

interface Run {
  samplesPerSecond: number;
  alarmEvents: number;
  incidentsRaised: number;
  /** time in the incident engine's commit listener, per commit */
  msPerCommit: number;
  incidentEngine?: IncidentEngine;
}

/** One run on a fresh store: the alarm engine always, the incident engine when rules are given. */
async function ingest(store: Store, site: Site, cycles: Sample[][], rules: AlarmRule[], incidents?: { rules: IncidentRule[]; topology: Topology }): Promise<Run> {
  // Simulated time: the clock moves one cycle per poll cycle, so windows and rates fill as over minutes.
  let clock = T0;
  const alarms: AlarmEngine = createAlarmEngine({
    rules,
    settings: { chatterPerMinute: 5, floodPer10Min: 10, maxShelveMinutes: 1440 },
    store,
    names: NAMES,
    deviceState: () => 'up',
    logger: silentLogger,
    now: () => clock,
    tickMs: 0,
  });
  alarms.start();
  const engine = incidents
    ? createIncidentEngine({ rules: incidents.rules, store, alarms, topology: incidents.topology, logger: silentLogger, now: () => clock, tickMs: 0 })
    : undefined;
  let alarmEvents = 0;
  let incidentsRaised = 0;
  let commits = 0;
  let listenerMs = 0;
  let enteredAt = 0;
  // The bus calls listeners in subscription order: these two bracket the incident engine's listener.
  store.onCommit(() => {
    enteredAt = performance.now();
  });
  engine?.start();
  store.onCommit((b) => {
    listenerMs += performance.now() - enteredAt;
    commits++;
    for (const e of b.events) {
      if (e.type.startsWith('alarm.')) alarmEvents++;
      else if (e.type === 'incident.raised') incidentsRaised++;
    }
  });
  const started = performance.now();
  for (let c = 0; c < cycles.length; c++) {
    clock = T0 + c * CYCLE_MS;
    const cycle = cycles[c]!;
    for (let i = 0; i < cycle.length; i += APPEND_SIZE) store.append(cycle.slice(i, i + APPEND_SIZE));
    // the engine's 1 s timer, on the simulated clock: once a cycle (point conditions are judged there)
    engine?.tick();
    // One poll cycle of every point, then the event loop turns, as it does under the sampler.
    await nextTurn();
  }
  store.flush();
  await nextTurn();
  store.flush();
  const seconds = (performance.now() - started) / 1000;
  alarms.stop();
  engine?.stop();
  return { samplesPerSecond: (cycles.length * site.points) / seconds, alarmEvents, incidentsRaised, msPerCommit: listenerMs / commits, ...(engine && { incidentEngine: engine }) };
}

export async function benchIncidentEval(opts: IncidentBenchOptions = {}): Promise<BenchRow[]> {
  const site = siteOf(opts.devices ?? 100, opts.pointsPerDevice ?? 100);
  const cyclesCount = opts.cycles ?? 60;
  const runs = opts.runs ?? 3;
  const ruleCount = opts.incidentRules ?? 500;
  // No rollup timer: its pass lands in whichever run happens to cross its 10 s, not in proportion
  // to the work of the run, and it is the same work with or without incidents.
  const temp = createTempStores('incident-bench-', { commitIntervalMs: 1000, maxBatch: 5000, rollupIntervalMs: 0 });
  try {
    const rules = alarmRules(site);
    const incidents = { rules: incidentRules(site, ruleCount), topology: siteTopology(site) };
    const cycles = makeSamples(site, cyclesCount);
    const without: Run[] = [];
    const withIncidents: Run[] = [];
    for (let r = 0; r < runs; r++) {
      // The previous runs' stores are closed and removed first, so disk and memory start alike.
      temp.cleanup();
      without.push(await ingest(temp.open(temp.file()), site, cycles, rules));
      withIncidents.push(await ingest(temp.open(temp.file()), site, cycles, rules, incidents));
    }
    const base = median(without.map((r) => r.samplesPerSecond));
    const withRate = median(withIncidents.map((r) => r.samplesPerSecond));
    const last = withIncidents[withIncidents.length - 1]!;

    // One tick of the last run's engine (windows, matches and lifecycles of every rule) at the end
    // of its simulated time, its store still open for any transition it writes.
    const engine = last.incidentEngine!;
    const ticks = 20;
    const t0 = performance.now();
    for (let i = 0; i < ticks; i++) engine.tick();
    const tickMs = (performance.now() - t0) / ticks;

    const samples = (cyclesCount * site.points).toLocaleString('en-US');
    const ratio = withRate / base;
    return [
      { name: `store ingest + alarm engine, no incidents (${samples} samples, ${site.points.toLocaleString('en-US')} points, median of ${runs})`, value: base, unit: 'samples/s' },
      {
        name: `store ingest + alarm engine + incident engine (${ruleCount} rules, topology)`,
        value: withRate,
        unit: 'samples/s',
        baseline: 'no incidents',
        ratio,
        target: 'ratio >= 0.9',
        pass: ratio >= 0.9,
      },
      { name: 'alarm events written during that run', value: last.alarmEvents, unit: 'events' },
      { name: 'incidents raised during that run', value: last.incidentsRaised, unit: 'incidents' },
      { name: 'incident engine in the commit listener, per commit', value: median(withIncidents.map((r) => r.msPerCommit)), unit: 'ms' },
      { name: `incident engine tick, ${ruleCount} rules`, value: tickMs, unit: 'ms' },
    ];
  } finally {
    temp.cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchIncidentEval());
}
