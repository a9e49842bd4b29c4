import type { Sample } from './types.js';
import type { WriteValue } from './write-spec.js';

/**
 * What every protocol driver gives the sampler: one instance per device, its points bound at
 * creation (so a driver can plan its requests once).
 */
export interface Driver {
  readonly deviceId: string;
  /**
   * Identity of the physical link this device uses (a serial bus, a TCP connection to a gateway).
   * Devices with the same linkId share it; the sampler keeps one request in flight per link.
   */
  readonly linkId: string;
  /** Opens (or joins) the link. Throws DriverError. */
  connect(signal: AbortSignal): Promise<void>;
  /**
   * Reads every bound point: exactly one sample per point, in point order. A point fault is a
   * bad-quality sample; a link fault throws DriverError.
   */
  read(signal: AbortSignal): Promise<Sample[]>;
  /** Drops the link after a fault, so the next connect() starts fresh. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * An extra ability of drivers whose devices push values (MQTT, OPC UA subscriptions). The sampler
 * subscribes once per connection; pushed samples go straight to the store. The periodic read()
 * then returns the last-value cache and serves only as the health check (its samples are not
 * written again). A point that stops receiving is pushed once as bad/`stale` by the driver.
 */
export interface PushSource {
  /** Starts delivering samples; returns a function that stops it. */
  subscribe(sink: (samples: Sample[]) => void): () => void;
}

export function isPushSource(driver: Driver): driver is Driver & PushSource {
  return typeof (driver as Partial<PushSource>).subscribe === 'function';
}

/**
 * An extra ability of drivers that can write to their device (issue 14). Only the control service
 * (gateway/control/) calls it, after checking role, limits and rate, and while it holds the
 * device's link (no poll in flight on it). The value is in engineering units: the driver applies
 * the point's scale, offset, enum, word order or payload template in reverse. A link fault throws
 * DriverError; a refusal by the device (Modbus exception, OPC UA Bad status, SNMP error status)
 * throws DriverError with a reason naming it (e.g. `illegal-address`, `BadTypeMismatch`, `notWritable`).
 */
export interface Writable {
  write(pointId: string, value: WriteValue, signal: AbortSignal): Promise<void>;
}

export function isWritable(driver: Driver): driver is Driver & Writable {
  return typeof (driver as Partial<Writable>).write === 'function';
}
