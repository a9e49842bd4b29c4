/**
 * Incident state after a restart, rebuilt from the store's events like the alarms' (recovery.ts):
 * every `incident.<transition>` event carries the whole record after the transition, so the last
 * one of each incident is its state. An incident raised before the restart stays raised (and
 * unacknowledged if it was) rather than being raised a second time.
 */
import { ALARM_STATES } from '../alarms/types.js';
import type { StoredEvent } from '../store/types.js';
import type { IncidentRecord } from './types.js';

export const INCIDENT_EVENT_PREFIX = 'incident.';
const PAGE = 5000;

/** The data of an `incident.<transition>` event: the record after it, and who did it. */
export interface IncidentEventData extends IncidentRecord {
  incidentId: string;
  /** removed: its rule left the config or changed (live or while stopped); `comment` says which, `from` the state it had */
  transition: 'raised' | 'returned' | 'acked' | 'reset' | 'removed';
  from?: string;
  who: string | null;
  comment: string | null;
  /** symptom links among the members when it changed */
  symptoms: { alarmId: string; causeId: string }[];
}

export function recoverIncidents(eventsAfter: (after: number, limit: number) => StoredEvent[]): Map<string, IncidentRecord> {
  const records = new Map<string, IncidentRecord>();
  let after = 0;
  for (;;) {
    const page = eventsAfter(after, PAGE);
    for (const e of page) {
      if (!e.type.startsWith(INCIDENT_EVENT_PREFIX)) continue;
      const record = incidentRecordOf(e.data);
      if (record) records.set(record.id, record);
    }
    if (page.length > 0) after = page[page.length - 1]!.seq;
    if (page.length < PAGE) break;
  }
  return records;
}

export function incidentRecordOf(data: Record<string, unknown>): IncidentRecord | undefined {
  const d = data as Partial<IncidentEventData>;
  if (typeof d.incidentId !== 'string' || !(ALARM_STATES as readonly unknown[]).includes(d.state)) return undefined;
  return {
    id: d.incidentId,
    severity: d.severity!,
    message: String(d.message ?? ''),
    state: d.state!,
    active: d.active === true,
    raisedAt: d.raisedAt ?? null,
    returnedAt: d.returnedAt ?? null,
    ackedAt: d.ackedAt ?? null,
    ackedBy: d.ackedBy ?? null,
    members: Array.isArray(d.members) ? d.members.filter((m): m is string => typeof m === 'string') : [],
  };
}

/** `{count}` and `{devices}` filled in. */
export function incidentMessage(template: string, count: number, devices: readonly string[]): string {
  return template.replaceAll('{count}', String(count)).replaceAll('{devices}', devices.join(', '));
}
