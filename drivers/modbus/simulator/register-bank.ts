/**
 * The four Modbus tables of one simulated slave. Which addresses exist comes from the device's
 * points: like a real device, a read that touches an address no point backs is refused
 * (exception 02), which is what makes the gateway's illegal-address handling testable.
 */
import { type ModbusPoint, type ModbusTable, MODBUS_TABLES, pointWidth } from '../point.js';

export interface BankOptions {
  /**
   * Holes of up to this many addresses between points of one table are backed too (reading 0),
   * like devices that tolerate reads across small gaps. 0 (default) backs only point addresses.
   */
  tolerance?: number;
}

export interface RegisterBank {
  /** true when every address in [address, address + count) exists in the table */
  has(table: ModbusTable, address: number, count: number): boolean;
  /** the raw words of a register table (input/holding), indexed by address */
  words(table: 'input' | 'holding'): Uint16Array;
  /** the raw bits (0/1) of a bit table (coil/discrete), indexed by address */
  bits(table: 'coil' | 'discrete'): Uint8Array;
  getWords(table: 'input' | 'holding', address: number, count: number): number[];
  setWords(table: 'input' | 'holding', address: number, words: readonly number[]): void;
  getBit(table: 'coil' | 'discrete', address: number): boolean;
  setBit(table: 'coil' | 'discrete', address: number, value: boolean): void;
}

interface Area {
  /** runEnd[a] = first address ≥ a that is not backed (a itself when a is not backed) */
  runEnd: Uint32Array;
  size: number;
}

export function createRegisterBank(points: readonly ModbusPoint[], opts: BankOptions = {}): RegisterBank {
  const tolerance = Math.max(0, Math.floor(opts.tolerance ?? 0));
  const areas = {} as Record<ModbusTable, Area>;
  for (const table of MODBUS_TABLES) {
    areas[table] = buildArea(
      points.filter((p) => p.table === table),
      tolerance,
    );
  }
  const holding = new Uint16Array(areas.holding.size);
  const input = new Uint16Array(areas.input.size);
  const coil = new Uint8Array(areas.coil.size);
  const discrete = new Uint8Array(areas.discrete.size);
  const wordsOf = (table: 'input' | 'holding') => (table === 'holding' ? holding : input);
  const bitsOf = (table: 'coil' | 'discrete') => (table === 'coil' ? coil : discrete);

  const check = (table: ModbusTable, address: number, count: number) => {
    if (!bank.has(table, address, count)) {
      throw new RangeError(`${table} ${address}..${address + count - 1} is not backed by any point`);
    }
  };

  const bank: RegisterBank = {
    has(table, address, count) {
      const area = areas[table];
      return address >= 0 && count > 0 && address < area.size && area.runEnd[address]! >= address + count;
    },
    words: wordsOf,
    bits: bitsOf,
    getWords(table, address, count) {
      check(table, address, count);
      return Array.from(wordsOf(table).subarray(address, address + count));
    },
    setWords(table, address, words) {
      check(table, address, words.length);
      wordsOf(table).set(words, address);
    },
    getBit(table, address) {
      check(table, address, 1);
      return bitsOf(table)[address] === 1;
    },
    setBit(table, address, value) {
      check(table, address, 1);
      bitsOf(table)[address] = value ? 1 : 0;
    },
  };
  return bank;
}

function buildArea(points: readonly ModbusPoint[], tolerance: number): Area {
  const ranges = points
    .map((p) => [p.address, Math.min(65536, p.address + Math.max(1, pointWidth(p)))] as const)
    .sort((a, b) => a[0] - b[0]);
  const size = ranges.reduce((max, [, end]) => Math.max(max, end), 0);
  const backed = new Uint8Array(size);
  let prevEnd = -1;
  for (const [start, end] of ranges) {
    const from = prevEnd >= 0 && start > prevEnd && start - prevEnd <= tolerance ? prevEnd : start;
    backed.fill(1, from, end);
    prevEnd = Math.max(prevEnd, end);
  }
  const runEnd = new Uint32Array(size);
  let next = size;
  for (let a = size - 1; a >= 0; a--) {
    if (backed[a] === 0) next = a;
    runEnd[a] = next;
  }
  return { runEnd, size };
}
