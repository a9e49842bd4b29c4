/**
 * Register/bit ↔ engineering value conversion for Modbus points. Pure functions: the driver, the
 * simulator and setpoint writes share them, so a map decoded here means the same everywhere.
 *
 * Decoding never throws: a point that cannot be decoded is a bad-quality value with a reason.
 * Encoding throws RangeError, because a caller asking to write an unrepresentable value is a bug
 * or a user error that must be reported, not silently clamped.
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
import type { PointValue, Quality } from '../../gateway/types.js';
import { isBitTable, type ModbusPoint, type ModbusType, pointWidth, type WordOrder } from './point.js';

export interface DecodedValue {
  value: PointValue;
  quality: Quality;
  reason?: string;
}

const TWO_32 = 4294967296;

// One scratch buffer for every 32/64-bit conversion: decoding is synchronous, so it is never
// shared between two calls in flight, and it saves an allocation per value on the hot path.
const scratch = new DataView(new ArrayBuffer(8));

/**
 * Put `width` registers into the scratch buffer as big-endian bytes of the value (most significant
 * first). The mapping is its own inverse, so writeWords uses the same index arithmetic.
 */
function readWords(registers: ArrayLike<number>, at: number, width: number, order: WordOrder): DataView {
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const swapBytes = order === 'BADC' || order === 'DCBA';
  for (let i = 0; i < width; i++) {
    let word = (registers[at + (swapWords ? width - 1 - i : i)] as number) & 0xffff;
    if (swapBytes) word = ((word & 0xff) << 8) | (word >>> 8);
    scratch.setUint16(i * 2, word);
  }
  return scratch;
}

function writeWords(width: number, order: WordOrder, fill: (view: DataView) => void): number[] {
  fill(scratch);
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const words = new Array<number>(width);
  for (let i = 0; i < width; i++) {
    let word = scratch.getUint16((swapWords ? width - 1 - i : i) * 2);
    if (swapBytes) word = ((word & 0xff) << 8) | (word >>> 8);
    words[i] = word;
  }
  return words;
}

function bad(reason: string): DecodedValue {
  return { value: null, quality: 'bad', reason };
}

function good(value: PointValue): DecodedValue {
  return { value, quality: 'good' };
}

function isFloat(type: ModbusType): type is 'float32' | 'float64' {
  return type === 'float32' || type === 'float64';
}

/** Decode one point from a block of registers that starts at blockAddress. */
export function decodeRegisters(
  point: ModbusPoint,
  registers: ArrayLike<number>,
  blockAddress: number,
): DecodedValue {
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
    return good(((word >>> bit) & 1) === 1);
  }

  if (type === 'string') return good(decodeString(registers, at, point));

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
        return good(raw !== 0);
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
    if (label !== undefined) return good(label);
    return { value: String(raw), quality: 'uncertain', reason: 'unknown-enum' };
  }

  return good(scaleRaw(raw, point, isFloat(type)));
}

/** Decode one coil/discrete point from a block of bits that starts at blockAddress. */
export function decodeBits(point: ModbusPoint, bits: ArrayLike<boolean>, blockAddress: number): DecodedValue {
  if (!isBitTable(point.table)) return bad('config');
  const at = point.address - blockAddress;
  if (at < 0 || at >= bits.length) return bad('bad-frame');
  return good(Boolean(bits[at]));
}

function scaleRaw(raw: number, point: ModbusPoint, float: boolean): number {
  const { scale, offset, binaryPoint } = point;
  if (scale === undefined && offset === undefined && !binaryPoint) return raw;
  let value = binaryPoint ? raw / 2 ** binaryPoint : raw;
  if (scale !== undefined) value *= scale;
  if (offset !== undefined) value += offset;
  if (float) return roundSignificant(value, 15);
  const places = Math.max(decimalsOf(scale ?? 1) + (binaryPoint ?? 0), decimalsOf(offset ?? 0));
  return roundDecimals(value, Math.min(places, 15));
}

/** Decimal places needed to write x exactly (15 at most): 0.1 → 1, 0.25 → 2, 1/3 → 15. */
function decimalsOf(x: number): number {
  if (Number.isInteger(x) || !Number.isFinite(x)) return 0;
  let p = 1;
  for (let d = 1; d < 15; d++) {
    p *= 10;
    const y = x * p;
    if (Math.abs(y - Math.round(y)) <= Math.abs(y) * 1e-12) return d;
  }
  return 15;
}

function roundDecimals(x: number, places: number): number {
  if (places <= 0) return roundHalfAway(x);
  const p = 10 ** places;
  const y = x * p;
  // Beyond 2^52 the scaled value has no fraction bits left: the decimal is not representable and
  // the product is already as close as a double gets, so leave it alone.
  if (Math.abs(y) >= 4503599627370496) return x;
  return roundHalfAway(y) / p;
}

function roundSignificant(x: number, digits: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(digits));
}

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function decodeString(registers: ArrayLike<number>, at: number, point: ModbusPoint): string {
  const length = point.length ?? 0;
  const lowFirst = point.wordOrder === 'BADC' || point.wordOrder === 'DCBA';
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

/**
 * The inverse, for simulators and (later) setpoint writes: engineering value → register words.
 * For a `bit` point, `current` is the register's present value and only that bit changes.
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
  const lowFirst = point.wordOrder === 'BADC' || point.wordOrder === 'DCBA';
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
