import type { WriteSpec } from './write-spec.js';
/** What every device has, whatever its driver: the loader checks these before the driver's own fields. */

export const DEVICE_KINDS = ['ups', 'hvac', 'pdu', 'sensor', 'meter', 'other'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Fields every device has, whatever its driver (checked by the loader before the driver's own). */
export interface CommonDeviceFields {
  id: string;
  name: string;
  kind: DeviceKind;
  location?: string;
  /** the poll period; for drivers that receive values (MQTT, OPC UA subscribe) the health-check period */
  pollIntervalMs: number;
  profile?: string;
  /** from the profile's header: who makes the equipment and which models its map fits */
  vendor?: string;
  model?: string;
}

/** What the loader builds for every device: the common fields, the driver's name and its points. */
export interface LoadedDevice extends CommonDeviceFields {
  driver: string;
  points: ReadonlyArray<{ id: string; key: string; name: string; unit?: string; write?: WriteSpec }>;
}
