/**
 * One simulated slave (unit id) as a server sees it: its register bank, fault injection and
 * counters. Framing and I/O live in the servers; this decides what (if anything) to answer.
 */
import type { PointValue } from '../../../core/types.js';
import type { ModbusTable } from '../point.js';
import { exceptionPdu, handlePdu, type PduTarget } from './pdu.js';
import type { RegisterBank } from './register-bank.js';

/**
 * How a garbage response is broken. `bad-crc`: the right answer with a wrong CRC (RTU; on TCP,
 * which has no CRC, it acts as `short`). `short`: the answer cut by a byte (wrong length).
 * `random`: random bytes (TCP keeps a valid MBAP header so the client takes it as the answer).
 * `noise`: random bytes with no framing at all, the MBAP header too (a serial server on the wrong
 * baud rate, a device on the wrong port): bytes arrive but never make a frame.
 */
export type GarbageMode = 'bad-crc' | 'short' | 'random' | 'noise';

/** A one-shot replacement for the next response of a slave. */
export type ResponseOverride =
  | { kind: 'exception'; code: number }
  | { kind: 'garbage'; mode?: GarbageMode }
  /** close the TCP connection instead of answering (on a serial line: no answer) */
  | { kind: 'drop' };

export interface ServerStats {
  /** connections accepted since start (TCP) */
  connections: number;
  /** connections open now */
  openConnections: number;
  /** requests for a unit id nobody serves */
  unknownUnit: number;
  /** bytes thrown away while resynchronising RTU framing (CRC errors, noise) */
  discardedBytes: number;
}

export function createServerStats(): ServerStats {
  return { connections: 0, openConnections: 0, unknownUnit: 0, discardedBytes: 0 };
}

export interface SlaveCounters {
  /** connections accepted by the server this slave sits behind */
  connections: number;
  requests: number;
  responses: number;
}

/** Engineering-value access, provided by the device runner. */
export interface DeviceValues {
  /** sets a point's value and keeps it there (the model no longer moves it) until release */
  hold(key: string, value: PointValue): void;
  /** lets the model drive the point again (every point when no key is given) */
  release(key?: string): void;
  /** the point's present value, decoded from the registers */
  value(key: string): PointValue;
  values(): Record<string, PointValue>;
}

export interface SimulatedSlave extends DeviceValues {
  readonly deviceId: string;
  readonly unitId: number;
  readonly bank: RegisterBank;
  /** never answers (requests are still counted) */
  dead: boolean;
  /** answers this late */
  delayMs: number;
  /** replaces the next response once, then clears itself */
  nextResponse: ResponseOverride | undefined;
  /** every request touching this address answers with the exception (default 02) until clearFaults */
  exceptionFor(table: ModbusTable, address: number, code?: number): void;
  clearFaults(): void;
  readonly counters: Readonly<SlaveCounters>;
}

export type Decision =
  | { action: 'silent' }
  | { action: 'drop' }
  | { action: 'reply'; length: number; delayMs: number; garbage?: GarbageMode };

/** What a server calls; not part of the public slave surface. */
export interface ServedSlave extends SimulatedSlave {
  serve(pdu: Uint8Array, out: Uint8Array): Decision;
  /** the response was written */
  responded(): void;
}

const SILENT: Decision = { action: 'silent' };
const DROP: Decision = { action: 'drop' };

export interface SlaveOptions {
  deviceId: string;
  unitId: number;
  bank: RegisterBank;
  values: DeviceValues;
  stats: ServerStats;
  /** a client wrote registers or coils */
  written(table: ModbusTable, address: number, count: number): void;
}

export function createSimulatedSlave(opts: SlaveOptions): ServedSlave {
  const forced = new Map<ModbusTable, Map<number, number>>();
  let requests = 0;
  let responses = 0;

  const target: PduTarget = {
    bank: opts.bank,
    forcedException(table, address, count) {
      const byAddress = forced.get(table);
      if (!byAddress) return 0;
      for (const [at, code] of byAddress) if (at >= address && at < address + count) return code;
      return 0;
    },
    written: opts.written,
  };

  const slave: ServedSlave = {
    deviceId: opts.deviceId,
    unitId: opts.unitId,
    bank: opts.bank,
    dead: false,
    delayMs: 0,
    nextResponse: undefined,
    exceptionFor(table, address, code = 0x02) {
      const byAddress = forced.get(table) ?? new Map<number, number>();
      forced.set(table, byAddress);
      byAddress.set(address, code);
    },
    clearFaults() {
      slave.dead = false;
      slave.delayMs = 0;
      slave.nextResponse = undefined;
      forced.clear();
    },
    get counters() {
      return { connections: opts.stats.connections, requests, responses };
    },
    hold: (key, value) => opts.values.hold(key, value),
    release: (key) => opts.values.release(key),
    value: (key) => opts.values.value(key),
    values: () => opts.values.values(),
    serve(pdu, out) {
      requests++;
      if (slave.dead) return SILENT;
      const override = slave.nextResponse;
      if (override) {
        slave.nextResponse = undefined;
        if (override.kind === 'drop') return DROP;
        if (override.kind === 'exception') {
          return { action: 'reply', length: exceptionPdu(pdu[0]!, override.code, out), delayMs: slave.delayMs };
        }
        const length = handlePdu(target, pdu, out);
        return { action: 'reply', length, delayMs: slave.delayMs, garbage: override.mode ?? 'bad-crc' };
      }
      return { action: 'reply', length: handlePdu(target, pdu, out), delayMs: slave.delayMs };
    },
    responded() {
      responses++;
    },
  };
  return slave;
}
