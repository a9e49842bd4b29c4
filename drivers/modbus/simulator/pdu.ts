/**
 * Request PDU → response PDU for one slave: function codes 1–6, 15, 16. Checks follow the
 * Modbus application protocol spec order: function code (01), then quantity / byte count (03),
 * then address range (02).
 */
import type { ModbusTable } from '../point.js';
import type { RegisterBank } from './register-bank.js';

export const EXCEPTION = {
  illegalFunction: 0x01,
  illegalAddress: 0x02,
  illegalValue: 0x03,
  deviceFailure: 0x04,
  deviceBusy: 0x06,
  gatewayPath: 0x0a,
  gatewayTarget: 0x0b,
} as const;

/** Limits from the spec: 125 registers / 2000 bits per read, 123 / 1968 per write. */
export const LIMITS = { readRegisters: 125, readBits: 2000, writeRegisters: 123, writeBits: 1968 } as const;

export interface PduTarget {
  readonly bank: RegisterBank;
  /** an injected exception code for a request touching [address, address + count), or 0 */
  forcedException(table: ModbusTable, address: number, count: number): number;
  /** a client changed [address, address + count) */
  written(table: ModbusTable, address: number, count: number): void;
}

/** Writes an exception response into out; returns its length. */
export function exceptionPdu(functionCode: number, code: number, out: Uint8Array): number {
  out[0] = (functionCode | 0x80) & 0xff;
  out[1] = code;
  return 2;
}

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;

/**
 * Answers one request into out (at least 253 bytes); returns the response length. Never
 * throws: every malformed request becomes an exception response.
 */
export function handlePdu(target: PduTarget, req: Uint8Array, out: Uint8Array): number {
  const fc = req[0]!;
  switch (fc) {
    case 1:
      return readTable(target, 'coil', req, out);
    case 2:
      return readTable(target, 'discrete', req, out);
    case 3:
      return readTable(target, 'holding', req, out);
    case 4:
      return readTable(target, 'input', req, out);
    case 5:
      return writeSingleCoil(target, req, out);
    case 6:
      return writeSingleRegister(target, req, out);
    case 15:
      return writeMultiple(target, 'coil', req, out);
    case 16:
      return writeMultiple(target, 'holding', req, out);
    default:
      return exceptionPdu(fc, EXCEPTION.illegalFunction, out);
  }
}

/** Address check then injected faults; 0 when the request may proceed. */
function refusal(target: PduTarget, table: ModbusTable, address: number, count: number): number {
  if (!target.bank.has(table, address, count)) return EXCEPTION.illegalAddress;
  return target.forcedException(table, address, count);
}

/** FC 1–4: the same request layout for every table, bits packed LSB first or words big-endian. */
function readTable(target: PduTarget, table: ModbusTable, req: Uint8Array, out: Uint8Array): number {
  const fc = req[0]!;
  const bitTable = table === 'coil' || table === 'discrete';
  if (req.length !== 5) return exceptionPdu(fc, EXCEPTION.illegalValue, out);
  const address = u16(req, 1);
  const count = u16(req, 3);
  if (count < 1 || count > (bitTable ? LIMITS.readBits : LIMITS.readRegisters)) {
    return exceptionPdu(fc, EXCEPTION.illegalValue, out);
  }
  const refused = refusal(target, table, address, count);
  if (refused) return exceptionPdu(fc, refused, out);
  out[0] = fc;
  if (bitTable) {
    const bits = target.bank.bits(table);
    const byteCount = (count + 7) >> 3;
    out[1] = byteCount;
    out.fill(0, 2, 2 + byteCount);
    for (let i = 0; i < count; i++) {
      if (bits[address + i]) out[2 + (i >> 3)]! |= 1 << (i & 7);
    }
    return 2 + byteCount;
  }
  const words = target.bank.words(table);
  out[1] = count * 2;
  for (let i = 0, at = 2; i < count; i++, at += 2) {
    const w = words[address + i]!;
    out[at] = w >>> 8;
    out[at + 1] = w & 0xff;
  }
  return 2 + count * 2;
}

/** Single writes echo the request; multiple writes its first five bytes (address and count). */
function echo(req: Uint8Array, out: Uint8Array): number {
  out.set(req.subarray(0, 5), 0);
  return 5;
}

function writeSingleCoil(target: PduTarget, req: Uint8Array, out: Uint8Array): number {
  if (req.length !== 5) return exceptionPdu(5, EXCEPTION.illegalValue, out);
  const address = u16(req, 1);
  const value = u16(req, 3);
  if (value !== 0xff00 && value !== 0x0000) return exceptionPdu(5, EXCEPTION.illegalValue, out);
  const refused = refusal(target, 'coil', address, 1);
  if (refused) return exceptionPdu(5, refused, out);
  target.bank.bits('coil')[address] = value === 0xff00 ? 1 : 0;
  target.written('coil', address, 1);
  return echo(req, out);
}

function writeSingleRegister(target: PduTarget, req: Uint8Array, out: Uint8Array): number {
  if (req.length !== 5) return exceptionPdu(6, EXCEPTION.illegalValue, out);
  const address = u16(req, 1);
  const refused = refusal(target, 'holding', address, 1);
  if (refused) return exceptionPdu(6, refused, out);
  target.bank.words('holding')[address] = u16(req, 3);
  target.written('holding', address, 1);
  return echo(req, out);
}

/** FC 15 and 16: a byte count, then the values; the response echoes address and count. */
function writeMultiple(target: PduTarget, table: 'coil' | 'holding', req: Uint8Array, out: Uint8Array): number {
  const fc = req[0]!;
  if (req.length < 6) return exceptionPdu(fc, EXCEPTION.illegalValue, out);
  const address = u16(req, 1);
  const count = u16(req, 3);
  const byteCount = req[5]!;
  const limit = table === 'coil' ? LIMITS.writeBits : LIMITS.writeRegisters;
  const expectedBytes = table === 'coil' ? (count + 7) >> 3 : count * 2;
  if (count < 1 || count > limit || byteCount !== expectedBytes || req.length !== 6 + byteCount) {
    return exceptionPdu(fc, EXCEPTION.illegalValue, out);
  }
  const refused = refusal(target, table, address, count);
  if (refused) return exceptionPdu(fc, refused, out);
  if (table === 'coil') {
    const bits = target.bank.bits('coil');
    for (let i = 0; i < count; i++) bits[address + i] = (req[6 + (i >> 3)]! >> (i & 7)) & 1;
  } else {
    const words = target.bank.words('holding');
    for (let i = 0; i < count; i++) words[address + i] = u16(req, 6 + i * 2);
  }
  target.written(table, address, count);
  return echo(req, out);
}
