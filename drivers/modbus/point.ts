/** A Modbus point after config load: every default resolved, address 0-based. */
import type { WriteSpec } from '../../core/write-spec.js';

export const MODBUS_TABLES = ['coil', 'discrete', 'input', 'holding'] as const;
export type ModbusTable = (typeof MODBUS_TABLES)[number];

export const MODBUS_TYPES = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
  'string',
] as const;
export type ModbusType = (typeof MODBUS_TYPES)[number];

/**
 * Byte order of multi-register values, letters naming the bytes of the value most significant
 * first: ABCD is big-endian throughout (the Modbus default), CDAB swaps the 16-bit words
 * ("float (sw)"), BADC swaps the bytes inside each word, DCBA is fully little-endian. For 64-bit
 * values the word swap reverses all four words.
 */
export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type WordOrder = (typeof WORD_ORDERS)[number];

export interface ModbusPoint {
  /** `<deviceId>.<key>` */
  id: string;
  key: string;
  name: string;
  unit?: string;
  table: ModbusTable;
  /** 0-based protocol address */
  address: number;
  type: ModbusType;
  /** characters, for type string (two per register) */
  length?: number;
  wordOrder: WordOrder;
  scale?: number;
  offset?: number;
  /** value / 2^binaryPoint (APC-style fixed point) */
  binaryPoint?: number;
  /** 0–15: a boolean taken from one bit of a 16-bit register */
  bit?: number;
  /** raw integer value (as a decimal string key) → label */
  enum?: Record<string, string>;
  /** raw values that mean "not available" */
  sentinel?: number[];
  /** present only when the point may be written (issue 14): holding and coil points only */
  write?: WriteSpec;
}

export function isBitTable(table: ModbusTable): boolean {
  return table === 'coil' || table === 'discrete';
}

/** How many registers (or bits, for coil/discrete) a point occupies. */
export function pointWidth(point: Pick<ModbusPoint, 'table' | 'type' | 'length'>): number {
  if (isBitTable(point.table)) return 1;
  switch (point.type) {
    case 'bool':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    case 'string':
      return Math.ceil((point.length ?? 0) / 2);
  }
}
