/**
 * An engineering value as the Variant an OPC UA Write sends: the point's scale and offset undone,
 * then coerced to the variable's built-in DataType (read once from the server). A value that cannot
 * be that type is refused here, with the status name the server would give, before anything is sent.
 */
import { DataType, Variant, VariantArrayType } from 'node-opcua';
import { roundHalfAway, roundSignificant } from '../../core/scaled-number.js';
import type { WriteValue } from '../../core/write-spec.js';
import type { OpcuaPoint } from './point.js';

/** Inclusive bounds of the integer types (64-bit ones limited to what a JS number holds exactly). */
const INTEGER_RANGE = new Map<DataType, readonly [number, number]>([
  [DataType.SByte, [-128, 127]],
  [DataType.Byte, [0, 255]],
  [DataType.Int16, [-32768, 32767]],
  [DataType.UInt16, [0, 65535]],
  [DataType.Int32, [-2147483648, 2147483647]],
  [DataType.UInt32, [0, 4294967295]],
  [DataType.Int64, [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]],
  [DataType.UInt64, [0, Number.MAX_SAFE_INTEGER]],
]);

/** Why a value was not sent: `reason` is an OPC UA status name, as if the server had refused it. */
export class WriteRefusal extends Error {
  constructor(
    readonly reason: 'BadTypeMismatch' | 'BadOutOfRange',
    message: string,
  ) {
    super(message);
  }
}

/** node-opcua cannot tell a 64-bit scalar from an array by its value: always say which. */
function scalar(v: { dataType: DataType; value: unknown }): Variant {
  return new Variant({ ...v, arrayType: VariantArrayType.Scalar });
}

/**
 * value = raw × scale + offset, reversed; 15 significant digits drop the division's binary noise
 * (23.45 / 0.1 is 234.49999999999997 and means 234.5). Unscaled values pass untouched.
 */
export function unscale(point: Pick<OpcuaPoint, 'scale' | 'offset'>, value: number): number {
  if (point.scale === undefined && point.offset === undefined) return value;
  return roundSignificant((value - (point.offset ?? 0)) / (point.scale ?? 1), 15);
}

/** 64-bit integers travel as [high, low] 32-bit words (as node-opcua reads them). */
function words(n: number): [number, number] {
  const high = Math.floor(n / 0x1_0000_0000);
  return [high < 0 ? high + 0x1_0000_0000 : high, n - high * 0x1_0000_0000];
}

function numeric(point: OpcuaPoint, value: WriteValue, typeName: string): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'string' && (value.trim() === '' || !Number.isFinite(n))) {
    throw new WriteRefusal('BadTypeMismatch', `"${value}" is no number, and the variable is ${typeName}`);
  }
  if (!Number.isFinite(n)) throw new WriteRefusal('BadTypeMismatch', `${value} is no finite number`);
  return unscale(point, n);
}

export function toVariant(point: OpcuaPoint, dataType: DataType, value: WriteValue): Variant {
  const typeName = DataType[dataType] ?? `DataType ${dataType}`;
  if (dataType === DataType.Boolean) {
    if (typeof value === 'boolean') return scalar({ dataType, value });
    if (value === 0 || value === 1) return scalar({ dataType, value: value === 1 });
    throw new WriteRefusal('BadTypeMismatch', `${JSON.stringify(value)} is no boolean, and the variable is Boolean`);
  }
  if (dataType === DataType.String) return scalar({ dataType, value: String(value) });
  if (dataType === DataType.Float || dataType === DataType.Double) return scalar({ dataType, value: numeric(point, value, typeName) });
  const range = INTEGER_RANGE.get(dataType);
  if (!range) throw new WriteRefusal('BadTypeMismatch', `the gateway cannot write a variable of type ${typeName}`);
  const raw = roundHalfAway(numeric(point, value, typeName));
  if (raw < range[0] || raw > range[1]) {
    throw new WriteRefusal('BadOutOfRange', `${raw} does not fit ${typeName} (${range[0]}..${range[1]})`);
  }
  if (dataType === DataType.Int64 || dataType === DataType.UInt64) return scalar({ dataType, value: words(raw) });
  return scalar({ dataType, value: raw });
}
