/**
 * OPC UA DataValues → Samples: status code → quality, variant → value, server timestamps kept.
 * Works on the plain fields of node-opcua's objects, so it is tested without a server.
 */
import type { PointValue, Quality, Sample } from '../../core/types.js';
import type { OpcuaPoint } from './point.js';

/** The parts of node-opcua's DataValue this file reads. */
export interface DataValueLike {
  statusCode: { value: number; name: string };
  value: { dataType: number; arrayType: number; value: unknown };
  sourceTimestamp?: Date | null;
  serverTimestamp?: Date | null;
}

/** OPC UA DataType ids (Part 6) of the variants converted here. */
const DT = {
  Null: 0,
  Boolean: 1,
  Int64: 8,
  UInt64: 9,
  Float: 10,
  Double: 11,
  String: 12,
  DateTime: 13,
  StatusCode: 19,
  QualifiedName: 20,
  LocalizedText: 21,
  ExtensionObject: 22,
} as const;

const SCALAR = 0;

/** Severity is the top two bits of a status code (Part 4, 7.34.1): 00 good, 01 uncertain, 1x bad. */
export function qualityOf(statusCode: number): Quality {
  const severity = statusCode >>> 30;
  if (severity === 0) return 'good';
  if (severity === 1) return 'uncertain';
  return 'bad';
}

/** node-opcua names codes with flag bits `Good#StructureChanged`; the reason keeps the code's name. */
export function statusName(statusCode: { value: number; name: string }): string {
  const name = statusCode.name.split('#')[0] ?? '';
  return name !== '' ? name : `0x${(statusCode.value >>> 0).toString(16).padStart(8, '0')}`;
}

/** 64-bit integers arrive as [high, low] 32-bit words; precision ends at 2^53. */
function int64(words: unknown, signed: boolean): number | undefined {
  if (!Array.isArray(words) || words.length !== 2) return undefined;
  const [hi, lo] = words as [number, number];
  if (signed && hi >= 0x8000_0000) return (hi - 0x1_0000_0000) * 0x1_0000_0000 + lo;
  return hi * 0x1_0000_0000 + lo;
}

/** A variant as a sample value; `undefined` when the gateway cannot represent it. */
export function variantValue(variant: DataValueLike['value']): PointValue | undefined {
  const { dataType, arrayType, value } = variant;
  if (dataType === DT.Null || value === null || value === undefined) return null;
  if (arrayType !== SCALAR) {
    // Arrays are kept whole as JSON text, so nothing is silently dropped.
    if (dataType === DT.Int64 || dataType === DT.UInt64) {
      return JSON.stringify(Array.from(value as unknown[], (w) => int64(w, dataType === DT.Int64) ?? null));
    }
    if (dataType === DT.ExtensionObject) return undefined;
    return JSON.stringify(Array.from(value as Iterable<unknown>, (v) => (typeof v === 'object' && v !== null ? String(v) : v)));
  }
  switch (dataType) {
    case DT.Int64:
    case DT.UInt64:
      return int64(value, dataType === DT.Int64);
    case DT.DateTime:
      return value instanceof Date ? value.getTime() : undefined;
    case DT.LocalizedText:
      return (value as { text?: string | null }).text ?? null;
    case DT.QualifiedName:
      return (value as { name?: string | null }).name ?? null;
    case DT.StatusCode:
      return (value as { name?: string }).name ?? null;
    case DT.ExtensionObject:
      return undefined;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  // NodeId, Guid, ByteString, XmlElement: their text form.
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return String(value);
}

function timestampOf(dv: DataValueLike, fallback: number): number {
  const t = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime();
  // node-opcua reports a missing timestamp as the OPC UA minimum date (1601).
  return t !== undefined && t > 0 ? t : fallback;
}

export function applyScale(point: Pick<OpcuaPoint, 'scale' | 'offset'>, value: PointValue): PointValue {
  if (typeof value !== 'number' || (point.scale === undefined && point.offset === undefined)) return value;
  return value * (point.scale ?? 1) + (point.offset ?? 0);
}

/** One DataValue of a point as a Sample. */
export function toSample(point: OpcuaPoint, dv: DataValueLike, now: number): Sample {
  const ts = timestampOf(dv, now);
  const quality = qualityOf(dv.statusCode.value);
  if (quality === 'bad') return { pointId: point.id, ts, value: null, quality, reason: statusName(dv.statusCode) };
  const raw = variantValue(dv.value);
  if (raw === undefined) return { pointId: point.id, ts, value: null, quality: 'bad', reason: 'unsupported-type' };
  if (raw === null) return { pointId: point.id, ts, value: null, quality: 'bad', reason: 'not-available' };
  const value = applyScale(point, raw);
  if (quality === 'uncertain') return { pointId: point.id, ts, value, quality, reason: statusName(dv.statusCode) };
  return { pointId: point.id, ts, value, quality };
}
