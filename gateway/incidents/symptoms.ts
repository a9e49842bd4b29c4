/**
 * Built-in topology correlation: an active alarm on a device whose feeder (a node upstream in the
 * power chain) has an active alarm is a symptom of the nearest such feeder's alarm (its most
 * severe, then earliest raised). Computed from the current active set on demand: nothing to keep
 * in step, and a cause that returns releases its symptoms at once.
 */
import type { AlarmRecord } from '../alarms/types.js';
import { SEVERITIES } from '../alarms/types.js';
import type { Topology } from '../topology/types.js';
import type { SymptomLink } from './types.js';

const RANK = new Map(SEVERITIES.map((s, i) => [s, i]));

export interface ActiveAlarms {
  /** active alarms by device id */
  byDevice(device: string): readonly AlarmRecord[];
  all(): Iterable<AlarmRecord>;
}

export function causeOfAlarm(alarm: Pick<AlarmRecord, 'device'>, active: ActiveAlarms, topology: Topology | undefined): string | undefined {
  if (!topology || !alarm.device) return undefined;
  for (const feeder of topology.upstreamOf(alarm.device)) {
    const candidates = active.byDevice(feeder);
    if (candidates.length === 0) continue;
    const best = [...candidates].sort(
      (a, b) => RANK.get(a.severity)! - RANK.get(b.severity)! || (a.raisedAt ?? 0) - (b.raisedAt ?? 0) || a.id.localeCompare(b.id),
    )[0]!;
    return best.id;
  }
  return undefined;
}

export function symptomLinks(active: ActiveAlarms, topology: Topology | undefined): SymptomLink[] {
  if (!topology) return [];
  const links: SymptomLink[] = [];
  for (const a of active.all()) {
    const causeId = causeOfAlarm(a, active, topology);
    if (causeId) links.push({ alarmId: a.id, causeId });
  }
  return links.sort((x, y) => x.alarmId.localeCompare(y.alarmId));
}
