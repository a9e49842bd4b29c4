/**
 * The part of net-snmp the simulator uses (agent, MIB providers, a trap session), typed here:
 * the package ships no type declarations. Loaded with require, so only the simulator pulls it in.
 */
import { createRequire } from 'node:module';

export interface MibProvider {
  name: string;
  type: number;
  oid: string;
  maxAccess: number;
  scalarType?: number;
  tableColumns?: Array<{ number: number; name: string; type: number; maxAccess: number }>;
  tableIndex?: Array<{ columnName: string }>;
}

export interface Mib {
  registerProvider(provider: MibProvider): void;
  setScalarValue(name: string, value: unknown): void;
  addTableRow(name: string, row: unknown[]): void;
  setTableSingleCell(name: string, column: number, rowIndex: number[], value: unknown): void;
}

export interface Agent {
  getAuthorizer(): {
    addCommunity(community: string): void;
    addUser(user: { name: string; level: number; authProtocol?: number; authKey?: string; privProtocol?: number; privKey?: string }): void;
  };
  getMib(): Mib;
  close(callback?: () => void): void;
  listener?: { sockets?: Record<string, NodeJS.EventEmitter> };
}

export interface TrapSession {
  trap(oid: string, varbinds: Array<{ oid: string; type: number; value: unknown }>, callback: (err: Error | null) => void): void;
  close(): void;
  on(event: 'error', listener: (err: Error) => void): void;
}

export interface NetSnmpApi {
  createAgent(options: Record<string, unknown>, callback: (err: Error | null) => void): Agent;
  createSession(target: string, community: string, options: Record<string, unknown>): TrapSession;
  ObjectType: Record<string, number>;
  MibProviderType: { Scalar: number; Table: number };
  MaxAccess: Record<string, number>;
  SecurityLevel: Record<string, number>;
  AuthProtocols: Record<string, number>;
  PrivProtocols: Record<string, number>;
  Version2c: number;
}

export const netSnmp = createRequire(import.meta.url)('net-snmp') as NetSnmpApi;
