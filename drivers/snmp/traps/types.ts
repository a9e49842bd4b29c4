/**
 * The contract between the SNMP module (module.ts) and the site-level trap receiver
 * (traps/receiver.ts, which exports `startTrapReceiver: StartTrapReceiver`). The module loads the
 * receiver only when `snmpTraps.enabled`.
 */
import type { Logger } from '../../../core/logger.js';
import type { SnmpDeviceConfig, SnmpTrapsSection } from '../device.js';
import type { SnmpDriver } from '../driver.js';

export interface TrapReceiverHandle {
  /** the `traps` part of the `snmp` health section (received, accepted, dropped..., lastFrom) */
  health(): unknown;
  close(): Promise<void>;
}

export interface StartTrapReceiverOptions {
  section: SnmpTrapsSection;
  /** every SNMP device, in the same order as `drivers` */
  devices: readonly SnmpDeviceConfig[];
  /** the device's driver: `pushTrapValues(values)` turns a trap's `set` into good samples */
  drivers: readonly SnmpDriver[];
  /** the store's event log: one `snmp.trap` event per accepted trap */
  appendEvent(type: string, data: Record<string, unknown>): void;
  logger: Logger;
}

export type StartTrapReceiver = (opts: StartTrapReceiverOptions) => Promise<TrapReceiverHandle>;
