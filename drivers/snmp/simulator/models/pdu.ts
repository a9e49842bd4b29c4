/**
 * A switched rack PDU (APC rPDU2 and any profile of kind pdu): outlet currents wander around a
 * share of a typical load, banks and phases share them out, totals are their sum, energy counts up. The PDU sits behind a
 * UPS, so `power-failure` changes nothing here.
 */
import { createWalk } from '../../../../core/sim-random.js';
import { createClock, type DeviceModel, HOUR_MS, type ModelContext, type PointValues, rowsOf } from './types.js';

const POWER_FACTOR = 0.95;
/** what all outlets draw together on average: under half of a 16 A feed, so a demo starts without phase alarms */
const TYPICAL_TOTAL_A = 7;

export function createPduModel({ device, rng }: ModelContext): DeviceModel {
  const elapsed = createClock();
  const rows = [...new Set([...rowsOf(device, /^outlet_(\d+)_(?:current|power|on)$/)])];
  // a few outlets draw 0.5–4 A each; many share the typical total
  const mean = Math.min(2.25, TYPICAL_TOTAL_A / Math.max(rows.length, 1));
  const outlets = rows.map((n) => ({ n, walk: createWalk(rng, { min: mean * 0.5, max: mean * 1.5, volatility: mean * 0.02 }) }));
  const banks = rowsOf(device, /^bank_(\d+)_current$/);
  const phases = [...new Set([...rowsOf(device, /^phase_(\d+)_(?:current|voltage)$/)])];
  // a PDU whose profile lists no outlets still draws a plausible total
  const total = createWalk(rng, { min: 4, max: 16, volatility: 0.1 });
  const voltage = createWalk(rng, { min: 227, max: 233, start: 230, volatility: 0.4 });
  const frequency = createWalk(rng, { min: 49.95, max: 50.05, start: 50, volatility: 0.01 });
  let energyKwh = Math.round(rng.between(1_000, 20_000) * 10) / 10;

  return {
    update(nowMs) {
      const dt = elapsed(nowMs);
      const volts = voltage.step(dt);
      const values: PointValues = {};
      let amps = 0;
      for (const { n, walk } of outlets) {
        // tenths, as most PDUs report them, so the totals match what a client adds up
        const a = Math.round(walk.step(dt) * 10) / 10;
        values[`outlet_${n}_current`] = a;
        values[`outlet_${n}_power`] = (volts * a * POWER_FACTOR) / 1000;
        values[`outlet_${n}_on`] = true;
        amps += a;
      }
      if (outlets.length === 0) amps = total.step(dt);
      for (const n of banks) values[`bank_${n}_current`] = amps / banks.length;
      for (const n of phases) {
        values[`phase_${n}_current`] = amps / phases.length;
        values[`phase_${n}_voltage`] = volts;
      }
      const powerKw = (volts * amps * POWER_FACTOR) / 1000;
      energyKwh += (powerKw * dt) / HOUR_MS;
      values.input_voltage = volts;
      values.input_frequency = frequency.step(dt);
      values.total_current = amps;
      values.total_power = powerKw;
      values.total_apparent_power = (volts * amps) / 1000;
      values.total_energy = energyKwh;
      values.breaker_tripped = false;
      values.model = 'SIM-PDU 2G';
      return values;
    },
  };
}
