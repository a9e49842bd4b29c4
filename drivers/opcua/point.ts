/**
 * OPC UA device and point settings after config load (every default resolved). Plain types: this
 * file must not load node-opcua (the config loader and the catalog import it).
 */
import type { Secret } from '../../core/secret.js';
import type { WriteSpec } from '../../core/write-spec.js';

export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type OpcuaSecurityMode = (typeof OPCUA_SECURITY_MODES)[number];

/** The policies node-opcua speaks; Basic128Rsa15 and Basic256 are deprecated by the OPC Foundation. */
export const OPCUA_SECURITY_POLICIES = [
  'None',
  'Basic128Rsa15',
  'Basic256',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;
export type OpcuaSecurityPolicy = (typeof OPCUA_SECURITY_POLICIES)[number];

export const OPCUA_MODES = ['subscribe', 'poll'] as const;
/** `subscribe`: monitored items push changes; `poll`: one batched Read per device per poll. */
export type OpcuaMode = (typeof OPCUA_MODES)[number];

export interface OpcuaDeadband {
  /** `absolute`: in the value's unit; `percent`: of the variable's EURange (the server must know it) */
  type: 'absolute' | 'percent';
  value: number;
}

export interface OpcuaConnection {
  /** `opc.tcp://host:port/path` */
  endpoint: string;
  securityMode: OpcuaSecurityMode;
  securityPolicy: OpcuaSecurityPolicy;
  /** absent: anonymous */
  username?: string;
  password?: Secret;
  /** one request (connect, read, browse) may take this long */
  timeoutMs: number;
  /** the server drops our session after this long without contact */
  sessionTimeoutMs: number;
  /** trust the server's certificate the first time it is seen (then pin it); off by default */
  trustOnFirstUse: boolean;
}

export interface OpcuaSubscriptionSettings {
  publishingIntervalMs: number;
  /** default for every point */
  samplingIntervalMs: number;
  /** default for every point */
  queueSize: number;
  /** default for every point */
  deadband?: OpcuaDeadband;
}

export interface OpcuaPoint {
  /** `<deviceId>.<key>` */
  id: string;
  key: string;
  name: string;
  unit?: string;
  /** exactly one of nodeId and browsePath */
  nodeId?: string;
  /** from the Objects folder, e.g. `Cooling/CRAC-3/SupplyAirTemp` or `2:Cooling/2:CRAC-3/2:SupplyAirTemp` */
  browsePath?: string;
  /** numeric values: value × scale + offset */
  scale?: number;
  offset?: number;
  /** overrides of the device's subscription defaults */
  samplingIntervalMs?: number;
  queueSize?: number;
  deadband?: OpcuaDeadband;
  /** present only when the point may be written (issue 14) */
  write?: WriteSpec;
}

/** What the driver needs of a device (config/types.ts adds name, kind and the rest). */
export interface OpcuaDeviceSettings {
  id: string;
  connection: OpcuaConnection;
  mode: OpcuaMode;
  subscription: OpcuaSubscriptionSettings;
  points: OpcuaPoint[];
}

/** The policy a mode uses when the config names none. */
export function defaultPolicyFor(mode: OpcuaSecurityMode): OpcuaSecurityPolicy {
  return mode === 'None' ? 'None' : 'Basic256Sha256';
}
