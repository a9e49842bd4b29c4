/**
 * The client's interface and its small types, apart from client.ts so that link-client.ts (which
 * implements it) and client.ts (which opens it) do not import each other.
 */
import type { ModbusConnection } from './device.js';

export type ModbusFraming = ModbusConnection['transport'];
export type BitTable = 'coil' | 'discrete';
export type RegisterTable = 'holding' | 'input';

export interface ModbusClient {
  readonly framing: ModbusFraming;
  readonly isOpen: boolean;
  /** requests in a row, on any unit, that got no answer at all (reset by any answer) */
  readonly timeoutsInARow: number;
  readBits(
    unitId: number,
    table: BitTable,
    address: number,
    count: number,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<boolean[]>;
  readRegisters(
    unitId: number,
    table: RegisterTable,
    address: number,
    count: number,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<number[]>;
  /** FC6 (one register) or FC16 (several); resolves when the device echoes the write. */
  writeRegisters(unitId: number, address: number, words: readonly number[], timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** FC5 */
  writeCoil(unitId: number, address: number, on: boolean, timeoutMs: number, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
  /** Called once when the link goes down on its own (peer closed, cable pulled). */
  onClose?(listener: (cause?: Error) => void): void;
}
