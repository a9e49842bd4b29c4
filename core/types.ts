/** Core data shapes shared by drivers, the store, alarms, sync and the dashboard. */

export type Quality = 'good' | 'uncertain' | 'bad';

/**
 * Why a sample is not good. Open-ended (OPC UA status names pass through), but the gateway's own
 * reasons are these.
 */
export type KnownReason =
  | 'timeout'
  | 'comm'
  | 'illegal-function'
  | 'illegal-address'
  | 'illegal-value'
  | 'device-failure'
  | 'device-busy'
  | 'gateway-path'
  | 'gateway-target'
  | 'bad-frame'
  | 'out-of-range'
  | 'not-available'
  | 'unknown-enum'
  | 'stale'
  | 'config'
  /** the value is fine, its timestamp doubtful: taken while the system clock was not synchronised */
  | 'clock';

export type PointValue = number | boolean | string | null;

export interface Sample {
  /** `<deviceId>.<key>` */
  pointId: string;
  /** milliseconds since the epoch, UTC */
  ts: number;
  value: PointValue;
  quality: Quality;
  /** set when quality is not good */
  reason?: KnownReason | (string & {});
}

/** A sample after the store committed it. */
export interface Reading extends Sample {
  /** the stored row's seq; 0 for a reading committed but not stored (report-by-exception: `store:`) */
  seq: number;
}

export function pointIdOf(deviceId: string, key: string): string {
  return `${deviceId}.${key}`;
}

export function badSample(pointId: string, ts: number, reason: Sample['reason']): Sample {
  return { pointId, ts, value: null, quality: 'bad', reason };
}
