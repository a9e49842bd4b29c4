/**
 * One varbind → one sample of its point: the syntax check, counters (as counts or rates),
 * scale/offset, enum labels, booleans (trueValues, one bit of a number or of a BITS string) and
 * "not available" markers. Pure apart from the rate state, so the table of cases in
 * test/unit/snmp-codec.test.ts covers it without an agent.
 */
import { roundSignificant, scaleInteger } from '../../core/scaled-number.js';
import type { PointValue, Sample } from '../../core/types.js';
import type { SnmpPoint, SnmpType } from './point.js';

/** ASN.1/SMI tags as net-snmp reports them in `varbind.type` (RFC 2578, RFC 3416). */
export const SNMP_TAG = {
  Boolean: 1,
  Integer: 2,
  OctetString: 4,
  Null: 5,
  OID: 6,
  IpAddress: 64,
  Counter32: 65,
  Gauge32: 66,
  TimeTicks: 67,
  Opaque: 68,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

export const TAG_OF_TYPE: Record<SnmpType, number> = {
  integer: SNMP_TAG.Integer,
  gauge: SNMP_TAG.Gauge32,
  counter: SNMP_TAG.Counter32,
  counter64: SNMP_TAG.Counter64,
  timeticks: SNMP_TAG.TimeTicks,
  string: SNMP_TAG.OctetString,
  ipaddress: SNMP_TAG.IpAddress,
  oid: SNMP_TAG.OID,
};

const TYPE_OF_TAG = new Map<number, SnmpType>(Object.entries(TAG_OF_TYPE).map(([type, tag]) => [tag, type as SnmpType]));

/** The syntax name of a tag, for messages and trap events ("integer", "noSuchInstance", ...). */
export function tagName(tag: number): string {
  const known = TYPE_OF_TAG.get(tag);
  if (known) return known;
  const entry = Object.entries(SNMP_TAG).find(([, t]) => t === tag);
  return entry ? entry[0].charAt(0).toLowerCase() + entry[0].slice(1) : `tag ${tag}`;
}

export interface Varbind {
  oid: string;
  type: number;
  value: unknown;
}

export function isExceptionTag(tag: number): boolean {
  return tag === SNMP_TAG.NoSuchObject || tag === SNMP_TAG.NoSuchInstance || tag === SNMP_TAG.EndOfMibView;
}

const TWO_32 = 2 ** 32;

/** Counter64 arrives as a big-endian Buffer (net-snmp has no 64-bit numbers): exact up to 2^53. */
export function decodeCounter64(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (!Buffer.isBuffer(value)) return Number.NaN;
  let n = 0n;
  for (const byte of value) n = (n << 8n) | BigInt(byte);
  return Number(n);
}

/** OctetString as text: UTF-8 when printable (trailing NULs dropped), else hex `0x…`. */
export function octetText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!Buffer.isBuffer(value)) return String(value);
  let end = value.length;
  while (end > 0 && value[end - 1] === 0) end--;
  const bytes = value.subarray(0, end);
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // control characters other than tab and line breaks mean binary data
    // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of the check
    if (!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return text;
  } catch {
    // not UTF-8: shown as hex below
  }
  return `0x${value.toString('hex')}`;
}

/** A bit of an SNMP BITS value: bit 0 is the most significant bit of the first octet; missing octets are 0. */
export function bitsValue(value: unknown, bit: number): boolean {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'latin1');
  const byte = bytes[bit >> 3];
  return byte !== undefined && (byte & (0x80 >> (bit & 7))) !== 0;
}

/**
 * Last raw count and time per point, for `rate: true`. A Counter32 that went down wrapped when
 * the wrapped difference is at most half the range (else the agent restarted); a Counter64 that
 * went down restarted (wrapping 2^64 takes centuries). First poll and restarts give no rate.
 */
export class CounterRates {
  readonly #last = new Map<string, { raw: number; ts: number }>();

  /** per second since the previous count, or undefined when there is no rate (yet) */
  rate(pointId: string, raw: number, ts: number, wraps32: boolean): number | undefined {
    const prev = this.#last.get(pointId);
    this.#last.set(pointId, { raw, ts });
    if (!prev || ts <= prev.ts) return undefined;
    let delta = raw - prev.raw;
    if (delta < 0) {
      if (!wraps32) return undefined;
      delta += TWO_32;
      if (delta > TWO_32 / 2) return undefined;
    }
    return delta / ((ts - prev.ts) / 1000);
  }

  /** Forgets a point's count (its read failed: the next one starts over). */
  forget(pointId: string): void {
    this.#last.delete(pointId);
  }
}

type Outcome = { value: PointValue } | { reason: 'not-available' | 'unknown-enum' | 'config' };

const NUMERIC_TAGS = new Set<number>([SNMP_TAG.Integer, SNMP_TAG.Gauge32, SNMP_TAG.Counter32, SNMP_TAG.Counter64, SNMP_TAG.TimeTicks]);

/** The sample of `point` from its varbind, taken at `ts`. */
export function decodeVarbind(point: SnmpPoint, vb: Varbind, ts: number, rates: CounterRates): Sample {
  const out = decode(point, vb, ts, rates);
  if ('value' in out) return { pointId: point.id, ts, value: out.value, quality: 'good' };
  return { pointId: point.id, ts, value: null, quality: 'bad', reason: out.reason };
}

function decode(point: SnmpPoint, vb: Varbind, ts: number, rates: CounterRates): Outcome {
  if (isExceptionTag(vb.type)) {
    rates.forget(point.id);
    return { reason: 'not-available' };
  }
  // The map names a syntax the agent does not use: a wrong map, not a device fault.
  if (point.type !== undefined && TAG_OF_TYPE[point.type] !== vb.type) return { reason: 'config' };
  if (NUMERIC_TAGS.has(vb.type)) return numeric(point, vb, ts, rates);
  if (vb.type === SNMP_TAG.OctetString) {
    if (point.bit !== undefined) return { value: bitsValue(vb.value, point.bit) };
    if (hasNumericOptions(point)) return { reason: 'config' };
    return { value: octetText(vb.value) };
  }
  if (vb.type === SNMP_TAG.IpAddress || vb.type === SNMP_TAG.OID) {
    if (hasNumericOptions(point) || point.bit !== undefined) return { reason: 'config' };
    return { value: String(vb.value) };
  }
  // Null, Opaque, Boolean: no point type reads them
  return { reason: 'config' };
}

function hasNumericOptions(p: SnmpPoint): boolean {
  return p.scale !== undefined || p.offset !== undefined || p.enum !== undefined || p.trueValues !== undefined || p.rate === true || p.sentinel !== undefined;
}

function numeric(point: SnmpPoint, vb: Varbind, ts: number, rates: CounterRates): Outcome {
  const raw = vb.type === SNMP_TAG.Counter64 ? decodeCounter64(vb.value) : Number(vb.value);
  if (!Number.isFinite(raw)) return { reason: 'config' };
  if (point.sentinel?.includes(raw)) {
    rates.forget(point.id);
    return { reason: 'not-available' };
  }
  if (point.bit !== undefined) {
    // 2^bit rather than 1 << bit: unsigned 32-bit values and bits above 30 stay exact
    return { value: Math.floor(raw / 2 ** point.bit) % 2 !== 0 };
  }
  if (point.enum) {
    const label = point.enum[String(raw)];
    return label === undefined ? { reason: 'unknown-enum' } : { value: label };
  }
  if (point.trueValues) return { value: point.trueValues.includes(raw) };
  if (point.rate) {
    if (vb.type !== SNMP_TAG.Counter32 && vb.type !== SNMP_TAG.Counter64) return { reason: 'config' };
    const perSecond = rates.rate(point.id, raw, ts, vb.type === SNMP_TAG.Counter32);
    if (perSecond === undefined) return { reason: 'not-available' };
    return { value: roundSignificant(perSecond * (point.scale ?? 1) + (point.offset ?? 0), 15) };
  }
  // the wire carries integers: 157 × 0.1 reads 15.7
  return { value: scaleInteger(raw, point.scale, point.offset) };
}
