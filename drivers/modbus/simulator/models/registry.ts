/** Which model simulates a device: by its profile name, the generic one otherwise. */
import type { ModbusDeviceConfig } from '../../device.js';
import type { Rng } from '../../../../core/sim-random.js';
import { createCracModel } from './crac.js';
import { createGenericModel } from './generic.js';
import { createPduModel } from './pdu.js';
import type { DeviceModel, ModelFactory, ModelRole } from './types.js';
import { createUpsModel } from './ups.js';

export const MODELS: Readonly<Record<string, ModelFactory>> = {
  'ups-generic': createUpsModel,
  'pdu-generic': createPduModel,
  'crac-generic': createCracModel,
};

export function createModel(device: ModbusDeviceConfig, rng: Rng, role: ModelRole = {}): DeviceModel {
  const factory = (device.profile && MODELS[device.profile]) || createGenericModel;
  return factory({ device, rng, ...role });
}
