/**
 * The part of net-snmp (3.x, no bundled types) the SNMP driver, the trap receiver, the simulator
 * and the tests use. See node_modules/net-snmp/README.md for the full API.
 */
declare module 'net-snmp' {
  import type { EventEmitter } from 'node:events';

  export interface Varbind {
    oid: string;
    type: number;
    value: unknown;
  }

  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    backoff?: number;
    transport?: 'udp4' | 'udp6';
    trapPort?: number;
    version?: number;
    idBitsSize?: 16 | 32;
    context?: string;
    engineID?: string;
    /** the local address requests and traps are sent from */
    sourceAddress?: string;
  }

  export interface User {
    name: string;
    level: number;
    authProtocol?: number;
    authKey?: string;
    privProtocol?: number;
    privKey?: string;
  }

  /** `varbinds` is undefined when `error` is set */
  export type ResponseCallback = (error: Error | null, varbinds: Varbind[]) => void;

  export interface Session extends EventEmitter {
    get(oids: string[], callback: ResponseCallback): void;
    getNext(oids: string[], callback: ResponseCallback): void;
    set(varbinds: Varbind[], callback: ResponseCallback): void;
    getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, callback: ResponseCallback): void;
    subtree(oid: string, maxRepetitions: number, feedCallback: (varbinds: Varbind[]) => boolean | undefined, doneCallback: (error: Error | null) => void): void;
    walk(oid: string, maxRepetitions: number, feedCallback: (varbinds: Varbind[]) => boolean | undefined, doneCallback: (error: Error | null) => void): void;
    trap(typeOrOid: number | string, varbinds: Varbind[], agentAddrOrOptions: unknown, callback: (error: Error | null) => void): void;
    trap(typeOrOid: number | string, varbinds: Varbind[], callback: (error: Error | null) => void): void;
    inform(typeOrOid: number | string, varbinds: Varbind[], options: unknown, callback: (error: Error | null) => void): void;
    close(): void;
  }

  export function createSession(target: string, community: string, options?: SessionOptions): Session;
  export function createV3Session(target: string, user: User, options?: SessionOptions): Session;
  export function isVarbindError(varbind: Varbind): boolean;
  export function varbindError(varbind: Varbind): string;

  export const Version1: number;
  export const Version2c: number;
  export const Version3: number;
  export const ObjectType: Record<string, number>;
  export const ErrorStatus: Record<string, number> & Record<number, string>;
  export const SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
  export const AuthProtocols: Record<string, number>;
  export const PrivProtocols: Record<string, number>;
  export const TrapType: Record<string, number>;
  export const PduType: Record<string, number>;

  export class RequestFailedError extends Error {
    status: number;
  }
  export class RequestTimedOutError extends Error {}
  export class RequestInvalidError extends Error {}
  export class ResponseInvalidError extends Error {
    code: number;
  }

  export interface Receiver {
    getAuthorizer(): Authorizer;
    close(callback?: () => void): void;
  }
  export interface Agent {
    /** internal: its UDP sockets, the only way to learn when the agent listens */
    listener?: { sockets?: Record<string, EventEmitter> };
    getAuthorizer(): Authorizer;
    getMib(): Mib;
    close(callback?: () => void): void;
  }
  export interface Authorizer {
    addCommunity(community: string): void;
    addUser(user: User): void;
    getCommunities(): string[];
    getUsers(): User[];
  }
  export interface Mib {
    registerProvider(definition: unknown): void;
    setScalarValue(name: string, value: unknown): void;
    addTableRow(name: string, row: unknown[]): void;
    setTableSingleCell(name: string, column: number, rowIndex: number[], value: unknown): void;
  }
  // biome-ignore lint/suspicious/noExplicitAny: notification and request shapes vary by PDU type
  export type Notification = any;
  export function createReceiver(options: Record<string, unknown>, callback: (error: Error | null, notification?: Notification) => void): Receiver;
  export function createAgent(options: Record<string, unknown>, callback: (error: Error | null, data?: unknown) => void, mib?: Mib): Agent;

  const snmp: {
    createSession: typeof createSession;
    createV3Session: typeof createV3Session;
    createReceiver: typeof createReceiver;
    createAgent: typeof createAgent;
    isVarbindError: typeof isVarbindError;
    varbindError: typeof varbindError;
    Version1: number;
    Version2c: number;
    Version3: number;
    ObjectType: Record<string, number>;
    ErrorStatus: Record<string, number> & Record<number, string>;
    SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
    AuthProtocols: Record<string, number>;
    PrivProtocols: Record<string, number>;
    TrapType: Record<string, number>;
    PduType: Record<string, number>;
    MibProviderType: { Scalar: number; Table: number };
    MaxAccess: Record<string, number>;
    RequestFailedError: typeof RequestFailedError;
    RequestTimedOutError: typeof RequestTimedOutError;
    ResponseInvalidError: typeof ResponseInvalidError;
  };
  export default snmp;
}
