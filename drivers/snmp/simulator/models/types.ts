/** What a simulated SNMP device model is: engineering values by point key, moved over time. */
import type { ScenarioState } from '../../../../core/scenarios.js';
import type { PointValue } from '../../../../core/types.js';
import type { SnmpDeviceConfig } from '../../device.js';
import type { Rng } from '../../../../core/sim-random.js';

export type PointValues = Record<string, PointValue>;

export interface DeviceModel {
  /** Values at nowMs (ms since the epoch), by point key; keys without a point are ignored. */
  update(nowMs: number, scenarios: ScenarioState): PointValues;
}

export interface ModelContext {
  device: SnmpDeviceConfig;
  rng: Rng;
}

export type ModelFactory = (ctx: ModelContext) => DeviceModel;

/** Elapsed ms between updates; the first update is at dt 0. */
export function createClock(): (nowMs: number) => number {
  let last: number | undefined;
  return (nowMs) => {
    const dt = last === undefined ? 0 : Math.max(0, nowMs - last);
    last = nowMs;
    return dt;
  };
}

export const HOUR_MS = 3_600_000;

/** The row numbers `{n}` of the device's points whose keys match `pattern` (one capture group). */
export function rowsOf(device: SnmpDeviceConfig, pattern: RegExp): string[] {
  const rows = new Set<string>();
  for (const p of device.points) {
    const n = pattern.exec(p.key)?.[1];
    if (n !== undefined) rows.add(n);
  }
  return [...rows];
}
