/**
 * The site of the memory-by-component bench, in stages that each add one part of the product to
 * the 10 k-point bench site (site-generator.ts), so the RSS each part adds can be read as the
 * difference between two gateway processes:
 *   devices   the Modbus devices only (profile points, no alarms)
 *   alarms    + profile alarm rules: 3 limit levels (HI, HIHI, LO) on half the points, comm loss per device
 *   analytics + profile analytics (anomaly kinds and a forecast) on a tenth of the points
 *   full      + SNMP devices, topology, incidents, snapshots, an HTTP sync target, the MQTT broker
 * The limits sit far outside the simulated values: the bench measures what the configuration
 * costs at rest, not an alarm storm.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BENCH_PROFILE, type BenchSiteOptions, benchProfile, benchSite, type GeneratedPoint, writeBenchSite } from './site-generator.js';
import { BENCH_SUBTREE } from './snmp-agents-child.js';

export const STAGES = ['devices', 'alarms', 'analytics', 'full'] as const;
export type Stage = (typeof STAGES)[number];

/** The environment variable the SNMP devices take their community from, as a real site would. */
export const SNMP_COMMUNITY_ENV = 'BENCH_SNMP_COMMUNITY';
const SNMP_PROFILE = 'bench-snmp';
const FEEDS = 10;
const ZONES = 4;

export interface MemorySiteOptions extends BenchSiteOptions {
  /** points per device with a limit rule (3 alarms each); default half of them */
  alarmPointsPerDevice?: number;
  /** points per device analysed; default a tenth of them */
  analysedPerDevice?: number;
  snmp?: { ports: readonly number[]; oids: number; pollIntervalMs: number };
  /** the embedded MQTT broker's port (full stage) */
  mqttPort: number;
  /** the HTTP sync receiver's port (full stage) */
  syncPort: number;
}

/** Numeric 16-bit point kinds of the mixed map (site-generator's MIXED: 0, 1, 4, 5, 9): limits apply to them. */
const LIMIT_KINDS = [0, 1, 4, 5, 9];

/** The keys of the points with limit rules: the numeric kinds, device by device, until `count`. */
export function limitPointKeys(points: readonly GeneratedPoint[], count: number): string[] {
  return points.filter((_, i) => LIMIT_KINDS.includes(i % 10)).slice(0, count).map((p) => p.key);
}

/** The keys of the analysed points: one in `every` of the limited points, so each has limits to forecast against. */
export function analysedPointKeys(limited: readonly string[], count: number): string[] {
  const every = Math.max(1, Math.floor(limited.length / Math.max(1, count)));
  return limited.filter((_, i) => i % every === 0).slice(0, count);
}

export interface StageCounts {
  modbusPoints: number;
  alarms: number;
  analysed: number;
  snmpPoints: number;
  devices: number;
}

function profileFor(stage: Stage, o: MemorySiteOptions): Record<string, unknown> {
  const profile = benchProfile(o.points);
  if (stage === 'devices') return profile;
  const limited = limitPointKeys(o.points, o.alarmPointsPerDevice ?? Math.floor(o.points.length / 2));
  // far outside what the simulator serves: configured, evaluated on every sample, never raised
  const alarms: Record<string, unknown>[] = limited.map((key) => ({ id: `${key}-lim`, point: key, hi: 1e6, hihi: 2e6, lo: -1e6, deadband: 1, severity: 'minor' }));
  alarms.push({ id: 'comm-loss', commLossS: 30, severity: 'major' });
  if (stage === 'alarms') return { ...profile, alarms };
  const analysed = analysedPointKeys(limited, o.analysedPerDevice ?? Math.floor(o.points.length / 10));
  const analytics = analysed.map((key) => ({
    points: key,
    anomaly: { sensitivity: 'medium', severity: 'minor', kinds: ['band', 'spike', 'drift'] },
    forecast: { horizonMin: 60 },
  }));
  return { ...profile, alarms, analytics };
}

function fullSections(site: Record<string, unknown>, o: MemorySiteOptions): Record<string, unknown> {
  const modbus = site.devices as { id: string }[];
  const snmp = o.snmp;
  const snmpDevices = (snmp?.ports ?? []).map((port, i) => ({
    id: `snmp${String(i + 1).padStart(3, '0')}`,
    name: `SNMP bench agent ${i + 1}`,
    kind: 'sensor',
    driver: 'snmp',
    connection: { host: '127.0.0.1', port, version: '2c', community: `\${${SNMP_COMMUNITY_ENV}}`, timeoutMs: 2000, retries: 1 },
    pollIntervalMs: snmp!.pollIntervalMs,
    profile: SNMP_PROFILE,
  }));
  // Feeds power the devices in turn; zones hold consecutive runs of devices.
  const topology: Record<string, unknown>[] = [];
  for (let f = 1; f <= FEEDS; f++) topology.push({ id: `feed-${f}`, kind: 'feed', name: `Feed ${f}` });
  modbus.forEach((d, i) => {
    topology.push({ device: d.id, fedBy: [`feed-${(i % FEEDS) + 1}`] });
  });
  const perZone = Math.ceil(modbus.length / ZONES);
  for (let z = 0; z < ZONES; z++) {
    const contains = modbus.slice(z * perZone, (z + 1) * perZone).map((d) => d.id);
    if (contains.length > 0) topology.push({ id: `zone-${z + 1}`, kind: 'zone', name: `Zone ${z + 1}`, contains });
  }
  const firstLimited = limitPointKeys(o.points, 1)[0] ?? 'p0';
  const incidents = [
    { id: 'feed-loss', severity: 'critical', message: 'Feed lost: {count} devices down', when: { any: [{ alarm: '*.comm-loss' }], min: 5, withinS: 60 } },
    {
      id: 'zone-1-heat',
      severity: 'major',
      message: 'Zone 1 heating: {devices}',
      when: { all: [{ alarm: `*.${firstLimited}-lim.hi`, zone: 'zone-1' }, { point: `*.${firstLimited}`, risePerMin: 50, zone: 'zone-1' }], withinS: 60 },
    },
  ];
  return {
    ...site,
    devices: [...modbus, ...snmpDevices],
    topology,
    incidents,
    correlation: { symptoms: true },
    snapshots: { severities: ['critical', 'major'], beforeMin: 10, afterMin: 5 },
    sync: { targets: [{ id: 'ems', kind: 'http', url: `http://127.0.0.1:${o.syncPort}/ingest` }] },
    mqttBroker: { enabled: true, host: '127.0.0.1', port: o.mqttPort, allowAnonymous: true },
  };
}

/** Writes the stage's site file (and its profiles) into `dir`; returns its path and what it holds. */
export function writeStageSite(dir: string, stage: Stage, o: MemorySiteOptions): { file: string; counts: StageCounts } {
  const base = benchSite(o);
  const site = stage === 'full' ? fullSections(base, o) : base;
  const file = writeBenchSite(dir, o, site);
  // the generator wrote the plain profile; this stage's adds its alarms and analytics
  const profile = profileFor(stage, o);
  writeFileSync(join(dir, 'profiles', `${BENCH_PROFILE}.yaml`), stringify(profile));
  if (stage === 'full' && o.snmp) {
    const points = Array.from({ length: o.snmp.oids }, (_, i) => ({ key: `p${i + 1}`, oid: `${BENCH_SUBTREE}.${i + 1}.0`, type: 'gauge', scale: 0.1 }));
    writeFileSync(join(dir, 'profiles', `${SNMP_PROFILE}.yaml`), stringify({ name: 'Generated SNMP benchmark agent', kind: 'sensor', driver: 'snmp', points }));
  }
  const limitRules = ((profile.alarms as unknown[] | undefined)?.length ?? 1) - 1;
  const snmpCount = stage === 'full' ? (o.snmp?.ports.length ?? 0) : 0;
  return {
    file,
    counts: {
      modbusPoints: o.devices * o.points.length,
      // three levels per limit rule, one comm-loss alarm per device
      alarms: stage === 'devices' ? 0 : o.devices * (limitRules * 3 + 1),
      analysed: o.devices * ((profile.analytics as unknown[] | undefined)?.length ?? 0),
      snmpPoints: snmpCount * (o.snmp?.oids ?? 0),
      devices: o.devices + snmpCount,
    },
  };
}
