/**
 * Which model simulates a device: by its kind (any vendor's UPS or PDU profile uses the same
 * point vocabulary), on top of the generic one for keys the kind's model does not set.
 */
import type { SnmpDeviceConfig } from '../../device.js';
import type { Rng } from '../../../../core/sim-random.js';
import { createGenericModel } from './generic.js';
import { createPduModel } from './pdu.js';
import type { DeviceModel, ModelFactory } from './types.js';
import { createUpsModel } from './ups.js';

export const MODELS: Readonly<Partial<Record<SnmpDeviceConfig['kind'], ModelFactory>>> = {
  ups: createUpsModel,
  pdu: createPduModel,
};

export function createModel(device: SnmpDeviceConfig, rng: Rng): DeviceModel {
  const generic = createGenericModel({ device, rng });
  const factory = MODELS[device.kind];
  if (!factory) return generic;
  const specific = factory({ device, rng });
  return {
    update: (nowMs, scenarios) => ({ ...generic.update(nowMs, scenarios), ...specific.update(nowMs, scenarios) }),
  };
}
