/**
 * Register/bit → engineering value conversion for Modbus points (encode.ts is the inverse). Pure
 * functions: the driver and the simulator share them, so a map decoded here means the same
 * everywhere.
 *
 * Decoding never throws: a point that cannot be decoded is a bad-quality value with a reason.
 *
 * Numeric rule, decode: value = (raw / 2^binaryPoint) × (scale ?? 1) + (offset ?? 0), then rounded
 * to strip binary floating-point noise (2301 × 0.1 → 230.1, not 230.10000000000002):
 * - integer types: to max(decimals(scale) + binaryPoint, decimals(offset)) decimal places (at most
 *   15). An integer raw times a scale with d decimals, divided by 2^n, has at most d + n decimals
 *   exactly, so this removes only the noise, never information. (Where that many decimals no
 *   longer fit in a double, around 2^52, the product is returned unrounded.)
 * - float types with scale/offset/binaryPoint: to 15 significant digits (the raw is not an integer,
 *   so no decimal count is implied; 15 digits is below double noise but above float32 precision).
 * - float types without any of them: returned as decoded (float32 123.456 → 123.45600128173828).
 *
 * Enum labels are looked up by the raw integer; scale/offset do not apply to them. A sentinel is
 * compared with the raw value before scaling.
 *
 * int64/uint64 become JS numbers: values beyond ±2^53 lose their low bits (the nearest double is
 * returned). Counters of that size are rare on facility equipment; exactness would need bigint in
 * every consumer.
 */
import { roundSignificant, scaleInteger } from '../../core/scaled-number.js';
import type { PointValue, Quality } from '../../core/types.js';
import { isBitTable, type ModbusPoint, type ModbusType, pointWidth } from './point.js';
import { readWords, swapsBytes } from './word-order.js';

export interface DecodedValue {
  value: PointValue;
  quality: Quality;
  reason?: string;
}

/** 2^32, to compose and split 64-bit values from two 32-bit halves (shared with encode.ts). */
export const TWO_32 = 4294967296;

function bad(reason: string): DecodedValue {
  return { value: null, quality: 'bad', reason };
}

function good(value: PointValue): DecodedValue {
  return { value, quality: 'good' };
}

/** Float types carry no implied decimal count (see the numeric rule above); shared with encode.ts. */
export function isFloat(type: ModbusType): type is 'float32' | 'float64' {
  return type === 'float32' || type === 'float64';
}

/** Decode one point from a block of registers that starts at blockAddress. */
export function decodeRegisters(
  point: ModbusPoint,
  registers: ArrayLike<number>,
  blockAddress: number,
): DecodedValue {
  const decoded = decodeRegisterValue(point, registers, blockAddress);
  return isDecodeFault(decoded) ? decoded : good(decoded);
}

/**
 * A value that did not decode as good: a DecodedValue (bad, or uncertain with its value). A good
 * value is never an object (PointValue is a primitive), so the two cannot be confused.
 */
export function isDecodeFault(decoded: PointValue | DecodedValue): decoded is DecodedValue {
  return typeof decoded === 'object' && decoded !== null;
}

/**
 * decodeRegisters for the poll loop: a good value comes back as itself, with no wrapper object per
 * point (at 125 points a read, the wrappers were most of the garbage a poll made); anything else
 * as a DecodedValue (see isDecodeFault).
 */
export function decodeRegisterValue(
  point: ModbusPoint,
  registers: ArrayLike<number>,
  blockAddress: number,
): PointValue | DecodedValue {
  if (isBitTable(point.table)) return bad('config');
  const at = point.address - blockAddress;
  const type = point.type;
  const width = pointWidth(point);
  if (width === 0) return bad('config'); // string without a length
  if (at < 0 || at + width > registers.length) return bad('bad-frame');

  const bit = point.bit;
  if (bit !== undefined) {
    if (!(bit >= 0 && bit <= 15 && Number.isInteger(bit))) return bad('config');
    const word = (registers[at] as number) & 0xffff;
    // A whole status register of 0xFFFF usually means "not available", not "every flag set".
    if (point.sentinel?.includes(word)) return bad('not-available');
    return ((word >>> bit) & 1) === 1;
  }

  if (type === 'string') return decodeString(registers, at, point);

  // raw: the value as the device means it; pattern: the same bits read as an unsigned integer,
  // so a sentinel can be written the way vendor maps write it (0xFFFF on an int16).
  let raw: number;
  let pattern: number;
  switch (type) {
    case 'bool':
    case 'uint16':
      raw = pattern = (registers[at] as number) & 0xffff;
      if (type === 'bool') {
        if (point.sentinel?.includes(raw)) return bad('not-available');
        return raw !== 0;
      }
      break;
    case 'int16':
      pattern = (registers[at] as number) & 0xffff;
      raw = (pattern << 16) >> 16;
      break;
    default: {
      const view = readWords(registers, at, width, point.wordOrder);
      switch (type) {
        case 'int32':
          raw = view.getInt32(0);
          pattern = view.getUint32(0);
          break;
        case 'uint32':
          raw = pattern = view.getUint32(0);
          break;
        case 'int64':
          raw = view.getInt32(0) * TWO_32 + view.getUint32(4);
          pattern = view.getUint32(0) * TWO_32 + view.getUint32(4);
          break;
        case 'uint64':
          raw = pattern = view.getUint32(0) * TWO_32 + view.getUint32(4);
          break;
        case 'float32':
          raw = pattern = view.getFloat32(0);
          break;
        default:
          raw = pattern = view.getFloat64(0);
          break;
      }
    }
  }

  const sentinel = point.sentinel;
  if (sentinel !== undefined && (sentinel.includes(raw) || sentinel.includes(pattern))) {
    return bad('not-available');
  }
  if (!Number.isFinite(raw)) return bad('not-available');

  if (point.enum !== undefined) {
    const label = point.enum[String(raw)] ?? (pattern !== raw ? point.enum[String(pattern)] : undefined);
    if (label !== undefined) return label;
    return { value: String(raw), quality: 'uncertain', reason: 'unknown-enum' };
  }

  return scaleRaw(raw, point, isFloat(type));
}

/** Decode one coil/discrete point from a block of bits that starts at blockAddress. */
export function decodeBits(point: ModbusPoint, bits: ArrayLike<boolean>, blockAddress: number): DecodedValue {
  const decoded = decodeBitValue(point, bits, blockAddress);
  return isDecodeFault(decoded) ? decoded : good(decoded);
}

/** decodeBits for the poll loop: the good value as itself (see decodeRegisterValue). */
export function decodeBitValue(point: ModbusPoint, bits: ArrayLike<boolean>, blockAddress: number): boolean | DecodedValue {
  if (!isBitTable(point.table)) return bad('config');
  const at = point.address - blockAddress;
  if (at < 0 || at >= bits.length) return bad('bad-frame');
  return Boolean(bits[at]);
}

function scaleRaw(raw: number, point: ModbusPoint, float: boolean): number {
  const { scale, offset, binaryPoint } = point;
  if (scale === undefined && offset === undefined && !binaryPoint) return raw;
  const unscaled = binaryPoint ? raw / 2 ** binaryPoint : raw;
  if (float) return roundSignificant(unscaled * (scale ?? 1) + (offset ?? 0), 15);
  return scaleInteger(unscaled, scale, offset, binaryPoint ?? 0);
}

function decodeString(registers: ArrayLike<number>, at: number, point: ModbusPoint): string {
  const length = point.length ?? 0;
  const lowFirst = swapsBytes(point.wordOrder);
  let out = '';
  for (let i = 0; i < length; i++) {
    const word = (registers[at + (i >> 1)] as number) & 0xffff;
    const highHalf = (i & 1) === 0 ? !lowFirst : lowFirst;
    const code = highHalf ? word >>> 8 : word & 0xff;
    if (code === 0) break;
    out += String.fromCharCode(code);
  }
  return out.trimEnd();
}
