/**
 * What a received notification PDU means, independent of the socket: its snmpTrapOID (a v1 trap
 * converted per RFC 3584) and its varbinds in a JSON-safe form for the `snmp.trap` event.
 */
import { decodeCounter64, octetText, SNMP_TAG, tagName } from '../codec.js';

/** The PDU fields net-snmp's receiver hands over (v1 Trap-PDU, v2 Trap/Inform). */
export interface ReceivedPdu {
  type: number;
  /** v1 only */
  enterprise?: string;
  generic?: number;
  specific?: number;
  varbinds?: Array<{ oid: string; type: number; value: unknown }>;
}

export interface TrapVarbind {
  oid: string;
  type: string;
  value: number | string | boolean | null;
}

/** net-snmp's PduType.Trap (the v1 Trap-PDU, tag 4) */
const V1_TRAP_PDU = 164;
const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
/** RFC 3584 3.1: the generic traps coldStart..egpNeighborLoss are snmpTraps.1..6 */
const SNMP_TRAPS = '1.3.6.1.6.3.1.1.5';
const OID_TEXT = /^\d+(\.\d+)+$/;

/** An event must stay small whatever a sender packs into one PDU. */
export const MAX_EVENT_VARBINDS = 64;
export const MAX_VALUE_CHARS = 1024;

/** The notification's snmpTrapOID in v2 form; undefined when the PDU names none (dropped as invalid). */
export function notificationOid(pdu: ReceivedPdu): string | undefined {
  if (pdu.type === V1_TRAP_PDU) {
    const { generic, specific, enterprise } = pdu;
    if (typeof generic !== 'number' || !Number.isInteger(generic) || generic < 0) return undefined;
    if (generic <= 5) return `${SNMP_TRAPS}.${generic + 1}`;
    if (generic !== 6 || typeof enterprise !== 'string' || !OID_TEXT.test(enterprise)) return undefined;
    if (typeof specific !== 'number' || !Number.isInteger(specific) || specific < 0) return undefined;
    return `${enterprise}.0.${specific}`;
  }
  const trapOid = pdu.varbinds?.find((vb) => vb.oid === SNMP_TRAP_OID)?.value;
  return typeof trapOid === 'string' && OID_TEXT.test(trapOid) ? trapOid : undefined;
}

/**
 * The payload varbinds (without the sysUpTime.0 / snmpTrapOID.0 header a v2 PDU starts with: the
 * OID is the event's `oid`), each value JSON-safe: text for OCTET STRINGs that are printable,
 * "0x…" hex otherwise, Counter64 as a number.
 */
export function eventVarbinds(pdu: ReceivedPdu): { varbinds: TrapVarbind[]; truncated: number } {
  const payload = (pdu.varbinds ?? []).filter((vb) => vb.oid !== SYS_UPTIME && vb.oid !== SNMP_TRAP_OID);
  const kept = payload.slice(0, MAX_EVENT_VARBINDS);
  return {
    varbinds: kept.map((vb) => ({ oid: String(vb.oid), type: tagName(vb.type), value: jsonValue(vb.type, vb.value) })),
    truncated: payload.length - kept.length,
  };
}

function jsonValue(type: number, value: unknown): TrapVarbind['value'] {
  if (value === null || value === undefined) return null;
  if (type === SNMP_TAG.Counter64) return finite(decodeCounter64(value));
  if (Buffer.isBuffer(value)) return clip(type === SNMP_TAG.OctetString ? octetText(value) : `0x${value.toString('hex')}`);
  if (typeof value === 'bigint') return finite(Number(value));
  if (typeof value === 'number') return finite(value);
  if (typeof value === 'boolean') return value;
  return clip(String(value));
}

function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

function clip(text: string): string {
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}
