/**
 * Turns a device's points into as few Modbus read requests as the protocol and the device allow.
 * Fewer requests means fewer round trips on a slow serial bus, which is usually the poll-time limit.
 */
import { isBitTable, type ModbusPoint, type ModbusTable, pointWidth } from './point.js';

export interface PlanLimits {
  /** registers per request; the protocol allows 125 (FC3/FC4) */
  maxRegisters: number;
  /** bits per request; the protocol allows 2000 (FC1/FC2) */
  maxBits: number;
  /** unused registers/bits a request may read between two points to save a round trip */
  maxGap: number;
}

export interface ReadRequest {
  table: ModbusTable;
  address: number;
  count: number;
  /** in address order; the driver maps results back to the caller's order */
  points: ModbusPoint[];
}

/** Protocol ceilings: a limit above them would make the device answer "illegal data value". */
export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;

/** Function-code order (FC1 coils, FC2 discrete inputs, FC3 holding, FC4 input registers). */
const TABLE_ORDER: readonly ModbusTable[] = ['coil', 'discrete', 'holding', 'input'];

/**
 * Plan the reads for `points`: grouped by table (in function-code order), sorted by address, and
 * merged while a request's span stays within the limit and the hole before the next point is at
 * most `maxGap`. Points that share registers (bit fields, overlapping definitions) land in the same
 * request whenever they fit. Limits above the protocol ceilings are clamped to them.
 *
 * A single point wider than the limit (a long string) gets a request of its own whose count
 * exceeds the limit: the planner never splits a value, so a caller that cannot issue such a read
 * must reject the point at config time.
 */
export function planReads(points: readonly ModbusPoint[], limits: PlanLimits): ReadRequest[] {
  const byTable = new Map<ModbusTable, ModbusPoint[]>();
  for (const point of points) {
    const list = byTable.get(point.table);
    if (list === undefined) byTable.set(point.table, [point]);
    else list.push(point);
  }

  const maxGap = Math.max(0, limits.maxGap);
  const requests: ReadRequest[] = [];
  for (const table of TABLE_ORDER) {
    const list = byTable.get(table);
    if (list === undefined) continue;
    const limit = isBitTable(table)
      ? clamp(limits.maxBits, MAX_READ_BITS)
      : clamp(limits.maxRegisters, MAX_READ_REGISTERS);
    // Array.prototype.sort is stable, so points at the same address keep the caller's order.
    const sorted = [...list].sort((a, b) => a.address - b.address);

    let current: ReadRequest | undefined;
    let end = 0; // one past the last register/bit the current request covers
    for (const point of sorted) {
      const pointEnd = point.address + pointWidth(point);
      const span = Math.max(end, pointEnd) - (current?.address ?? 0);
      if (current !== undefined && point.address - end <= maxGap && span <= limit) {
        current.points.push(point);
        end = Math.max(end, pointEnd);
        current.count = end - current.address;
        continue;
      }
      current = { table, address: point.address, count: pointEnd - point.address, points: [point] };
      end = pointEnd;
      requests.push(current);
    }
  }
  return requests;
}

function clamp(limit: number, ceiling: number): number {
  return Math.max(1, Math.min(ceiling, Math.floor(limit)));
}
