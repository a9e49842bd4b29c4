/** An SNMP point after config load: table rows expanded, `oid` always the full instance OID. */
import type { WriteSpec } from '../../core/write-spec.js';

export const SNMP_VERSIONS = ['1', '2c', '3'] as const;
export type SnmpVersion = (typeof SNMP_VERSIONS)[number];

/**
 * The SNMP syntax a point expects. A varbind of another syntax is a wrong map, not a device
 * fault: the sample is bad with reason `config`. Absent on a point: taken from the varbind.
 */
export const SNMP_TYPES = ['integer', 'gauge', 'counter', 'counter64', 'timeticks', 'string', 'ipaddress', 'oid'] as const;
export type SnmpType = (typeof SNMP_TYPES)[number];

export interface SnmpPoint {
  /** `<deviceId>.<key>` */
  id: string;
  key: string;
  name: string;
  unit?: string;
  /** dotted numeric OID of one instance (a scalar's `.0`, or a table column + '.' + row index) */
  oid: string;
  type?: SnmpType;
  /** counter/counter64 only: value per second between two polls instead of the count */
  rate?: boolean;
  /** value = raw × scale + offset (numbers) */
  scale?: number;
  offset?: number;
  /** raw INTEGER (as a decimal string key) → label */
  enum?: Record<string, string>;
  /** raw INTEGER values meaning true (any other: false) */
  trueValues?: number[];
  /** with trueValues: the raw value written for `false` (without it a false cannot be written) */
  falseValue?: number;
  /** a boolean from one bit: 1<<bit of an integer, or BITS order (bit 0 = MSB of the first octet) of an OctetString */
  bit?: number;
  /** raw values meaning "not available" */
  sentinel?: number[];
  /** set when the point came from a table: the table id and the row index (e.g. "3" or "1.2") */
  table?: { id: string; row: string };
  /** present only when the point may be written (issue 14) */
  write?: WriteSpec;
}
