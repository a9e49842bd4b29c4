/**
 * The inverse of the driver's decoding: a model's engineering values, by point key, back to the
 * raw SNMP values the agent serves, so the gateway reads what the model said. Several points may
 * share one OID (a mode enum and on_battery/on_line booleans on upsOutputSource; alarm bits of one
 * INTEGER): a cell is one OID with every point on it.
 */
import type { PointValue } from '../../../core/types.js';
import type { SnmpPoint, SnmpType } from '../point.js';

/** One OID the agent answers, and the points of the device on it. */
export interface Cell {
  oid: string;
  type: SnmpType;
  points: SnmpPoint[];
}

/** What the agent stores: numbers for integer syntaxes, text, or 8 bytes for Counter64. */
export type RawValue = number | string | Buffer;

const UINT32 = 2 ** 32;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Groups a device's points by OID; the syntax is the first one a point names, else from the values. */
export function cellsOf(points: readonly SnmpPoint[], sample: Readonly<Record<string, PointValue>>): Cell[] {
  const byOid = new Map<string, SnmpPoint[]>();
  for (const p of points) byOid.set(p.oid, [...(byOid.get(p.oid) ?? []), p]);
  return [...byOid].map(([oid, on]) => ({ oid, points: on, type: on.find((p) => p.type)?.type ?? guessType(on, sample) }));
}

function guessType(points: readonly SnmpPoint[], sample: Readonly<Record<string, PointValue>>): SnmpType {
  const labelled = points.some((p) => p.enum || p.trueValues || p.bit !== undefined);
  if (!labelled && points.some((p) => typeof sample[p.key] === 'string')) return 'string';
  return 'integer';
}

/** The raw value of a cell for the model's values (see the file comment for shared OIDs). */
export function encodeCell(cell: Cell, values: Readonly<Record<string, PointValue>>): RawValue {
  const given = cell.points.filter((p) => values[p.key] !== undefined && values[p.key] !== null);
  // 1. a true state (on battery) says more than a label or a false flag on the same OID
  const truthy = given.find((p) => p.trueValues?.length && values[p.key] === true);
  if (truthy) return toSyntax(cell.type, truthy.trueValues![0]!);
  // 2. an enum label
  for (const p of given) {
    const v = values[p.key];
    if (p.enum && typeof v === 'string') {
      const raw = rawOfLabel(p.enum, v);
      if (raw !== undefined) return toSyntax(cell.type, raw);
    }
  }
  // 3. bits, OR-ed together
  const bits = given.filter((p) => p.bit !== undefined);
  if (bits.length > 0) return encodeBits(cell.type, bits, values);
  // 4. a plain value
  const plain = given.find((p) => !p.enum && !p.trueValues);
  if (plain) return encodePlain(cell.type, plain, values[plain.key]!);
  // 5. every flag false: a raw none of them counts as true, an enum's own value when there is one
  const flags = cell.points.filter((p) => p.trueValues?.length);
  if (flags.length > 0) {
    const taken = new Set(flags.flatMap((p) => p.trueValues!));
    const enumKeys = cell.points.flatMap((p) => Object.keys(p.enum ?? {}).map(Number));
    const raw = [...enumKeys, 2, 1, 0, 3, 4, 5, 6, 7].find((n) => !taken.has(n))!;
    return toSyntax(cell.type, raw);
  }
  // 6. nothing known: "not available" when the point has a way to say so
  const sentinel = cell.points.find((p) => p.sentinel?.length)?.sentinel?.[0];
  return toSyntax(cell.type, sentinel ?? 0);
}

function encodePlain(type: SnmpType, point: SnmpPoint, value: PointValue): RawValue {
  if (type === 'string' || type === 'ipaddress' || type === 'oid') return String(value);
  const n = typeof value === 'boolean' ? (value ? 1 : 0) : Number(value);
  const raw = (n - (point.offset ?? 0)) / (point.scale ?? 1);
  return toSyntax(type, Number.isFinite(raw) ? raw : 0);
}

/** A number in the syntax's range: whole, counters wrapped, gauges and integers clamped. */
function toSyntax(type: SnmpType, raw: number): RawValue {
  const whole = Math.round(raw);
  switch (type) {
    case 'string':
      return String(raw);
    case 'counter':
      return ((whole % UINT32) + UINT32) % UINT32;
    case 'counter64': {
      const buf = Buffer.alloc(8);
      buf.writeBigUInt64BE(BigInt(Math.max(0, whole)));
      return buf;
    }
    case 'gauge':
    case 'timeticks':
      return Math.min(UINT32 - 1, Math.max(0, whole));
    case 'ipaddress':
    case 'oid':
      return String(raw);
    default:
      return Math.min(INT32_MAX, Math.max(INT32_MIN, whole));
  }
}

function encodeBits(type: SnmpType, bits: readonly SnmpPoint[], values: Readonly<Record<string, PointValue>>): RawValue {
  const set = bits.filter((p) => values[p.key] === true).map((p) => p.bit!);
  if (type === 'string') {
    // SNMP BITS: bit 0 is the most significant bit of the first octet
    const octets = Buffer.alloc(Math.floor(Math.max(...bits.map((p) => p.bit!)) / 8) + 1);
    for (const b of set) octets[b >> 3]! |= 0x80 >> (b & 7);
    return octets;
  }
  return toSyntax(type, set.reduce((acc, b) => acc + 2 ** b, 0));
}

const SYNONYMS: Record<string, string[]> = {
  online: ['normal', 'online', 'onutility', 'onmains'],
  battery: ['battery', 'onbattery'],
  off: ['none', 'off', 'shutdown', 'offline'],
  bypass: ['bypass', 'onbypass'],
};

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The raw key of a label: exact, then the same words, then the model's synonyms. */
function rawOfLabel(enumMap: Record<string, string>, label: string): number | undefined {
  const entries = Object.entries(enumMap);
  const wanted = [label, ...(SYNONYMS[norm(label)] ?? [])].map(norm);
  for (const w of wanted) {
    const hit = entries.find(([, l]) => norm(l) === w);
    if (hit) return Number(hit[0]);
  }
  return undefined;
}
