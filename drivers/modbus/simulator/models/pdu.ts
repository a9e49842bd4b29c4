/**
 * A switched rack PDU (profile pdu-generic): outlet currents wander 0.5–4 A, totals are their
 * sum, energy counts up. An outlet a client switched off draws nothing.
 */
import { createWalk } from '../../../../core/sim-random.js';
import { createClock, type DeviceModel, HOUR_MS, type ModelContext, type PointValues } from './types.js';

const POWER_FACTOR = 0.95;
const OUTLET_CURRENT = /^outlet_(\d+)_current$/;

export function createPduModel({ device, rng }: ModelContext): DeviceModel {
  const elapsed = createClock();
  // outlets follow the device's points, so a profile with more outlets just works
  const outlets = device.points
    .map((p) => OUTLET_CURRENT.exec(p.key)?.[1])
    .filter((n): n is string => n !== undefined)
    .map((n) => ({ n, walk: createWalk(rng, { min: 0.5, max: 4, volatility: 0.05 }) }));
  const voltage = createWalk(rng, { min: 227, max: 233, start: 230, volatility: 0.4 });
  const frequency = createWalk(rng, { min: 49.95, max: 50.05, start: 50, volatility: 0.01 });
  let energyKwh = Math.round(rng.between(1_000, 20_000) * 10) / 10;

  return {
    update(nowMs, _scenarios, held) {
      const dt = elapsed(nowMs);
      const values: PointValues = {};
      let total = 0;
      for (const { n, walk } of outlets) {
        const on = held[`outlet_${n}_on`] !== false;
        // round like the register will, so the total matches the outlets a client reads
        const amps = on ? Math.round(walk.step(dt) * 100) / 100 : 0;
        values[`outlet_${n}_current`] = amps;
        values[`outlet_${n}_on`] = on;
        total += amps;
      }
      const volts = voltage.step(dt);
      const powerKw = (volts * total * POWER_FACTOR) / 1000;
      energyKwh += (powerKw * dt) / HOUR_MS;
      values.input_voltage = volts;
      values.input_frequency = frequency.step(dt);
      values.total_current = total;
      values.total_power = powerKw;
      values.total_energy = energyKwh;
      values.breaker_tripped = false;
      return values;
    },
  };
}
