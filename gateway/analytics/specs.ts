/**
 * From the site file's `analytics:` entries and the device profiles' defaults to one spec per
 * analysed point (patterns resolved against the site's points, a profile's against its device's
 * keys; a site entry that matches a point replaces the profile's for it), and from the specs to
 * the alarm rules that carry their findings through the alarm engine (lifecycle, acknowledgement,
 * shelving, sync, notifications).
 */
import { globMatcher } from '../../core/id-glob.js';
import type { AnalyticsRule } from '../alarms/types.js';
import type { AnalyticsEntry, ProfileAnalyticsEntry } from './config-schema.js';
import type { AnalyticsCheck, AnalyticsSpec } from './types.js';

export interface SpecProblem {
  /** path inside the site file, from the top (`analytics`, index, field) */
  path: (string | number)[];
  message: string;
}

/** the alarm id of a point's check: `crac1.supply_temp` + `anomaly.band` → `crac1.supply_temp.anomaly-band` */
export function analyticsAlarmId(point: string, check: AnalyticsCheck): string {
  return `${point}.${check.replace('.', '-')}`;
}

/** A device whose profile declares analytics: its points, and the profile's entries (checked in the profile by checkProfileAnalytics). */
export interface ProfileAnalyticsDevice {
  id: string;
  points: readonly { id: string; key: string }[];
  entries: readonly ProfileAnalyticsEntry[];
}

export function expandAnalytics(
  entries: readonly AnalyticsEntry[],
  pointIds: readonly string[],
  profileDevices: readonly ProfileAnalyticsDevice[] = [],
): { specs: AnalyticsSpec[]; problems: SpecProblem[] } {
  const specs: AnalyticsSpec[] = [];
  const problems: SpecProblem[] = [];
  const claimedBy = new Map<string, number>();
  const known = new Set(pointIds);
  entries.forEach((entry, i) => {
    const at = (...rest: (string | number)[]) => ['analytics', i, ...rest];
    const matches = pointIds.filter(globMatcher(entry.points));
    if (matches.length === 0) {
      problems.push({ path: at('points'), message: `"${entry.points}" matches no point of this site` });
      return;
    }
    const peerPool = entry.peers === undefined ? [] : pointIds.filter(globMatcher(entry.peers));
    if (entry.peers !== undefined && !entry.anomaly) problems.push({ path: at('peers'), message: 'peers are compared only with anomaly: set anomaly too' });
    for (const point of matches) {
      const first = claimedBy.get(point);
      if (first !== undefined) {
        problems.push({ path: at('points'), message: `${point} is already analysed by analytics[${first}]` });
        continue;
      }
      claimedBy.set(point, i);
      // switched off: claimed (so a profile's default is not used) but not analysed
      if (!entry.enabled) continue;
      const battery = resolveBattery(entry, point, known);
      if (typeof battery === 'string') {
        problems.push({ path: at('battery', 'load'), message: battery });
        continue;
      }
      const peers = peerPool.filter((p) => p !== point);
      if (entry.peers !== undefined && peers.length < 2) {
        problems.push({ path: at('peers'), message: `"${entry.peers}" gives ${point} ${peers.length} other point(s); comparing needs at least 2` });
      }
      specs.push(specOf(entry, point, peers, battery));
    }
  });
  // the profiles' defaults, for the points no site entry named (their problems were reported in the profile)
  for (const device of profileDevices) {
    const taken = new Set<string>();
    for (const entry of device.entries) {
      const matches = globMatcher(entry.points);
      for (const { id, key } of device.points) {
        if (!matches(key) || claimedBy.has(id) || taken.has(id)) continue;
        taken.add(id);
        const battery = resolveBattery(entry, id, known);
        if (!entry.enabled || typeof battery === 'string') continue;
        specs.push(specOf(entry, id, [], battery));
      }
    }
  }
  return { specs, problems };
}

/**
 * A profile's own analytics checked against its point keys, so its mistakes point into the
 * profile file (path from its top: `analytics`, index, field). Keys written as row templates
 * (`outlet_{row}_current`) match as their first row would. An undefined entry is one whose shape
 * was already reported; it keeps the others' indexes.
 */
export function checkProfileAnalytics(entries: readonly (ProfileAnalyticsEntry | undefined)[], keys: readonly string[]): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const concrete = keys.map((k) => k.replace(/\{[^}]*\}/g, '1'));
  const firstEntry = new Map<string, number>();
  entries.forEach((entry, i) => {
    if (!entry) return;
    const matches = concrete.filter(globMatcher(entry.points));
    if (matches.length === 0) problems.push({ path: ['analytics', i, 'points'], message: `"${entry.points}" matches no point key of this profile` });
    for (const key of matches) {
      const first = firstEntry.get(key);
      if (first === undefined) firstEntry.set(key, i);
      else problems.push({ path: ['analytics', i, 'points'], message: `${key} is already analysed by analytics[${first}]` });
    }
    if (entry.battery && !concrete.includes(entry.battery.load)) {
      problems.push({ path: ['analytics', i, 'battery', 'load'], message: `"${entry.battery.load}" is not a point key of this profile` });
    }
  });
  return problems;
}

/** An entry's spec for one point, with its peers and battery resolved by the caller. */
function specOf(entry: ProfileAnalyticsEntry, point: string, peers: string[], battery: AnalyticsSpec['battery']): AnalyticsSpec {
  return {
    point,
    baseline: { season: [...entry.baseline.season], trainingDays: entry.baseline.trainingDays, minTrainingMinutes: entry.baseline.minTrainingMinutes },
    ...(entry.anomaly && {
      anomaly: {
        sensitivity: entry.anomaly.sensitivity,
        severity: entry.anomaly.severity,
        onDelayS: entry.anomaly.onDelayS,
        // no peers, no peer check
        kinds: entry.anomaly.kinds.filter((k) => k !== 'peer' || peers.length >= 2),
      },
    }),
    ...(entry.forecast && { forecast: { ...entry.forecast } }),
    peers,
    ...(battery && { battery }),
  };
}

/**
 * The battery of a runtime point: its load key taken on the same device (`ups1.runtime_remaining`
 * with `load: output_load` → `ups1.output_load`). undefined: no battery; a string: why not.
 */
function resolveBattery(entry: ProfileAnalyticsEntry, point: string, known: ReadonlySet<string>): AnalyticsSpec['battery'] | string | undefined {
  if (!entry.battery) return undefined;
  const { load: key, ...rest } = entry.battery;
  const device = point.slice(0, point.indexOf('.'));
  const load = `${device}.${key}`;
  if (!known.has(load)) return `${device} has no point "${key}" (battery.load is a point key of the analysed point's device)`;
  return { load, ...rest };
}

/** The checks a spec runs, in a fixed order. */
export function checksOf(spec: AnalyticsSpec): AnalyticsCheck[] {
  return [
    ...(spec.anomaly?.kinds ?? []).map((k) => `anomaly.${k}` as const),
    ...(spec.forecast ? (['forecast.limit'] as const) : []),
    ...(spec.battery ? (['battery.runtime'] as const) : []),
  ];
}

/** One `analytics` alarm rule per check of each spec. */
export function analyticsAlarmRules(specs: readonly AnalyticsSpec[]): AnalyticsRule[] {
  return specs.flatMap((spec) =>
    checksOf(spec).map((check) => ({
      id: analyticsAlarmId(spec.point, check),
      type: 'analytics' as const,
      point: spec.point,
      check,
      severity: check === 'forecast.limit' ? spec.forecast!.severity : check === 'battery.runtime' ? spec.battery!.severity : spec.anomaly!.severity,
      // band: outside the band for onDelayS; the others decide on their own windows
      onDelayS: check === 'anomaly.band' ? spec.anomaly!.onDelayS : 0,
      // a finding that flickers at its edge must not raise again and again
      offDelayS: 60,
      latch: false,
    })),
  );
}
