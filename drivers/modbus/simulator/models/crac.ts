/**
 * A close-control air conditioner (profile crac-generic). Scenario `cooling-failure`: the
 * compressor trips, and supply air warms ~1 °C per 10 s toward the return air temperature,
 * raising the high-temperature alarm above 27 °C; when it ends the unit cools back down.
 */
import { createWalk } from '../../../../core/sim-random.js';
import { createClock, type DeviceModel, HOUR_MS, type ModelContext, type PointValues } from './types.js';

const DEFAULT_SETPOINT = 18;
/** °C per second the supply air moves toward where the unit drives it */
const SUPPLY_RATE = 0.1;
const HIGH_TEMP = 27;

export function createCracModel({ rng }: ModelContext): DeviceModel {
  const elapsed = createClock();
  const returnTemp = createWalk(rng, { min: 28, max: 32, start: 30, volatility: 0.1 });
  const humidity = createWalk(rng, { min: 42, max: 48, start: 45, volatility: 0.2 });
  const fan = createWalk(rng, { min: 60, max: 80, start: 70, volatility: 0.5 });
  const offset = createWalk(rng, { min: 0.2, max: 1.8, start: 1, volatility: 0.05 });
  const capacity = createWalk(rng, { min: 20, max: 30, start: 25, volatility: 0.3 });
  let supply: number | undefined;
  // whole milliseconds, so hours tick over exactly
  let runMs = Math.round(rng.between(5_000, 30_000)) * HOUR_MS;

  return {
    update(nowMs, scenarios, held) {
      const dt = elapsed(nowMs);
      const failed = scenarios['cooling-failure'];
      const setpoint = typeof held.setpoint === 'number' ? held.setpoint : DEFAULT_SETPOINT;
      const ret = returnTemp.step(dt);
      const target = failed ? ret : setpoint + offset.step(dt);
      if (supply === undefined) supply = target;
      const maxMove = (SUPPLY_RATE * dt) / 1000;
      supply += Math.max(-maxMove, Math.min(maxMove, target - supply));
      if (!failed) runMs += dt;

      const values: PointValues = {
        supply_temp: supply,
        return_temp: ret,
        humidity: humidity.step(dt),
        fan_speed: Math.round(fan.step(dt)),
        high_temp_alarm: supply > HIGH_TEMP,
        low_airflow_alarm: false,
        compressor_fault: failed,
        filter_dirty: false,
        water_detected: false,
        unit_status: failed ? 'fault' : 'cooling',
        cooling_capacity: failed ? 0 : capacity.step(dt),
        run_hours: Math.floor(runMs / HOUR_MS),
        setpoint,
        compressor_running: !failed,
      };
      return values;
    },
  };
}
