import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { silentLogger } from '../../core/logger.js';
import type { PointValue } from '../../core/types.js';
import { createDeviceRunner, type DeviceRunner } from '../../drivers/modbus/simulator/device-runner.js';
import { createModel } from '../../drivers/modbus/simulator/models/registry.js';
import { createRng, deriveSeed } from '../../core/sim-random.js';
import { createRegisterBank } from '../../drivers/modbus/simulator/register-bank.js';
import { initialScenarios, type ScenarioName } from '../../core/scenarios.js';
import { createSiteCooling } from '../../core/site-cooling.js';
import { standbyUnits } from '../../drivers/modbus/simulator/site.js';
import { createSensorModel } from '../../drivers/mqtt/simulator/sensor-models.js';

function devicesFrom(yaml: string): ModbusDeviceConfig[] {
  const { config, problems } = parseSiteConfig(`gateway: { id: t }\ndevices:\n${yaml}`, 'site.yaml');
  expect(problems).toEqual([]);
  return config!.devices as ModbusDeviceConfig[];
}

const PROFILED = devicesFrom(`
  - { id: ups1, name: UPS 1, kind: ups, driver: modbus, profile: ups-generic, connection: { host: 127.0.0.1, port: 1502 } }
  - { id: crac1, name: CRAC 1, kind: hvac, driver: modbus, profile: crac-generic, connection: { host: 127.0.0.1, port: 1502, unitId: 2 } }
  - { id: pdu1, name: PDU 1, kind: pdu, driver: modbus, profile: pdu-generic, connection: { host: 127.0.0.1, port: 1502, unitId: 3 } }
`);
const device = (id: string) => PROFILED.find((d) => d.id === id)!;

/** A device on a virtual clock, its values read back through the codec from its registers. */
function simulate(dev: ModbusDeviceConfig, seed = 1) {
  const bank = createRegisterBank(dev.points);
  const model = createModel(dev, createRng(deriveSeed(seed, dev.id)));
  const runner: DeviceRunner = createDeviceRunner({ device: dev, model, bank, logger: silentLogger });
  const scenarios = initialScenarios();
  let now = Date.UTC(2025, 0, 1);
  runner.update(now, scenarios);
  return {
    runner,
    bank,
    v: (key: string): PointValue => runner.value(key),
    num: (key: string): number => runner.value(key) as number,
    set(name: ScenarioName, active: boolean) {
      scenarios[name] = active;
      runner.update(now, scenarios);
    },
    /** advances the clock in 1 s ticks */
    advance(seconds: number) {
      for (let i = 0; i < seconds; i++) {
        now += 1000;
        runner.update(now, scenarios);
      }
    },
  };
}

describe('ups-generic model', () => {
  it('looks like a healthy online UPS', () => {
    const ups = simulate(device('ups1'));
    ups.advance(30);
    expect(ups.v('on_line')).toBe(true);
    expect(ups.v('on_battery')).toBe(false);
    expect(ups.v('battery_low')).toBe(false);
    expect(ups.v('mode')).toBe('online');
    expect(ups.num('input_voltage')).toBeGreaterThanOrEqual(225);
    expect(ups.num('input_voltage')).toBeLessThanOrEqual(235);
    expect(ups.num('output_load')).toBeGreaterThanOrEqual(30);
    expect(ups.num('output_load')).toBeLessThanOrEqual(60);
    expect(ups.num('battery_charge')).toBe(100);
    expect(ups.num('runtime_remaining')).toBeGreaterThanOrEqual(18);
    expect(ups.num('runtime_remaining')).toBeLessThanOrEqual(32);
    expect(ups.v('model')).toBe('SIM-UPS 10kVA');
  });

  it('counts energy and operating hours up', () => {
    const ups = simulate(device('ups1'));
    const energy = ups.num('energy_out');
    const hours = ups.num('operating_hours');
    ups.advance(2 * 3600);
    // 3–6 kW for two hours
    expect(ups.num('energy_out') - energy).toBeGreaterThan(5);
    expect(ups.num('energy_out') - energy).toBeLessThan(13);
    expect(ups.num('operating_hours') - hours).toBe(2);
  });

  it('power failure: on battery at once, battery low and runtime 0 within minutes, recharges after', () => {
    const ups = simulate(device('ups1'));
    ups.advance(10);
    ups.set('power-failure', true);
    expect(ups.num('input_voltage')).toBe(0);
    expect(ups.v('on_battery')).toBe(true);
    expect(ups.v('on_line')).toBe(false);
    expect(ups.v('mode')).toBe('battery');

    const runtimeBefore = ups.num('runtime_remaining');
    ups.advance(60);
    expect(ups.num('battery_charge')).toBeLessThan(80);
    expect(ups.num('runtime_remaining')).toBeLessThan(runtimeBefore);
    expect(ups.v('battery_low')).toBe(false);

    ups.advance(150);
    expect(ups.num('battery_charge')).toBeLessThan(20);
    expect(ups.v('battery_low')).toBe(true);

    ups.advance(60);
    expect(ups.num('runtime_remaining')).toBe(0);
    expect(ups.v('mode')).toBe('off');

    ups.set('power-failure', false);
    expect(ups.v('on_line')).toBe(true);
    expect(ups.v('on_battery')).toBe(false);
    expect(ups.v('mode')).toBe('online');
    expect(ups.num('input_voltage')).toBeGreaterThan(220);
    ups.advance(60);
    expect(ups.num('battery_charge')).toBeGreaterThan(25);
    expect(ups.v('battery_low')).toBe(false);
    ups.advance(200);
    expect(ups.num('battery_charge')).toBe(100);
  });
});

describe('ups-generic self-test', () => {
  it('a written self_test runs a ~10 s test, then reads false again', () => {
    const ups = simulate(device('ups1'));
    ups.advance(5);
    expect(ups.v('self_test')).toBe(false);
    ups.bank.setBit('coil', 0, true);
    ups.runner.written('coil', 0, 1);
    ups.advance(1);
    expect(ups.v('self_test')).toBe(true);
    ups.advance(7);
    expect(ups.v('self_test')).toBe(true);
    // the test does not put the UPS on battery or raise anything
    expect(ups.v('on_battery')).toBe(false);
    expect(ups.v('mode')).toBe('online');
    ups.advance(3);
    expect(ups.v('self_test')).toBe(false);
    ups.advance(20);
    expect(ups.v('self_test')).toBe(false);
  });

  it('no self-test starts while on battery', () => {
    const ups = simulate(device('ups1'));
    ups.set('power-failure', true);
    ups.bank.setBit('coil', 0, true);
    ups.runner.written('coil', 0, 1);
    ups.advance(2);
    expect(ups.v('self_test')).toBe(false);
  });
});

describe('crac-generic model', () => {
  it('cools: supply 18–20 °C, return 28–32 °C, humidity ~45 %', () => {
    const crac = simulate(device('crac1'));
    crac.advance(120);
    expect(crac.num('supply_temp')).toBeGreaterThanOrEqual(18);
    expect(crac.num('supply_temp')).toBeLessThanOrEqual(20);
    expect(crac.num('return_temp')).toBeGreaterThanOrEqual(28);
    expect(crac.num('return_temp')).toBeLessThanOrEqual(32);
    expect(Math.abs(crac.num('humidity') - 45)).toBeLessThanOrEqual(3);
    expect(crac.v('unit_status')).toBe('cooling');
    expect(crac.v('compressor_running')).toBe(true);
    expect(crac.v('high_temp_alarm')).toBe(false);
    expect(crac.num('cooling_capacity')).toBeGreaterThan(15);
  });

  it('cooling failure: supply warms ~1 °C per 10 s, alarm above 27 °C, recovers after', () => {
    const crac = simulate(device('crac1'));
    crac.advance(10);
    const start = crac.num('supply_temp');
    crac.set('cooling-failure', true);
    expect(crac.v('compressor_running')).toBe(false);
    expect(crac.v('compressor_fault')).toBe(true);
    expect(crac.v('unit_status')).toBe('fault');
    crac.advance(10);
    expect(crac.num('supply_temp') - start).toBeCloseTo(1, 0);
    expect(crac.v('high_temp_alarm')).toBe(false);
    crac.advance(100);
    expect(crac.num('supply_temp')).toBeGreaterThan(27);
    expect(crac.num('supply_temp')).toBeLessThanOrEqual(crac.num('return_temp') + 0.2);
    expect(crac.v('high_temp_alarm')).toBe(true);

    crac.set('cooling-failure', false);
    expect(crac.v('compressor_fault')).toBe(false);
    expect(crac.v('unit_status')).toBe('cooling');
    crac.advance(150);
    expect(crac.num('supply_temp')).toBeLessThan(21);
    expect(crac.v('high_temp_alarm')).toBe(false);
  });

  it('power failure: the compressor is shed (no fault), the fan runs on, supply air warms; back after', () => {
    const crac = simulate(device('crac1'));
    crac.advance(60);
    expect(crac.v('standby_power')).toBe(false);
    crac.set('power-failure', true);
    expect(crac.v('standby_power')).toBe(true);
    expect(crac.v('compressor_running')).toBe(false);
    expect(crac.v('compressor_fault')).toBe(false);
    expect(crac.v('unit_status')).toBe('standby');
    expect(crac.num('fan_speed')).toBeGreaterThan(0);
    crac.advance(100);
    expect(crac.num('supply_temp')).toBeGreaterThan(27);

    crac.set('power-failure', false);
    expect(crac.v('standby_power')).toBe(false);
    expect(crac.v('compressor_running')).toBe(true);
    crac.advance(150);
    expect(crac.num('supply_temp')).toBeLessThan(21);
  });

  it('crac-degrading: supply air creeps up ~0.4 °C a minute (ΔT shrinks), no fault; back after', () => {
    const crac = simulate(device('crac1'));
    crac.advance(120);
    const start = crac.num('supply_temp');
    const deltaT = crac.num('return_temp') - start;
    crac.set('crac-degrading', true);
    crac.advance(300);
    expect(crac.num('supply_temp') - start).toBeGreaterThan(1.5);
    expect(crac.num('supply_temp') - start).toBeLessThan(2.8);
    expect(crac.num('return_temp') - crac.num('supply_temp')).toBeLessThan(deltaT);
    expect(crac.v('compressor_fault')).toBe(false);
    expect(crac.v('high_temp_alarm')).toBe(false);
    crac.set('crac-degrading', false);
    crac.advance(120);
    expect(crac.num('supply_temp')).toBeLessThan(start + 1);
  });

  it('follows a setpoint a client wrote', () => {
    const crac = simulate(device('crac1'));
    crac.runner.hold('setpoint', 22);
    crac.advance(120);
    expect(crac.num('setpoint')).toBe(22);
    expect(crac.num('supply_temp')).toBeGreaterThanOrEqual(22);
    expect(crac.num('supply_temp')).toBeLessThanOrEqual(24);
  });

  it('a setpoint written over Modbus moves the supply air over tens of seconds, not at once', () => {
    const crac = simulate(device('crac1'));
    crac.advance(60);
    const before = crac.num('supply_temp');
    expect(before).toBeLessThan(20.5);
    // what a client's write-single-register does: 225 = 22.5 °C at scale 0.1
    crac.bank.setWords('holding', 0, [225]);
    crac.runner.written('holding', 0, 1);
    crac.advance(5);
    expect(crac.num('setpoint')).toBe(22.5);
    expect(crac.num('supply_temp')).toBeGreaterThan(before);
    expect(crac.num('supply_temp')).toBeLessThan(before + 1);
    crac.advance(60);
    expect(crac.num('supply_temp')).toBeGreaterThanOrEqual(22.5);
    expect(crac.num('supply_temp')).toBeLessThanOrEqual(24.5);
    expect(crac.num('setpoint')).toBe(22.5);
  });

  it('run command: unit_on false puts the unit in standby, true starts it again', () => {
    const crac = simulate(device('crac1'));
    crac.advance(30);
    expect(crac.v('unit_on')).toBe(true);
    crac.bank.setBit('coil', 0, false);
    crac.runner.written('coil', 0, 1);
    crac.advance(2);
    expect(crac.v('unit_on')).toBe(false);
    expect(crac.v('unit_status')).toBe('standby');
    expect(crac.v('compressor_running')).toBe(false);
    expect(crac.num('fan_speed')).toBe(0);
    expect(crac.num('cooling_capacity')).toBe(0);
    crac.advance(120);
    // without cooling the supply air warms toward the return air
    expect(crac.num('supply_temp')).toBeGreaterThan(26);
    const hours = crac.num('run_hours');

    crac.bank.setBit('coil', 0, true);
    crac.runner.written('coil', 0, 1);
    crac.advance(2);
    expect(crac.v('unit_on')).toBe(true);
    expect(crac.v('unit_status')).toBe('cooling');
    expect(crac.v('compressor_running')).toBe(true);
    expect(crac.num('fan_speed')).toBeGreaterThanOrEqual(60);
    crac.advance(150);
    expect(crac.num('supply_temp')).toBeLessThan(21);
    expect(crac.num('run_hours')).toBeGreaterThanOrEqual(hours);
  });

  it('the run command is latched by the unit: a compressor trip still shows while it is on', () => {
    const crac = simulate(device('crac1'));
    crac.bank.setBit('coil', 0, true);
    crac.runner.written('coil', 0, 1);
    crac.advance(2);
    crac.set('cooling-failure', true);
    expect(crac.v('unit_status')).toBe('fault');
    expect(crac.v('unit_on')).toBe(true);
  });
});

describe('duty and standby CRACs of one hall, and its rack inlet air (the cooling demo)', () => {
  // the demo's Hall A: two CRACs on one RS-485 bus, the rack sensors in the same location
  const HALL = devicesFrom(`
  - { id: crac1, name: CRAC 1, kind: hvac, location: Hall A, driver: modbus, profile: crac-generic, connection: { transport: rtu-over-tcp, host: 127.0.0.1, port: 1503, unitId: 3 } }
  - { id: crac2, name: CRAC 2, kind: hvac, location: Hall A, driver: modbus, profile: crac-generic, connection: { transport: rtu-over-tcp, host: 127.0.0.1, port: 1503, unitId: 4 } }
`);

  function hall() {
    const cooling = createSiteCooling();
    const standby = standbyUnits(HALL);
    const units = HALL.map((dev) => {
      const bank = createRegisterBank(dev.points);
      const model = createModel(dev, createRng(deriveSeed(1, dev.id)), { standby: standby.has(dev.id), cooling });
      return { bank, runner: createDeviceRunner({ device: dev, model, bank, logger: silentLogger }) };
    });
    // random() = 0.5: a rack whose normal inlet air is 23.5 °C, without noise
    const rack = createSensorModel({ key: 'temperature', type: 'number', hot: false, random: () => 0.5, cooled: () => cooling.cooled('Hall A') });
    const scenarios = initialScenarios();
    let now = Date.UTC(2025, 0, 1);
    let rackTemp = 0;
    const step = () => {
      for (const u of units) u.runner.update(now, scenarios);
      rackTemp = rack.next(now, scenarios) as number;
    };
    step();
    const [crac1, crac2] = units.map((u) => ({ ...u, v: (key: string) => u.runner.value(key), num: (key: string) => u.runner.value(key) as number }));
    return {
      cooling,
      crac1: crac1!,
      crac2: crac2!,
      rack: () => rackTemp,
      set(name: ScenarioName, active: boolean) {
        scenarios[name] = active;
        step();
      },
      advance(seconds: number) {
        for (let i = 0; i < seconds; i++) {
          now += 1000;
          step();
        }
      },
    };
  }

  it('the lowest unit id of a profile on a link is the duty unit, the others standby', () => {
    expect([...standbyUnits(HALL)]).toEqual(['crac2']);
    // different profiles on one link are not each other's standby
    expect(standbyUnits(PROFILED).size).toBe(0);
  });

  it('the standby unit starts off, its supply sensor in the cooled room air', () => {
    const h = hall();
    h.advance(120);
    expect(h.crac1.v('unit_status')).toBe('cooling');
    expect(h.crac2.v('unit_on')).toBe(false);
    expect(h.crac2.v('unit_status')).toBe('standby');
    expect(h.crac2.v('compressor_running')).toBe(false);
    expect(h.crac2.num('fan_speed')).toBe(0);
    expect(h.crac2.num('supply_temp')).toBeLessThan(27);
    expect(h.crac2.v('high_temp_alarm')).toBe(false);
    expect(h.cooling.cooled('Hall A')).toBe(true);
    expect(h.rack()).toBeCloseTo(23.5, 1);
  });

  it('cooling failure trips the duty unit only; the hall warms until the standby unit is started, then recovers', () => {
    const h = hall();
    h.advance(30);
    h.set('cooling-failure', true);
    expect(h.crac1.v('compressor_fault')).toBe(true);
    expect(h.crac1.v('unit_status')).toBe('fault');
    expect(h.crac2.v('compressor_fault')).toBe(false);
    expect(h.crac2.v('unit_status')).toBe('standby');
    expect(h.cooling.cooled('Hall A')).toBe(false);
    // the rack inlet air warms ~3 °C a minute while nothing cools Hall A
    h.advance(60);
    expect(h.rack()).toBeGreaterThan(23.5 + 2.5);
    expect(h.rack()).toBeLessThan(23.5 + 3.5);
    expect(h.crac1.num('supply_temp')).toBeGreaterThan(24);

    // what the action's write does: the run command coil of the standby unit
    h.crac2.bank.setBit('coil', 0, true);
    h.crac2.runner.written('coil', 0, 1);
    h.advance(1);
    expect(h.crac2.v('unit_on')).toBe(true);
    expect(h.crac2.v('unit_status')).toBe('cooling');
    expect(h.crac2.v('compressor_running')).toBe(true);
    // the scenario is still on: the duty unit stays tripped, the started standby unit keeps running
    expect(h.crac1.v('compressor_fault')).toBe(true);
    expect(h.crac2.v('compressor_fault')).toBe(false);
    expect(h.cooling.cooled('Hall A')).toBe(true);
    const peak = h.rack();
    h.advance(10);
    expect(h.rack()).toBeLessThan(peak - 0.5);
    h.advance(60);
    expect(h.rack()).toBeCloseTo(23.5, 1);
    expect(h.crac2.num('supply_temp')).toBeLessThan(21);
  });

  it('rack sensors of a location whose cooling is not simulated stay as they were', () => {
    const rack = createSensorModel({ key: 'temperature', type: 'number', hot: false, random: () => 0.5, cooled: () => undefined });
    const on = { ...initialScenarios(), 'cooling-failure': true };
    for (let t = 0; t <= 120; t++) rack.next(t * 1000, on);
    expect(rack.next(121_000, on)).toBeCloseTo(23.5, 1);
  });
});

describe('pdu-generic model', () => {
  it('outlet currents 0.5–4 A; totals agree with them', () => {
    const pdu = simulate(device('pdu1'));
    for (let round = 0; round < 5; round++) {
      pdu.advance(30);
      let sum = 0;
      for (let n = 1; n <= 8; n++) {
        const amps = pdu.num(`outlet_${n}_current`);
        expect(amps).toBeGreaterThanOrEqual(0.5);
        expect(amps).toBeLessThanOrEqual(4);
        expect(pdu.v(`outlet_${n}_on`)).toBe(true);
        sum += amps;
      }
      // float32 registers: agree to float32 precision
      expect(pdu.num('total_current')).toBeCloseTo(sum, 4);
      expect(pdu.num('total_power')).toBeCloseTo((pdu.num('input_voltage') * sum * 0.95) / 1000, 1);
    }
  });

  it('counts energy up', () => {
    const pdu = simulate(device('pdu1'));
    const before = pdu.num('total_energy');
    pdu.advance(3600);
    expect(pdu.num('total_energy') - before).toBeGreaterThan(1);
  });

  it('an outlet switched off by a client draws nothing', () => {
    const pdu = simulate(device('pdu1'));
    pdu.bank.setBit('coil', 2, false);
    pdu.runner.written('coil', 2, 1);
    pdu.advance(5);
    expect(pdu.v('outlet_3_on')).toBe(false);
    expect(pdu.num('outlet_3_current')).toBe(0);
    let sum = 0;
    for (let n = 1; n <= 8; n++) sum += pdu.num(`outlet_${n}_current`);
    expect(pdu.num('total_current')).toBeCloseTo(sum, 4);
    pdu.runner.release();
    pdu.advance(1);
    expect(pdu.v('outlet_3_on')).toBe(true);
  });
});

describe('generic model (no dedicated model for the profile)', () => {
  const [custom] = devicesFrom(`
  - id: meter1
    name: Meter with a long name
    kind: meter
    driver: modbus
    connection: { host: 127.0.0.1, port: 1502 }
    points:
      - { key: temp, table: input, address: 0, type: int16, scale: 0.01 }
      - { key: energy, table: input, address: 2, type: uint32 }
      - { key: power, table: input, address: 4, type: float32 }
      - { key: apc, table: input, address: 6, type: uint16, binaryPoint: 6 }
      - { key: alarm, table: input, address: 7, type: uint16, bit: 3 }
      - { key: state, table: input, address: 8, type: uint16, enum: { 2: idle, 5: run } }
      - { key: tag, table: input, address: 10, type: string, length: 6 }
      - { key: relay, table: coil, address: 0 }
`);

  it('moves every numeric point on a slow wave, booleans false', () => {
    const meter = simulate(custom!);
    const first: Record<string, PointValue> = meter.runner.values();
    meter.advance(20);
    const later = meter.runner.values();
    for (const key of ['temp', 'energy', 'power', 'apc']) {
      expect(typeof later[key]).toBe('number');
      expect(later[key]).not.toBe(first[key]);
    }
    expect(meter.num('temp')).toBeGreaterThanOrEqual(2.5);
    expect(meter.num('temp')).toBeLessThanOrEqual(7.5);
    expect(later.alarm).toBe(false);
    expect(later.relay).toBe(false);
    expect(later.state).toBe('idle');
    // six characters of the name; the codec trims the trailing space
    expect(later.tag).toBe('Meter');
  });
});

describe('determinism', () => {
  const trace = (seed: number) => {
    const ups = simulate(device('ups1'), seed);
    const out: number[] = [];
    for (let i = 0; i < 20; i++) {
      ups.advance(5);
      out.push(ups.num('output_load'));
    }
    return out;
  };

  it('the same seed gives the same values, another seed others', () => {
    expect(trace(42)).toEqual(trace(42));
    expect(trace(42)).not.toEqual(trace(43));
  });
});
