/**
 * Engineering value → register words or coil state, the inverse of codec.ts, for simulators and
 * (later) setpoint writes. Encoding throws RangeError, because a caller asking to write an
 * unrepresentable value is a bug or a user error that must be reported, not silently clamped.
 */
import type { PointValue } from '../../core/types.js';
import { roundHalfAway } from '../../core/scaled-number.js';
import { isFloat, TWO_32 } from './codec.js';
import { isBitTable, type ModbusPoint, type ModbusType, pointWidth } from './point.js';
import { swapsBytes, writeWords } from './word-order.js';

/**
 * A register point's value as the words to write. For a `bit` point, `current` is the register's present value and only that bit changes.
 * Throws RangeError when the value cannot be represented.
 *
 * null encodes as the point's first sentinel (a simulator's "not available"); NaN/±Infinity are
 * accepted for float types only.
 */
export function encodeRegisters(point: ModbusPoint, value: PointValue, current?: number): number[] {
  if (isBitTable(point.table)) throw new RangeError(`${point.id}: a ${point.table} point has no registers`);
  const bit = point.bit;
  if (bit !== undefined) {
    if (!(bit >= 0 && bit <= 15 && Number.isInteger(bit))) throw new RangeError(`${point.id}: bit ${bit} is not 0–15`);
    const word = (current ?? 0) & 0xffff;
    const on = toBoolean(point, value);
    return [on ? (word | (1 << bit)) & 0xffff : word & ~(1 << bit) & 0xffff];
  }
  const type = point.type;
  if (type === 'string') return encodeString(point, value);
  if (type === 'bool') {
    if (value === null) return [rawFromNull(point)];
    return [toBoolean(point, value) ? 1 : 0];
  }

  let raw: number;
  if (value === null) raw = rawFromNull(point);
  else if (point.enum !== undefined && typeof value === 'string') raw = rawFromLabel(point, value);
  else if (typeof value !== 'number') throw new RangeError(`${point.id}: ${JSON.stringify(value)} is not a number`);
  else if (point.enum !== undefined) raw = value;
  else raw = unscale(point, value);

  if (isFloat(type)) {
    if (type === 'float32' && Number.isFinite(raw) && !Number.isFinite(Math.fround(raw))) {
      throw new RangeError(`${point.id}: ${value} overflows float32`);
    }
  } else {
    if (!Number.isFinite(raw)) throw new RangeError(`${point.id}: ${value} is not a finite number`);
    raw = roundHalfAway(raw);
    const [min, max] = INT_RANGE[type];
    if (raw < min || raw > max) throw new RangeError(`${point.id}: ${value} is outside the ${type} range`);
  }
  return encodeRaw(point, raw);
}

// Inclusive bounds, as doubles.
const INT_RANGE: Record<Exclude<ModbusType, 'string' | 'bool' | 'float32' | 'float64'>, [number, number]> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  // The largest doubles below 2^63 and 2^64: anything larger would wrap.
  int64: [-(2 ** 63), 2 ** 63 - 1024],
  uint64: [0, 2 ** 64 - 2048],
};

function encodeRaw(point: ModbusPoint, raw: number): number[] {
  switch (point.type) {
    case 'int16':
    case 'uint16':
      return [raw & 0xffff];
    default: {
      const width = pointWidth(point);
      return writeWords(width, point.wordOrder, (view) => {
        switch (point.type) {
          case 'int32':
            view.setInt32(0, raw);
            break;
          case 'uint32':
            view.setUint32(0, raw);
            break;
          case 'int64':
            view.setBigInt64(0, BigInt(raw));
            break;
          case 'uint64':
            view.setBigUint64(0, BigInt(raw));
            break;
          case 'float32':
            view.setFloat32(0, raw);
            break;
          default:
            view.setFloat64(0, raw);
        }
      });
    }
  }
}

function unscale(point: ModbusPoint, value: number): number {
  let raw = value;
  if (point.offset !== undefined) raw -= point.offset;
  if (point.scale !== undefined) {
    if (point.scale === 0) throw new RangeError(`${point.id}: scale 0 cannot be inverted`);
    raw /= point.scale;
  }
  if (point.binaryPoint) raw *= 2 ** point.binaryPoint;
  return raw;
}

function rawFromNull(point: ModbusPoint): number {
  const first = point.sentinel?.[0];
  if (first === undefined) throw new RangeError(`${point.id}: null needs a sentinel to encode as`);
  // Sentinels are written as register patterns (0xFFFF on an int16): fold them into the type.
  if (point.type === 'int16' && first > 32767) return first - 65536;
  if (point.type === 'int32' && first > 2147483647) return first - TWO_32;
  if (point.type === 'int64' && first >= 2 ** 63) return first - 2 ** 64;
  return first;
}

function rawFromLabel(point: ModbusPoint, label: string): number {
  for (const [key, name] of Object.entries(point.enum ?? {})) {
    if (name === label) return Number(key);
  }
  throw new RangeError(`${point.id}: ${JSON.stringify(label)} is not one of its labels`);
}

function toBoolean(point: ModbusPoint, value: PointValue): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  throw new RangeError(`${point.id}: ${JSON.stringify(value)} is not a boolean`);
}

function encodeString(point: ModbusPoint, value: PointValue): number[] {
  if (typeof value !== 'string') throw new RangeError(`${point.id}: ${JSON.stringify(value)} is not a string`);
  const length = point.length ?? 0;
  if (value.length > length) throw new RangeError(`${point.id}: "${value}" is longer than ${length} characters`);
  const lowFirst = swapsBytes(point.wordOrder);
  // NUL padding: decoders stop at the first NUL, so shorter values round-trip exactly.
  const words: number[] = new Array<number>(Math.ceil(length / 2)).fill(0);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff) throw new RangeError(`${point.id}: "${value}" has a character outside latin1`);
    const highHalf = (i & 1) === 0 ? !lowFirst : lowFirst;
    words[i >> 1] = (words[i >> 1] as number) | (highHalf ? code << 8 : code);
  }
  return words;
}

export function encodeBit(point: ModbusPoint, value: PointValue): boolean {
  return toBoolean(point, value);
}