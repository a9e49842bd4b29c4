/**
 * The control service's contract (issue 14): every write to equipment goes through
 * ControlService.write, from the page, the API or the central EMS. It checks, writes, reads back
 * and records one `control.write` event per attempt, whatever the outcome.
 */
import type { LoadedDevice } from '../../core/device.js';
import type { PointValue } from '../../core/types.js';

/** Who asked: a page user or API token (by name and role), the central EMS (a command id), or an automated action. */
export interface ControlActor {
  kind: 'user' | 'token' | 'ems' | 'action';
  /** user name, token name, the EMS's connection name, or `action:<id>` */
  name: string;
  role: 'viewer' | 'operator' | 'admin' | 'ems';
}

export interface WriteRequest {
  pointId: string;
  /** as sent: a number, boolean, or an enum label; checked against the point's `write` spec */
  value: unknown;
  comment?: string;
  actor: ControlActor;
  /** the EMS command id, when it came upstream */
  commandId?: string;
}

/** Why a write was refused or failed; the API maps each to its HTTP status. */
export const WRITE_REFUSALS = {
  'not-found': 404,
  'not-writable': 422,
  'bad-value': 400,
  'out-of-range': 422,
  role: 403,
  'device-down': 409,
  'point-bad': 409,
  'rate-limited': 429,
  'write-failed': 502,
  'verify-failed': 504,
} as const;
export type WriteRefusal = keyof typeof WRITE_REFUSALS;

export interface WriteResult {
  /** verified: read back equal; written: written, readBack off; refused: never sent; failed: sent and failed or not verified */
  result: 'verified' | 'written' | 'refused' | 'failed';
  pointId: string;
  requested: unknown;
  oldValue: PointValue | undefined;
  readBack?: PointValue;
  /** set unless verified/written */
  reason?: WriteRefusal;
  message?: string;
  /** the `control.write` event's seq in the events stream */
  eventSeq?: number;
  durationMs: number;
}

export interface ControlService {
  write(request: WriteRequest): Promise<WriteResult>;
  /** for health: attempts by result */
  stats(): Record<WriteResult['result'], number>;
  /** A live config change: the points and write limits of these devices from the next write on. */
  replaceDevices(devices: readonly LoadedDevice[]): void;
}

/** The site's `control:` section. */
export interface ControlSection {
  /** the `ems` role (API tokens, MQTT sync commands) may write; default false */
  allowEms: boolean;
  /** at most `count` write attempts per point in any `perSeconds` window; beyond → `rate-limited` */
  rateLimitPerPoint: { count: number; perSeconds: number };
}

export const DEFAULT_CONTROL: ControlSection = { allowEms: false, rateLimitPerPoint: { count: 6, perSeconds: 60 } };
