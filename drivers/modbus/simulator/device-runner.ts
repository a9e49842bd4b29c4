/**
 * Drives one simulated device: asks its model for engineering values and encodes them into the
 * register bank with the same codec the gateway decodes with. Points a client wrote (or a test
 * holds) are left alone, so setpoints and switched-off outlets stick.
 */
import type { ModbusDeviceConfig } from '../device.js';
import type { Logger } from '../../../core/logger.js';
import type { PointValue } from '../../../core/types.js';
import { decodeBits, decodeRegisters } from '../codec.js';
import { encodeBit, encodeRegisters } from '../encode.js';
import { isBitTable, type ModbusPoint, type ModbusTable, pointWidth } from '../point.js';
import type { DeviceModel, PointValues } from './models/types.js';
import type { RegisterBank } from './register-bank.js';
import type { ScenarioState } from '../../../core/scenarios.js';
import type { DeviceValues } from './slave.js';

export interface DeviceRunner extends DeviceValues {
  readonly device: ModbusDeviceConfig;
  update(nowMs: number, scenarios: ScenarioState): void;
  /** a client wrote [address, address + count): the points there become held */
  written(table: ModbusTable, address: number, count: number): void;
}

export interface DeviceRunnerOptions {
  device: ModbusDeviceConfig;
  model: DeviceModel;
  bank: RegisterBank;
  logger: Logger;
}

export function createDeviceRunner({ device, model, bank, logger }: DeviceRunnerOptions): DeviceRunner {
  const byKey = new Map(device.points.map((p) => [p.key, p]));
  const held = new Set<string>();
  const unrepresentable = new Set<string>();

  const pointOf = (key: string): ModbusPoint => {
    const point = byKey.get(key);
    if (!point) throw new RangeError(`device ${device.id} has no point "${key}"`);
    return point;
  };

  const write = (point: ModbusPoint, value: PointValue): void => {
    if (point.table === 'coil' || point.table === 'discrete') {
      bank.setBit(point.table, point.address, encodeBit(point, value));
      return;
    }
    const current = point.bit === undefined ? undefined : bank.words(point.table)[point.address];
    bank.setWords(point.table, point.address, encodeRegisters(point, value, current));
  };

  const read = (point: ModbusPoint): PointValue => {
    if (point.table === 'coil' || point.table === 'discrete') {
      return decodeBits(point, [bank.getBit(point.table, point.address)], point.address).value;
    }
    return decodeRegisters(point, bank.words(point.table), 0).value;
  };

  const heldValues = (): PointValues => {
    const values: PointValues = {};
    for (const key of held) values[key] = read(pointOf(key));
    return values;
  };

  return {
    device,
    update(nowMs, scenarios) {
      const values = model.update(nowMs, scenarios, heldValues());
      // a command was handed over: from now on its point shows what the model makes of it
      for (const key of model.commands ?? []) held.delete(key);
      for (const [key, value] of Object.entries(values)) {
        const point = byKey.get(key);
        if (!point || held.has(key)) continue;
        try {
          write(point, value);
        } catch (err) {
          // a profile override can make a model value unrepresentable: skip it, say so once
          if (!(err instanceof RangeError)) throw err;
          if (!unrepresentable.has(key)) {
            unrepresentable.add(key);
            logger.debug('simulated value not representable', { device: device.id, key, err });
          }
        }
      }
    },
    written(table, address, count) {
      for (const point of device.points) {
        if (point.table !== table) continue;
        const width = isBitTable(table) ? 1 : pointWidth(point);
        if (point.address < address + count && address < point.address + width) held.add(point.key);
      }
    },
    hold(key, value) {
      write(pointOf(key), value);
      held.add(key);
    },
    release(key) {
      if (key === undefined) held.clear();
      else held.delete(key);
    },
    value: (key) => read(pointOf(key)),
    values() {
      const values: PointValues = {};
      for (const point of device.points) values[point.key] = read(point);
      return values;
    },
  };
}
