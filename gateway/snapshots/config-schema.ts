/**
 * The `snapshots:` site section (issue 15): which alarm and incident severities freeze an event
 * snapshot, the window around the raise, and how long and how much is kept. Absent, snapshots are
 * on for critical and major with the defaults below.
 */
import { z } from 'zod';
import { SEVERITIES } from '../alarms/types.js';
import type { SnapshotSettings } from './types.js';

export const snapshotsSchema = z.strictObject({
  /** false: no snapshot is taken (the API answers 404 for every alarm) */
  enabled: z.boolean().default(true),
  severities: z.array(z.enum(SEVERITIES)).default(['critical', 'major']),
  /** minutes of readings before the raise */
  beforeMin: z.number().min(0).max(24 * 60).default(10),
  /** minutes after the raise; the snapshot keeps filling until then, then `snapshot.created` is stored */
  afterMin: z.number().min(0).max(24 * 60).default(5),
  /** days a snapshot is kept after its alarm or incident is acknowledged */
  keepDays: z.number().min(0).max(3650).default(30),
  /** size budget of snapshots.db; beyond it the oldest acknowledged snapshots are dropped first */
  maxMB: z.number().min(0.1).max(100_000).default(50),
});

export const DEFAULT_SNAPSHOT_SETTINGS: SnapshotSettings = snapshotsSchema.parse({});

export type SnapshotsSection = z.infer<typeof snapshotsSchema>;
