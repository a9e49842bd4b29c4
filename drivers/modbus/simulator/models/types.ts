/** What a simulated device model is: engineering values by point key, moved over time. */
import type { ModbusDeviceConfig } from '../../device.js';
import type { PointValue } from '../../../../core/types.js';
import type { Rng } from '../../../../core/sim-random.js';
import type { ScenarioState } from '../../../../core/scenarios.js';
import type { SiteCooling } from '../../../../core/site-cooling.js';

export type PointValues = Record<string, PointValue>;

export interface DeviceModel {
  /**
   * Values at nowMs (ms since the epoch). `held` has the points a client wrote or a test holds
   * (e.g. a setpoint, an outlet switched off), so the model can react to them; the site does not
   * overwrite held points whatever the model returns. Keys without a point are ignored.
   */
  update(nowMs: number, scenarios: ScenarioState, held: Readonly<PointValues>): PointValues;
  /**
   * Points that are commands (a run command, a self-test): a client's write reaches the model in
   * `held` once, then is released, so the point shows the model's own state again (a test that
   * ends, a unit that trips) instead of the written value forever.
   */
  readonly commands?: readonly string[];
}

/** Where a device stands in the simulated site (site.ts decides; see standbyUnits there). */
export interface ModelRole {
  /** a standby unit of N+1 equipment: starts off, and is not the unit a scenario trips */
  standby?: boolean;
  /** cooling units report here whether they cool, by their device's location */
  cooling?: SiteCooling;
}

export interface ModelContext extends ModelRole {
  device: ModbusDeviceConfig;
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
