/**
 * Alarm state after a restart, rebuilt from the store's events. Every `alarm.<transition>` event
 * carries the whole record after the transition, so the last event of each alarm is its state.
 * The events are written by the store's single writer in its transactions: whatever a kill -9 or a
 * power cut left committed is exactly the state to resume, and a transition whose event was lost
 * simply happens again on the next sample (it was never announced).
 */
import type { StoredEvent } from '../store/types.js';
import { ALARM_STATES, type AlarmEventData, type AlarmRecord } from './types.js';

export const ALARM_EVENT_PREFIX = 'alarm.';
const PAGE = 5000;

export interface RecoveredAlarms {
  records: Map<string, AlarmRecord>;
  /** events read (all types), and the highest seq seen */
  scanned: number;
  lastSeq: number;
}

export function recoverAlarms(eventsAfter: (after: number, limit: number) => StoredEvent[]): RecoveredAlarms {
  const records = new Map<string, AlarmRecord>();
  let after = 0;
  let scanned = 0;
  for (;;) {
    const page = eventsAfter(after, PAGE);
    for (const e of page) {
      if (!e.type.startsWith(ALARM_EVENT_PREFIX)) continue;
      const record = recordOf(e.data);
      if (record) records.set(record.id, record);
    }
    scanned += page.length;
    if (page.length > 0) after = page[page.length - 1]!.seq;
    if (page.length < PAGE) break;
  }
  return { records, scanned, lastSeq: after };
}

/** The record part of an event's data, or undefined when it is not one this gateway wrote. */
export function recordOf(data: Record<string, unknown>): AlarmRecord | undefined {
  const d = data as Partial<AlarmEventData>;
  if (typeof d.alarmId !== 'string' || !(ALARM_STATES as readonly unknown[]).includes(d.state)) return undefined;
  const { alarmId, transition: _t, from: _f, who: _w, comment: _c, ...rest } = d as AlarmEventData;
  return { ...rest, id: alarmId };
}
