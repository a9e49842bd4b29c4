/**
 * Event snapshots (issue 15): the raw readings of the points related to an alarm or incident from
 * `beforeMin` before its raise to `afterMin` after, with the alarm transitions of that window,
 * frozen in their own file (snapshots.db) apart from the store's retention. Types only: config/
 * and dashboard/ import this file.
 */
import type { Severity } from '../alarms/types.js';

export interface SnapshotSettings {
  enabled: boolean;
  severities: Severity[];
  beforeMin: number;
  afterMin: number;
  keepDays: number;
  maxMB: number;
}

export type SnapshotKind = 'alarm' | 'incident';

export interface SnapshotSeries {
  pointId: string;
  name: string;
  unit: string | null;
  ts: number[];
  /** numbers as stored; booleans as 1/0; text as text; bad-quality readings as null */
  value: (number | string | null)[];
}

/** An alarm or incident transition inside the window (the event's type and data). */
export interface SnapshotTransition {
  ts: number;
  type: string;
  id: string;
  state: string | null;
  severity: string | null;
  message: string | null;
}

export interface SnapshotSummary {
  /** the snapshot's own id */
  id: number;
  kind: SnapshotKind;
  /** the alarm or incident id */
  subject: string;
  severity: string;
  from: number;
  to: number;
  raisedAt: number;
  /** true once `to` has passed and `snapshot.created` was stored */
  closed: boolean;
  ackedAt: number | null;
  pointIds: string[];
  rows: number;
}

export interface Snapshot extends SnapshotSummary {
  series: SnapshotSeries[];
  alarms: SnapshotTransition[];
}

export interface SnapshotService {
  /** the severities that take a snapshot (the alarm console links those alarms to theirs) */
  readonly severities: readonly string[];
  /** the latest snapshot of an alarm or incident (its last raise), with its data */
  latest(kind: SnapshotKind, subject: string): Snapshot | undefined;
  list(): SnapshotSummary[];
}
