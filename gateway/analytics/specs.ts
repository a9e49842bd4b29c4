/**
 * From the site file's `analytics:` entries to one spec per analysed point (patterns resolved
 * against the site's points), and from the specs to the alarm rules that carry their findings
 * through the alarm engine (lifecycle, acknowledgement, shelving, sync, notifications).
 */
import { globMatcher } from '../../core/id-glob.js';
import type { AnalyticsRule } from '../alarms/types.js';
import type { AnalyticsEntry } from './config-schema.js';
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

export function expandAnalytics(entries: readonly AnalyticsEntry[], pointIds: readonly string[]): { specs: AnalyticsSpec[]; problems: SpecProblem[] } {
  const specs: AnalyticsSpec[] = [];
  const problems: SpecProblem[] = [];
  const claimedBy = new Map<string, number>();
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
      const peers = peerPool.filter((p) => p !== point);
      if (entry.peers !== undefined && peers.length < 2) {
        problems.push({ path: at('peers'), message: `"${entry.peers}" gives ${point} ${peers.length} other point(s); comparing needs at least 2` });
      }
      specs.push({
        point,
        baseline: { season: [...entry.baseline.season], trainingDays: entry.baseline.trainingDays, minTrainingMinutes: entry.baseline.minTrainingMinutes },
        ...(entry.anomaly && {
          anomaly: {
            ...entry.anomaly,
            // no peers, no peer check
            kinds: entry.anomaly.kinds.filter((k) => k !== 'peer' || peers.length >= 2),
          },
        }),
        ...(entry.forecast && { forecast: { ...entry.forecast } }),
        peers,
      });
    }
  });
  return { specs, problems };
}

/** The checks a spec runs, in a fixed order. */
export function checksOf(spec: AnalyticsSpec): AnalyticsCheck[] {
  return [...(spec.anomaly?.kinds ?? []).map((k) => `anomaly.${k}` as const), ...(spec.forecast ? (['forecast.limit'] as const) : [])];
}

/** One `analytics` alarm rule per check of each spec. */
export function analyticsAlarmRules(specs: readonly AnalyticsSpec[]): AnalyticsRule[] {
  return specs.flatMap((spec) =>
    checksOf(spec).map((check) => ({
      id: analyticsAlarmId(spec.point, check),
      type: 'analytics' as const,
      point: spec.point,
      check,
      severity: check === 'forecast.limit' ? spec.forecast!.severity : spec.anomaly!.severity,
      // band: outside the band for onDelayS; the others decide on their own windows
      onDelayS: check === 'anomaly.band' ? spec.anomaly!.onDelayS : 0,
      // a finding that flickers at its edge must not raise again and again
      offDelayS: 60,
      latch: false,
    })),
  );
}
