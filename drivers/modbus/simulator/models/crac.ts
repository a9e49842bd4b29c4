/**
 * A close-control air conditioner (profile crac-generic). Scenario `cooling-failure`: the duty
 * unit's compressor trips, and supply air warms ~1 °C per 10 s toward the return air temperature,
 * raising the high-temperature alarm above 27 °C; when it ends the unit cools back down.
 * A standby unit (N+1: a second crac-generic on the same bus, see standbyUnits in site.ts) starts
 * off, in status `standby`, and the scenario does not trip it: it is the healthy spare an operator
 * or an automated action starts.
 * Writes (issue 14): the supply air follows a written `setpoint` at SUPPLY_RATE (tens of seconds
 * for a few degrees); `unit_on` is the run command: false puts the unit in standby (compressor
 * and fan stop), true starts it again.
 * Scenario `power-failure`: the unit's controls and fan stay up on its UPS, but the UPS-on-battery
 * contact sheds the compressor to save battery runtime (standby_power set), so the supply air
 * warms toward the return air until utility power is back: downstream alarms of the UPS's own.
 * Scenario `crac-degrading`: the duty unit slowly loses capacity (a refrigerant leak, a fouled
 * coil): its supply air creeps up ~0.4 °C a minute and the return-to-supply ΔT shrinks, long before
 * the HI limit (about 20 minutes): what a learned baseline's drift check is for.
 * A unit reports whether it cools to the site's cooling state by its location, so the rack
 * sensors there warm while no unit cools. A tripped unit's fan still blows return air past its
 * supply sensor; a stopped unit's sensor sits in the room air: cool while another unit cools that
 * location (so a standby unit shows no high supply air), the return air otherwise.
 */
import { createWalk } from '../../../../core/sim-random.js';
import { createClock, type DeviceModel, HOUR_MS, type ModelContext, type PointValues } from './types.js';

const DEFAULT_SETPOINT = 18;
/** °C per second the supply air moves toward where the unit drives it */
const SUPPLY_RATE = 0.1;
const HIGH_TEMP = 27;
/** °C per second a degrading unit's supply air creeps up (0.4 °C a minute) */
const DEGRADE_RATE = 0.4 / 60;
/** an idle unit in a cooled room: its supply sensor sits in air this much above the setpoint */
const ROOM_ABOVE_SETPOINT = 4;

export function createCracModel({ device, rng, standby = false, cooling: site }: ModelContext): DeviceModel {
  const elapsed = createClock();
  const returnTemp = createWalk(rng, { min: 28, max: 32, start: 30, volatility: 0.1 });
  const humidity = createWalk(rng, { min: 42, max: 48, start: 45, volatility: 0.2 });
  const fan = createWalk(rng, { min: 60, max: 80, start: 70, volatility: 0.5 });
  const offset = createWalk(rng, { min: 0.2, max: 1.8, start: 1, volatility: 0.05 });
  const capacity = createWalk(rng, { min: 20, max: 30, start: 25, volatility: 0.3 });
  let supply: number | undefined;
  let on = !standby;
  /** how much capacity a degrading unit has lost, as °C of supply air */
  let degradedC = 0;
  // whole milliseconds, so hours tick over exactly
  let runMs = Math.round(rng.between(5_000, 30_000)) * HOUR_MS;

  return {
    commands: ['unit_on'],
    update(nowMs, scenarios, held) {
      const dt = elapsed(nowMs);
      if (typeof held.unit_on === 'boolean') on = held.unit_on;
      const failed = scenarios['cooling-failure'] && !standby;
      const shed = scenarios['power-failure'];
      const cooling = on && !failed && !shed;
      if (device.location !== undefined) site?.report(device.id, device.location, cooling);
      const setpoint = typeof held.setpoint === 'number' ? held.setpoint : DEFAULT_SETPOINT;
      const ret = returnTemp.step(dt);
      degradedC = scenarios['crac-degrading'] && !standby && cooling ? degradedC + (DEGRADE_RATE * dt) / 1000 : 0;
      // a stopped fan leaves the supply sensor in the room air; a running fan blows return air past it
      const stillInCooledRoom = !on && device.location !== undefined && site?.cooled(device.location) === true;
      const target = cooling ? Math.min(ret, setpoint + offset.step(dt) + degradedC) : stillInCooledRoom ? setpoint + ROOM_ABOVE_SETPOINT : ret;
      if (supply === undefined) supply = target;
      const maxMove = (SUPPLY_RATE * dt) / 1000;
      supply += Math.max(-maxMove, Math.min(maxMove, target - supply));
      if (cooling) runMs += dt;
      // humidity and fan walk in the order they always did, so a seed gives the same values
      const hum = humidity.step(dt);
      const fanPct = Math.round(fan.step(dt));

      const values: PointValues = {
        supply_temp: supply,
        return_temp: ret,
        humidity: hum,
        fan_speed: on ? fanPct : 0,
        high_temp_alarm: supply > HIGH_TEMP,
        low_airflow_alarm: false,
        compressor_fault: failed,
        filter_dirty: false,
        water_detected: false,
        standby_power: shed,
        unit_status: failed ? 'fault' : cooling ? 'cooling' : 'standby',
        cooling_capacity: cooling ? capacity.step(dt) * Math.max(0, 1 - degradedC / 12) : 0,
        run_hours: Math.floor(runMs / HOUR_MS),
        setpoint,
        compressor_running: cooling,
        unit_on: on,
      };
      return values;
    },
  };
}
