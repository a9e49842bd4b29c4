/**
 * Incidents (issue 15): one decision made of many alarms. An incident rule combines conditions
 * over time; a raised incident has the alarm lifecycle (ISA-18.2 states, acknowledged once).
 * Topology correlation groups an alarm under its feeder's active alarm as a symptom.
 * Transitions are stored as events `incident.<transition>` (raised, returned, acked, reset), so
 * snapshots, actions, the page and sync follow them from the store's commits.
 */
import type { AlarmState, Severity } from '../alarms/types.js';

export interface IncidentRecord {
  /** the rule id */
  id: string;
  severity: Severity;
  /** the rule's message with {count} etc. filled in when it was raised */
  message: string;
  state: AlarmState;
  active: boolean;
  raisedAt: number | null;
  returnedAt: number | null;
  ackedAt: number | null;
  ackedBy: string | null;
  /** the alarm ids that made it (at raise time and since) */
  members: string[];
}

/** An alarm grouped under the active alarm of a device upstream of its own. */
export interface SymptomLink {
  /** the symptom alarm's id */
  alarmId: string;
  /** the cause alarm's id */
  causeId: string;
}

export interface IncidentService {
  list(): IncidentRecord[];
  get(id: string): IncidentRecord | undefined;
  ack(id: string, user: string, comment?: string): IncidentRecord | undefined;
  /** the active cause this alarm is a symptom of, if any (the notifier holds its notifications back) */
  causeOf(alarmId: string): string | undefined;
  symptoms(): SymptomLink[];
}
