/**
 * A 10 kVA online UPS (profile ups-generic). Scenario `power-failure`: mains gone, the battery
 * carries the load and drains fast enough that a demo sees battery-low and the runtime reach 0
 * within minutes; when mains returns it recharges.
 * Writes (issue 14): `self_test` true is the self-test command; the point reads true for
 * SELF_TEST_MS while the test runs, then false again.
 */
import { createWalk } from '../../../../core/sim-random.js';
import { createClock, type DeviceModel, HOUR_MS, type ModelContext, type PointValues } from './types.js';

const RATED_KW = 10;
const NOMINAL_VOLTAGE = 230;
/** runtime at full charge and typical (45 %) load */
const FULL_RUNTIME_MIN = 25;
const TYPICAL_LOAD = 45;
/** % per second: an empty battery after ~4 minutes on battery, far faster than real life */
const DRAIN_PER_S = 100 / 240;
/** % per second */
const RECHARGE_PER_S = 0.5;
const LOW_CHARGE = 20;
const SELF_TEST_MS = 10_000;

export function createUpsModel({ rng }: ModelContext): DeviceModel {
  const elapsed = createClock();
  const load = createWalk(rng, { min: 30, max: 60, volatility: 0.8 });
  const inputVoltage = createWalk(rng, { min: 227, max: 233, start: 230, volatility: 0.4 });
  const frequency = createWalk(rng, { min: 49.95, max: 50.05, start: 50, volatility: 0.01 });
  const outputVoltage = createWalk(rng, { min: 229.5, max: 230.5, start: 230, volatility: 0.1 });
  const batteryTemp = createWalk(rng, { min: 24, max: 27, volatility: 0.05 });
  let charge = 100;
  /** ms of self-test left; 0: none running */
  let testLeftMs = 0;
  let energyKwh = Math.round(rng.between(10_000, 50_000));
  // whole milliseconds, so hours tick over exactly
  let operatingMs = Math.round(rng.between(8_000, 40_000)) * HOUR_MS;

  return {
    commands: ['self_test'],
    update(nowMs, scenarios, held) {
      const dt = elapsed(nowMs);
      testLeftMs = Math.max(0, testLeftMs - dt);
      // a test is not restarted while one runs, and not started on battery (nothing to test against)
      if (held.self_test === true && testLeftMs === 0 && !scenarios['power-failure']) testLeftMs = SELF_TEST_MS;
      const onBattery = scenarios['power-failure'];
      if (onBattery) charge = Math.max(0, charge - (DRAIN_PER_S * dt) / 1000);
      else charge = Math.min(100, charge + (RECHARGE_PER_S * dt) / 1000);
      const shutDown = onBattery && charge <= 0;

      const loadPct = shutDown ? 0 : load.step(dt);
      const powerKw = (RATED_KW * loadPct) / 100;
      energyKwh += (powerKw * dt) / HOUR_MS;
      operatingMs += dt;
      const runtime = FULL_RUNTIME_MIN * (charge / 100) * Math.sqrt(TYPICAL_LOAD / Math.max(loadPct, 1));
      const vOut = shutDown ? 0 : outputVoltage.step(dt);
      const vIn = inputVoltage.step(dt);
      const fIn = frequency.step(dt);

      const values: PointValues = {
        on_line: !onBattery,
        on_battery: onBattery,
        battery_low: charge < LOW_CHARGE,
        overload: loadPct > 100,
        on_bypass: false,
        ups_fault: false,
        mode: shutDown ? 'off' : onBattery ? 'battery' : 'online',
        input_voltage: onBattery ? 0 : vIn,
        input_frequency: onBattery ? 0 : fIn,
        output_voltage: vOut,
        output_current: vOut > 0 ? (powerKw * 1000) / NOMINAL_VOLTAGE : 0,
        output_load: loadPct,
        output_power: powerKw,
        battery_charge: charge,
        battery_voltage: onBattery ? 44.5 + 0.06 * charge : charge < 100 ? 53.5 : 54.6,
        battery_temp: batteryTemp.step(dt),
        runtime_remaining: Math.round(runtime),
        energy_out: energyKwh,
        operating_hours: Math.floor(operatingMs / HOUR_MS),
        model: 'SIM-UPS 10kVA',
        self_test: testLeftMs > 0,
      };
      return values;
    },
  };
}
