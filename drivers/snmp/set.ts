/**
 * An engineering value as the varbind of an SNMP SET: the read mapping of codec.ts in reverse
 * (label → raw of `enum`, true → trueValues[0] and false → falseValue, scale/offset undone and
 * rounded to the integer the wire carries), with the SNMP syntax the point declares or the agent
 * reported. A value that cannot be sent is refused here with the error status an agent would give.
 */
import { roundHalfAway, roundSignificant } from '../../core/scaled-number.js';
import type { WriteValue } from '../../core/write-spec.js';
import { SNMP_TAG, tagName, type Varbind } from './codec.js';
import type { SnmpPoint } from './point.js';

/** Why a value was not sent: `reason` is an SNMP error-status name (or `config` for a map that cannot write). */
export class SetRefusal extends Error {
  constructor(
    readonly reason: 'wrongType' | 'wrongValue' | 'notWritable' | 'config',
    message: string,
  ) {
    super(message);
  }
}

const INTEGER32: readonly [number, number] = [-2147483648, 2147483647];
const UNSIGNED32: readonly [number, number] = [0, 4294967295];
const RANGE = new Map<number, readonly [number, number]>([
  [SNMP_TAG.Integer, INTEGER32],
  [SNMP_TAG.Gauge32, UNSIGNED32],
  [SNMP_TAG.TimeTicks, UNSIGNED32],
]);

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const DOTTED_OID = /^\d+(?:\.\d+)+$/;

/** The raw integer of a labelled or boolean point, or undefined when the point is a plain number. */
function labelledRaw(point: SnmpPoint, value: WriteValue): number | undefined {
  if (point.enum) {
    const entry = Object.entries(point.enum).find(([raw, label]) => label === value || (typeof value === 'number' && Number(raw) === value));
    if (!entry) throw new SetRefusal('wrongValue', `${JSON.stringify(value)} is none of ${Object.values(point.enum).join(', ')}`);
    return Number(entry[0]);
  }
  if (point.trueValues) {
    if (typeof value !== 'boolean') throw new SetRefusal('wrongType', `${JSON.stringify(value)} is no boolean`);
    if (value) return point.trueValues[0]!;
    if (point.falseValue === undefined) {
      throw new SetRefusal('config', 'the point cannot say false: give it falseValue (the raw value that means false)');
    }
    return point.falseValue;
  }
  return undefined;
}

function integerOf(point: SnmpPoint, tag: number, value: WriteValue): number {
  const labelled = labelledRaw(point, value);
  let raw = labelled;
  if (raw === undefined) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new SetRefusal('wrongType', `${JSON.stringify(value)} is no number`);
    // 15 significant digits first: 23.45 / 0.1 is 234.49999999999997 in binary, and means 234.5 → 235
    const plain = point.scale === undefined && point.offset === undefined;
    raw = roundHalfAway(plain ? value : roundSignificant((value - (point.offset ?? 0)) / (point.scale ?? 1), 15));
  }
  const [low, high] = RANGE.get(tag)!;
  if (raw < low || raw > high) throw new SetRefusal('wrongValue', `${raw} is outside ${tagName(tag)} (${low}..${high})`);
  return raw;
}

/** The varbind that sets `point` to `value`; `tag` is the point's SNMP syntax (SNMP_TAG). */
export function setVarbind(point: SnmpPoint, tag: number, value: WriteValue): Varbind {
  if (point.bit !== undefined) {
    throw new SetRefusal('config', 'a point of one bit cannot be set without the other bits (not supported)');
  }
  if (point.rate || tag === SNMP_TAG.Counter32 || tag === SNMP_TAG.Counter64) {
    throw new SetRefusal('notWritable', 'a counter is never writable (SMI)');
  }
  if (RANGE.has(tag)) return { oid: point.oid, type: tag, value: integerOf(point, tag, value) };
  if (point.enum || point.trueValues || point.scale !== undefined || point.offset !== undefined) {
    throw new SetRefusal('config', `the point maps numbers, but the object is ${tagName(tag)}`);
  }
  const text = String(value);
  switch (tag) {
    case SNMP_TAG.OctetString:
      return { oid: point.oid, type: tag, value: Buffer.from(text, 'utf8') };
    case SNMP_TAG.IpAddress:
      if (!IPV4.test(text)) throw new SetRefusal('wrongValue', `${JSON.stringify(value)} is no IPv4 address`);
      return { oid: point.oid, type: tag, value: text };
    case SNMP_TAG.OID:
      if (!DOTTED_OID.test(text)) throw new SetRefusal('wrongValue', `${JSON.stringify(value)} is no dotted OID`);
      return { oid: point.oid, type: tag, value: text };
  }
  throw new SetRefusal('wrongType', `the gateway cannot set an object of syntax ${tagName(tag)}`);
}
