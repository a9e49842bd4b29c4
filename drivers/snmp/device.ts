/** An SNMP device after load (connection, expanded points, trap rules) and the site's trap receiver section. */
import type { CommonDeviceFields } from '../../core/device.js';
import type { Secret } from '../../core/secret.js';
import type { PointValue } from '../../core/types.js';
import type { SnmpPoint, SnmpVersion } from './point.js';

export const SNMP_AUTH_PROTOCOLS = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type SnmpAuthProtocol = (typeof SNMP_AUTH_PROTOCOLS)[number];
export const SNMP_PRIV_PROTOCOLS = ['des', 'aes', 'aes256b', 'aes256r'] as const;
export type SnmpPrivProtocol = (typeof SNMP_PRIV_PROTOCOLS)[number];

/** A v3 (USM) user. `level` is derived from which keys are given, never written. */
export interface SnmpV3Auth {
  user: string;
  level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  authProtocol?: SnmpAuthProtocol;
  authKey?: Secret;
  privProtocol?: SnmpPrivProtocol;
  privKey?: Secret;
}

export interface SnmpConnection {
  host: string;
  port: number;
  version: SnmpVersion;
  /** v1/v2c (required for them; from `${ENV}` only) */
  community?: Secret;
  /** v3 (required for it) */
  v3?: SnmpV3Auth;
  timeoutMs: number;
  retries: number;
  /** varbinds per GET PDU at start; a tooBig answer halves it at run time */
  maxVarbinds: number;
  /** the address traps come from, when not `host` */
  trapSource?: string;
}

/** A profile trap: its snmpTrapOID (v2c/v3 form) and the point values it sets at once. */
export interface SnmpTrapRule {
  name: string;
  oid: string;
  /** point key → value, pushed as a good sample when the trap arrives (empty: event only) */
  set: Record<string, PointValue>;
  severity?: string;
}

/** A table after profile and device were merged: its row indexes and row labels. */
export interface SnmpTable {
  rows: string[];
  /** a column of row names (`gateway identify` reads it to fill `labels`) */
  labelOid?: string;
  labels: Record<string, string>;
}

/** A device's SNMP settings (config/types.ts adds the fields every device has). */
export interface SnmpDeviceSettings {
  driver: 'snmp';
  connection: SnmpConnection;
  points: SnmpPoint[];
  traps: SnmpTrapRule[];
  tables: Record<string, SnmpTable>;
  /** sysObjectID prefixes the profile fits (identify) */
  sysObjectID?: string[];
  vendor?: string;
  model?: string;
}

export interface SnmpDeviceConfig extends CommonDeviceFields, SnmpDeviceSettings {}

/** The site's `snmpTraps:` section: one receiver for every SNMP device. */
export interface SnmpTrapsSection {
  enabled: boolean;
  host: string;
  /** 0 asks the OS for a free port (tests) */
  port: number;
  /** accepted v1/v2c communities */
  communities: Secret[];
  /** accepted v3 users */
  users: SnmpV3Auth[];
  /** traps per second accepted in total; beyond it they are counted and dropped */
  maxPerSecond: number;
}
